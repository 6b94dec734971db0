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

    @property
    def has_advance(self) -> bool:
        return bool(self.advance_rate)


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
    return data
