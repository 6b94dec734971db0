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

SPEC v2 (section 11), only for an instance that uses a v2 lever
(``Instance.is_v2``); a v1 instance gets exactly the tables above:

- ``allocation`` gains resale_revenue_usd (undrawn grid MW resold, SPEC 9, also in
  site_ebitda_usd), ``mine_mw[fleet=g]`` (hours-weighted grid MW mined by fleet g:
  ``sum(f_k * mine[g,k])``), ``mine_mw[tier=k]`` (grid MW mined in tier k, every fleet)
  and ``curtailed_mw[tier=k]`` (grid MW the installed fleets could have drawn in tier
  k within the grid limit but did not: ``min(sum(fleet[g]), grid_mw - reserved_ai_grid_mw)
  - sum(mine[g,k])``); a tier a site does not have is empty (NaN). ``mine_mw``,
  ``hashrate_ph_s`` and the mining money lines are the hours-weighted sums over
  fleets and tiers, each fleet at its own efficiency, each tier at its own price.
- ``fleets`` index (scenario, site, fleet, period), every mining site and fleet
  (``installed`` and each ASIC model): bought_mw, retired_mw, installed_mw (grid MW
  at the period end), efficiency_j_per_th, hashrate_ph_s (of the installed
  machines at full draw: installed_mw * 1e6 / pue / efficiency / 1000), mined_mw
  (hours-weighted), asic_capex_usd (bought_mw * 1e6 / pue / efficiency * price_usd_per_th)
- ``finance`` gains resale_usd (in ebitda_usd, in neither segment), asic_capex_usd
  (not in capex_usd, which stays AI capex), prepayments_usd and credits_usd
  (cash only).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from instances import Instance
from models import MONEY_SCALE, money_lines
from models.data import INSTALLED, fleet_th_per_grid_mw


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
    if instance.is_v2:
        out.update(v2_decisions(instance, model))
        # every mining site's MW mined, hours-weighted over fleets and tiers
        out["mine"] = hours_weighted_mine(instance, out["mine_tier"])
    return out


V2_KEYS = ["scenario", "site", "fleet", "period"]


def v2_decisions(instance: Instance, model) -> dict[str, pd.Series]:
    """The SPEC v2 decisions in grid MW, every mining site and fleet filled in:

    - ``mine_tier`` (scenario, site, fleet, period, tier): MW mined; a site mining
      with the v1 column is fleet ``installed``, tier 0;
    - ``buy``, ``retire``, ``fleet`` (scenario, site, fleet, period); without ASIC
      models the installed fleet stays at ``mining.max_mw``.
    """
    names = ["scenario", "site", "fleet", "period", "tier"]
    parts = []
    tier = getattr(model, "mine_tier", None)
    if tier is not None:
        parts.append(_values(tier, names))
    plain = _values(model.mine, ["scenario", "site", "period"])
    if len(plain):
        keys = [(w, s, INSTALLED, t, 0) for w, s, t in plain.index]
        parts.append(pd.Series(plain.to_numpy(), index=pd.MultiIndex.from_tuples(keys, names=names)))
    mine_tier = pd.concat(parts).reindex(mining_index(instance), fill_value=0.0) if parts else pd.Series(0.0, index=mining_index(instance))
    index = fleet_index(instance)
    if hasattr(model, "fleet"):
        buy = _values(model.buy, V2_KEYS).reindex(index, fill_value=0.0)
        retire = _values(model.retire, V2_KEYS).reindex(index, fill_value=0.0)
        fleet = _values(model.fleet, V2_KEYS).reindex(index, fill_value=0.0)
    else:
        buy = pd.Series(0.0, index=index)
        retire = pd.Series(0.0, index=index)
        installed = instance.site_params["mining_max_mw"]
        fleet = pd.Series([float(installed[w, s]) for w, s, g, t in index], index=index, dtype=float)
    return {"mine_tier": mine_tier, "buy": buy, "retire": retire, "fleet": fleet}


