"""Instances built in code for the reliability tests (issue 4).

- :func:`small_instance`: a tiny valid portfolio (2 sites, 4 quarters, one loan),
  the base that the malformed corpus and the fuzz tests mutate;
- :func:`hard_instance`: a generated portfolio whose MIP HiGHS cannot close in a
  fraction of a second (time-limit and Ctrl-C tests);
- :func:`scaled_instance`: one site of ``mw`` MW (numerics from 1 MW to 20 GW).
"""

from __future__ import annotations

import copy
import random


def small_instance() -> dict:
    """2 sites, 4 quarterly periods, one retrofittable site, one loan. Valid and feasible."""
    return copy.deepcopy(
        {
            "name": "small",
            "horizon": {"start": "2026-01", "periods": 4, "period_months": 3},
            "markets": {"hashprice_usd_per_ph_day": 50.0, "ai_demand_it_mw": {"TX": 40}},
            "sites": [
                {
                    "name": "Alpha",
                    "region": "TX",
                    "grid_mw": 100,
                    "power_price_usd_per_mwh": 40,
                    "mining": {"efficiency_j_per_th": 20, "pue": 1.05, "opex_usd_per_mw_year": 50000},
                    "ai": {
                        "block_it_mw": 10,
                        "max_blocks": 3,
                        "capex_usd_per_it_mw": 5000000,
                        "lead_periods": 1,
                        "pue": 1.2,
                        "lease_usd_per_kw_month": 150,
                    },
                },
                {
                    "name": "Beta",
                    "region": "OH",
                    "grid_mw": [50, 50, 60, 60],
                    "power_price_usd_per_mwh": 35,
                    "mining": {"efficiency_j_per_th": 25},
                },
            ],
            "finance": {
                "discount_rate_annual": 0.1,
                "initial_cash_usd": 20000000,
                "min_cash_usd": 0,
                "debt": [{"name": "Loan", "limit_usd": 50000000, "rate_annual": 0.08, "maturity": "2027-01"}],
            },
        }
    )


def hard_instance(sites: int = 40, periods: int = 40, seed: int = 7) -> dict:
    """Many retrofittable sites sharing tight regional demand, per-period capex budgets
    and a cash floor: a MIP with thousands of general integers that HiGHS does not
    solve to a 1e-9 gap quickly, but for which a plan (mine everything, retrofit
    nothing) exists from the first heuristic on."""
    rng = random.Random(seed)
    out_sites = []
    for i in range(sites):
        out_sites.append(
            {
                "name": f"S{i:02d}",
                "region": f"R{i % 4}",
                "grid_mw": [round(rng.uniform(60, 200), 2) for _ in range(periods)],
                "power_price_usd_per_mwh": [round(rng.uniform(25, 70), 2) for _ in range(periods)],
                "mining": {"efficiency_j_per_th": round(rng.uniform(15, 30), 1), "pue": 1.05},
                "ai": {
                    "block_it_mw": rng.choice([5, 7.5, 10, 12.5]),
                    "max_blocks": rng.randint(3, 8),
                    "capex_usd_per_it_mw": rng.choice([5e6, 6e6, 7e6, 8e6]),
                    "lead_periods": rng.randint(1, 4),
                    "pue": round(rng.uniform(1.1, 1.4), 2),
                    "lease_usd_per_kw_month": [round(rng.uniform(100, 200), 2) for _ in range(periods)],
                },
            }
        )
    return {
        "name": "hard",
        "horizon": {"start": "2026-01", "periods": periods, "period_months": 3},
        "markets": {
            "hashprice_usd_per_ph_day": {"start": 55, "annual_growth": -0.2},
            "ai_demand_it_mw": {f"R{r}": {"start": 30, "annual_growth": 0.5} for r in range(4)},
        },
        "sites": out_sites,
        "finance": {
            "discount_rate_annual": 0.12,
            "initial_cash_usd": 50e6,
            "min_cash_usd": 10e6,
            "capex_budget_usd": [round(rng.uniform(40e6, 120e6), 0) for _ in range(periods)],
            "terminal": {"mining_ebitda_multiple": 2, "ai_ebitda_multiple": 9},
            "debt": [
                {"name": "Revolver", "limit_usd": 150e6, "rate_annual": 0.09, "upfront_fee": 0.01},
                {"name": "Build", "limit_usd": 400e6, "rate_annual": 0.07, "advance_rate_on_ai_capex": 0.7},
            ],
        },
    }


def scaled_instance(site_mw: float, sites: int = 1, cash_usd: float | None = None, periods: int = 8) -> dict:
    """``sites`` identical sites of ``site_mw`` grid MW each (1 MW .. 20 GW portfolios).

    Every money figure follows the size (capex 8 M$ per IT MW, lease 150 $/kW-month,
    overhead 20 k$ per MW-year, loans of 4 M$ per MW), so a 1 MW site handles
    thousands of dollars and a 20 GW portfolio hundreds of billions; ``cash_usd``
    sets the initial cash (and, at a tenth of it, the minimum) to push money
    further, e.g. to trillions.
    """
    total = site_mw * sites
    out_sites = []
    for i in range(sites):
        out_sites.append(
            {
                "name": f"S{i}",
                "region": f"R{i % 3}",
                "grid_mw": [site_mw * (1 + 0.05 * (t % 3)) for t in range(periods)],
                "power_price_usd_per_mwh": {"start": 35 + i % 7, "annual_growth": 0.03},
                "mining": {"efficiency_j_per_th": 18 + i % 5, "pue": 1.05, "opex_usd_per_mw_year": 40000},
                "ai": {
                    "block_it_mw": site_mw / 10,
                    "max_blocks": 4,
                    "capex_usd_per_it_mw": 8e6,
                    "lead_periods": 2,
                    "pue": 1.25,
                    "lease_usd_per_kw_month": {"start": 140, "annual_growth": 0.04},
                    "opex_usd_per_it_mw_year": 60000,
                },
            }
        )
    cash = 2e5 * total if cash_usd is None else cash_usd
    return {
        "name": f"scaled_{total:g}MW",
        "horizon": {"start": "2026-01", "periods": periods, "period_months": 3},
        "markets": {
            "hashprice_usd_per_ph_day": {"start": 50, "annual_growth": -0.15},
            "ai_demand_it_mw": {"R0": total / 8},
        },
        "sites": out_sites,
        "finance": {
            "discount_rate_annual": 0.12,
            "initial_cash_usd": cash,
            "min_cash_usd": cash / 10,
            "overhead_usd_per_year": 2e4 * total,
            "max_debt_to_ebitda": 5,
            "terminal": {"mining_ebitda_multiple": 3, "ai_ebitda_multiple": 10},
            "debt": [
                {"name": "Term", "limit_usd": 4e6 * total, "rate_annual": 0.09, "upfront_fee": 0.01, "maturity": "2030-01"},
                {"name": "Build", "limit_usd": 6e6 * total, "rate_annual": 0.07, "advance_rate_on_ai_capex": 0.6},
            ],
        },
    }
