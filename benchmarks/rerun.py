"""Fast reruns against cold solves: a 20-case hashprice sweep (issue 5).

    python benchmarks/rerun.py                      # the default instance, 20 cases
    python benchmarks/rerun.py --instance x.json --cases 20 --mip-gap 1e-4

The hashprice series of the instance, as resolved, is scaled by factors evenly
spaced from 0.6 to 1.5 (20 cases). Each case is run four ways, all in this one
process, in the same order:

- ``cold solve()``: validate the instance (``instance_from_dict``) and ``solve`` it,
  as ``allocate solve --set`` does (tables included, marginal values off);
- ``cold rows only``: validate, prepare, build a fresh model and a fresh HiGHS,
  solve, read the sweep row (what a sweep would cost without reruns);
- ``rerun``: one :class:`optimizer.rerun.Rerunner` over the 20 cases (validate,
  prepare, update the parameters, after a case without a plan try the LP
  relaxation first, solve from the previous plan, read the row);
- ``sweep``: ``optimizer.analyses.sweep.run_sweep`` in this process (chunks of 4 cases, a
  fresh Rerunner per chunk).

Per way: seconds per case, wall and CPU (``process_time``: the machine may be
shared), split into validate / prepare / build-or-update / solve / tables. Every
way's NPVs are checked against the cold solves (relative difference <= 2 x the MIP
gap) and the retrofit schedules compared. Results go to
``benchmarks/results/rerun.json``; the table is printed in Markdown.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from instances import apply_overrides, instance_from_dict, read_json  # noqa: E402
from models import prepare  # noqa: E402
from optimizer import SolveOptions, solve  # noqa: E402
from optimizer.analyses.breakeven import resolved_series  # noqa: E402
from optimizer.rerun import Rerunner  # noqa: E402
from optimizer.analyses.sweep import Case, result_row, run_sweep  # noqa: E402

DEFAULT = ROOT / "instances" / "data" / "default.json"
FALLBACK = ROOT / "tests" / "data" / "reference" / "public_007.json"
PATH = "markets.hashprice_usd_per_ph_day"


class Clock:
    """Wall and CPU seconds of named phases, summed over cases."""

    def __init__(self):
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def add(self, name: str, wall: float, cpu: float) -> None:
        self.wall[name] = self.wall.get(name, 0.0) + wall
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu

    def phase(self, name: str):
        clock = self

        class _Phase:
            def __enter__(self):
                self.w, self.c = time.perf_counter(), time.process_time()

            def __exit__(self, *exc):
                clock.add(name, time.perf_counter() - self.w, time.process_time() - self.c)

        return _Phase()


def cases_for(raw: dict, base_dir: Path, n: int) -> tuple[list[float], list[list[float]]]:
    series = resolved_series(raw, PATH, base_dir)
    factors = [float(f) for f in np.round(np.linspace(0.6, 1.5, n), 10)]
    return factors, [[v * f for v in series] for f in factors]


def way_cold_solve(raw, base_dir, values, options, clock):
    rows = []
    for v in values:
        with clock.phase("validate"):
            inst = instance_from_dict(apply_overrides(raw, [(PATH, v)]), base_dir=base_dir)
        w, c = time.perf_counter(), time.process_time()
        r = solve(inst, options)
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        t = r.timings
        solve_share = {k: t.get(k, 0.0) for k in ("build", "solve", "extract")}
        total = sum(solve_share.values()) or 1.0
        for k, x in solve_share.items():  # split the CPU seconds like the wall ones
            clock.add({"build": "prepare+build", "solve": "solve", "extract": "tables"}[k], x, cpu * x / total)
        clock.add("other", max(wall - total, 0.0), 0.0)
        rows.append(result_row(r))
    return rows


def way_cold_rows(raw, base_dir, values, options, clock):
    rows = []
    for v in values:
        with clock.phase("validate"):
            inst = instance_from_dict(apply_overrides(raw, [(PATH, v)]), base_dir=base_dir)
        rows.append(_rerun_case(Rerunner(options), inst, clock))
    return rows


def way_rerun(raw, base_dir, values, options, clock):
    runner = Rerunner(options)
    rows = []
    for v in values:
        with clock.phase("validate"):
            inst = instance_from_dict(apply_overrides(raw, [(PATH, v)]), base_dir=base_dir)
        rows.append(_rerun_case(runner, inst, clock))
    return rows, runner.stats


def _rerun_case(runner, inst, clock):
    with clock.phase("prepare"):
        data = prepare(inst)
    w, c = time.perf_counter(), time.process_time()
    r = runner.solve(inst, tables=False, data=data)
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    t = r.timings
    step = "build" if "build" in t else "update"
    parts = {step: t.get(step, 0.0), "solve": t.get("solve", 0.0)}
    total = sum(parts.values()) or 1.0
    for k, x in parts.items():
        clock.add(k, x, cpu * x / total)
    with clock.phase("row"):
        row = result_row(r)
    return row


def way_sweep(raw, base_dir, values, options, clock):
    cases = [Case(i + 1, ((PATH, v),)) for i, v in enumerate(values)]
    with clock.phase("sweep (all phases)"):
        frame = run_sweep(raw, cases, base_dir=base_dir, options=options)
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def compare(rows, reference, gap):
    worst, schedules = 0.0, 0
    for a, b in zip(rows, reference):
        if a["npv_usd"] is None or b["npv_usd"] is None:
            if a["status"] != b["status"]:
                schedules += 1
            continue
        worst = max(worst, abs(a["npv_usd"] - b["npv_usd"]) / max(abs(b["npv_usd"]), 1.0))
        schedules += a["retrofits"] != b["retrofits"]
    return {"max_rel_npv_diff": worst, "within_gap": worst <= 2 * gap + 1e-9, "schedules_differing": schedules}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instance", type=Path, default=None, help="default: instances/data/default.json, else tests/data/reference/public_007.json")
    ap.add_argument("--cases", type=int, default=20)
    ap.add_argument("--mip-gap", type=float, default=1e-4)
    ap.add_argument("--time-limit", type=float, default=None, help="per solve")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "rerun.json")
    ap.add_argument("--ways", default="cold solve(),cold rows only,rerun,sweep", help="comma-separated subset of the four ways (cold solve() is always run: it is the reference)")
    args = ap.parse_args(argv)
    path = args.instance or (DEFAULT if DEFAULT.exists() else FALLBACK)
    raw, base_dir = read_json(path), path.parent
    factors, values = cases_for(raw, base_dir, args.cases)
    options = SolveOptions(mip_gap=args.mip_gap, time_limit=args.time_limit, sensitivities=False)
    n = len(values)
    print(f"instance {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {n} cases, hashprice x {factors[0]}..{factors[-1]}, MIP gap {args.mip_gap}", file=sys.stderr)

    results = {}
    clocks = {}
    chosen = {w.strip() for w in args.ways.split(",")} | {"cold solve()"}
    ways = (("cold solve()", way_cold_solve), ("cold rows only", way_cold_rows), ("rerun", way_rerun), ("sweep", way_sweep))
    for name, way in [w for w in ways if w[0] in chosen]:
        clock = Clock()
        w, c = time.perf_counter(), time.process_time()
        out = way(raw, base_dir, values, options, clock)
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        stats = None
        if isinstance(out, tuple):
            out, stats = out
        results[name] = {"rows": out, "wall_per_case": wall / n, "cpu_per_case": cpu / n, "stats": stats}
        clocks[name] = clock
        print(f"  {name:<16} {wall / n * 1000:8.1f} ms/case wall, {cpu / n * 1000:8.1f} ms/case CPU", file=sys.stderr)

    reference = results["cold solve()"]["rows"]
    base_wall, base_cpu = results["cold solve()"]["wall_per_case"], results["cold solve()"]["cpu_per_case"]
    rows_cpu = results["cold rows only"]["cpu_per_case"] if "cold rows only" in results else float("nan")
    report = {
        "instance": str(path),
        "cases": n,
        "factors": factors,
        "mip_gap": args.mip_gap,
        "ways": {},
    }
    lines = [
        "| way | ms/case wall | ms/case CPU | speedup vs cold solve() (CPU) | vs cold rows only (CPU) | NPV max rel. diff | schedules differing |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, res in results.items():
        check = compare(res["rows"], reference, args.mip_gap)
        report["ways"][name] = {
            "wall_per_case_s": res["wall_per_case"],
            "cpu_per_case_s": res["cpu_per_case"],
            "phases_wall_per_case_s": {k: v / n for k, v in clocks[name].wall.items()},
            "phases_cpu_per_case_s": {k: v / n for k, v in clocks[name].cpu.items()},
            "rerunner_stats": res["stats"],
            "check": check,
            "statuses": [r["status"] for r in res["rows"]],
            "npv_usd": [r["npv_usd"] for r in res["rows"]],
            "retrofits": [r["retrofits"] for r in res["rows"]],
        }
        lines.append(
            f"| {name} | {res['wall_per_case'] * 1000:.0f} | {res['cpu_per_case'] * 1000:.0f} | "
            f"{base_cpu / res['cpu_per_case']:.1f}x | {rows_cpu / res['cpu_per_case']:.1f}x | "
            f"{check['max_rel_npv_diff']:.1e} | {check['schedules_differing']} |"
        )
    lines += ["", "Phases, CPU ms per case:", ""]
    for name in results:
        cpu = report["ways"][name]["phases_cpu_per_case_s"]
        lines.append(f"- {name}: " + ", ".join(f"{k} {v * 1000:.0f}" for k, v in cpu.items()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, default=float) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
