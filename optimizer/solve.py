"""Solve an instance with HiGHS and hand back a :class:`Result`.

The Pyomo model goes to HiGHS as matrices (``optimizer.backend.highs_direct``: faster and
lighter than pyomo's persistent interface, which only reruns need).

    from instances import load_instance
    from optimizer import solve, SolveOptions
    result = solve(load_instance("portfolio.json"), SolveOptions(mip_gap=1e-6))
    result.status, result.objective_usd, result.allocation, result.finance
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from instances import Instance
from models import MONEY_SCALE, build_model, prepare
from models.variants import fix_starts, require_blocks
from optimizer import results as R
from optimizer.backend.highs_direct import DirectHighs, RunReport
from optimizer.backend.progress import LiveProgress
from optimizer.backend.interrupt import interruptible
from optimizer.backend.options import highs_of, highs_options
from optimizer.backend.numerics import range_issues
from optimizer.backend.status import Status, classify
from optimizer.backend.verify import CORRECTED, DISAGREE, Verification, check_answer, skipped

DEFAULT_MIP_GAP = 1e-4
AUTO_SENSITIVITY_ROWS = 10_000  # above this, sensitivities only when asked for
# HiGHS log lines that signal numerical trouble worth telling the user about
# (as HiGHS 1.16 words them: "Problem has some excessively large bounds ...", "matrix
# contains 4 |value| in [1e-13, 1e-13] at/below tolerance ...: ignored", "Numerical
# trouble", "ill-conditioning", "Divergent movement", "singular matrix")
NUMERIC_WARNINGS = ("numerical", "ill-condition", "excessive", "|value|", "divergent", "singular", "large matrix", "small matrix")


#: HiGHS options of every MIP solve (``SolveOptions.highs_options`` overrides them).
#: A fixed seed makes runs repeatable; RINS and RENS off: on the default instance
#: they cost about 30 % of the LP iterations without finding better plans
#: (benchmarks/README.md, "Cutting the search").
HIGHS_DEFAULTS: dict[str, Any] = highs_options(
    mip_heuristic_run_rins=False,
    mip_heuristic_run_rens=False,
)


@dataclass
class SolveOptions:
    """How to solve.

    time_limit: seconds of solver time (None: no limit)
    mip_gap: relative MIP gap at which a plan counts as optimal (default 1e-4)
    threads: HiGHS threads (None: HiGHS decides)
    fixed_starts: {(site, period label): blocks}; when given, the retrofit schedule is
        fixed to it (every other start is 0) and only operations and financing are chosen
    min_blocks: {site: blocks}; the plan starts at least that many blocks at the site
        over the horizon (``optimizer.analyses.site_value`` asks what one more hall would cost)
    log: stream the HiGHS log to standard error
    progress: after a second, show a live line (elapsed, best plan, bound, gap) on
        standard error when it is a terminal (``optimizer.backend.progress``)
    check: after the MIP, solve the LP at the plan's retrofit schedule with presolve
        off and keep its plan if it is better beyond the gap tolerance
        (``optimizer.backend.verify``; on by default)
    verify: also re-solve the MIP with presolve off from the plan and compare
        objective and bound (``--verify``)
    """

    time_limit: float | None = None
    mip_gap: float = DEFAULT_MIP_GAP
    threads: int | None = None
    fixed_starts: dict[tuple[str, str], int] | None = None
    min_blocks: dict[str, int] | None = None
    log: bool = False
    highs_options: dict[str, Any] = field(default_factory=dict)
    # marginal values of the plan (optimizer.sensitivity): True / False, or None for
    # "when the model is small enough" (the extra LP costs minutes on large scenario sets)
    sensitivities: bool | None = None
    progress: bool = False
    check: bool = True
    verify: bool = False


@dataclass
class Result:
    """A solve's outcome and, when a plan was found, its tables (see ``optimizer.results``)."""

    instance: Instance
    status: Status
    reason: str
    objective_usd: float | None = None
    bound_usd: float | None = None
    mip_gap: float | None = None
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    model_size: dict[str, int] = field(default_factory=dict)
    allocation: pd.DataFrame | None = None
    retrofits: pd.DataFrame | None = None
    finance: pd.DataFrame | None = None
    debt: pd.DataFrame | None = None
    capex: pd.DataFrame | None = None
    fleets: pd.DataFrame | None = None  # SPEC v2 fleet table (optimizer.results.fleets_table); None for a v1 instance
    scenario_npv: pd.DataFrame | None = None
    plan: dict | None = None
    model: Any = None
    sensitivities: pd.DataFrame | None = None  # optimizer.sensitivity: kind, name, period, value_usd
    verification: Verification | None = None  # optimizer.backend.verify: was HiGHS's answer checked

    @property
    def has_plan(self) -> bool:
        return self.status.has_plan

    @property
    def solve_seconds(self) -> float:
        return self.timings.get("solve", 0.0)

    def summary(self) -> dict:
        """The figures of ``summary.json``: everything but the timings, so that two runs
        of one instance write the same bytes (the timings go to ``timings.json``)."""
        return {
            "instance": self.instance.name,
            "status": self.status.value,
            "reason": self.reason,
            "objective_usd": self.objective_usd,
            "bound_usd": self.bound_usd,
            "mip_gap": self.mip_gap,
            "periods": self.instance.period_labels,
            "scenarios": self.instance.scenario_names,
            "warnings": self.warnings + self.instance.warnings,
            "model_size": self.model_size,
            "verification": self.verification.to_json(with_seconds=False) if self.verification else None,
            "covenant": R.covenant_summary(self.instance, self.finance),
            "npv_decomposition": R.npv_decomposition(self.instance, self.finance),
            **({"overrides": self.instance.overrides} if getattr(self.instance, "overrides", None) else {}),
        }

    def timing_figures(self) -> dict[str, float]:
        """Seconds spent per step (build, solve, extract, ...): ``timings.json``."""
        return {k: round(v, 4) for k, v in self.timings.items()}


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|bound - objective| / max(|objective|, 1)``: HiGHS's relative MIP gap; None without both."""
    if objective is None or bound is None:
        return None
    return abs(bound - objective) / max(abs(objective), 1e-9 * MONEY_SCALE / MONEY_SCALE, 1.0)


