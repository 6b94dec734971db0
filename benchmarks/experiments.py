"""Branch-and-bound profile: HiGHS options and formulation strengthenings, measured.

    python benchmarks/experiments.py                    # default instance + (50,40,1)
    python benchmarks/experiments.py --instances gen:12,40,1 --time-limit 30
    python benchmarks/experiments.py --only options     # or formulation, cli

Nothing in ``models/`` is changed: the model is built by ``models.build_model`` and
the strengthenings are *added to the built model object* here (extra bounds,
constraints, or a change of which variable is integer), then the model is handed to
HiGHS through pyomo once and written to MPS, and every variant is solved by highspy
from that file with one thread (``threads=1``) and ``random_seed=0``, so runs are
deterministic in nodes and LP iterations; seconds also depend on the machine's load
(CPU seconds are reported beside wall seconds).

Formulations (``--formulations``):

- ``base``: the model as built.
- ``started_int``: branch on the cumulative count: ``started[s,t]`` integer and
  ``start[s,t]`` continuous (``start = started[t] - started[t-1] >= 0`` still holds
  through ``started_balance`` and the bounds), the classic "aggregated cumulative
  starts" reformulation of capacity-expansion MIPs.
- ``bounds``: integer-rounded bounds from the data: ``started[s,t] <= floor(min over
  t' >= t, w of grid_mw[w,s,t'] / (ai.pue B))`` (started never decreases and the grid
  row must hold with mine >= 0), and ``start[s,t] <= floor(min budget over its spend
  window / (K / lead))`` when per-period budgets exist.
- ``knap``: every per-period budget row written again in the integer ``start``
  variables (``sum_s K_s/L_s * sum(start[s,tau], t-L_s < tau <= t) <= budget_t``)
  and the total budget as ``sum_s K_s * started[s,N-1] <= total``, so HiGHS's
  knapsack-cover / MIR separators see integer knapsack rows. Since the model itself
  writes the per-period budget row over ``start`` (``retrofits.building_spend``),
  ``knap`` adds only duplicates of those rows plus the total-budget row.
- ``all``: started_int + bounds + knap.

Options (``--options``): HiGHS defaults, presolve off, mip_heuristic_effort 0.3 and 0,
mip_detect_symmetry false, mip_allow_restart false, RINS/RENS off,
mip_lp_age_limit 20, and a warm start from the "no retrofit" plan (every start
fixed to 0, the LP left solved first; its seconds are added to the run's).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(ROOT))  # the project, also when its editable install is being redone

OPTION_SETS: dict[str, dict] = {
    "default": {},
    "presolve=off": {"presolve": "off"},
    "heuristic_effort=0.3": {"mip_heuristic_effort": 0.3},
    "heuristic_effort=0": {"mip_heuristic_effort": 0.0},
    "symmetry=off": {"mip_detect_symmetry": False},
    "restart=off": {"mip_allow_restart": False},
    "rins+rens=off": {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False},
    "lp_age_limit=20": {"mip_lp_age_limit": 20},
    "root_rc+fj=off": {"mip_heuristic_run_root_reduced_cost": False, "mip_heuristic_run_feasibility_jump": False},
    "warm start (no retrofit plan)": {"_warm_zero": True},
}
FORMULATIONS = ["base", "started_int", "bounds", "knap", "all"]


# ---------------------------------------------------------------------------
# instances and formulation variants
# ---------------------------------------------------------------------------


def load(spec: str):
    """``default`` (instances/data/default.json; the generator's 12,40,1 when absent),
    ``gen:S,T,W[,seed]`` or a path to an instance file."""
    from instances import instance_from_dict, load_default, load_instance

    if spec == "default":
        if (ROOT / "instances" / "data" / "default.json").exists():
            return "default.json", load_default()
        from generate import generate

        return "default.json missing -> gen:12,40,1", instance_from_dict(generate(12, 40, 1, 0))
    if spec.startswith("gen:"):
        from generate import generate

        parts = [int(x) for x in spec[4:].split(",")]
        seed = parts[3] if len(parts) > 3 else 0
        return spec, instance_from_dict(generate(parts[0], parts[1], parts[2], seed))
    return spec, load_instance(spec)


def strengthen(model, variant: str) -> dict:
    """Add the variant's bounds / rows to a built model; return counts of what was added."""
    from pyomo.environ import Constraint, ConstraintList, NonNegativeIntegers, NonNegativeReals

    d = model.data
    T = list(d.T)
    n = len(T)
    added = {"bounds": 0, "rows": 0}
    parts = {"all": ["started_int", "bounds", "knap"]}.get(variant, [variant])
    if "started_int" in parts:
        for s in model.SA:
            for t in T:
                model.started[s, t].domain = NonNegativeIntegers
        for key in model.start_index:
            model.start[key].domain = NonNegativeReals
    if "bounds" in parts:
        for s in model.SA:
            per_block = {w: d.ai_pue[w, s] * d.block_it_mw[s] for w in d.W}
            cap = [min(math.floor(d.grid_mw[w, s, t] / per_block[w] + 1e-9) for w in d.W) for t in T]
            suffix = math.inf
            for i in range(n - 1, -1, -1):
                suffix = min(suffix, cap[i])
                ub = min(d.max_blocks[s], max(0, suffix))
                v = model.started[s, T[i]]
                if v.ub is None or ub < v.ub:
                    v.setub(ub)
                    added["bounds"] += 1
            if d.capex_budget:
                lead = d.lead[s]
                for i, t in enumerate(T):
                    if (s, t) not in model.start_index:
                        continue
                    window = range(i, min(n, i + max(lead, 1)))
                    best = math.inf
                    for w in d.W:
                        per_period = d.block_cost[w, s] / max(lead, 1)
                        if per_period <= 0:
                            continue
                        for j in window:
                            b = d.capex_budget.get((w, T[j]))
                            if b is not None:
                                best = min(best, math.floor(b / per_period + 1e-9))
                    if best < math.inf:
                        v = model.start[s, t]
                        if best < (v.ub if v.ub is not None else math.inf):
                            v.setub(max(0, best))
                            added["bounds"] += 1
    if "knap" in parts:
        model.knap_cuts = ConstraintList()
        for w in d.W:
            for i, t in enumerate(T):
                b = d.capex_budget.get((w, t))
                if b is None or i == n - 1:
                    continue  # the last period also pays the overflow: its row stays as built
                terms = []
                for s in model.SA:
                    lead = d.lead[s]
                    cost = d.block_cost[w, s]
                    lo = i - lead + 1 if lead > 0 else i
                    for j in range(max(0, lo), i + 1):
                        if (s, T[j]) in model.start_index:
                            terms.append((cost / max(lead, 1)) * model.start[s, T[j]])
                if terms:
                    model.knap_cuts.add(sum(terms) <= b)
                    added["rows"] += 1
            tot = d.total_capex_budget.get(w)
            if tot is not None:
                terms = [d.block_cost[w, s] * model.start[key] for key in model.start_index for s in [key[0]]]
                model.knap_cuts.add(sum(terms) <= tot)
                added["rows"] += 1
    return added


def write_mps(instance, variant: str, path: Path) -> dict:
    """Build, strengthen, hand to HiGHS through pyomo and write the MPS HiGHS received."""
    import pyomo.environ  # noqa: F401
    from pyomo.contrib.solver.common.factory import SolverFactory

    from models import build_model

    t = time.perf_counter()
    model = build_model(instance)
    added = strengthen(model, variant)
    opt = SolverFactory("highs")
    opt.set_instance(model)
    h = opt._solver_model
    h.writeModel(str(path))
    return {"added": added, "rows": h.getNumRow(), "columns": h.getNumCol(), "nonzeros": h.getNumNz(), "prep_s": time.perf_counter() - t}


# ---------------------------------------------------------------------------
# running HiGHS and reading its log
# ---------------------------------------------------------------------------

_ROW = re.compile(r"^\s*([A-Za-z])?\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)%\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)s\s*$")


def _num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def parse_log(text: str) -> dict:
    """Root LP bound, bound after the root cut loop, root time, first incumbent, per the B&B table."""
    rows = []
    for line in text.splitlines():
        m = _ROW.match(line)
        if m:
            rows.append(
                {
                    "src": m.group(1) or "",
                    "explored": int(m.group(2)),
                    "bound": _num(m.group(6)),
                    "sol": _num(m.group(7)),
                    "lp_iters": int(m.group(12)),
                    "time": float(m.group(13)),
                }
            )
    out: dict = {}
    finite = [r for r in rows if r["bound"] is not None and math.isfinite(r["bound"])]
    if finite:
        out["root_lp_bound"] = finite[0]["bound"]
    root = [r for r in rows if r["explored"] == 0 and r["bound"] is not None and math.isfinite(r["bound"])]
    if root:
        out["root_bound"] = root[-1]["bound"]
        out["root_time"] = root[-1]["time"]
    inc = [r for r in rows if r["sol"] is not None and math.isfinite(r["sol"])]
    if inc:
        out["first_incumbent"] = inc[0]["sol"]
        out["first_incumbent_time"] = inc[0]["time"]
        out["root_incumbent"] = max((r["sol"] for r in root if r["sol"] is not None and math.isfinite(r["sol"])), default=None)
    m = re.search(r"Presolve reductions: rows (\d+)\(-?\d+\); columns (\d+)", text)
    if m:
        out["presolved_rows"], out["presolved_cols"] = int(m.group(1)), int(m.group(2))
    m = re.search(r"^\s+([\d.]+) \(Presolve\)", text, re.M)
    if m:
        out["presolve_time"] = float(m.group(1))
    return out


def solve_mps(path: Path, options: dict, time_limit: float, gap: float) -> dict:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    options = dict(options)
    warm_s = None
    if options.pop("_warm_zero", False):
        # the "no retrofit" plan: every integer column fixed to 0, the LP that is left
        # solved, its solution handed to the MIP as a start (time counted below)
        import numpy as np

        w0 = time.perf_counter()
        lp = h.getLp()
        ints = np.array([i for i, v in enumerate(lp.integrality_) if v == highspy.HighsVarType.kInteger], dtype=np.int32)
        lo, up = np.array(lp.col_lower_)[ints], np.array(lp.col_upper_)[ints]
        h.changeColsBounds(len(ints), ints, np.zeros(len(ints)), np.zeros(len(ints)))
        h.setOptionValue("threads", 1)
        h.run()
        sol = h.getSolution()
        h.changeColsBounds(len(ints), ints, lo, up)
        h.setSolution(sol)
        warm_s = time.perf_counter() - w0
    log = Path(tempfile.mkstemp(suffix=".log")[1])
    for k, v in {"output_flag": True, "log_to_console": False, "log_file": str(log), "threads": 1, "random_seed": 0,
                 "mip_rel_gap": gap, "time_limit": float(time_limit), **options}.items():
        h.setOptionValue(k, v)
    w, c = time.perf_counter(), time.process_time()
    h.run()
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    info = h.getInfo()
    text = log.read_text(errors="replace")
    log.unlink()
    res = {
        "status": str(h.getModelStatus()).replace("HighsModelStatus.k", ""),
        "objective": info.objective_function_value,
        "bound": info.mip_dual_bound,
        "gap": info.mip_gap,
        "nodes": int(info.mip_node_count),
        "lp_iterations": int(info.simplex_iteration_count),
        "wall": wall,
        "cpu": cpu,
        "highs_time": h.getRunTime(),
    }
    res.update(parse_log(text))
    if warm_s is not None:
        res["warm_start_s"] = warm_s
        res["wall"] += warm_s
    return res


def lp_bound(path: Path) -> float:
    """Value of the plain LP relaxation (integrality dropped, no presolve cuts)."""
    import highspy
    import numpy as np

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    n = h.getNumCol()
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kContinuous] * n))
    h.setOptionValue("threads", 1)
    h.run()
    return h.getInfo().objective_function_value


