"""Seeded synthetic portfolios for benchmarks: ``generate(sites, periods, scenarios, seed)``.

The result is a plain instance dict, valid under SPEC v1, with numbers drawn from
the realistic ranges of ``shared/data/public-facts.md``:

- grid 10-600 MW per site (a third of the sites get a later expansion step),
  power 25-65 USD/MWh (0-3 %/yr drift), ASIC efficiency 9.5-25 J/TH, mining PUE
  1.03-1.15, mining opex 20-80 kUSD per MW-year;
- about 80 % of the sites can be retrofitted: blocks of 10-60 IT MW (never more
  than the site's IT share of its grid), capex 8-12 MUSD per IT MW, lead 2-8
  quarters, AI PUE 1.10-1.35, lease 110-200 USD/kW-month with a 2-3 %/yr escalator,
  AI opex 150-350 kUSD per IT MW-year, power passed through at ~85 % of the sites,
  earliest start 0-4 quarters after the horizon start;
- hashprice ~30 USD/PH/day with a 0.5 step at every halving in the horizon
  (2028-04, 2032-04, 2036-04, 2040-04, ...), annual growth -5..+10 %;
- regions of about four sites, half of them with an AI demand limit (30-60 % of the
  region's retrofittable IT MW at the start, growing 10-25 %/yr);
- finance scaled with the portfolio (``k = sites / 12``, a Bitdeer-sized portfolio
  being k = 1): discount 9-14 %, initial cash 300 MUSD k, min cash 25 MUSD k,
  overhead 30 MUSD/yr k, capex budget 1 BUSD/yr k spread per quarter, total capex
  budget 8 BUSD k, no debt/EBITDA covenant unless asked (``covenant=``), terminal multiples 4x mining / 10x AI;
  three facilities: convertible notes (initial balance, 4 %, maturity ~5 yr),
  a construction loan (7.5 %, 1 % fee, 80 % advance rate on AI capex, draw window
  of 5 years, maturity ~8 yr) and a revolver (9 %, 0.5 % fee);
- ``scenarios > 1``: hashprice overrides (start x0.75..1.25, growth -10..+15 %/yr,
  the same halvings) with equal probabilities.

Quarterly periods starting 2026-10. The same arguments always give the same dict.

    from benchmarks.generate import generate
    raw = generate(12, 40, 1, seed=0)
    python benchmarks/generate.py 12 40 1 --seed 0 > x.json
"""

from __future__ import annotations

import json
import math
import random
import sys

START_YEAR, START_MONTH = 2026, 10  # horizon start 2026-10
PERIOD_MONTHS = 3
HALVINGS = [(2028 + 4 * k, 4) for k in range(10)]  # April of 2028, 2032, ...