def new_highs() -> DirectHighs:
    """A fresh HiGHS handle for one solve (``optimizer.backend.highs_direct``).

    Every solve here gets its handle through this function, so it is the one place
    to wrap to observe a solve's ``highspy.Highs`` (``handle._solver_model``, set
    before HiGHS runs), e.g. to subscribe a HiGHS callback.
    """
    return DirectHighs()


def solve(instance: Instance, options: SolveOptions | None = None) -> Result:
    """Build the model, solve it with HiGHS, extract the tables."""
    options = options or SolveOptions()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    out_of_range = range_issues(instance)
    if out_of_range:  # HiGHS would answer wrongly or crash (optimizer/backend/numerics.py)
        return Result(instance=instance, status=Status.ERROR, reason=str(out_of_range[0]), timings=timings)
    data = prepare(instance)
    model = build_model(data)
    timings["build"] = time.perf_counter() - t0
    if options.fixed_starts is not None:
        fix_starts(model, options.fixed_starts)
    if options.min_blocks:
        require_blocks(model, options.min_blocks)

    solver = new_highs()
    highs_options = {**HIGHS_DEFAULTS, **options.highs_options}
    t1 = time.perf_counter()
    tee: list = [sys.stderr] if options.log else []
    progress = LiveProgress().start() if options.progress else None
    if progress is not None:
        tee.append(progress)
    try:
        # Ctrl-C stops HiGHS and keeps its incumbent (optimizer/backend/interrupt.py)
        with interruptible(lambda: highs_of(solver)) as interrupt:
            report = solver.solve(
                model,
                time_limit=options.time_limit,
                mip_gap=options.mip_gap,
                threads=options.threads,
                options=highs_options,
                tee=tee,
            )
    except KeyboardInterrupt:  # before HiGHS started, or a second Ctrl-C
        timings["solve"] = time.perf_counter() - t1
        return Result(instance=instance, status=Status.NO_SOLUTION, reason="interrupted before any plan was found", timings=timings, model=model)
    finally:
        if progress is not None:
            progress.stop()
    timings["solve"] = time.perf_counter() - t1
    result = outcome(instance, model, report, solver.load_vars, options, timings, interrupted=interrupt.requested)
    if not result.has_plan:
        result.verification = skipped(f"no plan to check ({result.status.value})")
        return result
    _check(result, solver, report, options, highs_options)
    t2 = time.perf_counter()
    fill_tables(result)
    timings["extract"] = time.perf_counter() - t2
    if options.sensitivities or (options.sensitivities is None and result.model_size.get("rows", 0) <= AUTO_SENSITIVITY_ROWS):
        _add_sensitivities(result, options)
    elif options.sensitivities is None:
        result.warnings.append(
            f"sensitivities skipped: the model has more than {AUTO_SENSITIVITY_ROWS:,} rows (ask for them with SolveOptions(sensitivities=True))"
        )
    return result


