"""Decision value: the optimized plan beside the plans simple rules would make.

Each rule builds a retrofit schedule; the schedule is then priced by the model with
the starts fixed (``SolveOptions.fixed_starts``) and every other decision (mining,
leasing, financing) optimized, exactly as ``allocate solve --starts FILE`` prices a
schedule. Rules (docs/baselines.md gives a worked example):

- ``keep_mining``: no retrofit at all.
- ``convert_early``: every block of every retrofittable site, as early as budget,
  cash, debt and covenants allow, sites with the best *lease yield* first.
- ``greedy_payback``: only sites whose *payback* is under a threshold (default 6
  years), shortest payback first, each block as early as allowed.
- ``user_plan``: the schedule of ``--starts FILE``, when given.
- ``mean_scenario_plan`` (stochastic instances only): the optimal schedule of the
  expected-value instance (``optimizer.analyses.value_of_information``); its gap to the
  optimum is the VSS.

Unit economics per retrofittable site s, from the inputs alone (``models.money_lines``),
averaged over the horizon with weights ``w = df_t * p_w`` (discount factor times
scenario probability), in USD per IT MW-year (``m`` months per period):

- lease margin ``AI_s = sum w * (ai_revenue - ai_cost per IT MW) / sum w * 12/m``;
- mining margin forgone ``MINE_s = sum w * ai.pue * max(0, mining_revenue - mining_cost
  per grid MW) / sum w * 12/m`` (a block of ``b`` IT MW holds ``ai.pue * b`` grid MW,
  which would otherwise hash when hashing pays);
- ``capex_s`` = ``ai.capex_usd_per_it_mw`` (probability-weighted over scenarios);
- lease yield ``AI_s / capex_s`` (1/year): the ``convert_early`` ranking, highest first;
- payback ``capex_s / (AI_s - MINE_s)`` in years when ``AI_s > MINE_s`` (else none):
  the ``greedy_payback`` ranking, shortest first; a site qualifies when its payback
  is strictly below the threshold. With one scenario this is the ``payback_years``
  column of ``allocate why``.

Ties are broken by site name (ascending).

"As early as allowed" (both greedy rules), with the qualifying sites in rank order::

    schedule = {}
    for t in periods, in order:
        for s in ranked sites:
            while s has fewer than ai.max_blocks blocks and t >= ai.earliest_start of s:
                trial = schedule + one block at (s, t)
                if the model with trial fixed has a plan: schedule = trial
                else: go to the next site

"Has a plan" is the SPEC feasibility of the whole horizon with only the blocks
chosen so far (grid, budgets, debt terms, minimum cash, leverage covenant, every
scenario). Each trial is one LP; a rule takes at most ``B + sum_s (N - earliest_s)``
of them (``B`` the blocks it can place, ``N`` periods): every trial either places a
block or ends a (site, period) pair. A rule whose schedule stays empty because no
single block can be financed ends with the empty schedule (as ``keep_mining``).

Per row: NPV (expected over scenarios), the gap to the optimum in USD and percent of
the optimum, peak debt and lowest cash (over periods and scenarios), the schedule,
and, when its schedule has no plan, ``feasible`` false with the first period that
breaks and the constraint (``optimizer.analyses.diagnose``, as ``solve --starts`` reports).
Every row with a plan is re-evaluated by the plan evaluator (``evaluated_npv_usd``).
With scenarios, each row also holds the same figures per scenario (the gap per
scenario is to the optimum's NPV in that scenario, so it may be negative: the
optimum maximizes the expectation).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from instances import Instance
from models import build_model, money_lines, prepare
from optimizer.evaluator import evaluate
from models.variants import fix_starts
from optimizer.solve import HIGHS_DEFAULTS, Result, SolveOptions, new_highs, solve

DEFAULT_PAYBACK_YEARS = 6.0

Schedule = dict[tuple[str, str], int]

LABELS = {
    "keep_mining": "keep mining",
    "convert_early": "convert early",
    "greedy_payback": "greedy payback",
    "user_plan": "your plan",
    "mean_scenario_plan": "mean-scenario plan",
}


# --------------------------------------------------------------------------- economics


def site_economics(instance: Instance) -> pd.DataFrame:
    """Per retrofittable site (index, instance order): ``lease_margin_usd_per_it_mw_year``,
    ``mining_margin_usd_per_it_mw_year``, ``capex_usd_per_it_mw``, ``lease_yield``
    (1/year) and ``payback_years`` (NaN when leasing earns no more than mining), as
    defined in the module docstring."""
    lines = money_lines(instance)
    sites = instance.sites
    probability = instance.scenarios["probability"].astype(float)
    df = instance.period_data["discount_factor"]
    weight = df * probability.reindex(df.index.get_level_values("scenario")).to_numpy()
    per_year = 12.0 / instance.period_months
    rows = {}
    for s in instance.site_names:
        if not bool(sites.at[s, "retrofittable"]) or int(sites.at[s, "max_blocks"]) <= 0:
            continue
        one = lines.xs(s, level="site")
        w = weight.reindex(one.index).to_numpy()
        params = instance.site_params.xs(s, level="site")
        pue = params["ai_pue"].reindex(one.index.get_level_values("scenario")).to_numpy(dtype=float)
        ai = (one["ai_revenue_usd_per_mw"] - one["ai_cost_usd_per_mw"]).to_numpy()
        mining = pue * np.maximum(one["mining_revenue_usd_per_mw"] - one["mining_cost_usd_per_mw"], 0.0).to_numpy()
        ai_y = float((w * ai).sum() / w.sum() * per_year)
        mine_y = float((w * mining).sum() / w.sum() * per_year)
        capex = float((params["capex_usd_per_it_mw"] * probability.reindex(params.index)).sum())
        rows[s] = {
            "lease_margin_usd_per_it_mw_year": ai_y,
            "mining_margin_usd_per_it_mw_year": mine_y,
            "capex_usd_per_it_mw": capex,
            "lease_yield": ai_y / capex if capex > 0 else np.inf,
            "payback_years": capex / (ai_y - mine_y) if ai_y > mine_y else np.nan,
        }
    cols = ["lease_margin_usd_per_it_mw_year", "mining_margin_usd_per_it_mw_year", "capex_usd_per_it_mw", "lease_yield", "payback_years"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=cols) if rows else pd.DataFrame(columns=cols)


def lease_yield_ranking(econ: pd.DataFrame) -> list[str]:
    """Sites by lease yield, highest first; ties by name."""
    return sorted(econ.index, key=lambda s: (-econ.at[s, "lease_yield"], s))


def payback_ranking(econ: pd.DataFrame, threshold_years: float) -> list[str]:
    """Sites whose payback is below ``threshold_years``, shortest first; ties by name."""
    ok = [s for s in econ.index if np.isfinite(econ.at[s, "payback_years"]) and econ.at[s, "payback_years"] < threshold_years]
    return sorted(ok, key=lambda s: (econ.at[s, "payback_years"], s))


# --------------------------------------------------------------------------- schedules


class FixedFeasibility:
    """Whether a retrofit schedule has a plan: the model is built once, and each
    question fixes the starts and solves the LP that is left (``solves`` counts them)."""

    def __init__(self, instance: Instance, options: SolveOptions):
        self.model = build_model(prepare(instance))
        self.options = options
        self.solves = 0

    def __call__(self, schedule: Schedule) -> bool:
        fix_starts(self.model, schedule)
        report = new_highs().solve(
            self.model,
            time_limit=self.options.time_limit,
            threads=self.options.threads,
            options={**HIGHS_DEFAULTS, **self.options.highs_options},
        )
        self.solves += 1
        # a primal-feasible point is a plan (what optimizer.backend.status calls optimal or
        # feasible); an unbounded LP would not be one, but fixed starts bound every cash flow
        return report.has_solution and report.model_status != "kUnbounded"


def earliest_schedule(instance: Instance, ranked: list[str], has_plan: Callable[[Schedule], bool]) -> Schedule:
    """Each block as early as allowed, sites in ``ranked`` order (the procedure of the
    module docstring); ``has_plan(schedule)`` answers feasibility."""
    sites = instance.sites
    labels = instance.period_labels
    placed = {s: 0 for s in ranked}
    schedule: Schedule = {}
    for i, t in enumerate(labels):
        for s in ranked:
            if i < int(sites.at[s, "earliest_t"]):
                continue
            while placed[s] < int(sites.at[s, "max_blocks"]):
                trial = dict(schedule)
                trial[(s, t)] = trial.get((s, t), 0) + 1
                if not has_plan(trial):
                    break
                schedule = trial
                placed[s] += 1
        if all(placed[s] >= int(sites.at[s, "max_blocks"]) for s in ranked):
            break
    return schedule


def trial_bound(instance: Instance, ranked: list[str]) -> int:
    """Most LP solves :func:`earliest_schedule` can take: ``B + sum_s (N - earliest_s)``."""
    n = len(instance.period_labels)
    sites = instance.sites
    return sum(int(sites.at[s, "max_blocks"]) + max(n - int(sites.at[s, "earliest_t"]), 0) for s in ranked)


# --------------------------------------------------------------------------- rows


@dataclass
class ScenarioFigures:
    """One plan in one scenario (USD)."""

    npv_usd: float | None = None
    gap_usd: float | None = None
    gap_pct: float | None = None
    peak_debt_usd: float | None = None
    lowest_cash_usd: float | None = None

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Baseline:
    """One rule's plan, priced (USD; None where there is no plan)."""

    name: str
    label: str
    schedule: Schedule
    feasible: bool
    status: str
    reason: str = ""
    npv_usd: float | None = None
    gap_usd: float | None = None
    gap_pct: float | None = None
    peak_debt_usd: float | None = None
    lowest_cash_usd: float | None = None
    first_violation: dict | None = None  # {period, constraint, detail}
    solves: int = 0  # LP solves the rule took to build its schedule
    evaluated_npv_usd: float | None = None  # the plan evaluator's NPV of the plan
    scenarios: dict[str, ScenarioFigures] = field(default_factory=dict)
    result: Result | None = field(default=None, repr=False, compare=False)

    @property
    def blocks(self) -> int:
        return int(sum(self.schedule.values()))

    def to_json(self) -> dict:
        out = {
            "name": self.name,
            "label": self.label,
            "npv_usd": self.npv_usd,
            "gap_usd": self.gap_usd,
            "gap_pct": self.gap_pct,
            "feasible": self.feasible,
            "status": self.status,
            "reason": self.reason,
            "peak_debt_usd": self.peak_debt_usd,
            "lowest_cash_usd": self.lowest_cash_usd,
            "blocks": self.blocks,
            "schedule": [{"site": s, "start": t, "blocks": int(b)} for (s, t), b in self.schedule.items() if b],
            "first_violation": self.first_violation,
            "solves": self.solves,
            "evaluated_npv_usd": self.evaluated_npv_usd,
        }
        if self.scenarios:
            out["scenarios"] = {w: f.to_json() for w, f in self.scenarios.items()}
        return out


