"""The resolved instance: plain pandas tables, no Pyomo, no files.

Every table is in SPEC units (USD, MW, hours). Tables that may differ between
scenarios carry a ``scenario`` index level; a deterministic instance has a single
scenario named ``base`` with probability 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

INSTALLED = "installed"  # the name of every mining site's own (v1) fleet, SPEC 8
V2_SITE_COLUMNS = ("rack_mw", "prepayment_usd_per_it_mw", "prepayment_credit_periods", "leased_on_completion", "tiered")
TIER_COLUMNS = ("hours_fraction", "price_usd_per_mwh", "resale_usd_per_mwh")
ASIC_COLUMNS = ("efficiency_j_per_th", "first_available_t", "last_available_t")
ASIC_PERIOD_COLUMNS = ("price_usd_per_th", "available")


def _empty(keys: list[str], columns) -> pd.DataFrame:
    """An empty table with the given index levels and columns."""
    return pd.DataFrame(columns=keys + list(columns)).set_index(keys)


@dataclass
class Instance:
    """A validated instance, ready for the model, the evaluator and the reports.

    Tables (index -> columns):

    - ``periods`` (period label) -> t, start_month, months, hours, days
    - ``sites`` (site) -> region, mines, retrofittable, block_it_mw, max_blocks,
      lead_periods, earliest_t (first period a block may start; N = never)
    - ``scenarios`` (scenario) -> probability, discount_rate_annual, initial_cash_usd,
      min_cash_usd, total_capex_budget_usd (NaN: none), max_debt_to_ebitda (NaN: none),
      mining_ebitda_multiple, ai_ebitda_multiple
    - ``site_params`` (scenario, site) -> mining_max_mw, efficiency_j_per_th, mining_pue,
      th_per_grid_mw (TH/s per grid MW mined, 0 when the site does not mine),
      mining_opex_usd_per_mw_year, capex_usd_per_it_mw, ai_pue,
      ai_opex_usd_per_it_mw_year, power_pass_through
    - ``site_period`` (scenario, site, period) -> grid_mw, power_price_usd_per_mwh,
      lease_usd_per_kw_month
    - ``period_data`` (scenario, period) -> hashprice_usd_per_ph_day, overhead_usd
      (for the period: annual x m/12), capex_budget_usd (NaN: none), discount_factor
    - ``demand`` (scenario, region, period) -> ai_demand_it_mw (regions with a limit only)
    - ``facilities`` (scenario, facility) -> limit_usd, initial_balance_usd, rate_annual,
      upfront_fee, advance_rate_on_ai_capex (NaN: none)
    - ``facility_period`` (scenario, facility, period) -> can_draw, matured

    SPEC v2 tables (sections 8-10; present for every instance, v1 ones included):

    - ``site_params_v2`` (scenario, site) -> rack_mw (grid MW of machines the site can
      house, every fleet together: ``mining.rack_mw``, default ``mining_max_mw``; 0 when
      the site does not mine), prepayment_usd_per_it_mw (0: none),
      prepayment_credit_periods (P; 0 when there is no prepayment),
      leased_on_completion (bool), tiered (bool: more than one price tier, or a
      resale price above 0 in some period)
    - ``power_tiers`` (scenario, site, tier, period) -> hours_fraction (f_k),
      price_usd_per_mwh, resale_usd_per_mwh; ``tier`` is the 0-based position in
      ``power_price_tiers``. A site with a plain ``power_price_usd_per_mwh`` is one
      tier 0 of fraction 1, that price and resale 0. For a tiered site,
      ``site_period.power_price_usd_per_mwh`` is the hours-weighted price
      ``sum(f_k * price_k)`` (what a flat draw, an AI hall, pays per MWh).
    - ``asic_models`` (scenario, model) -> efficiency_j_per_th, first_available_t
      (first period index it can be bought; N: never), last_available_t (last
      period index it can be bought; -1: never). Empty without ``markets.asic_models``.
    - ``asic_model_period`` (scenario, model, period) -> price_usd_per_th (USD per
      TH/s bought in the period), available (bool: it can be bought in the period)
    """

    name: str
    raw: dict
    source: Path | None
    periods: pd.DataFrame
    sites: pd.DataFrame
    scenarios: pd.DataFrame
    site_params: pd.DataFrame
    site_period: pd.DataFrame
    period_data: pd.DataFrame
    demand: pd.DataFrame
    facilities: pd.DataFrame
    facility_period: pd.DataFrame
    risk: dict | None = None
    warnings: list[str] = field(default_factory=list)
    site_params_v2: pd.DataFrame = field(default_factory=lambda: _empty(["scenario", "site"], V2_SITE_COLUMNS))
    power_tiers: pd.DataFrame = field(default_factory=lambda: _empty(["scenario", "site", "tier", "period"], TIER_COLUMNS))
    asic_models: pd.DataFrame = field(default_factory=lambda: _empty(["scenario", "model"], ASIC_COLUMNS))
    asic_model_period: pd.DataFrame = field(default_factory=lambda: _empty(["scenario", "model", "period"], ASIC_PERIOD_COLUMNS))

    @property
    def asic_model_names(self) -> list[str]:
        """The purchasable ASIC models (SPEC 8), in the order of ``markets.asic_models``."""
        return list(dict.fromkeys(self.asic_models.index.get_level_values("model")))

    @property
    def has_asic_models(self) -> bool:
        """Some ASIC model can be bought: mining sites get one fleet per model."""
        return len(self.asic_models) > 0

    @property
    def has_tiers(self) -> bool:
        """Some site has tiered prices (more than one tier, or resale) in some scenario."""
        return bool(len(self.site_params_v2)) and bool(self.site_params_v2["tiered"].any())

    @property
    def has_tenant_contracts(self) -> bool:
        """Some site has a tenant prepayment or pre-leased halls (SPEC 10)."""
        v2 = self.site_params_v2
        return bool(len(v2)) and bool((v2["prepayment_usd_per_it_mw"] > 0).any() or v2["leased_on_completion"].any())

    @property
    def is_v2(self) -> bool:
        """The instance uses a lever of SPEC v2 (sections 8-10); else its model is v1's."""
        return self.has_asic_models or self.has_tiers or self.has_tenant_contracts

    # the run's --set / --prices overrides as given, [{"path", "value"}] (stated in the reports)
    overrides: list[dict] = field(default_factory=list)

    @property
    def period_labels(self) -> list[str]:
        return list(self.periods.index)

    @property
    def site_names(self) -> list[str]:
        return list(self.sites.index)

    @property
    def scenario_names(self) -> list[str]:
        return list(self.scenarios.index)

    @property
    def facility_names(self) -> list[str]:
        return list(dict.fromkeys(self.facilities.index.get_level_values("facility")))

    @property
    def period_months(self) -> int:
        return int(self.periods["months"].iloc[0])

    @property
    def is_stochastic(self) -> bool:
        return len(self.scenarios) > 1 or self.scenario_names != ["base"]
