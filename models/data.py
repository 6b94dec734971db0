"""Plain model data: dictionaries keyed by names and labels, money scaled for HiGHS.

``prepare(instance)`` touches no files and no Pyomo: it turns the instance tables into
the coefficients the formulation needs. Money is held in millions of USD inside the
model (``MONEY_SCALE``) so that HiGHS sees coefficients near 1; MW stay MW. Everything
leaving the model is converted back to USD.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from instances import Instance
from instances.instance import INSTALLED

MONEY_SCALE = 1e6  # USD per model money unit


@dataclass
class ModelData:
    """Everything ``build_model`` reads. Keys: w scenario, s site, t period label, f facility."""

    W: list[str]
    S: list[str]
    T: list[str]
    F: list[str]
    R: list[str]  # regions with a demand limit
    months: int
    probability: dict[str, float]
    # sites (scenario-independent structure)
    mining_sites: list[str]
    retrofit_sites: list[str]
    region_sites: dict[str, list[str]]
    block_it_mw: dict[str, float]
    max_blocks: dict[str, int]
    lead: dict[str, int]
    earliest_t: dict[str, int]
    # per (w, s)
    mining_max_mw: dict[tuple, float]
    ai_pue: dict[tuple, float]
    block_cost: dict[tuple, float]  # model money per block
    # per (w, s, t)
    grid_mw: dict[tuple, float]
    mining_margin: dict[tuple, float]  # model money per grid MW mined in the period
    ai_margin: dict[tuple, float]  # model money per IT MW leased in the period
    # per (w, t)
    overhead: dict[tuple, float]
    capex_budget: dict[tuple, float]  # absent: no budget
    discount: dict[tuple, float]
    # per (w, r, t)
    demand: dict[tuple, float]
    # per w
    initial_cash: dict[str, float]
    min_cash: dict[str, float]
    total_capex_budget: dict[str, float]  # absent: none
    max_debt_to_ebitda: dict[str, float]  # absent: none
    mining_multiple: dict[str, float]
    ai_multiple: dict[str, float]
    risk: dict | None = None  # {"cvar_alpha", "weight"} or None (risk neutral)
    # per w, extension: fraction of the debt above the covenant charged per period (absent: hard covenant)
    leverage_breach_cost: dict[str, float] = field(default_factory=dict)
    # debt, per (w, f) and (w, f, t)
    limit: dict[tuple, float] = field(default_factory=dict)
    initial_balance: dict[tuple, float] = field(default_factory=dict)
    rate_per_period: dict[tuple, float] = field(default_factory=dict)
    upfront_fee: dict[tuple, float] = field(default_factory=dict)
    advance_rate: dict[tuple, float] = field(default_factory=dict)  # absent: none
    can_draw: dict[tuple, bool] = field(default_factory=dict)
    matured: dict[tuple, bool] = field(default_factory=dict)
    # ---- SPEC v2 (sections 8-10); all empty for a v1 instance ----------------------
    # sites mining per fleet g and price tier k (``mine_tier``) instead of ``mine``:
    # every mining site when ASIC models exist, else the tiered ones
    tier_mining_sites: list[str] = field(default_factory=list)
    fleets: list[str] = field(default_factory=list)  # "installed" then the ASIC models (empty: no models)
    tiers: dict[tuple, list[int]] = field(default_factory=dict)  # (w, s) -> tier positions k
    # (w, s, g, t, k): model money per grid MW of fleet g mined in tier k in the period
    tier_margin: dict[tuple, float] = field(default_factory=dict)
    # (w, s, t, k): model money earned per grid MW not drawn in tier k (resale_k * h_k); sites with resale only
    resale_rate: dict[tuple, float] = field(default_factory=dict)
    resale_sites: dict[str, list[str]] = field(default_factory=dict)  # w -> sites with resale in w
    installed_mw: dict[tuple, float] = field(default_factory=dict)  # (w, s): fleet[s, installed, -1]
    rack_mw: dict[tuple, float] = field(default_factory=dict)  # (w, s)
    # (w, s, g, t): model money per grid MW of model g bought, th_per_grid_mw * price_usd_per_th
    asic_cost: dict[tuple, float] = field(default_factory=dict)
    buy_index: list[tuple] = field(default_factory=list)  # (w, s, g, t) where model g can be bought
    prepay_block: dict[tuple, float] = field(default_factory=dict)  # (w, s): model money prepaid per block started
    credit_periods: dict[tuple, int] = field(default_factory=dict)  # (w, s): P
    leased_on_completion: set = field(default_factory=set)  # {(w, s)}

    @property
    def has_advance(self) -> bool:
        return bool(self.advance_rate)

    @property
    def has_fleets(self) -> bool:
        """ASIC models can be bought: fleets, buys and retirements exist (SPEC 8)."""
        return bool(self.fleets)

    @property
    def has_tier_mining(self) -> bool:
        return bool(self.tier_mining_sites)

    @property
    def has_resale(self) -> bool:
        return bool(self.resale_rate)

    @property
    def has_prepayments(self) -> bool:
        return bool(self.prepay_block)


def money_lines(instance: Instance) -> pd.DataFrame:
    """Per-MW money coefficients in USD for every (scenario, site, period).

    Columns (USD per MW of the decision in that period):

    - ``mining_revenue_usd_per_mw`` = hashprice * (1e6 / pue / eff) / 1000 * days
    - ``mining_cost_usd_per_mw`` = hours * power_price + opex * m / 12
    - ``ai_revenue_usd_per_mw`` = 1000 * lease * m
    - ``ai_cost_usd_per_mw`` = opex * m / 12 + (not pass-through) * ai_pue * hours * power_price

    The optimizer's results and the reports reuse this table, so the model and the
    money lines in every output are computed once, in one place.
    """
    sp = instance.site_period.join(instance.site_params, on=["scenario", "site"])
    per = instance.periods
    hours = sp.index.get_level_values("period").map(per["hours"]).to_numpy()
    days = sp.index.get_level_values("period").map(per["days"]).to_numpy()
    m = float(instance.period_months)
    hashprice = instance.period_data["hashprice_usd_per_ph_day"]
    hp = pd.MultiIndex.from_arrays(
        [sp.index.get_level_values("scenario"), sp.index.get_level_values("period")]
    ).map(hashprice.to_dict()).to_numpy()
    price = sp["power_price_usd_per_mwh"].to_numpy()
    out = pd.DataFrame(index=sp.index)
    out["mining_revenue_usd_per_mw"] = hp * sp["th_per_grid_mw"].to_numpy() / 1000.0 * days
    out["mining_cost_usd_per_mw"] = hours * price + sp["mining_opex_usd_per_mw_year"].to_numpy() * m / 12.0
    out["ai_revenue_usd_per_mw"] = 1000.0 * sp["lease_usd_per_kw_month"].to_numpy() * m
    landlord_power = np.where(sp["power_pass_through"].to_numpy(dtype=bool), 0.0, 1.0)
    out["ai_cost_usd_per_mw"] = (
        sp["ai_opex_usd_per_it_mw_year"].to_numpy() * m / 12.0
        + landlord_power * sp["ai_pue"].to_numpy() * hours * price
    )
    return out


def breach_costs(scenarios: pd.DataFrame) -> dict[str, float]:
    """Per scenario: ``finance.leverage_breach_cost`` (fraction of the excess debt per
    period) where both it and the covenant are given; a scenario without either keeps
    the SPEC's hard covenant (or none)."""
    if "leverage_breach_cost" not in scenarios:
        return {}
    both = scenarios["leverage_breach_cost"].notna() & scenarios["max_debt_to_ebitda"].notna()
    return {w: float(v) for w, v in scenarios.loc[both, "leverage_breach_cost"].items()}


