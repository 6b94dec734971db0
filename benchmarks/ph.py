"""Extensive form vs progressive hedging on the same many-scenario instance.

    python benchmarks/ph.py                       # 3 sites, 16 quarters, 100 paths, PH on 2 ranks
    python benchmarks/ph.py --sites 4 --periods 24 --paths 100 --ranks 4 --json out.json

The instance is ``benchmarks.generate.generate(sites, periods, 1, seed)`` with its
hashprice replaced by ``paths`` scenarios from ``instances.scenario_gen`` (same seed).
Both methods run as the command line would, in a subprocess, timed on the wall clock:

- ``ef``: load, build, solve with HiGHS and extract the tables, as ``allocate solve FILE
  --json --mip-gap G --time-limit T`` does, without the command's post-solve extras
  (``optimizer.analyses.value_of_information.plain_options``);
- ``ph``: ``mpiexec -n R allocate solve FILE --method ph --json --mip-gap G``

and the table gives status, objective (inner bound), bound (outer bound), relative gap
and seconds. Results and discussion: benchmarks/README-ph.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402
from instances.scenario_gen import generate_scenarios  # noqa: E402


def instance(sites: int, periods: int, paths: int, seed: int) -> dict:
    raw, _ = generate_scenarios(generate(sites, periods, 1, seed=seed), paths, seed)
    raw["name"] = f"bench-{sites}x{periods}x{paths}"
    return raw


def mpiexec() -> str:
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if not found:
        raise SystemExit("mpiexec not found: pip install -e '.[ph]'")
    return found


def run(cmd: list[str], timeout: float) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "wall_seconds": round(time.perf_counter() - t0, 1)}
    wall = time.perf_counter() - t0
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"status": f"failed (exit {proc.returncode})", "stderr": proc.stderr[-2000:], "wall_seconds": round(wall, 1)}
    return {
        "status": out["status"],
        "objective_usd": out["objective_usd"],
        "bound_usd": out["bound_usd"],
        "mip_gap": out["mip_gap"],
        "retrofits": [(r["site"], r["start"], r["blocks"]) for r in out["retrofits"]],
        "solve_seconds": out["solve_seconds"],
        "wall_seconds": round(wall, 1),
        "model_size": out.get("model_size"),
    }


def child_ef(path: str, mip_gap: float, time_limit: float) -> int:
    """``--child-ef``: the extensive-form solve, its --json figures on standard output."""
    from cli.report import result_json
    from instances import load_instance
    from optimizer import SolveOptions, solve
    from optimizer.runs.output import dumps
    from optimizer.analyses.value_of_information import plain_options

    result = solve(load_instance(path), plain_options(SolveOptions(mip_gap=mip_gap, time_limit=time_limit)))
    out = result_json(result)
    out["model_size"] = result.model_size
    sys.stdout.write(dumps(out))
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child-ef":
        return child_ef(argv[1], float(argv[2]), float(argv[3]))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=3)
    ap.add_argument("--periods", type=int, default=16)
    ap.add_argument("--paths", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ranks", type=int, default=2, help="MPI ranks for PH")
    ap.add_argument("--mip-gap", type=float, default=1e-4)
    ap.add_argument("--time-limit", type=float, default=1800, help="EF solver time limit (s); also each run's wall limit + 600 s")
    ap.add_argument("--methods", default="ef,ph")
    ap.add_argument("--json", dest="json_out", help="write the results here")
    args = ap.parse_args(argv)

    raw = instance(args.sites, args.periods, args.paths, args.seed)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "instance.json"
        path.write_text(json.dumps(raw))
        base = [sys.executable, "-m", "cli.main", "solve", str(path), "--json", "--mip-gap", str(args.mip_gap)]
        for method in args.methods.split(","):
            if method == "ef":
                rows["ef"] = run([sys.executable, str(Path(__file__).resolve()), "--child-ef", str(path), str(args.mip_gap), str(args.time_limit)], args.time_limit + 600)
            elif method == "ph":
                rows[f"ph x{args.ranks}"] = run([mpiexec(), "-n", str(args.ranks)] + base + ["--method", "ph"], args.time_limit + 600)
            print(f"{method}: {json.dumps(list(rows.values())[-1])}", file=sys.stderr)
    print(f"instance: {raw['name']} (generate({args.sites}, {args.periods}, 1, seed={args.seed}) + {args.paths} hashprice paths, seed {args.seed})")
    print()
    print("| method | status | objective (USD) | bound (USD) | gap | solve s | wall s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        if "objective_usd" not in r:
            print(f"| {name} | {r['status']} | - | - | - | - | {r['wall_seconds']} |")
            continue
        gap = f"{r['mip_gap']:.2e}" if r["mip_gap"] is not None else "-"
        bound = f"{r['bound_usd']:,.0f}" if r["bound_usd"] is not None else "-"
        print(f"| {name} | {r['status']} | {r['objective_usd']:,.0f} | {bound} | {gap} | {r['solve_seconds']:.1f} | {r['wall_seconds']} |")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"args": vars(args), "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
