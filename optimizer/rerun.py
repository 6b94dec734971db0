"""Fast reruns: build the model once, then change only the numbers that moved.

A :class:`Rerunner` solves a sequence of instances that share their structure (the
same scenarios, sites, periods, facilities, regions, retrofit blocks and lead times,
which budgets and covenants exist...) but differ in numbers: hashprice, power
prices, leases, grid MW, budgets, rates, limits. It

1. builds the Pyomo model once, with every number of :class:`models.ModelData` that
   may move held in a mutable ``Param`` (the formulation in ``models/model.py`` is
   used as it is: the parameters stand in for the numbers in the data it reads);
2. hands it to the persistent HiGHS interface (``pyomo.contrib.solver`` ``highs``),
   which keeps its HiGHS model between solves;
3. for every later instance, prepares its data, sets the parameters whose values
   changed and lets the interface push only the coefficients, bounds and costs that
   depend on them into HiGHS (``changeCoeff`` and friends, no rebuild);
4. hands the previous plan's retrofit starts to HiGHS as a starting solution
   (``Highs.setSolution``, the integer columns only: HiGHS completes the rest by
   solving the LP with them fixed), so that the search starts from a good plan;
5. after a case without a plan, first solves the next case's LP relaxation (every
   integer column made continuous, on a copy of the HiGHS model): when even that has
   no solution, no plan exists and the case is reported infeasible, with the status
   and reason a cold solve gives, without the MIP's presolve, cuts and probing.
   Infeasible cases tend to come in runs along a sweep (every hashprice below a
   threshold), so the check is paid where it is likely to pay off; otherwise the
   MIP is solved as before, so the answer never depends on the check.

HiGHS options of a rerun: ``optimizer.solve.HIGHS_DEFAULTS``, then
``RERUN_HIGHS_DEFAULTS``, then ``SolveOptions.highs_options``.

When the structure differs (another set of sites, periods, facilities or regions, a
change to a field that shapes sets, bounds or which constraints exist, such as
``ai.max_blocks``, ``ai.lead_periods`` or adding a capex budget), it rebuilds.
Which numbers are parameters is listed in ``MUTABLE_FIELDS``; every other field of
``ModelData``, present or future, is compared as structure, so a field added to the
formulation later is handled correctly (by a rebuild) without a change here.

    runner = Rerunner(SolveOptions(mip_gap=1e-4))
    for inst in instances:
        result = runner.solve(inst, tables=False)   # status, objective, decisions
        result.objective_usd, summarize(result)

A result's ``model`` is the runner's model, overwritten by the next solve: read
what you need from it (``tables=True`` fills the usual tables) before solving again.
"""

from __future__ import annotations

import copy
import dataclasses
import sys
import time
from typing import Any

import numpy as np
from pyomo.environ import Block, Param, Reals

from instances import Instance
from models import ModelData, build_model, prepare
from optimizer.backend.highs_direct import RunReport, run_report, status_name
from optimizer.backend.options import highs_columns, highs_of, pyomo_highs
from models.variants import fix_starts
from optimizer.solve import HIGHS_DEFAULTS, Result, SolveOptions, fill_tables, outcome

# ModelData fields (dicts of numbers) held in mutable parameters. Their key sets are
# structure; their values may change between solves without a rebuild.
MUTABLE_FIELDS = (
    "probability",
    "mining_max_mw",
    "ai_pue",
    "block_cost",
    "grid_mw",
    "mining_margin",
    "ai_margin",
    "overhead",
    "capex_budget",
    "discount",
    "demand",
    "initial_cash",
    "min_cash",
    "total_capex_budget",
    "max_debt_to_ebitda",
    "mining_multiple",
    "ai_multiple",
    "limit",
    "initial_balance",
    "rate_per_period",
    "upfront_fee",
    "advance_rate",
)