def mining_index(instance: Instance) -> pd.MultiIndex:
    """(scenario, site, fleet, period, tier) of every mining site, fleet and price tier,
    in scenario, site, fleet, period, tier order."""
    mining = [s for s in instance.site_names if instance.sites.at[s, "mines"]]
    tiers = instance.power_tiers.index.droplevel("period").unique()
    of: dict[tuple, list[int]] = {}
    for w, s, k in tiers:
        of.setdefault((w, s), []).append(int(k))
    rows = [
        (w, s, g, t, k)
        for w in instance.scenario_names
        for s in mining
        for g in fleet_names(instance)
        for t in instance.period_labels
        for k in of[w, s]
    ]
    return pd.MultiIndex.from_tuples(rows, names=["scenario", "site", "fleet", "period", "tier"])


def hours_weighted_mine(instance: Instance, mine_tier: pd.Series) -> pd.Series:
    """``sum(f_k * mine[s,g,t,k] for g, k)`` per (scenario, site, period): grid MW mined
    on average over the period's hours."""
    fraction = _tier_fraction(instance, mine_tier.index)
    weighted = mine_tier * fraction
    return weighted.groupby(level=["scenario", "site", "period"], sort=False).sum()


def _tier_fraction(instance: Instance, index: pd.MultiIndex) -> np.ndarray:
    """The hours fraction f_k of each (scenario, site, fleet, period, tier) row."""
    keys = pd.MultiIndex.from_arrays(
        [index.get_level_values("scenario"), index.get_level_values("site"), index.get_level_values("tier"), index.get_level_values("period")]
    )
    return instance.power_tiers["hours_fraction"].reindex(keys).to_numpy(dtype=float)


def fleet_names(instance: Instance) -> list[str]:
    """``installed`` and, when ASIC models exist, each model (SPEC 8)."""
    return [INSTALLED, *instance.asic_model_names]


def fleet_index(instance: Instance) -> pd.MultiIndex:
    """(scenario, site, fleet, period) of every mining site and fleet."""
    mining = [s for s in instance.site_names if instance.sites.at[s, "mines"]]
    return pd.MultiIndex.from_product(
        [instance.scenario_names, mining, fleet_names(instance), instance.period_labels], names=V2_KEYS
    )


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
    plan = {
        "format": "allocate-plan/1",
        "instance": instance.name,
        "periods": instance.period_labels,
        "scenarios": instance.scenario_names,
        "starts": starts,
        "operations": ops,
        "dividends": fin,
        "debt": debt,
    }
    if instance.is_v2:
        plan.update(v2_plan_rows(instance, dec))
    return plan


def v2_plan_rows(instance: Instance, dec: dict[str, pd.Series]) -> dict[str, list[dict]]:
    """The SPEC v2 decisions of ``plan.json``:

    - ``mining``: ``{scenario, site, fleet, tier, period, mine_mw}`` for every mining
      site, fleet (``installed`` or an ASIC model name) and tier (0-based position in
      the site's ``power_price_tiers``; 0 for a plain price);
    - ``fleet``: ``{scenario, site, fleet, period, buy_mw, retire_mw}`` for every mining
      site and fleet when ASIC models exist (empty otherwise: nothing is bought or retired).
    """
    tier = dec["mine_tier"]
    levels = _levels(tier.index)
    values = _clean(tier.to_numpy(dtype=float)).tolist()
    mining = [
        {"scenario": w, "site": s, "fleet": g, "tier": int(k), "period": t, "mine_mw": v}
        for w, s, g, t, k, v in zip(*levels, values)
    ]
    fleet = []
    if instance.has_asic_models:
        buy, retire = dec["buy"], dec["retire"]
        fleet = [
            {"scenario": w, "site": s, "fleet": g, "period": t, "buy_mw": b, "retire_mw": r}
            for w, s, g, t, b, r in zip(*_levels(buy.index), _clean(buy.to_numpy(dtype=float)).tolist(), _clean(retire.to_numpy(dtype=float)).tolist())
        ]
    return {"mining": mining, "fleet": fleet}


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
    if instance.is_v2:
        _v2_allocation(instance, dec, out)
    return out