@dataclass
class Baselines:
    """The optimum and every rule's row (see the module docstring)."""

    instance: str
    optimum_usd: float | None
    optimum_status: str
    optimum_reason: str
    payback_years: float
    rows: list[Baseline] = field(default_factory=list)
    optimum_peak_debt_usd: float | None = None
    optimum_lowest_cash_usd: float | None = None
    optimum_scenarios: dict[str, ScenarioFigures] = field(default_factory=dict)
    economics: pd.DataFrame | None = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)

    def row(self, name: str) -> Baseline:
        return next(r for r in self.rows if r.name == name)

    def to_json(self) -> dict:
        out = {
            "instance": self.instance,
            "optimum_usd": self.optimum_usd,
            "optimum_status": self.optimum_status,
            "optimum_reason": self.optimum_reason,
            "optimum_peak_debt_usd": self.optimum_peak_debt_usd,
            "optimum_lowest_cash_usd": self.optimum_lowest_cash_usd,
            "payback_years": self.payback_years,
            "baselines": [r.to_json() for r in self.rows],
            "site_economics": economics_json(self.economics),
            "notes": list(self.notes),
        }
        if self.optimum_scenarios:
            out["optimum_scenarios"] = {w: f.to_json() for w, f in self.optimum_scenarios.items()}
        return out