#: HiGHS options of every rerun, on top of ``optimizer.solve.HIGHS_DEFAULTS``
#: (``SolveOptions.highs_options`` overrides both). ``mip_allow_restart`` off: with
#: the previous plan as a start, restarting the root after presolve fixes some columns
#: repeats the root's cut loop for little gain; on the default instance's hashprice
#: sweep it cut HiGHS's CPU time by about a fifth, with the same NPVs and schedules
#: (benchmarks/README-rerun.md).
RERUN_HIGHS_DEFAULTS: dict[str, Any] = {"mip_allow_restart": False}

# nothing moves but parameter values and variable fixings: tell the persistent
# interface not to look for new constraints, variables or expressions
_NO_AUTO_UPDATES = {
    "check_for_new_or_removed_constraints": False,
    "check_for_new_or_removed_vars": False,
    "check_for_new_or_removed_params": False,
    "check_for_new_objective": False,
    "update_constraints": False,
    "update_vars": False,
    "update_parameters": False,
    "update_named_expressions": False,
    "update_objective": False,
}


def structure(data: ModelData, mutable: frozenset | set = frozenset(MUTABLE_FIELDS)) -> tuple:
    """What a model's shape depends on: every field not in ``mutable``, and the keys of
    those in it. Two data of equal structure give models that differ in numbers only."""
    out = []
    for f in dataclasses.fields(data):
        value = getattr(data, f.name)
        if f.name in mutable and isinstance(value, dict):
            out.append((f.name, tuple(value)))
        else:
            out.append((f.name, _frozen(value)))
    return tuple(out)


def changed_fields(a: ModelData, b: ModelData) -> set[str]:
    """Names of the fields whose values differ between two data."""
    out = set()
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name, None)
        try:
            same = bool(x == y)
        except (ValueError, TypeError):  # arrays and the like
            same = _frozen(x) == _frozen(y)
        if not same:
            out.add(f.name)
    return out


def _frozen(value: Any) -> Any:
    """A comparable, hashable copy of plain data (dicts, lists, numbers, strings)."""
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def parametrize(data: ModelData, fields=MUTABLE_FIELDS) -> tuple[Block, ModelData]:
    """A block of mutable Params holding the numbers of ``data`` in ``fields`` (a
    subset of ``MUTABLE_FIELDS``), and a copy of ``data`` whose dicts for those fields
    hold the parameters instead of the numbers."""
    holder = Block(concrete=True)
    out = copy.copy(data)
    for name in fields:
        values = getattr(data, name, None)
        if not isinstance(values, dict) or not values:
            continue
        keys = list(values)
        param = Param(range(len(keys)), mutable=True, within=Reals, initialize={i: float(values[k]) for i, k in enumerate(keys)})
        holder.add_component(name, param)
        setattr(out, name, {k: param[i] for i, k in enumerate(keys)})
    return holder, out


def relaxation_infeasible(highs, options: SolveOptions) -> RunReport | None:
    """An infeasible run's report when the LP relaxation of the model ``highs`` holds
    (every integer column continuous) has no solution, else None.

    The relaxation's feasible set contains every plan of the MIP, so "LP infeasible"
    proves "MIP infeasible"; any other outcome (feasible, unbounded, "infeasible or
    unbounded", a time limit) proves nothing and gives None. Solved on a copy: the
    MIP model in ``highs`` and its options are left as they are.
    """
    import highspy

    lp = highs.getLp()
    lp.integrality_ = []
    relaxed = highspy.Highs()
    relaxed.setOptionValue("output_flag", False)
    # the thread count of the MIP's handle: HiGHS keeps one thread pool per process
    relaxed.setOptionValue("threads", _option(highs, "threads"))
    for key, value in {**HIGHS_DEFAULTS, **options.highs_options}.items():
        relaxed.setOptionValue(key, value)
    if options.time_limit is not None:
        relaxed.setOptionValue("time_limit", float(options.time_limit))
    relaxed.passModel(lp)
    relaxed.run()
    if status_name(relaxed) != "kInfeasible":
        return None
    log = "LP relaxation infeasible: no plan satisfies every constraint\n"
    if options.log:
        sys.stderr.write(log)
    return RunReport(
        model_status="kInfeasible", has_solution=False, objective=None, bound=None, log=log,
        rows=int(highs.getNumRow()), columns=int(highs.getNumCol()), nonzeros=int(highs.getNumNz()),
    )


