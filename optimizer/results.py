"""Results as pandas DataFrames, computed from the solved model's decisions.

Money lines are recomputed from the decisions with the same per-MW coefficients the
model used (``models.money_lines``), so every table agrees with the objective.

Tables and their columns (money in USD, power in MW):

- ``allocation`` index (scenario, site, period): grid_mw, mine_mw, ai_it_mw,
  ai_grid_mw (ai_it_mw * ai.pue), blocks_started, blocks_online, construction_mw
  (grid MW held by blocks started but not yet online), reserved_ai_grid_mw (grid MW
  held by every started block), unleased_it_mw (online IT MW not leased), idle_mw
  (grid MW neither mined nor held by a block), hashrate_ph_s, mining_revenue_usd,
  mining_power_usd, mining_opex_usd, mining_cost_usd, ai_revenue_usd, ai_opex_usd,
  ai_power_usd (landlord-paid AI energy), ai_cost_usd, site_ebitda_usd
- ``retrofits``: site, start, blocks, it_mw, online (None after the horizon),
  capex_usd (expected over scenarios)
- ``finance`` index (scenario, period): mining_ebitda_usd, ai_ebitda_usd,
  overhead_usd, ebitda_usd, capex_usd, interest_usd, fees_usd, draws_usd,
  repays_usd, debt_usd, cash_usd, dividend_usd, discount_factor, plus
  ``draw_usd[f]``, ``repay_usd[f]``, ``balance_usd[f]`` for each facility f
- ``debt`` index (scenario, facility, period): draw_usd, repay_usd, balance_usd,
  interest_usd, fee_usd
- ``scenario_npv`` index scenario: probability, npv_usd
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from instances import Instance
from models import MONEY_SCALE, money_lines


def _values(component, names: list[str]) -> pd.Series:
    """Variable values as a Series with a named (multi-)index; empty when none."""
    data = {k: (v.value if v.value is not None else 0.0) for k, v in component.items()}
    if not data:
        return pd.Series(dtype=float)
    s = pd.Series(data, dtype=float)
    s.index.names = names
    return s


def _clean(x: np.ndarray | pd.Series, tol: float = 1e-9):
    """Round solver noise (-1e-12, 4.9999999) so reports and files stay stable."""
    return np.where(np.abs(x) < tol, 0.0, x)


def decisions(instance: Instance, model) -> dict[str, pd.Series]:
    """The raw decisions of a solved model, in SPEC units (USD, MW, blocks)."""
    k = MONEY_SCALE
    out = {
        "start": _values(model.start, ["site", "period"]).round(6),
        "mine": _values(model.mine, ["scenario", "site", "period"]),
        "ai": _values(model.ai, ["scenario", "site", "period"]),
        "draw": _values(model.draw, ["scenario", "facility", "period"]) * k,
        "repay": _values(model.repay, ["scenario", "facility", "period"]) * k,
        "balance": _values(model.balance, ["scenario", "facility", "period"]) * k,
        "cash": _values(model.cash, ["scenario", "period"]) * k,
        "dividend": _values(model.dividend, ["scenario", "period"]) * k,
    }
    return out


def plan_dict(instance: Instance, dec: dict[str, pd.Series]) -> dict:
    """Every decision of a plan, as written to ``plan.json`` (read back by ``evaluate``)."""
    starts = [
        {"site": s, "period": t, "blocks": int(round(v))}
        for (s, t), v in dec["start"].items()
        if round(v) > 0
    ]
    # the row lists are built from whole columns (``tolist`` gives Python floats):
    # one dict per row is all that is left to Python
    idx = instance.site_period.index
    mine, ai = _site_period_values(idx, dec["mine"]), _site_period_values(idx, dec["ai"])
    ops = [
        {"scenario": w, "site": s, "period": t, "mine_mw": m_, "ai_it_mw": a_}
        for w, s, t, m_, a_ in zip(*_levels(idx), _clean(mine).tolist(), _clean(ai).tolist())
    ]
    div = dec["dividend"]
    fin = [
        {"scenario": w, "period": t, "dividend_usd": v}
        for w, t, v in zip(*_levels(div.index), _clean(div.to_numpy(dtype=float)).tolist())
    ]
    draw = dec["draw"]
    repay = dec["repay"].reindex(draw.index) if len(draw) else dec["repay"]
    debt = [
        {"scenario": w, "facility": f, "period": t, "draw_usd": d, "repay_usd": r}
        for w, f, t, d, r in zip(
            *_levels(draw.index), _clean(draw.to_numpy(dtype=float)).tolist(), _clean(repay.to_numpy(dtype=float)).tolist()
        )
    ] if len(draw) else []
    return {
        "format": "allocate-plan/1",
        "instance": instance.name,
        "periods": instance.period_labels,
        "scenarios": instance.scenario_names,
        "starts": starts,
        "operations": ops,
        "dividends": fin,
        "debt": debt,
    }


def _levels(index: pd.Index) -> list[list]:
    """The index's levels, row by row, as Python lists (one list for a flat index)."""
    if isinstance(index, pd.MultiIndex):
        return [index.get_level_values(k).tolist() for k in range(index.nlevels)]
    return [index.tolist()]