def _tier_lines(instance: Instance, mine_tier: pd.Series) -> pd.DataFrame:
    """Per (scenario, site, fleet, period, tier) row of ``mine_tier``: the hours
    fraction, TH/s per grid MW of the fleet and the money of the MW mined (USD):
    revenue ``f_k * hashprice * th_g / 1000 * days * mine``, power ``f_k * hours *
    price_k * mine``, opex ``f_k * opex * m/12 * mine`` (SPEC 8-9)."""
    idx = mine_tier.index
    w = idx.get_level_values("scenario")
    s = idx.get_level_values("site")
    g = idx.get_level_values("fleet")
    t = idx.get_level_values("period")
    k = idx.get_level_values("tier")
    th = fleet_th_per_grid_mw(instance)["th_per_grid_mw"].reindex(pd.MultiIndex.from_arrays([w, s, g])).to_numpy(dtype=float)
    tiers = instance.power_tiers.reindex(pd.MultiIndex.from_arrays([w, s, k, t]))
    f = tiers["hours_fraction"].to_numpy(dtype=float)
    price = tiers["price_usd_per_mwh"].to_numpy(dtype=float)
    hp = instance.period_data["hashprice_usd_per_ph_day"].reindex(pd.MultiIndex.from_arrays([w, t])).to_numpy(dtype=float)
    opex = instance.site_params["mining_opex_usd_per_mw_year"].reindex(pd.MultiIndex.from_arrays([w, s])).to_numpy(dtype=float)
    hours = t.map(instance.periods["hours"]).to_numpy(dtype=float)
    days = t.map(instance.periods["days"]).to_numpy(dtype=float)
    mine = _clean(mine_tier.to_numpy(dtype=float))
    m = float(instance.period_months)
    return pd.DataFrame(
        {
            "fraction": f,
            "th_per_grid_mw": th,
            "mine_mw": mine,
            "hashrate_ph_s": f * mine * th / 1000.0,
            "mining_revenue_usd": f * hp * th / 1000.0 * days * mine,
            "mining_power_usd": f * hours * price * mine,
            "mining_opex_usd": f * opex * m / 12.0 * mine,
        },
        index=idx,
    )