def prepare(instance: Instance) -> ModelData:
    """Instance tables -> :class:`ModelData` (model money units, see ``MONEY_SCALE``)."""
    k = 1.0 / MONEY_SCALE
    sites = instance.sites
    scen = instance.scenarios
    W, S, T = instance.scenario_names, instance.site_names, instance.period_labels
    lines = money_lines(instance)
    sp = instance.site_params
    pdata = instance.period_data
    region_sites: dict[str, list[str]] = {}
    for s in S:
        region_sites.setdefault(sites.at[s, "region"], []).append(s)
    demand = {key: v for key, v in instance.demand["ai_demand_it_mw"].items()}
    R = list(dict.fromkeys(instance.demand.index.get_level_values("region")))
    retrofit = [s for s in S if sites.at[s, "retrofittable"]]
    data = ModelData(
        W=W,
        S=S,
        T=T,
        F=instance.facility_names,
        R=R,
        months=instance.period_months,
        probability=scen["probability"].to_dict(),
        mining_sites=[s for s in S if sites.at[s, "mines"]],
        retrofit_sites=retrofit,
        region_sites=region_sites,
        block_it_mw=sites["block_it_mw"].to_dict(),
        max_blocks={s: int(v) for s, v in sites["max_blocks"].items()},
        lead={s: int(v) for s, v in sites["lead_periods"].items()},
        earliest_t={s: int(v) for s, v in sites["earliest_t"].items()},
        mining_max_mw=sp["mining_max_mw"].to_dict(),
        ai_pue=sp["ai_pue"].to_dict(),
        block_cost={
            (w, s): sp.at[(w, s), "capex_usd_per_it_mw"] * sites.at[s, "block_it_mw"] * k for w in W for s in S
        },
        grid_mw=instance.site_period["grid_mw"].to_dict(),
        mining_margin=((lines["mining_revenue_usd_per_mw"] - lines["mining_cost_usd_per_mw"]) * k).to_dict(),
        ai_margin=((lines["ai_revenue_usd_per_mw"] - lines["ai_cost_usd_per_mw"]) * k).to_dict(),
        overhead=(pdata["overhead_usd"] * k).to_dict(),
        capex_budget={key: v * k for key, v in pdata["capex_budget_usd"].items() if not np.isnan(v)},
        discount=pdata["discount_factor"].to_dict(),
        demand=demand,
        initial_cash=(scen["initial_cash_usd"] * k).to_dict(),
        min_cash=(scen["min_cash_usd"] * k).to_dict(),
        total_capex_budget={w: v * k for w, v in scen["total_capex_budget_usd"].items() if not np.isnan(v)},
        max_debt_to_ebitda={w: v for w, v in scen["max_debt_to_ebitda"].items() if not np.isnan(v)},
        mining_multiple=scen["mining_ebitda_multiple"].to_dict(),
        ai_multiple=scen["ai_ebitda_multiple"].to_dict(),
        risk=instance.risk,
        leverage_breach_cost=breach_costs(scen),
    )
    fac = instance.facilities
    if len(fac):
        data.limit = (fac["limit_usd"] * k).to_dict()
        data.initial_balance = (fac["initial_balance_usd"] * k).to_dict()
        data.rate_per_period = (fac["rate_annual"] * instance.period_months / 12.0).to_dict()
        data.upfront_fee = fac["upfront_fee"].to_dict()
        data.advance_rate = {key: v for key, v in fac["advance_rate_on_ai_capex"].items() if not np.isnan(v)}
        fp = instance.facility_period
        data.can_draw = fp["can_draw"].astype(bool).to_dict()
        data.matured = fp["matured"].astype(bool).to_dict()
    if instance.is_v2:
        _prepare_v2(instance, data)
    return data