def economics_json(econ: pd.DataFrame | None) -> list[dict]:
    """The site economics as JSON rows (NaN and infinity as null)."""
    if econ is None:
        return []
    out = []
    for s, r in econ.iterrows():
        out.append({"site": s, **{k: (float(v) if np.isfinite(v) else None) for k, v in r.items()}})
    return out


def _npv(result: Result) -> float:
    """Expected NPV of a plan (the objective when the instance is risk neutral)."""
    if result.instance.risk is None:
        return float(result.objective_usd)
    sn = result.scenario_npv
    return float((sn["probability"] * sn["npv_usd"]).sum())


def _gap(optimum: float | None, npv: float | None) -> tuple[float | None, float | None]:
    """Optimum minus NPV in USD and in percent of the optimum's magnitude."""
    if optimum is None or npv is None:
        return None, None
    gap = optimum - npv
    return gap, (100.0 * gap / abs(optimum) if abs(optimum) > 0 else None)


def _scenario_figures(result: Result) -> dict[str, ScenarioFigures]:
    """NPV, peak debt and lowest cash of a plan in each scenario (gaps filled later)."""
    f = result.finance
    out = {}
    for w, npv in result.scenario_npv["npv_usd"].items():
        part = f.xs(w, level="scenario")
        out[w] = ScenarioFigures(npv_usd=float(npv), peak_debt_usd=float(part["debt_usd"].max()), lowest_cash_usd=float(part["cash_usd"].min()))
    return out


