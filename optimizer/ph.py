"""Progressive hedging (PH) on mpi-sppy over MPI: the scale-out alternative to the
extensive form (``allocate solve --method ph``; run under ``mpiexec -n K``).

The extensive form (EF, ``optimizer.solve``) builds every scenario into one MIP. PH
instead gives each MPI rank its own scenarios: the scenario creator builds, for one
scenario, the ordinary model of ``models.build_model`` on a one-scenario instance
(``instances.scenarios.restrict_to_scenario``) and marks its first-stage
variables as nonanticipative: the retrofit ``start[s,t]`` (and, with ``risk``, the
CVaR level ``var_level``, so that the Rockafellar-Uryasev objective decomposes by
scenario). PH then drives the scenarios' starts to agreement with prices ``W`` and a
proximal term, linearized (``linearize_proximal_terms``) because HiGHS solves no MIQP.

After the PH iterations (``SolveOptions``-like settings in :class:`PHOptions`):

- **inner bound** (a plan): candidate schedules (the rounded consensus ``xbar`` and
  the distinct schedules the scenarios ended on, at most ``max_candidates``) are
  fixed in every scenario, which is re-solved without PH terms; the best candidate
  feasible in every scenario is the plan, its expected objective the inner bound;
- **outer bound**: the better of the wait-and-see ("trivial") bound of iteration 0
  and the Lagrangian bound with the final ``W``, both from the solvers' MIP bounds.

Rank 0 gathers the plan's per-scenario decisions, puts them into one model of the
whole instance and returns an ordinary :class:`~optimizer.solve.Result` (tables,
plan, objective = inner bound, bound = outer bound, status optimal when the gap
is within ``mip_gap``, else feasible). Other ranks return None.

Deterministic: the PH iterations are synchronous, each subproblem is solved by
HiGHS with a fixed random seed.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from instances import Instance
from instances.instance import INSTALLED
from models import MONEY_SCALE, build_model, prepare
from optimizer.solve import Result, relative_gap, fill_tables
from optimizer.backend.options import highs_options
from optimizer.backend.status import Status
from instances.scenarios import restrict_to_scenario

SOLVER = "appsi_highs"
# decisions copied from the scenario subproblems into the whole-instance model
SCENARIO_VARS = (
    "mine", "ai", "draw", "repay", "balance", "cash", "dividend", "capex_cum", "cvar_shortfall",
    "mine_tier", "fleet", "buy", "retire",  # SPEC v2 fleets and price tiers
)


class PHUnavailable(RuntimeError):
    """mpi-sppy or mpi4py is not installed (``pip install 'allocate[ph]'``)."""


class PHInputError(ValueError):
    """The run cannot be split as asked (more ranks than scenarios)."""


@dataclass
class PHOptions:
    """How to run PH.

    iterations: PH iteration limit after iteration 0
    convthresh: stop when the scenarios' starts are this close to the consensus
        (mpi-sppy's convergence metric, mean absolute deviation in blocks)
    rho_factor: rho of ``start[s,t]`` = rho_factor x the capex of one block (USD
        millions), the usual cost-proportional choice
    mip_gap: relative gap of each subproblem solve, and the gap at which the PH
        plan counts as optimal
    time_limit: seconds for the PH iterations (the bounds and the plan follow)
    max_candidates: schedules tried for the inner bound
    log: mpi-sppy's progress lines on standard error (else swallowed)
    """

    iterations: int = 50
    convthresh: float = 1e-4
    rho_factor: float = 0.5
    mip_gap: float = 1e-4
    time_limit: float | None = None
    max_candidates: int = 4
    log: bool = False
    threads: int | None = 1
    highs_options: dict = field(default_factory=dict)


def available() -> bool:
    try:
        import mpi4py  # noqa: F401
        import mpisppy  # noqa: F401
    except ImportError:
        return False
    return True


def _imports():
    try:
        import pyomo.environ as pyo
        from mpi4py import MPI

        with contextlib.redirect_stdout(io.StringIO()):  # "Initializing mpi-sppy"
            from mpisppy.opt.ph import PH
            import mpisppy.utils.sputils as sputils
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise PHUnavailable(f"progressive hedging needs mpi-sppy and mpi4py ({exc}); pip install 'allocate[ph]'") from None
    return pyo, MPI, PH, sputils


def scenario_creator(scenario_name: str, instance: Instance | None = None):
    """mpi-sppy scenario creator: the model of one scenario, first stage attached.

    The model is the ordinary ``build_model`` of the one-scenario instance (so its
    objective is that scenario's NPV, or its CVaR-weighted form with ``risk``), its
    probability the scenario's.
    """
    _pyo, _mpi, _ph, sputils = _imports()
    from pyomo.environ import Var

    alone = restrict_to_scenario(instance, scenario_name)
    model = build_model(prepare(alone))
    first = [model.start]
    if instance.risk is not None:
        first.append(model.var_level)
    if not len(model.start) and instance.risk is None:
        # nothing is shared: a fixed placeholder keeps mpi-sppy's bookkeeping whole
        model.ph_placeholder = Var(bounds=(0, 0), initialize=0)
        first = [model.ph_placeholder]
    sputils.attach_root_node(model, 0, first)
    model._mpisppy_probability = float(instance.scenarios.at[scenario_name, "probability"])
    return model


def _rho_setter(instance: Instance, factor: float):
    """rho per nonanticipative variable: ``factor`` x block capex (expected, USD millions)."""
    sites = instance.sites
    cost = {
        s: float((instance.site_params.xs(s, level="site")["capex_usd_per_it_mw"] * instance.scenarios["probability"]).sum())
        * float(sites.at[s, "block_it_mw"]) / MONEY_SCALE
        for s in instance.site_names
    }

    def setter(model):
        out = []
        for key in model.start:
            out.append((id(model.start[key]), max(factor * cost[key[0]], 1e-3)))
        if hasattr(model, "var_level"):
            out.append((id(model.var_level), 0.1))
        return out

    return setter


def _solver_options(options: PHOptions) -> dict:
    opts = highs_options(mip_rel_gap=options.mip_gap, threads=options.threads or 1, **options.highs_options)
    return opts


class _Quiet:
    """Send mpi-sppy's prints to stderr (``log``) or nowhere."""

    def __init__(self, log: bool):
        self.log = log

    def __enter__(self):
        self._cm = contextlib.redirect_stdout(sys.stderr if self.log else io.StringIO())
        return self._cm.__enter__()

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def solve_ph(instance: Instance, options: PHOptions | None = None, comm=None) -> Result | None:
    """Solve ``instance`` by PH over ``comm`` (default MPI.COMM_WORLD).

    Every rank calls this; rank 0 returns the :class:`Result`, the others None.
    """
    options = options or PHOptions()
    pyo, MPI, PH, sputils = _imports()
    comm = comm or MPI.COMM_WORLD
    rank = comm.Get_rank()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    names = instance.scenario_names
    if comm.Get_size() > len(names):
        raise PHInputError(f"{comm.Get_size()} MPI ranks for {len(names)} scenarios: use at most one rank per scenario")
    sub_options = _solver_options(options)
    ph_options = {
        "solver_name": SOLVER,
        "PHIterLimit": int(options.iterations),
        "defaultPHrho": 1.0,
        "convthresh": float(options.convthresh),
        "verbose": False,
        "display_progress": bool(options.log),
        "display_timing": False,
        "linearize_proximal_terms": True,
        "proximal_linearization_tolerance": 1e-2,
        "iter0_solver_options": dict(sub_options),
        "iterk_solver_options": dict(sub_options),
        "time_limit": options.time_limit,
    }
    with _Quiet(options.log and rank == 0):
        ph = PH(
            ph_options,
            names,
            scenario_creator,
            scenario_creator_kwargs={"instance": instance},
            mpicomm=comm,
            rho_setter=_rho_setter(instance, options.rho_factor),
        )
        timings["build"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        conv, _eobj, trivial_bound = ph.ph_main(finalize=False)
        iterations = int(ph._PHIter)
        timings["ph"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        candidates = _candidates(ph, comm, options.max_candidates)
        lagrangian = ph.post_solve_bound(solver_options=sub_options)
        best_value, best = None, None
        for cand in candidates:
            value = _evaluate(ph, cand, sub_options, comm)
            if value is not None and (best_value is None or value > best_value + 1e-12):
                best_value, best = value, cand
        first_names = [v.name for v in next(iter(ph.local_scenarios.values()))._mpisppy_data.nonant_indices.values()]
        if best is not None:
            _evaluate(ph, best, sub_options, comm)  # leave the best plan's decisions loaded
            local = _local_values(ph)
        else:
            local = {}
        timings["bounds"] = time.perf_counter() - t2
    gathered = comm.gather(local, root=0)
    if rank != 0:
        return None
    outer = min(trivial_bound, lagrangian)  # maximization: the smaller upper bound
    t3 = time.perf_counter()
    model = build_model(prepare(instance))
    result = Result(instance=instance, status=Status.NO_SOLUTION, reason="", timings=timings, model=model)
    result.model_size = {
        "ranks": int(comm.Get_size()),
        "scenarios": len(names),
        "ph_iterations": iterations,
        "candidates": len(candidates),
    }
    result.bound_usd = outer * MONEY_SCALE
    result.warnings = []
    if best is None:
        result.reason = "progressive hedging found no schedule feasible in every scenario"
        result.status = Status.NO_SOLUTION
        return result
    _load(model, dict(zip(first_names, best)), gathered)
    result.objective_usd = best_value * MONEY_SCALE
    check = pyo.value(model.npv) * MONEY_SCALE
    if abs(check - result.objective_usd) > 1e-6 * max(1.0, abs(check)):
        result.warnings.append(f"PH plan re-evaluated at {check:.2f} USD vs {result.objective_usd:.2f} from the subproblems")
    result.mip_gap = relative_gap(result.objective_usd, result.bound_usd)
    if result.mip_gap is not None and result.mip_gap <= options.mip_gap:
        result.status, result.reason = Status.OPTIMAL, f"progressive hedging, {iterations} iterations, gap within {options.mip_gap:g}"
    else:
        result.status = Status.FEASIBLE
        result.reason = f"progressive hedging, {iterations} iterations, best plan within the gap to the bound"
    fill_tables(result)
    timings["extract"] = time.perf_counter() - t3
    timings["solve"] = timings["ph"] + timings["bounds"]
    return result


def _nonant_values(s) -> np.ndarray:
    return np.array([v.value if v.value is not None else 0.0 for v in s._mpisppy_data.nonant_indices.values()], dtype=float)


def _candidates(ph, comm, limit: int) -> list[np.ndarray]:
    """Schedules to try: the rounded consensus, then the scenarios' own (most common first)."""
    integer = None
    out: list[np.ndarray] = []
    for s in ph.local_scenarios.values():
        xbar = np.array([s._mpisppy_model.xbars[k].value for k in s._mpisppy_data.nonant_indices], dtype=float)
        integer = np.array([v.is_integer() or v.is_binary() for v in s._mpisppy_data.nonant_indices.values()])
        out.append(np.where(integer, np.round(xbar), xbar))
        break
    own = [_nonant_values(s) for s in ph.local_scenarios.values()]
    own = [np.where(integer, np.round(x), x) for x in own]
    everyone = comm.allgather(own)
    counts: dict[tuple, int] = {}
    firsts: dict[tuple, np.ndarray] = {}
    for chunk in everyone:
        for x in chunk:
            key = tuple(np.round(x, 9))
            counts[key] = counts.get(key, 0) + 1
            firsts.setdefault(key, x)
    seen = {tuple(np.round(out[0], 9))}
    for key in sorted(counts, key=lambda k: (-counts[k], k)):
        if len(out) >= limit:
            break
        if key not in seen:
            seen.add(key)
            out.append(firsts[key])
    return out


def _evaluate(ph, values: np.ndarray, solver_options: dict, comm) -> float | None:
    """Expected objective (model money) with the first stage fixed to ``values`` in
    every scenario; None when some scenario is infeasible. Fixedness is restored."""
    ph._save_nonants()
    ph._fix_nonants({"ROOT": values})
    ph.solve_loop(solver_options=solver_options, dis_W=True, dis_prox=True, need_solution=False)
    feasible = all(s._mpisppy_data.solution_available for s in ph.local_scenarios.values())
    all_feasible = comm.allreduce(1 if feasible else 0, op=_mpi_min(comm)) == 1
    value = None
    if all_feasible:
        ph.disable_W_and_prox()
        value = ph.Eobjective()
        ph.reenable_W_and_prox()
    for s in ph.local_scenarios.values():
        for v in s._mpisppy_data.nonant_indices.values():
            v.unfix()
    return value


def _mpi_min(comm):
    from mpi4py import MPI

    return MPI.MIN


def _local_values(ph) -> dict:
    """{var name: {index: value}} of this rank's scenarios (indices include the scenario)."""
    out: dict[str, dict] = {}
    for s in ph.local_scenarios.values():
        for name in SCENARIO_VARS:
            comp = getattr(s, name, None)
            if comp is None:
                continue
            bucket = out.setdefault(name, {})
            for k, v in comp.items():
                bucket[k] = v.value
        if hasattr(s, "var_level"):
            out["var_level"] = {None: s.var_level.value}
    return out


def _load(model, first_stage: dict[str, float], gathered: list[dict]) -> None:
    """Put the plan into the whole-instance model: shared starts (by variable name:
    mpi-sppy orders the nonanticipative variables by name), per-scenario decisions."""
    for v in model.start.values():
        v.set_value(int(round(first_stage.get(v.name, 0.0))))
    # started follows from start
    for s in model.SA:
        total = 0
        for t in model.T:
            if (s, t) in model.start:
                total += int(round(model.start[s, t].value))
            model.started[s, t].set_value(total)
    for part in gathered:
        for name, values in part.items():
            comp = getattr(model, name, None)
            if comp is None:
                continue
            for k, v in values.items():
                if name == "mine" and k not in comp:
                    # a site tiered in another scenario only mines per tier in the whole
                    # model; in this scenario it has one tier and its own fleet
                    w, s, t = k
                    model.mine_tier[w, s, INSTALLED, t, 0].set_value(v, skip_validation=True)
                    continue
                comp[k].set_value(v, skip_validation=True)


def cli_solve(instance: Instance, time_limit: float | None = None, mip_gap: float = 1e-4, log: bool = False) -> Result | None:
    """``allocate solve --method ph``: PH over MPI.COMM_WORLD; the Result on rank 0,
    None on the other ranks. Raises PHUnavailable when mpi-sppy is not installed and
    PHInputError for an instance PH cannot take (the command prints them)."""
    import logging

    _pyo, MPI, _ph, _sp = _imports()
    options = PHOptions(mip_gap=mip_gap, time_limit=time_limit, log=log)
    with contextlib.ExitStack() as stack:
        # only rank 0 writes to standard output (the report or --json); Pyomo and
        # mpi-sppy warnings go to their loggers, silenced unless --log
        if MPI.COMM_WORLD.Get_rank() != 0:
            stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
        if not log:
            for name in ("pyomo", "mpisppy"):
                logger = logging.getLogger(name)
                stack.callback(logger.setLevel, logger.level)
                logger.setLevel(logging.ERROR)
        return solve_ph(instance, options)