def fleet_th_per_grid_mw(instance: Instance) -> pd.DataFrame:
    """TH/s per grid MW mined of every fleet at every mining site, per scenario.

    Index (scenario, site, fleet) -> th_per_grid_mw = 1e6 / mining.pue / efficiency_g,
    efficiency_j_per_th. Fleet ``installed`` is the site's own (v1) fleet; each ASIC
    model of ``markets.asic_models`` is one more fleet at every mining site.
    """
    sites = [s for s in instance.site_names if instance.sites.at[s, "mines"]]
    rows = []
    sp = instance.site_params
    models = instance.asic_models
    for w in instance.scenario_names:
        for s in sites:
            pue = float(sp.at[(w, s), "mining_pue"])
            eff = float(sp.at[(w, s), "efficiency_j_per_th"])
            rows.append((w, s, INSTALLED, 1e6 / pue / eff, eff))
            for g in instance.asic_model_names:
                eff_g = float(models.at[(w, g), "efficiency_j_per_th"])
                rows.append((w, s, g, 1e6 / pue / eff_g, eff_g))
    table = pd.DataFrame(rows, columns=["scenario", "site", "fleet", "th_per_grid_mw", "efficiency_j_per_th"])
    return table.set_index(["scenario", "site", "fleet"])


def tier_mining_sites(instance: Instance) -> list[str]:
    """Mining sites whose mining is decided per fleet and tier (``mine_tier``): every
    mining site when ASIC models exist, else those tiered in some scenario."""
    mining = [s for s in instance.site_names if instance.sites.at[s, "mines"]]
    if instance.has_asic_models:
        return mining
    tiered = instance.site_params_v2["tiered"]
    return [s for s in mining if bool(tiered.xs(s, level="site").any())]


