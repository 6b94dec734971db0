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
