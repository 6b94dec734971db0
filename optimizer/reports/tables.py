"""Headline figures of a solved plan, for the terminal report, ``--json`` and the
reports: expected totals, MW per year, the distribution of scenario NPV. Data only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # type only: reports sit below the solve layer
    from optimizer.solve import Result

PERCENTILES = (5, 10, 25, 50, 75, 90, 95)


def totals(result: Result) -> dict:
    """Headline figures (expected over scenarios)."""
    f = result.finance
    p = result.instance.scenarios["probability"]
    w = f.index.get_level_values("scenario").map(p).to_numpy()

    def expect(col: str) -> float:
        return float((f[col] * w).sum())

    alloc = result.allocation
    last = result.instance.period_labels[-1]
    ai_end = alloc.xs(last, level="period")["ai_it_mw"].groupby(level="scenario").sum()
    return {
        "ebitda_usd": expect("ebitda_usd"),
        "capex_usd": expect("capex_usd"),
        "dividends_usd": expect("dividend_usd"),
        "draws_usd": expect("draws_usd"),
        "interest_usd": expect("interest_usd"),
        "peak_debt_usd": float(f["debt_usd"].max()),
        "min_cash_usd": float(f["cash_usd"].min()),
        "ai_it_mw_at_end": float((ai_end * p.reindex(ai_end.index)).sum()),
    }


def yearly_split(result: Result) -> pd.DataFrame:
    """Average MW per calendar year: mining, AI (IT and grid), construction, idle (expected)."""
    a = result.allocation
    p = result.instance.scenarios["probability"]
    cols = ["mine_mw", "ai_it_mw", "ai_grid_mw", "construction_mw", "idle_mw"]
    weighted = a[cols].mul(a.index.get_level_values("scenario").map(p).to_numpy(), axis=0)
    per_period = weighted.groupby(level="period", sort=False).sum()
    years = per_period.index.str[:4]
    return per_period.groupby(years).mean()


def weighted_quantile(values, probabilities, q: float) -> float:
    """Lower quantile of a discrete distribution: the smallest value v with
    ``P(NPV <= v) >= q`` (the value at risk convention of the CVaR objective)."""
    pairs = sorted(zip(values, probabilities))
    total = sum(p for _, p in pairs)
    cumulative = 0.0
    for v, p in pairs:
        cumulative += p / total
        if cumulative >= q - 1e-12:
            return float(v)
    return float(pairs[-1][0])


def npv_distribution(scenario_npv: pd.DataFrame | None) -> dict | None:
    """min / mean / max / standard deviation / percentiles (P5..P95, probability
    weighted, lower quantiles) and P(NPV < 0) of the scenario NPVs; None with fewer
    than two scenarios."""
    if scenario_npv is None or len(scenario_npv) < 2:
        return None
    v = scenario_npv["npv_usd"].to_numpy(dtype=float)
    p = scenario_npv["probability"].to_numpy(dtype=float)
    p = p / p.sum()
    mean = float((p * v).sum())
    out = {
        "min": float(v.min()),
        "mean": mean,
        "max": float(v.max()),
        "std": float(((p * (v - mean) ** 2).sum()) ** 0.5),
    }
    for q in PERCENTILES:
        out[f"p{q}"] = weighted_quantile(v, p, q / 100.0)
    out["prob_negative"] = float(p[v < 0].sum())
    return out


BASELINE_COLUMNS = ["scenario", "plan", "npv_usd", "gap_usd", "gap_pct", "peak_debt_usd", "lowest_cash_usd", "feasible", "blocks", "note"]


def baseline_rows(data: dict) -> list[dict]:
    """The rows of the workbook sheet and the HTML table, from :meth:`optimizer.analyses.baselines.Baselines.to_json`
    (so that a run folder's ``summary.json`` is enough): the optimum first, then every
    rule; with scenarios, the expectation (scenario ``expected``) then each scenario."""
    rows = []
    optimum_sc = data.get("optimum_scenarios") or {}
    levels = ["expected", *optimum_sc] if optimum_sc else [""]
    for level in levels:
        if level in ("", "expected"):
            opt = {"npv_usd": data.get("optimum_usd"), "gap_usd": 0.0 if data.get("optimum_usd") is not None else None,
                   "gap_pct": 0.0 if data.get("optimum_usd") is not None else None,
                   "peak_debt_usd": data.get("optimum_peak_debt_usd"), "lowest_cash_usd": data.get("optimum_lowest_cash_usd")}
        else:
            opt = optimum_sc[level]
        rows.append({"scenario": level, "plan": "optimum", **baseline_figures(opt), "feasible": data.get("optimum_usd") is not None,
                     "blocks": None, "note": data.get("optimum_status", "")})
        for b in data.get("baselines", []):
            figs = b if level in ("", "expected") else (b.get("scenarios") or {}).get(level, {})
            v = b.get("first_violation")
            note = f"{v['period']} {v['constraint']}: {v['detail']}" if v else ("" if b.get("feasible") else b.get("reason", ""))
            rows.append({"scenario": level, "plan": b.get("label") or b["name"], **baseline_figures(figs), "feasible": bool(b.get("feasible")),
                         "blocks": b.get("blocks"), "note": note})
    return rows


def baseline_figures(d: dict) -> dict:
    return {k: d.get(k) for k in ("npv_usd", "gap_usd", "gap_pct", "peak_debt_usd", "lowest_cash_usd")}


NPV_TERMS = (
    ("dividends", "dividends_usd"),
    ("final cash less debt", "final_equity_usd"),
    ("terminal value, mining", "terminal_value_mining_usd"),
    ("terminal value, AI", "terminal_value_ai_usd"),
    ("NPV", "npv_usd"),
)


def npv_decomposition_rows(decomposition: dict | None) -> list[tuple[str, float, float | None]]:
    """(label, USD, share of the NPV) per term of ``results.npv_decomposition``, the NPV
    last; the share is None when the NPV is 0. Empty without a decomposition."""
    if not decomposition:
        return []
    npv = decomposition["npv_usd"]
    # + 0.0 turns a -0.0 share (0 over a negative NPV) into 0.0
    return [(label, float(decomposition[key]), decomposition[key] / npv + 0.0 if npv else None) for label, key in NPV_TERMS]


#: the contract this code implements (../shared/SPEC.md), stated in the reports
SPEC_VERSION = "v1, with the extensions of docs/model.md"
HASHPRICE_PATH = "markets.hashprice_usd_per_ph_day"


def covenant_rows(summary: dict) -> list[tuple[str, str, object, str]]:
    """(section, item, value, kind) rows of the covenant object of summary.json: the
    smallest headroom, its period, the allowed debt there and each priced breach."""
    cov = summary.get("covenant")
    if not cov:
        return []
    rows = [
        ("covenant", "smallest headroom (allowed debt - debt)", cov["min_headroom_usd"], "usd"),
        ("covenant", "period of the smallest headroom", cov["min_headroom_period"], "text"),
        ("covenant", "allowed debt in that period", cov["allowed_debt_usd"], "usd"),
    ]
    if cov.get("warning"):
        rows.append(("covenant", "warning", cov["warning"], "text"))
    for b in cov.get("breaches") or []:
        rows.append(("covenant", f"breach {b['period']} ({b['scenario']}): excess debt", b["excess_usd"], "usd"))
        rows.append(("covenant", f"breach {b['period']} ({b['scenario']}): cost", b["cost_usd"], "usd"))
    return rows


def decomposition_figures(summary: dict) -> list[tuple[str, str, object, str]]:
    """(section, item, value, kind) rows of the NPV decomposition (PV, USD)."""
    return [("NPV decomposition", f"PV of {label}" if key != "npv_usd" else "NPV", value, "usd")
            for (label, key), (_l, value, _s) in zip(NPV_TERMS, npv_decomposition_rows(summary.get("npv_decomposition")))]


def hashprice_path(raw: dict | None) -> list[tuple[str, float]]:
    """(period label, USD per PH/s per day) of the base instance's hashprice series, resolved;
    empty when the instance cannot be resolved here (e.g. a series read from a CSV file)."""
    from instances import InputError
    from instances.calendar import month_label, parse_month, period_starts
    from instances.load import resolved_series

    if not raw:
        return []
    try:
        values = resolved_series(raw, HASHPRICE_PATH, None)
        hz = raw["horizon"]
        labels = [month_label(int(m)) for m in period_starts(parse_month(hz["start"]), int(hz["periods"]), int(hz.get("period_months", 3)))]
    except (InputError, KeyError, TypeError, ValueError, OSError):
        return []
    return list(zip(labels, [float(v) for v in values]))


def assumption_rows(summary: dict, raw: dict | None) -> list[tuple[str, str, object, str]]:
    """(section, item, value, kind) rows of the inputs a reader needs to trust the plan:
    SPEC version, horizon, discount rate, cash floor, covenant, terminal multiples,
    debt facilities (kinds as ``workbook.key_figures``; the overrides are rows of their own there)."""
    raw = raw or {}
    fin = raw.get("finance") or {}
    hz = raw.get("horizon") or {}
    rows: list[tuple[str, str, object, str]] = [
        ("model", "SPEC version", SPEC_VERSION, "text"),
        ("model", "instance", summary.get("instance") or raw.get("name"), "text"),
        ("horizon", "start", hz.get("start"), "text"),
        ("horizon", "periods", hz.get("periods"), "int"),
        ("horizon", "months per period", hz.get("period_months", 3), "int"),
        ("finance", "discount rate, annual", fin.get("discount_rate_annual"), "pct"),
        ("finance", "initial cash", fin.get("initial_cash_usd", 0.0), "usd"),
        ("finance", "minimum cash", fin.get("min_cash_usd", 0.0), "usd"),
    ]
    ratio, cost = fin.get("max_debt_to_ebitda"), fin.get("leverage_breach_cost")
    rows.append(("covenant", "max debt / annualized EBITDA", "none" if ratio is None else f"{ratio:g}x", "text"))
    if ratio is not None:
        rows.append(("covenant", "breach", "hard (no plan may breach)" if cost is None
                     else f"priced: {cost:.2%} of the excess debt per period", "text"))
    term = fin.get("terminal") or {}
    rows.append(("terminal value", "mining EBITDA multiple", f"{term.get('mining_ebitda_multiple', 0):g}x", "text"))
    rows.append(("terminal value", "AI EBITDA multiple", f"{term.get('ai_ebitda_multiple', 0):g}x", "text"))
    for f in fin.get("debt") or []:
        text = f"limit {f.get('limit_usd', 0):,.0f} USD at {f.get('rate_annual', 0):.2%}"
        if f.get("maturity"):
            text += f", matures {f['maturity']}"
        rows.append(("debt facility", str(f.get("name")), text, "text"))
    hp = raw.get("markets", {}).get("hashprice_usd_per_ph_day")
    rows.append(("markets", "hashprice (as given)", _series_text(hp), "text"))
    return rows


def _series_text(value) -> str:
    """A series field in words: ``32 USD growing 8%/year, x0.5 from 2028-04``."""
    if isinstance(value, (int, float)):
        return f"{value:g} flat"
    if isinstance(value, dict) and "start" in value:
        text = f"{value['start']:g}, growing {value.get('annual_growth', 0):.1%}/year"
        for step in value.get("steps") or []:
            text += f", x{step.get('factor', 1):g} from {step.get('from')}"
        return text
    if isinstance(value, list):
        return f"{len(value)} values, {min(value):g} .. {max(value):g}" if value else "empty"
    return str(value)
