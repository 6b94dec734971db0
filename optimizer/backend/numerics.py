"""Numbers HiGHS cannot be trusted with: refuse them before solving.

Inside the model money is in millions of USD (``models.MONEY_SCALE``) and power in MW.
HiGHS solves cleanly while its bounds and coefficients stay within about 1e-3 .. 1e6
of those units ($1k .. $1T, 1 kW .. 1 TW): outside that window it warns (the
warnings reach ``Result.warnings``) and far outside it answers wrongly (a debt limit of
$1e17 made a feasible instance "infeasible") or crashes (a hashprice of 2.6e16 USD per
PH/s-day put coefficients of ~1e14 into the model and HiGHS 1.16's presolve segfaulted).

:func:`range_issues` finds every number, given or derived (the money a MW earns or
costs in a period, a block's capex, the coefficients of the leverage covenant and of
the terminal value), whose magnitude in model units exceeds ``MAX_MODEL_MAGNITUDE``,
and names the fields it comes from. The CLI reports the first as an input error
(exit 2); :func:`optimizer.solve` returns status ``error`` with it as the reason.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from instances import Instance, Issue
from models import MONEY_SCALE, money_lines

MAX_MODEL_MAGNITUDE = 1e10  # model units: $1e16 (ten quadrillion) or 1e10 MW


def _usd(x: float) -> str:
    return f"{x:.3g} USD"


def range_issues(instance: Instance) -> list[Issue]:
    """Every value beyond the solver's range, as ``Issue(path, message)``; [] when none."""
    with np.errstate(all="ignore"):  # an overflow to inf is reported, not warned about
        return _range_issues(instance)


def _range_issues(instance: Instance) -> list[Issue]:
    limit_usd = MAX_MODEL_MAGNITUDE * MONEY_SCALE
    limit_mw = MAX_MODEL_MAGNITUDE
    site_index = {s: i for i, s in enumerate(instance.site_names)}
    fac_index = {f: i for i, f in enumerate(instance.facility_names)}
    stochastic = instance.is_stochastic
    issues: list[Issue] = []

    def scen(w: str) -> str:
        return f" in scenario {w}" if stochastic else ""

    def check(values: pd.Series, limit: float, path, what, hint: str = "") -> None:
        """``values`` indexed like the instance tables; report the largest if too big."""
        if not len(values):
            return
        mags = values.astype(float).abs()
        bad = mags[~np.isfinite(mags) | (mags > limit)]
        if not len(bad):
            return
        key = bad.index[int(np.argmax(np.nan_to_num(bad.to_numpy(), nan=np.inf)))]
        value = float(values[key])
        shown = f"{value:.3g}" if math.isfinite(value) else str(value)
        issues.append(Issue(path(key), f"{what(key, shown)} is beyond the solver's numerical range (at most {limit:.0e} in magnitude){hint}"))

    # ---- money a MW earns or costs in a period (products of several fields) ------------
    lines = money_lines(instance)
    for column, what, hint in (
        ("mining_revenue_usd_per_mw", "mining revenue", "markets.hashprice_usd_per_ph_day and mining.efficiency_j_per_th"),
        ("mining_cost_usd_per_mw", "mining cost", "power_price_usd_per_mwh and mining.opex_usd_per_mw_year"),
        ("ai_revenue_usd_per_mw", "AI revenue", "ai.lease_usd_per_kw_month"),
        ("ai_cost_usd_per_mw", "AI cost", "ai.opex_usd_per_it_mw_year and power_price_usd_per_mwh"),
    ):
        check(
            lines[column],
            limit_usd,
            lambda k: f"sites[{site_index[k[1]]}]",
            lambda k, v, what=what: f'{what} of {v} USD per MW in {k[2]} at "{k[1]}"{scen(k[0])}',
            f": check {hint}",
        )
    sp = instance.site_period
    check(
        sp["grid_mw"], limit_mw, lambda k: f"sites[{site_index[k[1]]}].grid_mw",
        lambda k, v: f"{v} MW in {k[2]}{scen(k[0])}",
    )

    # ---- sites -----------------------------------------------------------------------------
    params = instance.site_params
    sites = instance.sites
    check(params["mining_max_mw"], limit_mw, lambda k: f"sites[{site_index[k[1]]}].mining.max_mw", lambda k, v: f"{v} MW{scen(k[0])}")
    block_cost = params["capex_usd_per_it_mw"] * params.index.get_level_values("site").map(sites["block_it_mw"]).to_numpy()
    check(
        block_cost, limit_usd, lambda k: f"sites[{site_index[k[1]]}].ai.capex_usd_per_it_mw",
        lambda k, v: f"a block's capex of {v} USD{scen(k[0])}", ": check ai.capex_usd_per_it_mw and ai.block_it_mw",
    )
    check(
        sites["max_blocks"], MAX_MODEL_MAGNITUDE, lambda k: f"sites[{site_index[k]}].ai.max_blocks",
        lambda k, v: f"{v} blocks",
    )
    capacity = sites["block_it_mw"] * sites["max_blocks"]
    check(
        capacity, limit_mw, lambda k: f"sites[{site_index[k]}].ai.max_blocks",
        lambda k, v: f"{v} IT MW of blocks", ": check ai.block_it_mw and ai.max_blocks",
    )
    ai_grid = params["ai_pue"] * params.index.get_level_values("site").map(sites["block_it_mw"]).to_numpy()
    check(
        ai_grid, limit_mw, lambda k: f"sites[{site_index[k[1]]}].ai.pue",
        lambda k, v: f"{v} grid MW per block{scen(k[0])}", ": check ai.pue and ai.block_it_mw",
    )

    # ---- portfolio money ------------------------------------------------------------------------
    pdata = instance.period_data
    for column, field, what in (
        ("overhead_usd", "finance.overhead_usd_per_year", "overhead"),
        ("capex_budget_usd", "finance.capex_budget_usd", "capex budget"),
    ):
        check(pdata[column].dropna(), limit_usd, lambda k, f=field: f, lambda k, v, w=what: f"{w} of {v} USD in {k[1]}{scen(k[0])}")
    check(
        pdata["discount_factor"], MAX_MODEL_MAGNITUDE, lambda k: "finance.discount_rate_annual",
        lambda k, v: f"a discount factor of {v} in {k[1]}{scen(k[0])}", ": the rate is too close to -1",
    )
    check(instance.demand["ai_demand_it_mw"], limit_mw, lambda k: f"markets.ai_demand_it_mw.{k[1]}", lambda k, v: f"{v} IT MW in {k[2]}{scen(k[0])}")
    sc = instance.scenarios
    for column, field in (
        ("initial_cash_usd", "finance.initial_cash_usd"),
        ("min_cash_usd", "finance.min_cash_usd"),
        ("total_capex_budget_usd", "finance.total_capex_budget_usd"),
    ):
        check(sc[column].dropna(), limit_usd, lambda k, f=field: f, lambda k, v: f"{v} USD{scen(k)}")

    # coefficients of EBITDA in the leverage covenant and the terminal value
    margin = (lines["mining_revenue_usd_per_mw"] - lines["mining_cost_usd_per_mw"]).abs().combine(
        (lines["ai_revenue_usd_per_mw"] - lines["ai_cost_usd_per_mw"]).abs(), max
    )
    worst_margin = margin.groupby(level="scenario").max()
    annual = 12.0 / instance.period_months
    for column, field in (
        ("max_debt_to_ebitda", "finance.max_debt_to_ebitda"),
        ("mining_ebitda_multiple", "finance.terminal.mining_ebitda_multiple"),
        ("ai_ebitda_multiple", "finance.terminal.ai_ebitda_multiple"),
    ):
        ratio = sc[column].dropna()
        product = ratio * annual * worst_margin.reindex(ratio.index).fillna(0.0)
        check(
            product, limit_usd, lambda k, f=field: f,
            lambda k, v, c=column: f"{sc.at[k, c]:.3g} times an annualized EBITDA of up to {float(worst_margin.get(k, 0.0)) * annual:.3g} USD per MW{scen(k)}",
        )

    _v2_range_issues(instance, check, scen, site_index, limit_usd, limit_mw)

    # ---- debt ---------------------------------------------------------------------------------------
    fac = instance.facilities
    for column in ("limit_usd", "initial_balance_usd"):
        check(
            fac[column], limit_usd, lambda k, c=column: f"finance.debt[{fac_index[k[1]]}].{c}",
            lambda k, v: f'{v} USD for "{k[1]}"{scen(k[0])}',
        )
    return issues