def price_schedule(instance: Instance, name: str, schedule: Schedule, options: SolveOptions, label: str | None = None) -> Baseline:
    """The row of one schedule: solved with its starts fixed; without a plan, the
    first period that breaks and the constraint (``optimizer.analyses.diagnose``)."""
    from optimizer.analyses.diagnose import first_violation, structural_violation

    row = Baseline(name=name, label=label or LABELS.get(name, name), schedule=dict(schedule), feasible=False, status="infeasible")
    found = structural_violation(instance, schedule)
    if found is None:
        result = solve(instance, dataclasses.replace(options, fixed_starts=dict(schedule)))
        row.status, row.reason = result.status.value, result.reason
        if result.has_plan:
            row.feasible, row.result = True, result
            row.npv_usd = _npv(result)
            row.peak_debt_usd = float(result.finance["debt_usd"].max())
            row.lowest_cash_usd = float(result.finance["cash_usd"].min())
            row.evaluated_npv_usd = float(evaluate(instance, result.plan).expected_npv_usd)
            if instance.is_stochastic:
                row.scenarios = _scenario_figures(result)
            return row
        if result.status.value == "infeasible":
            found = first_violation(instance, schedule)
    else:
        row.reason = "the schedule cannot be built"
    if found is not None:
        period, constraint, detail = found
        row.first_violation = {"period": period, "constraint": constraint, "detail": detail}
        row.reason = f"first breaks in {period}: {constraint} ({detail})"
    return row