# ---------------------------------------------------------------------------
# allocate solve as a whole process
# ---------------------------------------------------------------------------


def time_cli(repeats: int = 3) -> list[dict]:
    """Wall and CPU (user+sys of the child) seconds of ``allocate solve`` on the default
    instance, as a user runs it."""
    import resource

    exe = Path(sys.executable).with_name("allocate")
    cmds = [[str(exe), "solve"], [str(exe), "solve", "--threads", "1"], [str(exe), "solve", "--out", "{tmp}/run", "--force"],
            [sys.executable, "-c", "import cli.main, optimizer, models, instances, pyomo.environ"]]
    out = []
    for cmd in cmds:
        times, cpus, code, err = [], [], 0, []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as tmp:
                argv = [a.replace("{tmp}", tmp) for a in cmd]
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t = time.perf_counter()
                p = subprocess.run(argv, capture_output=True, text=True, cwd=str(ROOT))
                times.append(time.perf_counter() - t)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
                code = p.returncode
                err = p.stderr.strip().splitlines()[-2:] if p.returncode else []
        label = " ".join(a.replace("{tmp}", "TMP") for a in cmd[1:]) if cmd[0] == str(exe) else "python -c '" + cmd[2] + "'"
        out.append({"command": label, "exit": code, "seconds": times, "cpu_seconds": cpus, "stderr_tail": err})
    return out


