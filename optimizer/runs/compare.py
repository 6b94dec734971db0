"""Compare two run folders (``allocate solve --out``): what changed and why.

    report = compare_runs("runs/base", "runs/high_power")
    report["npv"], report["retrofits"], report["mw"], report["financing"], report["inputs"]

A run folder holds ``summary.json``, ``retrofits.csv``, ``allocation.csv``,
``finance.csv``, ``plan.json`` and ``instance.json`` (and ``scenarios.csv``). The
comparison reads only those files:

- ``npv``: the objective of each run and the change (B - A);
- ``retrofits``: per site, the blocks of A and of B matched in start order (the
  k-th block of A with the k-th block of B): ``same``, ``earlier``/``later`` (by so
  many periods), ``added`` (only in B) or ``removed`` (only in A);
- ``mw``: per site and calendar year, the average MW mined and IT MW leased in
  each run (expected over scenarios) and the change;
- ``financing``: total draws (and per facility), peak debt, total dividends, the
  expected figures of each run and the change;
- ``inputs``: every leaf of ``instance.json`` that differs, by dotted path, with
  sites, facilities and scenarios addressed by name (``sites.Rockdale.grid_mw``);
  a series written as a list is one leaf;
- ``npv_bridge`` (when asked for, it solves): the NPV change split by input, each
  input applied alone to A and re-solved, the interaction the remainder
  (``optimizer.analyses.bridge``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from instances.overrides import NAMED_LISTS as NAMED  # lists whose items are addressed by name
from optimizer.runs.folder import Run

TOL = 1e-6


# ---- inputs -----------------------------------------------------------------------


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of an instance dict by dotted path; named lists keyed by item name."""
    out: dict[str, Any] = {}
    if isinstance(node, dict) and not (prefix and _is_series(node)):
        if not node and prefix:
            out[prefix] = {}
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key in NAMED and isinstance(value, list) and all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in value):
                if not value:
                    out[path] = []
                for item in value:
                    sub = {k: v for k, v in item.items() if k != "name"}
                    named = f"{path}.{item['name']}"
                    leaves = flatten(sub, named)
                    out.update(leaves or {named: {}})
            else:
                out.update(flatten(value, path))
        return out
    out[prefix] = node
    return out


SERIES_FORMS = ({"start", "annual_growth", "steps"}, {"csv", "column"})


def _is_series(node: dict) -> bool:
    """A series written as an object (growth or CSV form): one leaf, like a list."""
    return bool(node) and any(set(node) <= form for form in SERIES_FORMS)


def input_changes(a: dict, b: dict) -> list[dict]:
    """``[{path, a, b, change}]`` for every leaf that differs (change: changed, added, removed)."""
    fa, fb = flatten(a), flatten(b)
    rows = []
    for path in list(fa) + [p for p in fb if p not in fa]:
        if path == "name":
            continue
        if path not in fb:
            rows.append({"path": path, "a": fa[path], "b": None, "change": "removed"})
        elif path not in fa:
            rows.append({"path": path, "a": None, "b": fb[path], "change": "added"})
        elif not _same(fa[path], fb[path]):
            rows.append({"path": path, "a": fa[path], "b": fb[path], "change": "changed"})
    return rows


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, bool) or isinstance(y, bool):
        return x == y
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return abs(x - y) <= 1e-12 * max(1.0, abs(x), abs(y))
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_same(p, q) for p, q in zip(x, y))
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    return x == y


# ---- retrofits ---------------------------------------------------------------------


def _blocks(run: Run) -> dict[str, list[str]]:
    """Per site, the start period of every block, in start order."""
    out: dict[str, list[str]] = {}
    if run.retrofits is None or not len(run.retrofits):
        return out
    for row in run.retrofits.itertuples(index=False):
        out.setdefault(str(row.site), []).extend([str(row.start)] * int(row.blocks))
    for site in out:
        out[site].sort()
    return out


def _short(starts: list[str]) -> str:
    """``2x@2027-04, 1x@2028-01`` from a list of block starts."""
    counts: dict[str, int] = {}
    for s in starts:
        counts[s] = counts.get(s, 0) + 1
    return ", ".join(f"{n}x@{s}" for s, n in counts.items()) or "-"