def _v2_range_issues(instance: Instance, check, scen, site_index: dict, limit_usd: float, limit_mw: float) -> None:
    """The SPEC v2 numbers (sections 8-10): rack MW, ASIC capex per grid MW, the money
    a MW mined or resold earns or costs in one tier, prepayments per block."""
    if not instance.is_v2:
        return
    v2 = instance.site_params_v2
    check(v2["rack_mw"], limit_mw, lambda k: f"sites[{site_index[k[1]]}].mining.rack_mw", lambda k, v: f"{v} MW{scen(k[0])}")
    prepay = v2["prepayment_usd_per_it_mw"] * v2.index.get_level_values("site").map(instance.sites["block_it_mw"]).to_numpy()
    check(
        prepay, limit_usd, lambda k: f"sites[{site_index[k[1]]}].ai.prepayment_usd_per_it_mw",
        lambda k, v: f"a block's prepayment of {v} USD{scen(k[0])}",
    )
    tiers = instance.power_tiers
    hours = tiers.index.get_level_values("period").map(instance.periods["hours"]).to_numpy()
    for column, what in (("price_usd_per_mwh", "power cost"), ("resale_usd_per_mwh", "resale")):
        check(
            tiers[column] * tiers["hours_fraction"] * hours, limit_usd,
            lambda k, c=column: f"sites[{site_index[k[1]]}].power_price_tiers[{k[2]}].{c}",
            lambda k, v, w=what: f'{w} of {v} USD per MW in {k[3]} at "{k[1]}"{scen(k[0])}',
        )
    if instance.has_asic_models:
        models = {g: j for j, g in enumerate(instance.asic_model_names)}
        amp = instance.asic_model_period
        eff = instance.asic_models["efficiency_j_per_th"].reindex(amp.index.droplevel("period")).to_numpy()
        # the cheapest site pue is 1: at most 1e6 / efficiency TH/s per grid MW
        check(
            amp["price_usd_per_th"] * 1e6 / eff, limit_usd,
            lambda k: f"markets.asic_models[{models[k[1]]}].price_usd_per_th",
            lambda k, v: f'ASIC capex of up to {v} USD per grid MW of "{k[1]}" in {k[2]}{scen(k[0])}',
            ": check price_usd_per_th and efficiency_j_per_th",
        )
