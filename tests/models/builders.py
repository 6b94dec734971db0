"""Tiny hand-checkable instances for the hand-derived tests (issue 2, item 7).

Conventions used by every test in this folder, so the arithmetic in the comments
stays short:

- mining at ``pue = 1`` and ``efficiency = 20 J/TH``: 1 grid MW = 1e6 / 20 TH/s
  = 50,000 TH/s = 50 PH/s, so 10 MW = 500 PH/s;
- ``period_months = 3``: hours = 730 * 3 = 2190, days = 365/12 * 3 = 91.25;
- ``period_months = 12``: hours = 8760, days = 365;
- a lease of 100 USD/kW-month on 10 IT MW for a quarter: 10 * 1000 * 100 * 3 = 3,000,000;
- ``discount_rate_annual = 0.4641`` with quarters: (1.4641) ** (3/12) = 1.1, so
  df_t = 1.1 ** -(t + 1); ``0.1`` with years: df_t = 1.1 ** -(t + 1);
- discount rate 0 unless said otherwise: then NPV = initial cash - initial debt
  + sum(EBITDA - capex - interest - fees) + TV (dividend timing does not matter).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd

from instances import instance_from_dict
from optimizer import SolveOptions, solve

BASE = "base"
Q_LABELS = ["2026-01", "2026-04", "2026-07", "2026-10"]  # quarters from 2026-01
QUARTER_RATE_1_1 = 0.4641  # (1 + 0.4641) ** (3/12) == 1.1


def miner(name="M", grid=10, price=0.0, eff=20, pue=1.0, opex=0.0, region="R", max_mw=None, ai=None) -> dict:
    """A site that mines (and optionally hosts AI blocks)."""
    mining = {"efficiency_j_per_th": eff, "pue": pue, "opex_usd_per_mw_year": opex}
    if max_mw is not None:
        mining["max_mw"] = max_mw
    site = {"name": name, "region": region, "grid_mw": grid, "power_price_usd_per_mwh": price, "mining": mining}
    if ai is not None:
        site["ai"] = ai
    return site


def ai_spec(block=10, max_blocks=1, capex=100_000, lead=0, pue=1.0, lease=100, **extra) -> dict:
    """The ``ai`` object of a site: by default one 10 IT MW block costing 1,000,000, lead 0."""
    spec = {
        "block_it_mw": block,
        "max_blocks": max_blocks,
        "capex_usd_per_it_mw": capex,
        "lead_periods": lead,
        "pue": pue,
        "lease_usd_per_kw_month": lease,
    }
    spec.update(extra)
    return spec


def ai_site(name="A", grid=10, price=0.0, region="R", **ai_kwargs) -> dict:
    """A site that does not mine and can host AI blocks."""
    return {"name": name, "region": region, "grid_mw": grid, "power_price_usd_per_mwh": price, "ai": ai_spec(**ai_kwargs)}


def make(sites, periods=1, m=3, start="2026-01", hashprice=0.0, demand=None, scenarios=None, **finance) -> dict:
    """A whole instance; ``finance`` keywords go into the finance section (discount 0 by default)."""
    fin = {"discount_rate_annual": 0.0}
    fin.update(finance)
    raw = {
        "name": "tiny",
        "horizon": {"start": start, "periods": periods, "period_months": m},
        "markets": {"hashprice_usd_per_ph_day": hashprice},
        "sites": copy.deepcopy(list(sites)),
        "finance": fin,
    }
    if demand is not None:
        raw["markets"]["ai_demand_it_mw"] = demand
    if scenarios is not None:
        raw["scenarios"] = scenarios
    return raw


def run(raw: dict, base_dir: Path | None = None, fixed_starts: dict | None = None):
    """Validate and solve at MIP gap 1e-9 (optionally with a fixed retrofit schedule)."""
    opts = SolveOptions(mip_gap=1e-9, fixed_starts=fixed_starts)
    return solve(instance_from_dict(copy.deepcopy(raw), base_dir=base_dir), opts)


def alloc(result, site: str, column: str, scenario: str = BASE) -> pd.Series:
    """One allocation column of one site, indexed by period label."""
    return result.allocation.xs((scenario, site), level=("scenario", "site"))[column]


def fin(result, column: str, scenario: str = BASE) -> pd.Series:
    """One finance column, indexed by period label."""
    return result.finance.xs(scenario, level="scenario")[column]


def debt(result, facility: str, column: str, scenario: str = BASE) -> pd.Series:
    """One debt column of one facility, indexed by period label."""
    return result.debt.xs((scenario, facility), level=("scenario", "facility"))[column]


def as_list(series: pd.Series) -> list[float]:
    return [float(v) for v in series.to_numpy()]