def retrofit_changes(a: Run, b: Run, periods: list[str]) -> list[dict]:
    """One row per site with blocks in either run: both schedules and the moves."""
    ba, bb = _blocks(a), _blocks(b)
    order = _site_order(a, b)
    index = {t: i for i, t in enumerate(periods)}
    rows = []
    for site in sorted(set(ba) | set(bb), key=lambda s: order.get(s, len(order))):
        sa, sb = ba.get(site, []), bb.get(site, [])
        moves = []
        for k in range(max(len(sa), len(sb))):
            x = sa[k] if k < len(sa) else None
            y = sb[k] if k < len(sb) else None
            if x is None:
                moves.append({"block": k + 1, "a": None, "b": y, "change": "added"})
            elif y is None:
                moves.append({"block": k + 1, "a": x, "b": None, "change": "removed"})
            elif x == y:
                moves.append({"block": k + 1, "a": x, "b": y, "change": "same"})
            else:
                shift = index.get(y, 0) - index.get(x, 0) if x in index and y in index else None
                moves.append({"block": k + 1, "a": x, "b": y, "change": "earlier" if y < x else "later", "periods": shift})
        rows.append({"site": site, "a": _short(sa), "b": _short(sb), "blocks_a": len(sa), "blocks_b": len(sb), "moves": moves, "summary": _move_text(moves)})
    return rows


def _move_text(moves: list[dict]) -> str:
    parts = []
    for m in moves:
        if m["change"] == "added":
            parts.append(f"+1 block @{m['b']}")
        elif m["change"] == "removed":
            parts.append(f"-1 block @{m['a']}")
        elif m["change"] in ("earlier", "later"):
            by = f" by {abs(m['periods'])} period{'s' if abs(m['periods'] or 0) != 1 else ''}" if m.get("periods") is not None else ""
            parts.append(f"{m['a']} -> {m['b']} ({m['change']}{by})")
    return "; ".join(parts) or "unchanged"


def _site_order(a: Run, b: Run) -> dict[str, int]:
    names = []
    for run in (a, b):
        for s in run.instance.get("sites", []) if isinstance(run.instance, dict) else []:
            if isinstance(s, dict) and s.get("name") not in names:
                names.append(s.get("name"))
    return {n: i for i, n in enumerate(names)}


# ---- MW and financing ----------------------------------------------------------------


def _yearly_mw(run: Run) -> pd.DataFrame:
    """Expected average MW mined and IT MW leased per (site, year)."""
    if run.allocation is None:
        return pd.DataFrame(columns=["site", "year", "mine_mw", "ai_it_mw"])
    al = run.allocation.copy()
    w = run.weights(al["scenario"]).to_numpy()
    al["mine_mw"] = al["mine_mw"] * w
    al["ai_it_mw"] = al["ai_it_mw"] * w
    per_period = al.groupby(["site", "period"], sort=False)[["mine_mw", "ai_it_mw"]].sum().reset_index()
    per_period["year"] = per_period["period"].astype(str).str[:4]
    return per_period.groupby(["site", "year"], sort=False)[["mine_mw", "ai_it_mw"]].mean().reset_index()


def mw_changes(a: Run, b: Run) -> list[dict]:
    ya, yb = _yearly_mw(a), _yearly_mw(b)
    merged = ya.merge(yb, on=["site", "year"], how="outer", suffixes=("_a", "_b")).fillna(0.0)
    order = _site_order(a, b)
    merged["_o"] = merged["site"].map(lambda s: order.get(s, len(order)))
    merged = merged.sort_values(["_o", "year"]).drop(columns="_o")
    rows = []
    for r in merged.itertuples(index=False):
        rows.append(
            {
                "site": r.site,
                "year": str(r.year),
                "mine_mw_a": float(r.mine_mw_a),
                "mine_mw_b": float(r.mine_mw_b),
                "mine_mw_change": float(r.mine_mw_b - r.mine_mw_a),
                "ai_it_mw_a": float(r.ai_it_mw_a),
                "ai_it_mw_b": float(r.ai_it_mw_b),
                "ai_it_mw_change": float(r.ai_it_mw_b - r.ai_it_mw_a),
            }
        )
    return rows