def _check(result: Result, solver: DirectHighs, report: RunReport, options: SolveOptions, highs_options: dict) -> None:
    """Check HiGHS's answer (``optimizer.backend.verify``); keep a better plan if one is found.

    A corrected plan is loaded into the model, its objective replaces HiGHS's, the
    bound is raised to it if it was below, and a warning line says so.
    """
    if not (options.check or options.verify):
        result.verification = skipped("checks turned off")
        return
    t = time.perf_counter()
    values = solver.column_values()
    check = check_answer(
        solver.highs,
        values,
        report.objective,
        MONEY_SCALE,
        options.mip_gap,
        deep=options.verify,
        time_limit=options.time_limit,
        options={k: v for k, v in highs_options.items() if k in ("random_seed", "threads")},
    )
    result.verification = check
    result.timings["verify"] = time.perf_counter() - t
    if check.status == CORRECTED and check.values is not None:
        solver.load_values(check.values)
        objective = float(check.values @ solver.cost() + solver.offset()) * MONEY_SCALE
        result.objective_usd = objective
        if result.bound_usd is not None and result.bound_usd < objective:
            result.bound_usd = objective
        result.mip_gap = relative_gap(result.objective_usd, result.bound_usd)
        result.warnings.append("answer corrected: " + check.reason)
    elif check.status == DISAGREE:
        result.warnings.append("answer not confirmed: " + check.reason)


def _add_sensitivities(result: Result, options: SolveOptions) -> None:
    """``result.sensitivities`` from the LP at the plan's starts; a warning if it fails."""
    from optimizer.sensitivity import sensitivities

    t = time.perf_counter()
    try:
        result.sensitivities = sensitivities(result, options.highs_options)
    except Exception as exc:  # marginal values are extra: never lose the plan over them
        result.warnings.append(f"marginal values not computed: {exc}")
    result.timings["sensitivities"] = time.perf_counter() - t



def outcome(
    instance: Instance,
    model,
    report: RunReport,
    load_values: Callable[[], None],
    options: SolveOptions,
    timings: dict,
    interrupted: bool = False,
) -> Result:
    """What a HiGHS run gave: status, objective, bound, gap, size, warnings; the
    solution loaded into ``model`` (``load_values``) when there is a plan (tables
    not yet filled)."""
    status, reason = classify(report.model_status, report.has_solution)
    if interrupted and not status.has_plan:  # HiGHS stopped on a second Ctrl-C
        status, reason = Status.NO_SOLUTION, "interrupted before any plan was found"
    if report.model_status == "kUnboundedOrInfeasible":
        status, reason = _disambiguate(model, options)
    warnings = [
        "HiGHS reported numerical trouble: " + line.strip()
        for line in report.log.splitlines()
        if any(w in line.lower() for w in NUMERIC_WARNINGS)
    ][:3]
    result = Result(instance=instance, status=status, reason=reason, timings=timings, warnings=warnings, model=model)
    result.model_size = {
        "rows": report.rows,
        "columns": report.columns,
        "nonzeros": report.nonzeros,
        "integers": int(sum(1 for _ in model.start_index)),
    }
    if not status.has_plan:
        return result
    load_values()
    result.objective_usd = report.objective * MONEY_SCALE
    if status is Status.OPTIMAL and report.bound is None:
        result.bound_usd = result.objective_usd
    else:
        result.bound_usd = report.bound * MONEY_SCALE if report.bound is not None else None
    result.mip_gap = relative_gap(result.objective_usd, result.bound_usd)
    return result


def fill_tables(result: Result) -> None:
    """Compute every results table from the loaded decisions."""
    inst, model = result.instance, result.model
    dec = R.decisions(inst, model)
    result.allocation = R.allocation_table(inst, dec)
    result.retrofits = R.retrofits_table(inst, dec)
    result.debt = R.debt_table(inst, dec)
    result.capex = R.capex_by_site(inst, dec["start"])
    result.fleets = R.fleets_table(inst, dec) if inst.is_v2 else None
    result.finance = R.finance_table(inst, dec, result.allocation, result.debt, result.capex, result.fleets)
    breach = R.breach_columns(inst, model)  # extension: a covenant breached at a price
    if breach is not None:
        result.finance = result.finance.join(breach)
    result.scenario_npv = R.scenario_npv(inst, result.finance)
    result.plan = R.plan_dict(inst, dec)


def _disambiguate(model, options: SolveOptions) -> tuple[Status, str]:
    """HiGHS presolve may only say "infeasible or unbounded": ask again without presolve."""
    report = DirectHighs().solve(model, time_limit=options.time_limit, options=highs_options(presolve="off"))
    return classify(report.model_status, report.has_solution)