def _site_period_values(idx: pd.MultiIndex, values: pd.Series) -> np.ndarray:
    """A (scenario, site, period) decision aligned with ``idx``; 0 where absent."""
    if not len(values):
        return np.zeros(len(idx))
    return values.reindex(idx, fill_value=0.0).to_numpy(dtype=float)


def _start_positions(instance: Instance, start: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Site and period positions of each start, and its whole blocks (``round``)."""
    if not len(start):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    si = pd.Index(instance.site_names).get_indexer(start.index.get_level_values(0))
    ti = pd.Index(instance.period_labels).get_indexer(start.index.get_level_values(1))
    return si, ti, np.round(start.to_numpy(dtype=float))


def block_counts(instance: Instance, start: pd.Series) -> pd.DataFrame:
    """Blocks started so far and blocks online per (site, period), from the starts."""
    sites, periods = instance.site_names, instance.period_labels
    n = len(periods)
    grid = np.zeros((len(sites), n))
    si, ti, blocks = _start_positions(instance, start)
    np.add.at(grid, (si, ti), blocks)  # in start order, as a running sum would
    started = np.cumsum(grid, axis=1)
    lead = instance.sites["lead_periods"].reindex(sites).to_numpy(dtype=int)
    online = np.zeros_like(started)
    for i, L in enumerate(lead):  # one shift per site
        if L < n:
            online[i, L:] = started[i, : n - L]
    index = pd.MultiIndex.from_product([pd.Index(sites, name="site"), pd.Index(periods, name="period")])
    return pd.DataFrame({"blocks_started": started.ravel(), "blocks_online": online.ravel()}, index=index)


def allocation_table(instance: Instance, dec: dict[str, pd.Series]) -> pd.DataFrame:
    """Per (scenario, site, period): MW split, hashrate and every money line."""
    idx = instance.site_period.index
    lines = money_lines(instance)
    sp = instance.site_period.join(instance.site_params, on=["scenario", "site"])
    mine = dec["mine"].reindex(idx, fill_value=0.0).to_numpy() if len(dec["mine"]) else np.zeros(len(idx))
    ai = dec["ai"].reindex(idx, fill_value=0.0).to_numpy() if len(dec["ai"]) else np.zeros(len(idx))
    mine, ai = _clean(mine), _clean(ai)
    blocks = block_counts(instance, dec["start"])
    site_lvl = idx.get_level_values("site")
    key = pd.MultiIndex.from_arrays([site_lvl, idx.get_level_values("period")])
    started = blocks["blocks_started"].reindex(key).to_numpy()
    online = blocks["blocks_online"].reindex(key).to_numpy()
    block_mw = site_lvl.map(instance.sites["block_it_mw"]).to_numpy(dtype=float)
    pue = sp["ai_pue"].to_numpy()
    m = float(instance.period_months)
    hours = idx.get_level_values("period").map(instance.periods["hours"]).to_numpy()
    price = sp["power_price_usd_per_mwh"].to_numpy()
    landlord = ~sp["power_pass_through"].to_numpy(dtype=bool)
    out = pd.DataFrame(index=idx)
    out["grid_mw"] = sp["grid_mw"].to_numpy()
    out["mine_mw"] = mine
    out["ai_it_mw"] = ai
    out["ai_grid_mw"] = ai * pue
    out["blocks_started"] = started
    out["blocks_online"] = online
    out["construction_mw"] = pue * block_mw * (started - online)
    out["reserved_ai_grid_mw"] = pue * block_mw * started
    out["unleased_it_mw"] = _clean(block_mw * online - ai, 1e-7)
    out["idle_mw"] = _clean(out["grid_mw"] - mine - out["reserved_ai_grid_mw"], 1e-7)
    out["hashrate_ph_s"] = mine * sp["th_per_grid_mw"].to_numpy() / 1000.0
    out["mining_revenue_usd"] = mine * lines["mining_revenue_usd_per_mw"].to_numpy()
    out["mining_power_usd"] = mine * hours * price
    out["mining_opex_usd"] = mine * sp["mining_opex_usd_per_mw_year"].to_numpy() * m / 12.0
    out["mining_cost_usd"] = mine * lines["mining_cost_usd_per_mw"].to_numpy()
    out["ai_revenue_usd"] = ai * lines["ai_revenue_usd_per_mw"].to_numpy()
    out["ai_opex_usd"] = ai * sp["ai_opex_usd_per_it_mw_year"].to_numpy() * m / 12.0
    out["ai_power_usd"] = np.where(landlord, ai * pue * hours * price, 0.0)
    out["ai_cost_usd"] = ai * lines["ai_cost_usd_per_mw"].to_numpy()
    out["site_ebitda_usd"] = out["mining_revenue_usd"] - out["mining_cost_usd"] + out["ai_revenue_usd"] - out["ai_cost_usd"]
    return out


def capex_by_site(instance: Instance, start: pd.Series) -> pd.DataFrame:
    """AI capex paid per (scenario, site, period) in USD (SPEC: spread over lead, overflow at the end)."""
    sites, periods, scenarios = instance.site_names, instance.period_labels, instance.scenario_names
    n = len(periods)
    si, ti, blocks = _start_positions(instance, start)
    paying = blocks != 0
    si, ti, blocks = si[paying], ti[paying], blocks[paying]
    lead = instance.sites["lead_periods"].reindex(sites).to_numpy(dtype=np.int64)[si]
    # one payment per (start, period of its lead), in start order then period order,
    # so that np.add.at sums them in the order (and to the bits) of a plain loop;
    # payments due after the horizon fall in its last period
    count = np.maximum(lead, 1)
    which = np.repeat(np.arange(len(si)), count)
    step = np.arange(len(which)) - np.repeat(np.cumsum(count) - count, count)
    col = np.minimum(ti[which] + step, n - 1)
    row = si[which]
    divisor = np.where(lead > 0, lead, 1)[which]
    block_mw = instance.sites["block_it_mw"].reindex(sites).to_numpy(dtype=float)
    spend = np.zeros((len(scenarios), len(sites), n))
    for k, w in enumerate(scenarios):
        cost = instance.site_params.loc[w]["capex_usd_per_it_mw"].reindex(sites).to_numpy(dtype=float) * block_mw
        pay = blocks[which] * cost[row]
        pay = np.where(lead[which] > 0, pay / divisor, pay)
        np.add.at(spend[k], (row, col), pay)
    index = pd.MultiIndex.from_product(
        [pd.Index(scenarios, name="scenario"), pd.Index(sites, name="site"), pd.Index(periods, name="period")]
    )
    return pd.DataFrame({"capex_usd": spend.ravel()}, index=index)


def retrofits_table(instance: Instance, dec: dict[str, pd.Series]) -> pd.DataFrame:
    """One row per (site, start period) with blocks > 0."""
    periods = instance.period_labels
    probs = instance.scenarios["probability"]
    rows = []
    for (s, t), v in dec["start"].items():
        b = int(round(v))
        if b <= 0:
            continue
        i = periods.index(t)
        lead = int(instance.sites.at[s, "lead_periods"])
        block = float(instance.sites.at[s, "block_it_mw"])
        capex = sum(
            probs[w] * instance.site_params.at[(w, s), "capex_usd_per_it_mw"] * block * b for w in instance.scenario_names
        )
        rows.append(
            {
                "site": s,
                "start": t,
                "blocks": b,
                "it_mw": b * block,
                "online": periods[i + lead] if i + lead < len(periods) else None,
                "capex_usd": capex,
            }
        )
    cols = ["site", "start", "blocks", "it_mw", "online", "capex_usd"]
    table = pd.DataFrame(rows, columns=cols)
    order = {s: k for k, s in enumerate(instance.site_names)}
    if len(table):
        table = table.sort_values(["start", "site"], key=lambda c: c.map(order) if c.name == "site" else c).reset_index(drop=True)
    return table


def debt_table(instance: Instance, dec: dict[str, pd.Series]) -> pd.DataFrame:
    """Per (scenario, facility, period): draw, repay, balance, interest (on the opening balance), fee."""
    if not len(dec["draw"]):  # no facility: empty, but with the index levels (debt.csv header)
        index = pd.MultiIndex.from_arrays([[], [], []], names=["scenario", "facility", "period"])
        return pd.DataFrame(columns=["draw_usd", "repay_usd", "balance_usd", "interest_usd", "fee_usd"], index=index, dtype=float)
    fac = instance.facilities
    out = pd.DataFrame({"draw_usd": _clean(dec["draw"]), "repay_usd": _clean(dec["repay"]), "balance_usd": _clean(dec["balance"])}, index=dec["draw"].index)
    out = out.reindex(instance.facility_period.index)
    m = instance.period_months
    opening = out["balance_usd"].groupby(level=["scenario", "facility"]).shift(1)
    # each row's facility terms, looked up once per row as whole columns
    keys = pd.MultiIndex.from_arrays([out.index.get_level_values("scenario"), out.index.get_level_values("facility")])
    terms = fac[["initial_balance_usd", "rate_annual", "upfront_fee"]].reindex(keys)
    init = pd.Series(terms["initial_balance_usd"].to_numpy(), index=out.index)
    opening = opening.fillna(init)
    rate = pd.Series(terms["rate_annual"].to_numpy(), index=out.index)
    fee = pd.Series(terms["upfront_fee"].to_numpy(), index=out.index)
    out["interest_usd"] = rate * m / 12.0 * opening
    out["fee_usd"] = fee * out["draw_usd"]
    return out


def finance_table(instance: Instance, dec, allocation: pd.DataFrame, debt: pd.DataFrame, capex: pd.DataFrame) -> pd.DataFrame:
    """Per (scenario, period): EBITDA by segment, capex, debt flows, cash and dividend."""
    idx = instance.period_data.index
    seg = allocation.groupby(level=["scenario", "period"], sort=False)[
        ["mining_revenue_usd", "mining_cost_usd", "ai_revenue_usd", "ai_cost_usd"]
    ].sum().reindex(idx)
    out = pd.DataFrame(index=idx)
    out["mining_ebitda_usd"] = seg["mining_revenue_usd"] - seg["mining_cost_usd"]
    out["ai_ebitda_usd"] = seg["ai_revenue_usd"] - seg["ai_cost_usd"]
    out["overhead_usd"] = instance.period_data["overhead_usd"]
    out["ebitda_usd"] = out["mining_ebitda_usd"] + out["ai_ebitda_usd"] - out["overhead_usd"]
    out["capex_usd"] = capex.groupby(level=["scenario", "period"], sort=False)["capex_usd"].sum().reindex(idx)
    if len(debt):
        sums = debt.groupby(level=["scenario", "period"], sort=False).sum().reindex(idx)
        out["interest_usd"] = sums["interest_usd"]
        out["fees_usd"] = sums["fee_usd"]
        out["draws_usd"] = sums["draw_usd"]
        out["repays_usd"] = sums["repay_usd"]
        out["debt_usd"] = sums["balance_usd"]
    else:
        for c in ("interest_usd", "fees_usd", "draws_usd", "repays_usd", "debt_usd"):
            out[c] = 0.0
    out["cash_usd"] = _clean(dec["cash"].reindex(idx).to_numpy(), 1e-6)
    out["dividend_usd"] = _clean(dec["dividend"].reindex(idx).to_numpy(), 1e-6)
    out["discount_factor"] = instance.period_data["discount_factor"]
    for f in instance.facility_names:
        part = debt.xs(f, level="facility")
        out[f"draw_usd[{f}]"] = part["draw_usd"].reindex(idx).to_numpy()
        out[f"repay_usd[{f}]"] = part["repay_usd"].reindex(idx).to_numpy()
        out[f"balance_usd[{f}]"] = part["balance_usd"].reindex(idx).to_numpy()
    return out


def scenario_npv(instance: Instance, finance: pd.DataFrame) -> pd.DataFrame:
    """NPV per scenario from the finance table (SPEC section 5 objective)."""
    rows = []
    m = instance.period_months
    last = instance.period_labels[-1]
    for w in instance.scenario_names:
        f = finance.xs(w, level="scenario")
        sc = instance.scenarios.loc[w]
        tv = 12.0 / m * (sc["mining_ebitda_multiple"] * f.at[last, "mining_ebitda_usd"] + sc["ai_ebitda_multiple"] * f.at[last, "ai_ebitda_usd"])
        df = f["discount_factor"]
        npv = float((df * f["dividend_usd"]).sum() + df[last] * (f.at[last, "cash_usd"] - f.at[last, "debt_usd"] + tv))
        rows.append({"scenario": w, "probability": float(sc["probability"]), "terminal_value_usd": tv, "npv_usd": npv})
    return pd.DataFrame(rows).set_index("scenario")


# ---- covenant headroom and priced breaches (extension, docs/model.md) ----------------

#: a covenant with less headroom than this share of the allowed debt is reported as a warning
HEADROOM_WARNING_SHARE = 0.10
#: an excess over the covenant below this many USD is solver noise, not a breach
BREACH_TOLERANCE_USD = 1.0


def breach_columns(instance: Instance, model) -> pd.DataFrame | None:
    """Per (scenario, period): ``leverage_excess_usd`` (debt above the covenant, USD) and
    ``breach_cost_usd = leverage_breach_cost * leverage_excess_usd`` (USD paid that
    period, in the cash recursion and outside EBITDA); None when no scenario prices its
    covenant (``finance.leverage_breach_cost`` absent: the covenant is hard)."""
    if not hasattr(model, "leverage_excess"):
        return None
    idx = instance.period_data.index
    excess = _values(model.leverage_excess, ["scenario", "period"]).reindex(idx).fillna(0.0) * MONEY_SCALE
    excess = excess.where(excess > BREACH_TOLERANCE_USD, 0.0)
    rate = idx.get_level_values("scenario").map(model.data.leverage_breach_cost).to_numpy(dtype=float)
    out = pd.DataFrame(index=idx)
    out["leverage_excess_usd"] = excess.to_numpy()
    out["breach_cost_usd"] = np.nan_to_num(rate) * out["leverage_excess_usd"].to_numpy()
    return out


def covenant_table(instance: Instance, finance: pd.DataFrame) -> pd.DataFrame | None:
    """Per (scenario, period) with a leverage covenant:

    - ``allowed_debt_usd = max_debt_to_ebitda * EBITDA * 12/m`` (USD),
    - ``headroom_usd = allowed_debt_usd - debt_usd`` (USD; negative: a breach),
    - ``leverage_excess_usd`` and ``breach_cost_usd`` (0 without a priced breach).

    None when no scenario has ``finance.max_debt_to_ebitda``."""
    ratio = finance.index.get_level_values("scenario").map(instance.scenarios["max_debt_to_ebitda"]).to_numpy(dtype=float)
    keep = ~np.isnan(ratio)
    if not keep.any():
        return None
    f = finance[keep]
    out = pd.DataFrame(index=f.index)
    out["allowed_debt_usd"] = ratio[keep] * f["ebitda_usd"].to_numpy() * 12.0 / instance.period_months
    out["debt_usd"] = f["debt_usd"].to_numpy()
    out["headroom_usd"] = out["allowed_debt_usd"] - out["debt_usd"]
    for col in ("leverage_excess_usd", "breach_cost_usd"):
        out[col] = f[col].to_numpy() if col in f else 0.0
    return out


def covenant_summary(instance: Instance, finance: pd.DataFrame | None) -> dict | None:
    """The ``"covenant"`` object of ``--json`` and summary.json: ``min_headroom_usd`` (the
    smallest ``allowed_debt_usd - debt_usd`` over periods and scenarios), its period
    (and scenario), the allowed debt there, and every priced breach (period, scenario,
    excess_usd, cost_usd), and ``warning`` (:func:`covenant_warning`, or None); None
    without a covenant or a plan."""
    table = covenant_table(instance, finance) if finance is not None else None
    if table is None:
        return None
    w, t = table["headroom_usd"].idxmin()
    worst = table.loc[(w, t)]
    breaches = [
        {"period": tt, "scenario": ww, "excess_usd": float(r.leverage_excess_usd), "cost_usd": float(r.breach_cost_usd)}
        for (ww, tt), r in table.iterrows()
        if r.leverage_excess_usd > 0
    ]
    out = {
        "min_headroom_usd": float(worst["headroom_usd"]),
        "min_headroom_period": t,
        "min_headroom_scenario": w,
        "allowed_debt_usd": float(worst["allowed_debt_usd"]),
        "breaches": breaches,
        "breach_cost_usd": float(table["breach_cost_usd"].sum()),
    }
    out["warning"] = covenant_warning(out)
    return out


def covenant_warning(summary: dict | None) -> str | None:
    """A one-line warning when the covenant headroom falls under
    ``HEADROOM_WARNING_SHARE`` of the allowed debt in its tightest period, or it is breached."""
    if summary is None:
        return None
    if summary["breaches"]:
        total = sum(b["cost_usd"] for b in summary["breaches"])
        first = summary["breaches"][0]["period"]
        return (f"leverage covenant breached in {len(summary['breaches'])} period(s) from {first}; "
                f"breach cost {total:,.0f} USD (finance.leverage_breach_cost)")
    head, allowed = summary["min_headroom_usd"], summary["allowed_debt_usd"]
    if head < HEADROOM_WARNING_SHARE * max(allowed, 0.0) or (allowed <= 0 and head <= 0):
        share = f" ({head / allowed:.1%} of the allowed debt)" if allowed > 0 else ""
        return (f"leverage covenant headroom {head:,.0f} USD{share} in {summary['min_headroom_period']}"
                f" is under {HEADROOM_WARNING_SHARE:.0%} of the allowed debt")
    return None


# ---- NPV decomposition --------------------------------------------------------------


def npv_decomposition(instance: Instance, finance: pd.DataFrame | None) -> dict | None:
    """Expected NPV split into its SPEC section 5 terms (USD, probability weighted):

    - ``dividends_usd = sum_w p_w sum_t df_t dividend_t``
    - ``final_equity_usd = sum_w p_w df_{N-1} (cash_{N-1} - debt_{N-1})``
    - ``terminal_value_usd = sum_w p_w df_{N-1} TV_w``, split into
      ``terminal_value_mining_usd`` (mining multiple x annualized mining EBITDA) and
      ``terminal_value_ai_usd`` (AI multiple x annualized AI EBITDA).

    ``dividends_usd + final_equity_usd + terminal_value_usd`` is the expected NPV (the
    objective when ``risk`` is absent). None without a plan."""
    if finance is None:
        return None
    last = instance.period_labels[-1]
    annual = 12.0 / instance.period_months
    div = equity = tv_mining = tv_ai = 0.0
    for w in instance.scenario_names:
        f = finance.xs(w, level="scenario")
        sc = instance.scenarios.loc[w]
        p, df = float(sc["probability"]), f["discount_factor"]
        end = float(df[last])
        div += p * float((df * f["dividend_usd"]).sum())
        equity += p * end * float(f.at[last, "cash_usd"] - f.at[last, "debt_usd"])
        tv_mining += p * end * annual * float(sc["mining_ebitda_multiple"]) * float(f.at[last, "mining_ebitda_usd"])
        tv_ai += p * end * annual * float(sc["ai_ebitda_multiple"]) * float(f.at[last, "ai_ebitda_usd"])
    return {
        "dividends_usd": div,
        "final_equity_usd": equity,
        "terminal_value_usd": tv_mining + tv_ai,
        "terminal_value_mining_usd": tv_mining,
        "terminal_value_ai_usd": tv_ai,
        "npv_usd": div + equity + tv_mining + tv_ai,
    }