def _v2_allocation(instance: Instance, dec: dict[str, pd.Series], out: pd.DataFrame) -> None:
    """The SPEC v2 lines of the allocation table (section 11), in place: mining money
    per fleet and tier, resale, MW mined per fleet and per tier, curtailed MW per tier."""
    idx = out.index
    lines = _tier_lines(instance, dec["mine_tier"])
    by_site = lines.groupby(level=["scenario", "site", "period"], sort=False)[
        ["hashrate_ph_s", "mining_revenue_usd", "mining_power_usd", "mining_opex_usd"]
    ].sum().reindex(idx, fill_value=0.0)
    for column in ("hashrate_ph_s", "mining_revenue_usd", "mining_power_usd", "mining_opex_usd"):
        out[column] = by_site[column].to_numpy()
    out["mining_cost_usd"] = out["mining_power_usd"] + out["mining_opex_usd"]
    # per tier: MW mined by every fleet together, on the power_tiers rows (w, s, k, t)
    tiers = instance.power_tiers
    per_tier = lines["mine_mw"].groupby(level=["scenario", "site", "tier", "period"], sort=False).sum()
    mined_k = per_tier.reindex(tiers.index, fill_value=0.0).to_numpy(dtype=float)
    site_keys = tiers.index.droplevel("tier")
    site_keys = pd.MultiIndex.from_arrays([site_keys.get_level_values(i) for i in range(3)], names=["scenario", "site", "period"])
    ai = out["ai_it_mw"].reindex(site_keys).to_numpy(dtype=float)
    pue = instance.site_params["ai_pue"].reindex(site_keys.droplevel("period")).to_numpy(dtype=float)
    grid = out["grid_mw"].reindex(site_keys).to_numpy(dtype=float)
    hours = site_keys.get_level_values("period").map(instance.periods["hours"]).to_numpy(dtype=float)
    undrawn = grid - mined_k - pue * ai
    resale = tiers["resale_usd_per_mwh"].to_numpy(dtype=float) * tiers["hours_fraction"].to_numpy(dtype=float) * hours * undrawn
    resale_site = pd.Series(resale, index=site_keys).groupby(level=["scenario", "site", "period"], sort=False).sum()
    out["resale_revenue_usd"] = resale_site.reindex(idx, fill_value=0.0).to_numpy()
    out["site_ebitda_usd"] = (
        out["mining_revenue_usd"] - out["mining_cost_usd"] + out["ai_revenue_usd"] - out["ai_cost_usd"] + out["resale_revenue_usd"]
    )
    for g in fleet_names(instance):
        part = lines[lines.index.get_level_values("fleet") == g]
        weighted = (part["fraction"] * part["mine_mw"]).groupby(level=["scenario", "site", "period"], sort=False).sum()
        out[f"mine_mw[fleet={g}]"] = _clean(weighted.reindex(idx, fill_value=0.0).to_numpy())
    fleet_total = dec["fleet"].groupby(level=["scenario", "site", "period"], sort=False).sum().reindex(site_keys, fill_value=0.0).to_numpy()
    reserved = out["reserved_ai_grid_mw"].reindex(site_keys).to_numpy(dtype=float)
    curtailed = _clean(np.minimum(fleet_total, grid - reserved) - mined_k, 1e-7)
    table = pd.DataFrame({"tier": tiers.index.get_level_values("tier"), "mined": _clean(mined_k), "curtailed": curtailed}, index=site_keys)
    for k in sorted(set(table["tier"])):
        part = table[table["tier"] == k]
        out[f"mine_mw[tier={k}]"] = part["mined"].reindex(idx).to_numpy()
        out[f"curtailed_mw[tier={k}]"] = part["curtailed"].reindex(idx).to_numpy()


def fleets_table(instance: Instance, dec: dict[str, pd.Series]) -> pd.DataFrame:
    """Per (scenario, site, fleet, period) of a v2 instance (SPEC 11): bought_mw,
    retired_mw, installed_mw, efficiency_j_per_th, hashrate_ph_s (installed machines at
    full draw), mined_mw (hours-weighted), asic_capex_usd."""
    idx = dec["fleet"].index
    w = idx.get_level_values("scenario")
    s = idx.get_level_values("site")
    g = idx.get_level_values("fleet")
    t = idx.get_level_values("period")
    ths = fleet_th_per_grid_mw(instance).reindex(pd.MultiIndex.from_arrays([w, s, g]))
    th = ths["th_per_grid_mw"].to_numpy(dtype=float)
    out = pd.DataFrame(index=idx)
    out["bought_mw"] = _clean(dec["buy"].to_numpy(dtype=float))
    out["retired_mw"] = _clean(dec["retire"].to_numpy(dtype=float))
    out["installed_mw"] = _clean(dec["fleet"].to_numpy(dtype=float))
    out["efficiency_j_per_th"] = ths["efficiency_j_per_th"].to_numpy(dtype=float)
    out["hashrate_ph_s"] = out["installed_mw"].to_numpy() * th / 1000.0
    tier = dec["mine_tier"]
    weighted = pd.Series(_tier_fraction(instance, tier.index) * tier.to_numpy(dtype=float), index=tier.index)
    out["mined_mw"] = _clean(weighted.groupby(level=["scenario", "site", "fleet", "period"], sort=False).sum().reindex(idx, fill_value=0.0).to_numpy())
    price = np.zeros(len(idx))
    if instance.has_asic_models:
        price = instance.asic_model_period["price_usd_per_th"].reindex(pd.MultiIndex.from_arrays([w, g, t])).fillna(0.0).to_numpy(dtype=float)
    out["asic_capex_usd"] = out["bought_mw"].to_numpy() * th * price
    return out