def _mean_scenario_row(instance: Instance, options: SolveOptions) -> Baseline:
    """The optimal schedule of the expected-value instance, priced in the stochastic one."""
    from instances.scenarios import expected_value_instance
    from optimizer.analyses.value_of_information import starts_of

    try:
        ev_instance = expected_value_instance(dataclasses.replace(instance, risk=None))
    except ValueError as exc:
        return Baseline(name="mean_scenario_plan", label=LABELS["mean_scenario_plan"], schedule={}, feasible=False,
                        status="not available", reason=str(exc))
    ev = solve(ev_instance, options)
    if not ev.has_plan:
        return Baseline(name="mean_scenario_plan", label=LABELS["mean_scenario_plan"], schedule={}, feasible=False,
                        status="not available", reason=f"the expected-value problem has no plan ({ev.status.value}: {ev.reason})")
    row = price_schedule(instance, "mean_scenario_plan", starts_of(ev), options)
    row.solves = 1
    return row


def plain(options: SolveOptions | None) -> SolveOptions:
    """Time limit, gap, threads and HiGHS options of ``options``; no log, progress or
    marginal values (each priced schedule is a solve of its own)."""
    o = options or SolveOptions()
    return SolveOptions(time_limit=o.time_limit, mip_gap=o.mip_gap, threads=o.threads,
                        highs_options=dict(o.highs_options), sensitivities=False)


def baselines(
    instance: Instance,
    options: SolveOptions | None = None,
    payback_years: float = DEFAULT_PAYBACK_YEARS,
    user_schedule: Schedule | None = None,
    user_label: str | None = None,
    optimum: Result | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Baselines:
    """The optimum and the rows of every rule (module docstring).

    ``optimum`` may pass the free solve already made (reused when it has a plan);
    ``on_step(name)`` is called before each row is built (a progress hook).
    """
    if not payback_years > 0:
        raise ValueError(f"payback_years must be > 0, got {payback_years}")
    opts = plain(options)
    step = on_step or (lambda _name: None)
    if optimum is None or not optimum.has_plan:
        step("optimum")
        optimum = solve(instance, opts)
    econ = site_economics(instance)
    out = Baselines(
        instance=instance.name,
        optimum_usd=_npv(optimum) if optimum.has_plan else None,
        optimum_status=optimum.status.value,
        optimum_reason=optimum.reason,
        payback_years=float(payback_years),
        economics=econ,
    )
    if optimum.has_plan:
        out.optimum_peak_debt_usd = float(optimum.finance["debt_usd"].max())
        out.optimum_lowest_cash_usd = float(optimum.finance["cash_usd"].min())
        if instance.is_stochastic:
            out.optimum_scenarios = _scenario_figures(optimum)
    if instance.risk is not None:
        out.notes.append("the instance has a risk setting: the optimum maximizes the risk-adjusted objective, "
                         "so a rule may beat it in expected NPV")
    if optimum.mip_gap is not None and optimum.mip_gap > 1e-9 and optimum.has_plan:
        out.notes.append(f"the optimum is proven within a relative MIP gap of {optimum.mip_gap:.1e}: "
                         "a rule within that of it may show a small negative gap")

    step("keep_mining")
    out.rows.append(price_schedule(instance, "keep_mining", {}, opts))
    feasible = FixedFeasibility(instance, opts)
    for name, ranked in (("convert_early", lease_yield_ranking(econ)), ("greedy_payback", payback_ranking(econ, payback_years))):
        step(name)
        before = feasible.solves
        schedule = earliest_schedule(instance, ranked, feasible)
        row = price_schedule(instance, name, schedule, opts,
                             label=f"{LABELS[name]} <{payback_years:g}y" if name == "greedy_payback" else None)
        row.solves = feasible.solves - before
        out.rows.append(row)
    if user_schedule is not None:
        step("user_plan")
        out.rows.append(price_schedule(instance, "user_plan", user_schedule, opts, label=user_label))
    if instance.is_stochastic:
        step("mean_scenario_plan")
        out.rows.append(_mean_scenario_row(instance, opts))

    for row in out.rows:
        row.gap_usd, row.gap_pct = _gap(out.optimum_usd, row.npv_usd)
        for w, fig in row.scenarios.items():
            best = out.optimum_scenarios.get(w)
            fig.gap_usd, fig.gap_pct = _gap(best.npv_usd if best else None, fig.npv_usd)
    return out
