"""The default instance's solve before and after SPEC v2, in one run.

    python benchmarks/default_v1_v2.py                 # both, one thread, Markdown table
    python benchmarks/default_v1_v2.py --threads 0     # HiGHS decides the threads

**before** is the v1 default instance, ``tests/data/default_v1.json`` (byte for byte
``instances/data/default.json`` at commit 27c192c: one installed fleet per site, one
power price per site, no tenant prepayment); **after** is today's embedded default
(``instances/data/default.json``: two ASIC models to buy, price tiers with resale at
Rockdale, a prepaid and a pre-leased site; docs/default-instance.md).

Each instance is built by ``models.build_model``, handed to HiGHS through pyomo and
written to MPS (``experiments.write_mps``), then solved by highspy from that file
(``experiments.solve_mps``) with the options of every ``allocate solve``
(``optimizer.solve.HIGHS_DEFAULTS``: fixed seed, RINS and RENS off) at the default
MIP gap. With one thread, nodes and LP iterations are deterministic; seconds depend
on the machine's load (CPU seconds are printed beside wall seconds). Nothing here is
asserted by a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(ROOT))

V1_DEFAULT = ROOT / "tests" / "data" / "default_v1.json"


def measure(label: str, instance, threads: int, time_limit: float) -> dict:
    """Build, write MPS and solve ``instance``; one row of the table (seconds in s)."""
    from experiments import solve_mps, write_mps

    from optimizer.solve import DEFAULT_MIP_GAP, HIGHS_DEFAULTS

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.mps"
        size = write_mps(instance, "base", path)
        options = {k: v for k, v in HIGHS_DEFAULTS.items() if k not in ("output_flag", "log_to_console")}
        options["threads"] = threads
        res = solve_mps(path, options, time_limit, DEFAULT_MIP_GAP)
    return {"instance": label, **size, **res}


def table(rows: list[dict]) -> str:
    """Markdown table of the measured rows (NPV in USD billions: the model's money unit
    is ``models.data.MONEY_SCALE`` USD)."""
    from models.data import MONEY_SCALE

    head = "| instance | rows | columns | nonzeros | status | NPV $B | gap | nodes | LP iterations | wall s | CPU s |"
    out = [head, "|---" * (head.count("|") - 1) + "|"]
    for r in rows:
        out.append(
            f"| {r['instance']} | {r['rows']:,} | {r['columns']:,} | {r['nonzeros']:,} | {r['status']} | "
            f"{r['objective'] * MONEY_SCALE / 1e9:.4f} | {r['gap']:.2e} | {r['nodes']:,} | {r['lp_iterations']:,} | "
            f"{r['wall']:.1f} | {r['cpu']:.1f} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    from instances import load_default, load_instance

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="HiGHS threads (0: HiGHS decides)")
    ap.add_argument("--time-limit", type=float, default=600.0, help="HiGHS time limit per instance, s")
    args = ap.parse_args(argv)
    rows = [
        measure("before: v1 default (27c192c)", load_instance(V1_DEFAULT), args.threads, args.time_limit),
        measure("after: v2 default", load_default(), args.threads, args.time_limit),
    ]
    print(f"threads={args.threads}, random_seed=0, mip_rel_gap=1e-4")
    print(table(rows))


if __name__ == "__main__":
    main()
