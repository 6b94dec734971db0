"""Where the non-B&B seconds go: the hand-off and extraction against references.

    python benchmarks/overhead.py                 # sizes 12,40,1 and 50,40,10
    python benchmarks/overhead.py --sizes 200,60,20

Per size, in this one process (run it on a quiet machine; wall and CPU seconds):

1. hand-off: what ``optimizer.solve`` pays (``optimizer.backend.highs_direct.DirectHighs.load``:
   pyomo's standard-form compiler + ``highspy.passModel``) against the pyomo ``highs``
   persistent ``set_instance`` it replaced (still what ``optimizer.rerun`` uses); both
   are then solved as LPs (integrality dropped) and their objectives compared, so the
   routes are checked to hand over the same problem;
2. extraction: ``optimizer.results.block_counts`` and ``capex_by_site`` against
   independent vectorised equivalents written here (``fast_block_counts``,
   ``fast_capex_by_site``), checked equal on a synthetic schedule (two blocks at
   every retrofittable site);
3. load: the top functions of a ``cProfile`` of ``instance_from_dict``.

Nothing in ``models/`` or ``optimizer/`` is changed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))


def timed(fn, *a, **k):
    w, c = time.perf_counter(), time.process_time()
    out = fn(*a, **k)
    return out, time.perf_counter() - w, time.process_time() - c


def direct_handoff(model):
    """What ``optimizer.solve`` does before HiGHS runs: matrices, then ``passModel``."""
    from optimizer.backend.highs_direct import DirectHighs

    handle = DirectHighs()
    handle.load(model)
    handle._solver_model.setOptionValue("output_flag", False)
    return handle._solver_model


def lp_objective(h) -> float:
    import highspy

    n = h.getNumCol()
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kContinuous] * n))
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.run()
    return h.getInfo().objective_function_value


def fast_block_counts(instance, start: pd.Series) -> pd.DataFrame:
    """Same table as ``optimizer.results.block_counts``, with numpy instead of .loc loops."""
    sites, periods = instance.site_names, instance.period_labels
    grid = np.zeros((len(sites), len(periods)))
    if len(start):
        si = pd.Index(sites).get_indexer(start.index.get_level_values(0))
        ti = pd.Index(periods).get_indexer(start.index.get_level_values(1))
        np.add.at(grid, (si, ti), np.round(start.to_numpy(dtype=float)))
    started = np.cumsum(grid, axis=1)
    lead = instance.sites["lead_periods"].reindex(sites).to_numpy(dtype=int)
    online = np.zeros_like(started)
    for i, L in enumerate(lead):
        if L < len(periods):
            online[i, L:] = started[i, : len(periods) - L]
    idx = pd.MultiIndex.from_product([pd.Index(sites, name="site"), pd.Index(periods, name="period")])
    return pd.DataFrame({"blocks_started": started.ravel(), "blocks_online": online.ravel()}, index=idx)


def fast_capex_by_site(instance, start: pd.Series) -> pd.DataFrame:
    """Same table as ``optimizer.results.capex_by_site``, vectorised over sites and periods."""
    sites, periods, scen = instance.site_names, instance.period_labels, instance.scenario_names
    n = len(periods)
    starts = np.zeros((len(sites), n))
    if len(start):
        si = pd.Index(sites).get_indexer(start.index.get_level_values(0))
        ti = pd.Index(periods).get_indexer(start.index.get_level_values(1))
        np.add.at(starts, (si, ti), np.round(start.to_numpy(dtype=float)))
    lead = instance.sites["lead_periods"].reindex(sites).to_numpy(dtype=int)
    share = np.zeros((len(sites), n))  # blocks' spend per period, in units of one block's cost
    for i, L in enumerate(lead):
        row = starts[i]
        if L == 0:
            share[i] = row
            continue
        for k in range(L):
            shifted = np.zeros(n)
            shifted[k:] = row[: n - k] if k < n else 0
            share[i] += shifted / L
        overflow = sum(row[j] * max(0, j + L - n) / L for j in range(max(0, n - L), n))
        share[i, n - 1] += overflow
    block = instance.sites["block_it_mw"].reindex(sites).to_numpy(dtype=float)
    frames = []
    for w in scen:
        cost = instance.site_params.loc[w]["capex_usd_per_it_mw"].reindex(sites).to_numpy(dtype=float) * block
        frames.append(share * cost[:, None])
    values = np.concatenate([f.ravel() for f in frames])
    idx = pd.MultiIndex.from_product([pd.Index(scen, name="scenario"), pd.Index(sites, name="site"), pd.Index(periods, name="period")])
    return pd.DataFrame({"capex_usd": values}, index=idx)


def measure(size, seed):
    import pyomo.environ  # noqa: F401
    from pyomo.contrib.solver.common.factory import SolverFactory

    import optimizer.results as R
    from generate import generate
    from instances import instance_from_dict
    from models import build_model

    out: dict = {"size": list(size)}
    raw = generate(*size, seed=seed)
    prof = cProfile.Profile()
    w = time.perf_counter()
    prof.enable()
    inst = instance_from_dict(raw)
    prof.disable()
    out["load_profiled_s"] = time.perf_counter() - w
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(8)
    out["load_profile_top"] = [line for line in buf.getvalue().splitlines() if line.strip()][-9:]

    import scipy.sparse  # noqa: F401  (imported before timing: a one-off cost)

    model, out["build_s"], out["build_cpu"] = timed(build_model, inst)
    opt = SolverFactory("highs")
    _, out["persistent_s"], out["persistent_cpu"] = timed(opt.set_instance, model)
    h2, out["handoff_s"], out["handoff_cpu"] = timed(direct_handoff, model)
    h1 = opt._solver_model
    out["persistent_dims"] = [h1.getNumRow(), h1.getNumCol(), h1.getNumNz()]
    out["handoff_dims"] = [h2.getNumRow(), h2.getNumCol(), h2.getNumNz()]
    if not getattr(measure, "skip_lp", False):
        out["lp_persistent"] = lp_objective(h1)
        out["lp_handoff"] = lp_objective(h2)  # the same sense (maximize) both ways

    # extraction: the two table functions that loop in Python, on a synthetic schedule
    # (one block at every retrofittable site, in its first allowed period, one more
    # four periods later): they read only the instance and the starts
    keys = list(model.start_index)
    first: dict = {}
    for s_, t_ in keys:
        first.setdefault(s_, []).append(t_)
    start = pd.Series(
        {(s_, t_): 1.0 for s_, ts in first.items() for t_ in (ts[0], ts[min(4, len(ts) - 1)])},
        dtype=float,
    )
    start.index.names = ["site", "period"]
    a, out["block_counts_s"], out["block_counts_cpu"] = timed(R.block_counts, inst, start)
    b, out["fast_block_counts_s"], out["fast_block_counts_cpu"] = timed(fast_block_counts, inst, start)
    pd.testing.assert_frame_equal(a.sort_index(), b.sort_index(), check_dtype=False, check_names=False)
    a, out["capex_by_site_s"], out["capex_by_site_cpu"] = timed(R.capex_by_site, inst, start)
    b, out["fast_capex_by_site_s"], out["fast_capex_by_site_cpu"] = timed(fast_capex_by_site, inst, start)
    pd.testing.assert_frame_equal(a.sort_index(), b.reindex(a.index).sort_index(), check_dtype=False, check_names=False, rtol=1e-9)
    out["equal"] = True
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="+", default=["12,40,1", "50,40,10"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-lp", action="store_true", help="do not solve the two LPs to compare them")
    ap.add_argument("--out", default=str(HERE / "results" / "overhead.json"))
    args = ap.parse_args(argv)
    measure.skip_lp = args.skip_lp
    rows = []
    for text in args.sizes:
        size = tuple(int(x) for x in text.split(","))
        r = measure(size, args.seed)
        rows.append(r)
        print(json.dumps({k: v for k, v in r.items() if k != "load_profile_top"}), flush=True)
        print("\n".join(r["load_profile_top"]), flush=True)
    Path(args.out).parent.mkdir(exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