def _label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _month_after(quarters: int) -> str:
    """Label of the period ``quarters`` periods after the horizon start."""
    m = START_YEAR * 12 + START_MONTH - 1 + PERIOD_MONTHS * quarters
    return _label(m // 12, m % 12 + 1)


def _end_month(periods: int) -> int:
    return START_YEAR * 12 + START_MONTH - 1 + PERIOD_MONTHS * (periods - 1)


def _halving_steps(periods: int) -> list[dict]:
    last = _end_month(periods)
    return [
        {"from": _label(y, m), "factor": 0.5}
        for y, m in HALVINGS
        if y * 12 + m - 1 <= last
    ]


def _r(x: float, nd: int = 2) -> float:
    return round(x, nd)


def generate(sites: int, periods: int, scenarios: int = 1, seed: int = 0, covenant: float | None = None) -> dict:
    """A synthetic portfolio of ``sites`` sites over ``periods`` quarters with ``scenarios``
    equally likely hashprice scenarios (1: no ``scenarios`` list).

    ``covenant``: a ``max_debt_to_ebitda`` ratio to add (default none: the SPEC applies
    it at every period end, also asking EBITDA >= 0, which a low-hashprice scenario
    after a halving can make infeasible).
    """
    if sites < 1 or periods < 1 or scenarios < 1:
        raise ValueError("sites, periods and scenarios must be >= 1")
    rng = random.Random(f"allocate-bench/{sites}/{periods}/{scenarios}/{seed}")
    k = sites / 12.0
    n_regions = max(2, math.ceil(sites / 4))
    regions = [f"R{i:02d}" for i in range(n_regions)]

    site_list = []
    region_it = {r: 0.0 for r in regions}
    for i in range(sites):
        region = regions[i % n_regions] if i < n_regions else rng.choice(regions)
        grid0 = rng.uniform(10, 600)
        grid: object = _r(grid0, 1)
        if rng.random() < 1 / 3 and periods > 4:
            grid = {
                "start": _r(grid0, 1),
                "steps": [{"from": _month_after(rng.randrange(2, max(3, min(periods, 12)))), "factor": _r(rng.uniform(1.15, 1.5), 3)}],
            }
        site = {
            "name": f"S{i:03d}",
            "region": region,
            "grid_mw": grid,
            "power_price_usd_per_mwh": {"start": _r(rng.uniform(25, 65)), "annual_growth": _r(rng.uniform(0.0, 0.03), 4)},
            "mining": {
                "efficiency_j_per_th": _r(rng.uniform(9.5, 25), 1),
                "pue": _r(rng.uniform(1.03, 1.15), 3),
                "opex_usd_per_mw_year": _r(rng.uniform(20_000, 80_000), -3),
            },
        }
        it_share = rng.uniform(0.74, 0.90)
        ai_pue = _r(rng.uniform(1.10, 1.35), 3)
        it_cap = grid0 * it_share / ai_pue * 1.0
        block = _r(rng.uniform(10, 60), 0)
        if rng.random() < 0.8 and it_cap >= 10:
            block = min(block, math.floor(it_cap))
            max_blocks = max(1, int(it_cap // block))
            ai = {
                "eligible": True,
                "block_it_mw": block,
                "max_blocks": max_blocks,
                "capex_usd_per_it_mw": _r(rng.uniform(8e6, 12e6), -4),
                "lead_periods": rng.randint(2, 8),
                "pue": ai_pue,
                "lease_usd_per_kw_month": {"start": _r(rng.uniform(110, 200)), "annual_growth": _r(rng.uniform(0.02, 0.03), 4)},
                "opex_usd_per_it_mw_year": _r(rng.uniform(150_000, 350_000), -3),
                "power_pass_through": rng.random() < 0.85,
            }
            start_q = rng.randint(0, 4)
            if start_q:
                ai["earliest_start"] = _month_after(min(start_q, periods - 1))
            site["ai"] = ai
            region_it[region] += block * max_blocks
        site_list.append(site)

    halvings = _halving_steps(periods)
    hashprice = {"start": _r(rng.uniform(28, 34)), "annual_growth": _r(rng.uniform(-0.05, 0.10), 4)}
    if halvings:
        hashprice["steps"] = halvings
    demand = {}
    for r in regions:
        if region_it[r] > 0 and rng.random() < 0.5:
            demand[r] = {"start": _r(region_it[r] * rng.uniform(0.3, 0.6), 1), "annual_growth": _r(rng.uniform(0.10, 0.25), 3)}

    maturity_notes = _month_after(min(periods - 1, 20))
    finance = {
        "discount_rate_annual": _r(rng.uniform(0.09, 0.14), 4),
        "initial_cash_usd": _r(300e6 * k, -3),
        "min_cash_usd": _r(25e6 * k, -3),
        "overhead_usd_per_year": {"start": _r(30e6 * k, -3), "annual_growth": 0.03},
        "capex_budget_usd": _r(250e6 * k, -3),
        "total_capex_budget_usd": _r(8e9 * k, -3),
        "terminal": {"mining_ebitda_multiple": 4.0, "ai_ebitda_multiple": 10.0},
        "debt": [
            {
                "name": "convertible_notes",
                "limit_usd": _r(400e6 * k, -3),
                "initial_balance_usd": _r(150e6 * k, -3),
                "rate_annual": 0.04,
                "draw_until": _month_after(min(periods - 1, 4)),
                "maturity": maturity_notes,
            },
            {
                "name": "construction_loan",
                "limit_usd": _r(3e9 * k, -3),
                "rate_annual": 0.075,
                "upfront_fee": 0.01,
                "advance_rate_on_ai_capex": 0.8,
                "draw_from": _month_after(min(periods - 1, 1)),
                "draw_until": _month_after(min(periods - 1, 20)),
                "maturity": _month_after(min(periods - 1, 32)),
            },
            {
                "name": "revolver",
                "limit_usd": _r(150e6 * k, -3),
                "rate_annual": 0.09,
                "upfront_fee": 0.005,
            },
        ],
    }
    raw = {
        "name": f"synthetic_{sites}x{periods}x{scenarios}_s{seed}",
        "description": f"benchmarks/generate.py: {sites} sites, {periods} quarters, {scenarios} scenarios, seed {seed}",
        "horizon": {"start": _label(START_YEAR, START_MONTH), "periods": periods, "period_months": PERIOD_MONTHS},
        "markets": {"hashprice_usd_per_ph_day": hashprice},
        "sites": site_list,
        "finance": finance,
    }
    if covenant is not None:
        finance["max_debt_to_ebitda"] = float(covenant)
    if demand:
        raw["markets"]["ai_demand_it_mw"] = demand
    if scenarios > 1:
        scen = []
        for j in range(scenarios):
            hp = {
                "start": _r(hashprice["start"] * rng.uniform(0.75, 1.25)),
                "annual_growth": _r(rng.uniform(-0.10, 0.15), 4),
            }
            if halvings:
                hp["steps"] = halvings
            scen.append({"name": f"hp{j:02d}", "probability": 1.0 / scenarios, "set": {"markets.hashprice_usd_per_ph_day": hp}})
        raw["scenarios"] = scen
    return raw


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(description="Print a synthetic instance as JSON.")
    p.add_argument("sites", type=int)
    p.add_argument("periods", type=int)
    p.add_argument("scenarios", type=int, nargs="?", default=1)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    json.dump(generate(a.sites, a.periods, a.scenarios, a.seed), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