def _option(highs, name: str) -> Any:
    """The value of a HiGHS option (highspy returns it alone or with a status)."""
    value = highs.getOptionValue(name)
    return value[1] if isinstance(value, tuple) else value


def _no_values() -> None:
    """Nothing to load: the run found no plan."""


def persistent_report(solver, res) -> RunReport:
    """What a run of the persistent interface ended with, as ``optimizer.solve`` reads it."""
    has_solution = res.incumbent_objective is not None
    return run_report(highs_of(solver), has_solution, res.incumbent_objective, res.objective_bound, res.solver_log or "")


class Rerunner:
    """Solve instances of one structure on one persistent model (see the module doc).

    ``options``: as for :func:`optimizer.solve` (time limit, MIP gap, threads, HiGHS
    options, ``fixed_starts``; ``log`` streams the HiGHS log; ``progress`` is ignored).
    ``warm_start``: hand the last plan's retrofit starts to HiGHS (default True).
    ``mutable``: the ``MUTABLE_FIELDS`` to hold in parameters from the first build
    (``"all"`` for every one). By default the runner learns them: it builds with
    plain numbers, and the first time a field changes it rebuilds once with that
    field (and those before it) in parameters; from then on a change of it is an
    update. Fewer parameters make both the build and each update cheaper.
    ``stats`` counts ``builds``, ``updates`` and ``relaxed`` (cases found infeasible
    by their LP relaxation alone).
    """

    def __init__(self, options: SolveOptions | None = None, warm_start: bool = True, mutable=None):
        self.options = options or SolveOptions()
        self.warm_start = warm_start
        if mutable == "all":
            mutable = MUTABLE_FIELDS
        unknown = set(mutable or ()) - set(MUTABLE_FIELDS)
        if unknown:
            raise ValueError(f"not a mutable field: {', '.join(sorted(unknown))} (see MUTABLE_FIELDS)")
        self.mutable: set[str] = set(mutable or ())
        self.stats = {"builds": 0, "updates": 0, "relaxed": 0}
        self.last_step: str | None = None  # what the last solve took: "build", "update" or "same"
        self._params_ok = True
        self._reset()

    def _reset(self) -> None:
        """Forget the model (the next solve builds afresh); keep what was learned."""
        self.model = None
        self._solver = None
        self._holder = None
        self._plain: ModelData | None = None
        self._starts: dict | None = None  # the last plan's start values
        self._last_had_plan = True  # whether the last solve on this model found a plan
        self._fresh = True

    # ---- building and updating ---------------------------------------------------
    def _build(self, data: ModelData) -> None:
        self.model = self._solver = self._holder = None
        fields = [f for f in MUTABLE_FIELDS if f in self.mutable]
        try:
            holder, pdata = parametrize(data, fields)
            model = build_model(pdata)
            model.rerun_params = holder
        except Exception:  # a rule that needs plain numbers: no parameters, rebuild on any change
            if not fields:
                raise
            self.mutable, self._params_ok = set(), False
            holder, model = Block(concrete=True), build_model(data)
        self.model, self._holder, self._plain = model, holder, data
        self._solver = pyomo_highs()
        self._fresh = True
        self.stats["builds"] += 1

    def _update(self, data: ModelData, changed: set[str]) -> None:
        """Set the parameters of the changed fields to their new values."""
        for name in changed:
            new, old = getattr(data, name), getattr(self._plain, name)
            param = getattr(self._holder, name, None)
            if param is None:  # an empty dict both times
                continue
            for i, (k, v) in enumerate(new.items()):
                if old[k] != v:
                    param[i].set_value(float(v))
        self._plain = data
        self.stats["updates"] += 1

    def load(self, instance: Instance, data: ModelData | None = None) -> str:
        """Bring the kept model to ``instance`` (``data``: its ``prepare``, if at
        hand): ``"build"``, ``"update"`` or ``"same"``, saying what it took."""
        data = data if data is not None else prepare(instance)
        if self.model is None:
            self._build(data)
            return "build"
        changed = changed_fields(self._plain, data)
        if not changed:
            return "same"
        numeric = changed <= set(MUTABLE_FIELDS)
        same_keys = numeric and all(tuple(getattr(self._plain, f)) == tuple(getattr(data, f)) for f in changed)
        if numeric and same_keys and changed <= self.mutable:
            self._update(data, changed)
            return "update"
        if numeric and same_keys and self._params_ok:  # learn: these numbers move, hold them in parameters
            self.mutable |= changed
        self._build(data)
        return "build"

    # ---- solving -------------------------------------------------------------------
    def solve(self, instance: Instance, tables: bool = True, data: ModelData | None = None) -> Result:
        """Solve ``instance`` on the kept model; ``tables`` False skips the results
        tables (the decisions are loaded into ``result.model``); ``data``: the
        instance's ``prepare``, when already at hand."""
        options = self.options
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        try:
            if data is None:
                data = prepare(instance)
                timings["prepare"] = time.perf_counter() - t0
                t0 = time.perf_counter()
            self.last_step = self.load(instance, data)
        except Exception:
            self._reset()
            raise
        model = self.model
        if self._fresh and options.fixed_starts is not None:
            try:
                fix_starts(model, options.fixed_starts)
            except ValueError:
                self._reset()
                raise
        timings["build" if self.last_step == "build" else "update"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        try:
            report, load_values = self._run(model, options)
        except Exception:
            self._reset()  # the persistent state may be half-updated: start afresh
            raise
        timings["solve"] = time.perf_counter() - t1
        return self._result(instance, model, report, load_values, timings, tables)

    def _run(self, model, options: SolveOptions) -> tuple[RunReport, Any]:
        """Run HiGHS on the kept model: its report and the function loading its values."""
        solver = self._solver
        kwargs = dict(
            time_limit=options.time_limit,
            rel_gap=options.mip_gap,
            threads=options.threads,
            load_solutions=False,
            raise_exception_on_nonoptimal_result=False,
            solver_options={**HIGHS_DEFAULTS, **RERUN_HIGHS_DEFAULTS, **options.highs_options},
            tee=[sys.stderr] if options.log else [],
        )
        if self._fresh:  # first solve: the interface builds its HiGHS model
            self._fresh = False
            res = solver.solve(model, **kwargs)
            return persistent_report(solver, res), res.solution_loader.load_vars
        # push the changed parameters ourselves, then give the start and
        # solve with the interface's own checks off (they would clear the start)
        solver.update_parameters()
        if not self._last_had_plan:
            report = relaxation_infeasible(highs_of(solver), options)
            if report is not None:
                self.stats["relaxed"] += 1
                return report, _no_values
        if self.warm_start and self._starts:
            self._set_start(solver, model)
        res = solver.solve(model, auto_updates=_NO_AUTO_UPDATES, **kwargs)
        return persistent_report(solver, res), res.solution_loader.load_vars

    def _set_start(self, solver, model) -> None:
        col = highs_columns(solver)
        idx, val = [], []
        for key, v in model.start.items():
            if v.fixed:
                continue
            j = col.get(id(v))
            if j is not None and key in self._starts:
                idx.append(j)
                val.append(float(self._starts[key]))
        if idx:
            highs_of(solver).setSolution(len(idx), np.array(idx, dtype=np.int32), np.array(val, dtype=np.double))

    def _result(self, instance: Instance, model, report: RunReport, load_values, timings: dict, tables: bool) -> Result:
        result = outcome(instance, model, report, load_values, self.options, timings)
        self._last_had_plan = result.has_plan
        if not result.has_plan:
            return result
        self._starts = {k: round(v.value or 0.0) for k, v in model.start.items()}
        if tables:
            t2 = time.perf_counter()
            fill_tables(result)
            timings["extract"] = time.perf_counter() - t2
        return result
