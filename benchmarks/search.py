"""The search itself (issue 16): scaling, facility bounds, an early plan, gap over time.

    python benchmarks/search.py --instances default gen:12,40,1 gen:12,40,5 \\
        --variants base debt_bounds usd objscale-10 --seeds 0 1 2 --time-limit 120
    python benchmarks/search.py --instances gen:36,40,5 gen:50,40,10 --variants base start \\
        --time-limit 120 --plot benchmarks/gap_over_time.png

Every run builds the model with this tree's ``models.build_model``, applies the
variant *to the built model, its data or HiGHS's options* (``models/`` is not
changed), compiles it with the matrix hand-off of ``optimizer.solve``
(``optimizer.backend.highs_direct.compile_model`` + ``pass_model``: the matrix
``allocate solve`` hands to HiGHS) and runs HiGHS in this process with one
thread, ``random_seed`` fixed and ``optimizer.solve.HIGHS_DEFAULTS``. The runs of
one call follow each other, so their ratios and their node and LP-iteration
counts are comparable even on a shared machine; seconds are wall and CPU.

Variants (``+`` combines them, e.g. ``debt_bounds+usd``):

- ``base``: the model as ``allocate solve`` builds it (money in millions of USD).
- ``debt_bounds``: ``draw, repay, balance <= limit_usd`` of their facility (a
  balance never exceeds the limit, so neither can a draw from 0 nor a repayment).
  Implied by the rows, so the same optimum.
- ``window``: every ``capex[w,t]`` written as the SPEC's windowed sum over the
  integer ``start`` (``window_capex``) instead of differences of ``started``; with
  ``usd`` this is the "straightforward formulation" of the issue.
- ``usd``: money in USD in every row and the objective (``models.data.MONEY_SCALE``
  set to 1 before ``prepare``): the "straightforward" units.
- ``objscale<k>``: HiGHS's ``user_objective_scale = k`` (the objective times 2^k).
- ``boundscale<k>``: HiGHS's ``user_bound_scale = k``.
- ``opt:<name>=<value>``: any HiGHS option (``opt:mip_allow_restart=false``).
- ``start``: a plan handed to HiGHS before its run (``floor_start``: the LP
  relaxation's cumulative starts rounded down, the LP left solved); the seconds
  of finding it are added to the run's.
- ``evstart``: a plan from the expected-value problem (every scenario's series
  probability-weighted into one, solved for at most a quarter of the CPU limit),
  its starts fixed in the full model and the LP left solved, handed to HiGHS
  (``mean_scenario_start``); its CPU seconds are added to the run's.

Result per run: status, objective and bound (model units of ``base``, USD / 1e6),
gap, nodes, LP iterations, wall / CPU seconds, the root bound after the cut loop,
the first plan's time and value, and the (time, bound, plan) rows of HiGHS's
branch-and-bound log, from which ``--plot`` draws the gap over time.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(ROOT))

# one row of HiGHS's branch-and-bound table: source, explored nodes, ..., bound, best, gap, ..., LP iters, time
MIP_ROW = re.compile(
    r"^\s*([A-Za-z])?\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)%\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)s\s*$"
)


def load(spec: str):
    """``default`` (the embedded instance), ``gen:S,T,W[,seed]`` or an instance path."""
    from instances import instance_from_dict, load_default, load_instance

    if spec == "default":
        return load_default()
    if spec.startswith("gen:"):
        from generate import generate

        parts = [int(x) for x in spec[4:].split(",")]
        return instance_from_dict(generate(parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 0))
    return load_instance(spec)


def money_unit(parts: list[str]) -> float:
    """USD per model money unit for the variant (1 for ``usd``, else the model's)."""
    import models.data

    return 1.0 if "usd" in parts else models.data.MONEY_SCALE


def build(instance, parts: list[str]):
    """Build the model of ``instance`` with the model-side parts of the variant applied."""
    import models.data
    from models import build_model

    saved = models.data.MONEY_SCALE
    models.data.MONEY_SCALE = money_unit(parts)
    try:
        data = models.data.prepare(instance)
    finally:
        models.data.MONEY_SCALE = saved
    model = build_model(data)
    if "debt_bounds" in parts:
        add_debt_bounds(model)
    if "window" in parts:
        window_capex(model)
    return model


def window_capex(model) -> None:
    """Every ``capex[w,t]`` as the SPEC's windowed sum over the integer starts.

    A block started in tau pays ``K/lead`` in each of ``tau .. tau+lead-1`` (all of K
    in tau when lead = 0); what falls after the horizon is paid in the last period:
    ``K/lead * max(0, tau + lead - N + 1)`` there. The same amounts as the model's
    ``capex`` written over ``started`` (so the same plans and optimum).
    """
    d = model.data
    T = model.T_list
    n = len(T)
    for w in model.W:
        for i, t in enumerate(T):
            terms = []
            for (s, tau) in model.start_index:
                j = model.t_index[tau]
                lead = d.lead[s]
                cost = d.block_cost[w, s]
                if lead == 0:
                    share = cost if j == i else 0.0
                elif i < n - 1:
                    share = cost / lead if j <= i <= j + lead - 1 else 0.0
                else:
                    share = cost / lead * min(lead, max(0, j + lead - n + 1)) if j <= i else 0.0
                if share:
                    terms.append(share * model.start[s, tau])
            model.capex[w, t].set_value(sum(terms) if terms else 0.0)


def add_debt_bounds(model) -> int:
    """``draw, repay, balance <= limit[w,f]``; returns the number of bounds tightened."""
    d = model.data
    n = 0
    for (w, f, t), v in model.balance.items():
        lim = d.limit[w, f]
        for var in (v, model.draw[w, f, t], model.repay[w, f, t]):
            if var.ub is None or var.ub > lim:
                var.setub(max(lim, var.lb or 0.0))
                n += 1
    return n


def to_highs(model, columns: list | None = None):
    """The model's matrix in a new ``highspy.Highs`` (the hand-off of ``optimizer.solve``);
    ``columns``, when given, receives the pyomo variable of each column."""
    import highspy

    from optimizer.backend.highs_direct import compile_model, pass_model

    compiled = compile_model(model)
    if columns is not None:
        columns.extend(compiled.columns)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    pass_model(h, compiled)
    return h


def mean_scenario_start(h, columns: list, instance, parts: list[str], cpu_limit: float) -> tuple[float, bool]:
    """Hand HiGHS a plan from the expected-value problem: one scenario with every
    series probability-weighted (``instances.scenarios.expected_value_instance``),
    solved for at most ``cpu_limit`` CPU s (gap 1e-3); its starts fixed in the full
    model, the LP left solved, that solution handed to HiGHS. Returns (CPU s, used)."""
    import highspy
    import numpy as np

    from instances.scenarios import expected_value_instance
    from optimizer.solve import HIGHS_DEFAULTS

    c0 = time.process_time()
    ev_cols: list = []
    ev = to_highs(build(expected_value_instance(instance), parts), ev_cols)
    for k, v in {**HIGHS_DEFAULTS, "threads": 1, "mip_rel_gap": 1e-3, "time_limit": 10 * cpu_limit}.items():
        ev.setOptionValue(k, v)
    ev.HandleUserInterrupt = True
    ev.cbMipInterrupt += lambda e: ev.cancelSolve() if time.process_time() - c0 > cpu_limit else None
    ev.run()
    if ev.getInfo().primal_solution_status != 2:
        return time.process_time() - c0, False
    x = np.array(ev.getSolution().col_value)
    plan = {v.name: x[j] for j, v in enumerate(ev_cols) if v.name.startswith("start[")}
    lp = h.getLp()
    ints = np.array([j for j, v in enumerate(lp.integrality_) if v == highspy.HighsVarType.kInteger], dtype=np.int32)
    lo, up = np.array(lp.col_lower_)[ints], np.array(lp.col_upper_)[ints]
    fixed = np.array([round(plan.get(columns[j].name, 0.0)) for j in ints], dtype=float)
    h.changeColsBounds(len(ints), ints, fixed, fixed)
    h.setOptionValue("threads", 1)
    h.run()
    ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    sol = h.getSolution()
    h.changeColsBounds(len(ints), ints, lo, up)
    if ok:
        h.setSolution(sol)
    return time.process_time() - c0, ok


def floor_start(h) -> tuple[float, bool]:
    """Hand HiGHS a plan: the LP relaxation's integer columns rounded down, the LP left solved.

    Returns (seconds, whether the rounded plan was feasible). The integer columns here
    are the starts ``start[s,t]``; rounding each down keeps every budget and capex row
    (fewer blocks spend less), and the continuous columns are re-solved with the
    rounded starts fixed. When that LP has no solution the run gets no start.
    """
    import highspy
    import numpy as np

    t0 = time.perf_counter()
    lp = h.getLp()
    ints = np.array([i for i, v in enumerate(lp.integrality_) if v == highspy.HighsVarType.kInteger], dtype=np.int32)
    lo, up = np.array(lp.col_lower_)[ints], np.array(lp.col_upper_)[ints]
    kinds = np.array([highspy.HighsVarType.kContinuous] * len(ints))
    h.changeColsIntegrality(len(ints), ints, kinds)
    h.setOptionValue("threads", 1)
    h.run()
    x = np.array(h.getSolution().col_value)
    fixed = np.floor(x[ints] + 1e-6)
    h.changeColsBounds(len(ints), ints, fixed, fixed)
    h.run()
    ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    sol = h.getSolution()
    h.changeColsBounds(len(ints), ints, lo, up)
    h.changeColsIntegrality(len(ints), ints, np.array([highspy.HighsVarType.kInteger] * len(ints)))
    if ok:
        h.setSolution(sol)
    return time.perf_counter() - t0, ok


def trajectory(log: str) -> list[dict]:
    """(time s, bound, best plan, nodes) of every row of HiGHS's branch-and-bound table."""
    rows = []
    for line in log.splitlines():
        m = MIP_ROW.match(line)
        if m:
            bound, sol = float(m.group(6)), m.group(7)
            rows.append({"time": float(m.group(13)), "nodes": int(m.group(2)), "bound": bound,
                         "plan": float(sol) if sol not in ("-inf", "inf") else None, "lp_iters": int(m.group(12))})
    return rows


def trajectory_cpu(lines: list[tuple[float, str]]) -> list[dict]:
    """``trajectory`` of the logged text, each row with the CPU seconds at which it was logged."""
    rows = []
    for cpu, message in lines:
        for r in trajectory(message):
            r["cpu"] = cpu
            rows.append(r)
    return rows


def run_one(spec: str, variant: str, seed: int, time_limit: float, gap: float, instance=None,
            cpu_limit: float | None = None) -> dict:
    """Build, hand off and solve one (instance, variant, seed); see the module doc."""
    from optimizer.solve import HIGHS_DEFAULTS

    parts = variant.split("+")
    instance = instance if instance is not None else load(spec)
    tb = time.perf_counter()
    model = build(instance, parts)
    columns: list = []
    h = to_highs(model, columns)
    build_s = time.perf_counter() - tb
    scale = money_unit(parts) / 1e6  # objective in MUSD whatever the model's unit
    options = {**HIGHS_DEFAULTS, "threads": 1, "random_seed": seed, "mip_rel_gap": gap, "time_limit": float(time_limit)}
    for p in parts:
        if p.startswith("objscale"):
            options["user_objective_scale"] = int(p[len("objscale"):])
        if p.startswith("boundscale"):
            options["user_bound_scale"] = int(p[len("boundscale"):])
        if p.startswith("opt:"):  # any HiGHS option, e.g. opt:mip_allow_restart=false
            key, value = p[4:].split("=")
            options[key] = json.loads(value) if value not in ("true", "false") else value == "true"
    start_s, start_ok = (floor_start(h) if "start" in parts else (0.0, None))
    if "evstart" in parts:  # its CPU seconds count against the run's limit
        start_s, start_ok = mean_scenario_start(h, columns, instance, parts, 0.25 * (cpu_limit or time_limit))
    lines: list[tuple[float, str]] = []  # (CPU s since the run began, log text)
    cpu0 = time.process_time()

    def on_log(event) -> None:
        lines.append((time.process_time() - cpu0, event.message))

    def on_interrupt(event) -> None:  # a CPU-seconds limit: the machine is shared, HiGHS's time_limit is wall
        if cpu_limit is not None and time.process_time() - cpu0 + start_s > cpu_limit:
            h.cancelSolve()

    h.cbLogging += on_log
    h.cbMipInterrupt += on_interrupt
    h.HandleUserInterrupt = True
    for k, v in {**options, "output_flag": True, "log_to_console": False}.items():
        h.setOptionValue(k, v)
    w = time.perf_counter()
    h.run()
    wall, cpu = time.perf_counter() - w, time.process_time() - cpu0
    info = h.getInfo()
    traj = trajectory_cpu(lines)
    # HiGHS logs the objective as scaled by user_objective_scale and user_bound_scale (seen: 2^k times)
    log_scale = scale / 2.0 ** (options.get("user_objective_scale", 0) + options.get("user_bound_scale", 0))
    for r in traj:
        r["bound"] *= log_scale
        r["plan"] = r["plan"] * log_scale if r["plan"] is not None else None
        r["time"] += start_s
        r["cpu"] += start_s
    root = [r for r in traj if r["nodes"] == 0]
    plans = [r for r in traj if r["plan"] is not None]
    return {
        "instance": spec, "variant": variant, "seed": seed,
        "rows": h.getNumRow(), "columns": h.getNumCol(),
        "status": str(h.getModelStatus()).split(".")[-1].replace("k", "", 1).replace("Interrupt", "CpuLimit"),
        "objective": info.objective_function_value * scale if info.primal_solution_status else None,
        "bound": info.mip_dual_bound * scale,
        "gap": info.mip_gap, "nodes": int(info.mip_node_count), "lp_iterations": int(info.simplex_iteration_count),
        "wall": wall + start_s, "cpu": cpu + start_s, "build_s": build_s, "start_s": start_s, "start_ok": start_ok,
        "root_bound": root[-1]["bound"] if root else None, "root_time": root[-1]["time"] if root else None,
        "first_plan": plans[0]["plan"] if plans else None, "first_plan_time": plans[0]["time"] if plans else None,
        "trajectory": traj, "time_limit": time_limit, "cpu_limit": cpu_limit, "mip_gap": gap,
    }


def fmt(x, nd=2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if isinstance(x, int):
        return f"{x:,}"
    return f"{x:,.{nd}f}"


def markdown(results: list[dict]) -> str:
    head = ("| instance | variant | seed | status | nodes | LP iters | HiGHS wall s | CPU s | gap | objective MUSD | bound MUSD "
            "| root bound | first plan (s) |\n|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    lines = [head]
    for r in results:
        fp = f"{fmt(r['first_plan'])} ({fmt(r['first_plan_time'], 1)})" if r["first_plan"] is not None else "-"
        lines.append(f"| {r['instance']} | {r['variant']} | {r['seed']} | {r['status']} | {fmt(r['nodes'])} | {fmt(r['lp_iterations'])} "
                     f"| {fmt(r['wall'])} | {fmt(r['cpu'])} | {r['gap']:.1e} | {fmt(r['objective'])} | {fmt(r['bound'])} "
                     f"| {fmt(r['root_bound'])} | {fp} |")
    return "\n".join(lines)


def plot(results: list[dict], path: Path) -> None:
    """Relative gap (bound - plan) / plan against HiGHS's CPU seconds, one line per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for r in results:
        pts = [(p["cpu"], (p["bound"] - p["plan"]) / abs(p["plan"]) * 100) for p in r["trajectory"] if p["plan"]]
        if pts:
            pts.append((r["cpu"], pts[-1][1] if r["gap"] is None else r["gap"] * 100))
            xs, ys = zip(*pts)
            ax.step(xs, ys, where="post", label=f"{r['instance']} {r['variant']} (seed {r['seed']})")
    ax.axhline(1.0, color="grey", ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("CPU seconds of HiGHS (one thread)")
    ax.set_ylabel("gap % (bound - plan) / plan")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instances", nargs="+", default=["default"])
    ap.add_argument("--variants", nargs="+", default=["base", "debt_bounds"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--gap", type=float, default=1e-4)
    ap.add_argument("--cpu-limit", type=float, default=None, help="stop HiGHS after this many CPU s (checked at its interrupt callbacks)")
    ap.add_argument("--out", default=None, help="JSON of every run (default: benchmarks/results/search-<time>.json)")
    ap.add_argument("--plot", default=None, help="PNG of the gap over time")
    ap.add_argument("--from-json", nargs="+", help="re-render table / plot from saved JSON files, runs nothing")
    args = ap.parse_args(argv)
    if args.from_json:
        results = [r for p in args.from_json for r in json.loads(Path(p).read_text())["runs"]]
    else:
        results = []
        out = Path(args.out or HERE / "results" / f"search-{time.strftime('%Y%m%d-%H%M%S')}.json")
        for spec in args.instances:
            instance = load(spec)
            for variant in args.variants:
                for seed in args.seeds:
                    r = run_one(spec, variant, seed, args.time_limit, args.gap, instance, args.cpu_limit)
                    results.append(r)
                    print(markdown([r]).splitlines()[-1], flush=True)
                    out.write_text(json.dumps({"argv": sys.argv[1:], "runs": results}, indent=1))
    print(markdown(results))
    if args.plot:
        plot(results, Path(args.plot))


if __name__ == "__main__":
    main()