def tenant_cash_by_site(instance: Instance, start: pd.Series) -> pd.DataFrame:
    """Tenant prepayments and their rent credits per (scenario, site, period), USD (SPEC 10).

    A block started in tau brings ``prepayment * B`` in tau and is credited
    ``prepayment * B / P`` in each period ``tau+lead .. tau+lead+P-1``; credits after
    the horizon are charged in the last period.
    """
    sites, periods, scenarios = instance.site_names, instance.period_labels, instance.scenario_names
    n = len(periods)
    prepay = np.zeros((len(scenarios), len(sites), n))
    credit = np.zeros_like(prepay)
    si, ti, blocks = _start_positions(instance, start)
    v2 = instance.site_params_v2
    for k, w in enumerate(scenarios):
        for i, t0, b in zip(si, ti, blocks):
            s = sites[i]
            amount = float(v2.at[(w, s), "prepayment_usd_per_it_mw"]) * float(instance.sites.at[s, "block_it_mw"]) * b
            if amount == 0:
                continue
            prepay[k, i, t0] += amount
            count = int(v2.at[(w, s), "prepayment_credit_periods"])
            first = t0 + int(instance.sites.at[s, "lead_periods"])
            inside = max(0, min(first + count, n - 1) - first)  # credit periods before the last one
            credit[k, i, first : first + inside] += amount / count
            credit[k, i, n - 1] += amount - amount / count * inside
    index = pd.MultiIndex.from_product(
        [pd.Index(scenarios, name="scenario"), pd.Index(sites, name="site"), pd.Index(periods, name="period")]
    )
    return pd.DataFrame({"prepayments_usd": prepay.ravel(), "credits_usd": credit.ravel()}, index=index)


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


def finance_table(
    instance: Instance, dec, allocation: pd.DataFrame, debt: pd.DataFrame, capex: pd.DataFrame, fleets: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per (scenario, period): EBITDA by segment, capex, debt flows, cash and dividend;
    for a v2 instance also resale, ASIC capex, prepayments and credits."""
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
    if instance.is_v2:
        _v2_finance(instance, dec, allocation, fleets if fleets is not None else fleets_table(instance, dec), out)
    return out


def _v2_finance(instance: Instance, dec, allocation: pd.DataFrame, fleets: pd.DataFrame, out: pd.DataFrame) -> None:
    """Resale (in EBITDA, in neither segment), ASIC capex, prepayments and credits
    (cash only) as finance columns, in place."""
    idx = out.index
    resale = allocation.groupby(level=["scenario", "period"], sort=False)["resale_revenue_usd"].sum().reindex(idx).to_numpy()
    out.insert(out.columns.get_loc("ai_ebitda_usd") + 1, "resale_usd", resale)
    out["ebitda_usd"] = out["mining_ebitda_usd"] + out["ai_ebitda_usd"] + out["resale_usd"] - out["overhead_usd"]
    asic = fleets.groupby(level=["scenario", "period"], sort=False)["asic_capex_usd"].sum().reindex(idx, fill_value=0.0).to_numpy()
    tenant = tenant_cash_by_site(instance, dec["start"]).groupby(level=["scenario", "period"], sort=False).sum().reindex(idx)
    at = out.columns.get_loc("capex_usd") + 1
    out.insert(at, "asic_capex_usd", asic)
    out.insert(at + 1, "prepayments_usd", tenant["prepayments_usd"].to_numpy())
    out.insert(at + 2, "credits_usd", tenant["credits_usd"].to_numpy())


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
