"""The resolved instance: plain pandas tables, no Pyomo, no files.

Every table is in SPEC units (USD, MW, hours). Tables that may differ between
scenarios carry a ``scenario`` index level; a deterministic instance has a single
scenario named ``base`` with probability 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


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