# ---------------------------------------------------------------------------


def fmt(x, nd=2):
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return "inf"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    return f"{x:,}"


def table(rows: list[dict], best: float | None) -> str:
    lines = [
        "| variant | status | nodes | LP iters | HiGHS s (cpu) | gap | objective | bound | plain LP | root LP | root after cuts | root s | root gap to best | first incumbent (s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        rg = None
        if best and r.get("root_bound") is not None:
            rg = abs(r["root_bound"] - best) / abs(best)
        lines.append(
            f"| {r['variant']} | {r['status']} | {fmt(r['nodes'])} | {fmt(r['lp_iterations'])} | {fmt(r['wall'])} ({fmt(r['cpu'])}) | "
            f"{r['gap']:.1e} | {fmt(r['objective'])} | {fmt(r['bound'])} | {fmt(r.get('plain_lp'))} | {fmt(r.get('root_lp_bound'))} | "
            f"{fmt(r.get('root_bound'))} | {fmt(r.get('root_time'))} | {('%.2f%%' % (100 * rg)) if rg is not None else '-'} | "
            f"{fmt(r.get('first_incumbent'))} ({fmt(r.get('first_incumbent_time'))}) |"
        )
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description="B&B profile of HiGHS on allocate models")
    ap.add_argument("--instances", nargs="+", default=["default", "gen:50,40,1"])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--gap", type=float, default=1e-4)
    ap.add_argument("--only", choices=["options", "formulation", "cli"], action="append")
    ap.add_argument("--options", nargs="+", default=list(OPTION_SETS), help="option sets to try")
    ap.add_argument("--formulations", nargs="+", default=FORMULATIONS)
    ap.add_argument("--out", default=str(HERE / "results" / "experiments.json"))
    ap.add_argument("--cli-repeats", type=int, default=3)
    args = ap.parse_args(argv)
    parts = args.only or ["options", "formulation", "cli"]
    report: dict = {"time_limit": args.time_limit, "gap": args.gap, "loadavg_start": os.getloadavg(), "instances": {}}
    md = []
    tmp = Path(tempfile.mkdtemp(prefix="allocate-exp-"))
    for spec in ([] if parts == ["cli"] else args.instances):
        label, inst = load(spec)
        entry: dict = {"label": label, "options": [], "formulations": []}
        report["instances"][spec] = entry
        print(f"== {label}", file=sys.stderr, flush=True)
        mps: dict[str, Path] = {}
        variants = ["base"] + [f for f in args.formulations if f != "base"] if "formulation" in parts else ["base"]
        for v in variants:
            p = tmp / f"{abs(hash(spec))}_{v}.mps"
            entry.setdefault("models", {})[v] = write_mps(inst, v, p)
            mps[v] = p
        base_lp = lp_bound(mps["base"])
        if "options" in parts:
            for name in args.options:
                r = solve_mps(mps["base"], OPTION_SETS[name], args.time_limit, args.gap)
                r["variant"], r["plain_lp"] = name, base_lp
                entry["options"].append(r)
                print(f"  options {name}: {r['status']} nodes {r['nodes']} {r['wall']:.2f}s gap {r['gap']:.1e}", file=sys.stderr, flush=True)
        if "formulation" in parts:
            for v in variants:
                if v == "base" and entry["options"]:
                    r = dict(entry["options"][0])
                else:
                    r = solve_mps(mps[v], {}, args.time_limit, args.gap)
                    r["plain_lp"] = lp_bound(mps[v])
                r["variant"] = v
                r["added"] = entry["models"][v]["added"]
                entry["formulations"].append(r)
                print(f"  formulation {v}: {r['status']} nodes {r['nodes']} {r['wall']:.2f}s gap {r['gap']:.1e} root {r.get('root_bound')}", file=sys.stderr, flush=True)
        runs = entry["options"] + entry["formulations"]
        best = max((r["objective"] for r in runs if r.get("objective") is not None and r["status"] in ("Optimal", "TimeLimit")), default=None)
        entry["best_objective"] = best
        m0 = entry["models"]["base"]
        md.append(f"### {label}: {m0['rows']:,} rows, {m0['columns']:,} columns, {m0['nonzeros']:,} nonzeros; best objective found {fmt(best)} (model money, MUSD)\n")
        if entry["options"]:
            md.append("HiGHS options (base formulation, 1 thread):\n\n" + table(entry["options"], best) + "\n")
        if entry["formulations"]:
            md.append("Formulations (HiGHS defaults, 1 thread):\n\n" + table(entry["formulations"], best) + "\n")
    if "cli" in parts:
        print("== allocate solve (whole process)", file=sys.stderr, flush=True)
        report["cli"] = time_cli(args.cli_repeats)
        md.append(f"`allocate solve` on the default instance, whole process (wall s / CPU s of the child, {args.cli_repeats} runs each):\n")
        for c in report["cli"]:
            md.append(f"- `{c['command']}`: " + ", ".join(f"{w:.2f} / {u:.2f}" for w, u in zip(c["seconds"], c.get("cpu_seconds", c["seconds"])))
                      + (f" (exit {c['exit']})" if c.get("exit") else ""))
        md.append("")
    report["loadavg_end"] = os.getloadavg()
    Path(args.out).parent.mkdir(exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1, default=str) + "\n")
    text = "\n".join(md)
    Path(args.out).with_suffix(".md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