def _prepare_v2(instance: Instance, data: ModelData) -> None:
    """The SPEC v2 coefficients (sections 8-10), in model money.

    - ``tier_margin[w,s,g,t,k] = f_k * (hashprice_t * th_g / 1000 * days - hours * price_k
      - opex * m/12)``: revenue minus cost of one grid MW of fleet g mined in tier k;
    - ``resale_rate[w,s,t,k] = resale_k * f_k * hours``: what a grid MW not drawn in tier k earns;
    - ``asic_cost[w,s,g,t] = th_g * price_usd_per_th[g,t]``: capex per grid MW of model g bought;
    - ``prepay_block[w,s] = prepayment_usd_per_it_mw * block_it_mw``.
    """
    k = 1.0 / MONEY_SCALE
    per = instance.periods
    hours, days = per["hours"].to_dict(), per["days"].to_dict()
    m = float(instance.period_months)
    T = instance.period_labels
    sp, v2 = instance.site_params, instance.site_params_v2
    hashprice = instance.period_data["hashprice_usd_per_ph_day"].to_dict()
    tiers = instance.power_tiers
    th = fleet_th_per_grid_mw(instance)["th_per_grid_mw"].to_dict()
    data.tier_mining_sites = tier_mining_sites(instance)
    data.fleets = [INSTALLED, *instance.asic_model_names] if instance.has_asic_models else []
    fleets = data.fleets or [INSTALLED]
    price = tiers["price_usd_per_mwh"].to_dict()
    fraction = tiers["hours_fraction"].to_dict()
    resale = tiers["resale_usd_per_mwh"].to_dict()
    positions = tiers.index.droplevel("period").unique()
    for w, s, tier in positions:
        data.tiers.setdefault((w, s), []).append(int(tier))
    for w in instance.scenario_names:
        data.resale_sites[w] = []
        for s in instance.site_names:
            has_resale = any(resale[w, s, q, t] != 0 for q in data.tiers[w, s] for t in T)
            if has_resale:
                data.resale_sites[w].append(s)
                for t in T:
                    for q in data.tiers[w, s]:
                        data.resale_rate[w, s, t, q] = resale[w, s, q, t] * fraction[w, s, q, t] * hours[t] * k
        for s in data.tier_mining_sites:
            opex = float(sp.at[(w, s), "mining_opex_usd_per_mw_year"]) * m / 12.0
            data.installed_mw[w, s] = float(sp.at[(w, s), "mining_max_mw"])
            data.rack_mw[w, s] = float(v2.at[(w, s), "rack_mw"])
            for g in fleets:
                revenue = {t: hashprice[w, t] * th[w, s, g] / 1000.0 * days[t] for t in T}
                for t in T:
                    for q in data.tiers[w, s]:
                        f = fraction[w, s, q, t]
                        data.tier_margin[w, s, g, t, q] = f * (revenue[t] - hours[t] * price[w, s, q, t] - opex) * k
        for s in instance.site_names:
            prepay = float(v2.at[(w, s), "prepayment_usd_per_it_mw"])
            if prepay > 0 and s in data.retrofit_sites:
                data.prepay_block[w, s] = prepay * data.block_it_mw[s] * k
                data.credit_periods[w, s] = int(v2.at[(w, s), "prepayment_credit_periods"])
            if bool(v2.at[(w, s), "leased_on_completion"]) and s in data.retrofit_sites:
                data.leased_on_completion.add((w, s))
    if data.has_fleets:
        amp = instance.asic_model_period
        available = amp["available"].to_dict()
        cost = amp["price_usd_per_th"].to_dict()
        for w in instance.scenario_names:
            for s in data.tier_mining_sites:
                for g in instance.asic_model_names:
                    for t in T:
                        if available[w, g, t]:
                            data.buy_index.append((w, s, g, t))
                            data.asic_cost[w, s, g, t] = th[w, s, g] * cost[w, g, t] * k