def _finance_figures(run: Run) -> dict[str, float]:
    f = run.finance
    if f is None:
        return {}
    w = run.weights(f["scenario"])
    out = {
        "draws_usd": float((f["draws_usd"] * w).sum()),
        "repays_usd": float((f["repays_usd"] * w).sum()),
        "interest_usd": float((f["interest_usd"] * w).sum()),
        "dividends_usd": float((f["dividend_usd"] * w).sum()),
        "capex_usd": float((f["capex_usd"] * w).sum()),
        "peak_debt_usd": float(f["debt_usd"].max()),
        "min_cash_usd": float(f["cash_usd"].min()),
    }
    for col in f.columns:
        if col.startswith("draw_usd[") and col.endswith("]"):
            out[f"draws_usd[{col[9:-1]}]"] = float((f[col] * w).sum())
        if col.startswith("balance_usd[") and col.endswith("]"):
            out[f"peak_debt_usd[{col[12:-1]}]"] = float(f[col].max())
    return out


def financing_changes(a: Run, b: Run) -> list[dict]:
    """One row per figure: ``item`` (``draws_usd[revolver]``), ``figure`` (``draws_usd``) and
    ``facility`` (``revolver``; None for the portfolio's totals), A, B and the change."""
    fa, fb = _finance_figures(a), _finance_figures(b)
    keys = list(fa) + [k for k in fb if k not in fa]
    return [
        {"item": k, "figure": k.split("[", 1)[0], "facility": k[k.index("[") + 1 : -1] if k.endswith("]") else None,
         "a": fa.get(k), "b": fb.get(k), "change": (fb.get(k) or 0.0) - (fa.get(k) or 0.0) if fa.get(k) is not None and fb.get(k) is not None else None}
        for k in keys
    ]


# ---- everything ------------------------------------------------------------------------


def npv_bridge_of(a: Run, b: Run, inputs: list[dict], options, base_dir: str | Path | None = None) -> dict | None:
    """The NPV bridge (``optimizer.analyses.bridge``) of two runs with a plan each, over
    the inputs that differ; None when one has no plan, no input differs, or more than
    ``MAX_INPUTS`` do (``skipped`` says why in the last case)."""
    from optimizer.analyses.bridge import MAX_INPUTS, npv_bridge

    oa, ob = a.summary.get("objective_usd"), b.summary.get("objective_usd")
    if oa is None or ob is None or not a.has_plan or not b.has_plan or not inputs:
        return None
    if len(inputs) > MAX_INPUTS:
        return {"skipped": f"{len(inputs)} inputs differ: more than {MAX_INPUTS}, one solve each"}
    return npv_bridge(a.instance, b.instance, oa, ob, [row["path"] for row in inputs], options, base_dir).to_json()


def compare_runs(folder_a: str | Path, folder_b: str | Path, bridge=None, base_dir: str | Path | None = None) -> dict:
    """The comparison of two run folders as a JSON-ready dict (see the module doc).

    ``bridge``: SolveOptions to split the NPV change by input (one solve per changed
    input, ``npv_bridge`` in the dict); None: no bridge. ``base_dir``: the folder CSV
    series of the instances are read from."""
    a, b = Run(folder_a), Run(folder_b)
    oa, ob = a.summary.get("objective_usd"), b.summary.get("objective_usd")
    periods = list(dict.fromkeys(list(a.summary.get("periods") or []) + list(b.summary.get("periods") or [])))
    inputs = input_changes(a.instance, b.instance)
    out = {
        "a": a.name,
        "b": b.name,
        "status": {"a": a.summary.get("status"), "b": b.summary.get("status")},
        "npv": {
            "a_usd": oa,
            "b_usd": ob,
            "change_usd": (ob - oa) if oa is not None and ob is not None else None,
            "change_pct": (ob - oa) / abs(oa) * 100.0 if oa not in (None, 0) and ob is not None else None,
        },
        "retrofits": retrofit_changes(a, b, periods),
        "mw": mw_changes(a, b),
        "financing": financing_changes(a, b),
        "inputs": inputs,
    }
    if bridge is not None:
        out["npv_bridge"] = npv_bridge_of(a, b, inputs, bridge, base_dir)
    return out
