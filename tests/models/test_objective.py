"""Hand-derived checks of the objective (SPEC sections 1, 5 and 6): terminal value,
discounting with cash at the end of each period, and a two-scenario instance.

10 MW at pue 1, eff 20 J/TH = 500 PH/s. At hashprice 50 and power 40, a quarter earns
50 * 500 * 91.25 = 2,281,250 and pays 10 * 2190 * 40 = 876,000: margin 1,405,250.
"""

from __future__ import annotations

import pytest

from builders import QUARTER_RATE_1_1, ai_site, ai_spec, alloc, as_list, fin, make, miner, run
from optimizer import Status


def usd(x):
    return pytest.approx(x, rel=1e-9, abs=0.5)


def mw(x):
    return pytest.approx(x, rel=1e-9, abs=1e-6)


# --------------------------------------------------------------------------- terminal value


def test_terminal_value_on_last_period_segment_ebitda():
    # one quarter; site M mines (margin 1,405,250), site A leases one block (3,000,000, capex
    # 1,000,000, lead 0); overhead 400,000 a year -> 100,000 (not part of the segment EBITDA).
    # TV = 6 * 12/3 * 1,405,250 + 10 * 12/3 * 3,000,000 = 33,726,000 + 120,000,000 = 153,726,000
    raw = make([miner("M", grid=10, price=40), ai_site("A", grid=10)], periods=1, m=3, hashprice=50,
               overhead_usd_per_year=400_000, terminal={"mining_ebitda_multiple": 6, "ai_ebitda_multiple": 10})
    r = run(raw)
    assert r.scenario_npv.loc["base", "terminal_value_usd"] == usd(153_726_000)
    # NPV = 1,405,250 + 3,000,000 - 100,000 - 1,000,000 + 153,726,000 = 157,031,250
    assert r.objective_usd == usd(157_031_250)


def test_terminal_value_uses_only_the_last_period():
    # two quarters, hashprice [50, 20]: the last quarter's mining margin is
    # 20 * 500 * 91.25 - 876,000 = 912,500 - 876,000 = 36,500 -> TV = 6 * 4 * 36,500 = 876,000.
    raw = make([miner("M", grid=10, price=40)], periods=2, m=3, hashprice=[50, 20],
               terminal={"mining_ebitda_multiple": 6})
    r = run(raw)
    assert r.scenario_npv.loc["base", "terminal_value_usd"] == usd(876_000)
    # NPV = 1,405,250 + 36,500 + 876,000 = 2,317,750
    assert r.objective_usd == usd(2_317_750)


def test_terminal_multiple_with_one_year_periods():
    # m = 12: TV = multiple * 12/12 * EBITDA. 10 MW, hashprice 50, power 40:
    # 50 * 500 * 365 = 9,125,000 - 10 * 8760 * 40 = 3,504,000 -> 5,621,000 ; TV = 3 * 5,621,000 = 16,863,000
    raw = make([miner("M", grid=10, price=40)], periods=1, m=12, hashprice=50,
               terminal={"mining_ebitda_multiple": 3})
    r = run(raw)
    # NPV = 5,621,000 + 16,863,000 = 22,484,000
    assert r.objective_usd == usd(22_484_000)


def test_terminal_value_can_justify_a_retrofit():
    # one quarter, block online at once (lead 0) but capex 10,000,000 > 3,000,000 lease:
    # without TV nothing is built (NPV = mining only); with an AI multiple of 1 the block is worth
    # 3,000,000 + 4 * 3,000,000 = 15,000,000 > 10,000,000.
    site = miner("S", grid=10, price=40, ai=ai_spec(capex=1_000_000))
    raw = make([site], periods=1, m=3, hashprice=50, initial_cash_usd=10_000_000)
    r0 = run(raw)
    assert len(r0.retrofits) == 0
    # NPV = 10M + 1,405,250 = 11,405,250
    assert r0.objective_usd == usd(11_405_250)
    raw["finance"]["terminal"] = {"ai_ebitda_multiple": 1}
    r1 = run(raw)
    assert as_list(r1.retrofits["blocks"]) == [1]
    assert alloc(r1, "S", "mine_mw").iloc[0] == mw(0)
    # NPV = 10M - 10M + 3M + 12M = 15,000,000 (> 11,405,250)
    assert r1.objective_usd == usd(15_000_000)


# --------------------------------------------------------------------------- discounting


@pytest.mark.parametrize("m", [1, 3, 6, 12])
def test_discounting_cash_at_period_end(m):
    # rate r such that one period discounts by exactly 1.05: (1 + r) ** (m/12) = 1.05
    # (monthly periods: r = 1.05 ** 12 - 1 = 0.796, within the rule "at most 1").
    # df_t = (1 + r) ** (-(t + 1) * m/12) = 1.05 ** -(t + 1): [1/1.05, 1/1.1025, 1/1.157625].
    rate = 1.05 ** (12 / m) - 1
    raw = make([miner("M", grid=10, price=40)], periods=3, m=m, hashprice=50, discount_rate_annual=rate)
    r = run(raw)
    assert r.status is Status.OPTIMAL
    assert as_list(fin(r, "discount_factor")) == [pytest.approx(1 / 1.05), pytest.approx(1 / 1.1025), pytest.approx(1 / 1.157625)]
    # margin per period scales with m: 1,405,250 * m/3 (days and hours are both proportional to m)
    ebitda = 1_405_250 * m / 3
    assert as_list(fin(r, "ebitda_usd")) == [usd(ebitda)] * 3
    # every period's EBITDA is worth most paid out at once: NPV = E/1.05 + E/1.1025 + E/1.157625
    assert r.objective_usd == usd(ebitda / 1.05 + ebitda / 1.1025 + ebitda / 1.157625)


def test_discount_factor_formula_with_ten_percent():
    # quarters at 10 %/year: df_t = 1.1 ** (-(t + 1) * 3/12)
    raw = make([miner("M", grid=10, price=40)], periods=4, m=3, hashprice=50, discount_rate_annual=0.1)
    r = run(raw)
    expected = [1.1 ** (-(t + 1) * 0.25) for t in range(4)]
    assert as_list(fin(r, "discount_factor")) == [pytest.approx(v, rel=1e-12) for v in expected]
    assert r.objective_usd == usd(1_405_250 * sum(expected))


def test_initial_cash_is_paid_out_at_the_end_of_the_first_period():
    # cash is only paid out at period end: 1,000,000 of initial cash is worth 1,000,000 / 1.1
    # (not 1,000,000) when one quarter discounts by 1.1.
    raw = make([miner("M", grid=10, price=0)], periods=2, m=3, initial_cash_usd=1_000_000,
               discount_rate_annual=QUARTER_RATE_1_1)
    r = run(raw)
    assert r.objective_usd == usd(1_000_000 / 1.1)


# --------------------------------------------------------------------------- scenarios


def _two_scenarios() -> dict:
    # One site: grid 15 MW, mining (pue 1, eff 20), power 40; one AI block of 10 IT MW (ai pue 1, so it
    # holds 10 grid MW), lead 0, capex 100,000/IT MW -> 1,000,000, lease 100 -> 3,000,000 a quarter.
    # Two quarters, discount 0. Scenarios: bull (p = 0.25) hashprice 100, bear (p = 0.75) hashprice 20.
    # Mining margin per MW-quarter: bull 100 * 50 * 91.25 - 2190 * 40 = 456,250 - 87,600 = 368,650;
    #                               bear  20 * 50 * 91.25 - 87,600 = 91,250 - 87,600 = 3,650.
    site = miner("S", grid=15, price=40, ai=ai_spec())
    scenarios = [
        {"name": "bull", "probability": 0.25, "set": {"markets.hashprice_usd_per_ph_day": 100}},
        {"name": "bear", "probability": 0.75, "set": {"markets.hashprice_usd_per_ph_day": 20}},
    ]
    return make([site], periods=2, m=3, hashprice=60, scenarios=scenarios)


def test_two_scenarios_here_and_now_retrofit():
    # Plans (the retrofit is shared by both scenarios):
    #   none:       bull 2 * 15 * 368,650 = 11,059,500 ; bear 2 * 15 * 3,650 = 109,500
    #               E = 0.25 * 11,059,500 + 0.75 * 109,500 = 2,764,875 + 82,125 = 2,847,000
    #   start t0:   bull 2 * 3M + 2 * 5 * 368,650 - 1M = 8,686,500 ; bear 6M + 2 * 5 * 3,650 - 1M = 5,036,500
    #               E = 0.25 * 8,686,500 + 0.75 * 5,036,500 = 2,171,625 + 3,777,375 = 5,949,000
    #   start t1:   bull 15 * 368,650 + 3M + 5 * 368,650 - 1M = 9,373,000 ;
    #               bear 15 * 3,650 + 3M + 5 * 3,650 - 1M = 2,073,000
    #               E = 2,343,250 + 1,554,750 = 3,898,000
    # -> start in t0, E[NPV] = 5,949,000 (even though "bull" alone would not retrofit).
    r = run(_two_scenarios())
    assert r.status is Status.OPTIMAL
    assert [(row.site, row.start, int(row.blocks)) for row in r.retrofits.itertuples()] == [("S", "2026-01", 1)]
    assert r.scenario_npv.loc["bull", "npv_usd"] == usd(8_686_500)
    assert r.scenario_npv.loc["bear", "npv_usd"] == usd(5_036_500)
    assert r.scenario_npv.loc["bull", "probability"] == pytest.approx(0.25)
    assert r.objective_usd == usd(5_949_000)
    # operations are per scenario: 5 MW left to mine in both (both margins are positive)
    assert as_list(alloc(r, "S", "mine_mw", "bull")) == [mw(5), mw(5)]
    assert as_list(alloc(r, "S", "mine_mw", "bear")) == [mw(5), mw(5)]
    assert as_list(alloc(r, "S", "mining_revenue_usd", "bull")) == [usd(5 * 456_250)] * 2
    assert as_list(alloc(r, "S", "mining_revenue_usd", "bear")) == [usd(5 * 91_250)] * 2


def test_scenario_overrides_a_site_and_a_facility_by_name():
    # Mining only, one quarter, hashprice 50, discount 0. Base power 40.
    # "cheap" sets sites.S.power_price_usd_per_mwh = 0: margin 2,281,250.
    # "dear" sets it to 120: 2,281,250 - 10 * 2190 * 120 = 2,281,250 - 2,628,000 < 0 -> curtail, 0.
    # Both carry an initial loan of 1,000,000 paid back at the end; "dear" sets its rate to 0.08
    # (interest 20,000 on the opening balance), "cheap" keeps rate 0.
    # Flows (before initial cash): cheap 2,281,250 - 1,000,000 = 1,281,250 ;
    #                               dear 0 - 20,000 - 1,000,000 = -1,020,000
    raw = make([miner("S", grid=10, price=40)], periods=1, m=3, hashprice=50, initial_cash_usd=1_100_000,
               debt=[{"name": "loan", "limit_usd": 1_000_000, "initial_balance_usd": 1_000_000, "rate_annual": 0.0}],
               scenarios=[
                   {"name": "cheap", "probability": 0.5, "set": {"sites.S.power_price_usd_per_mwh": 0}},
                   {"name": "dear", "probability": 0.5, "set": {"sites.S.power_price_usd_per_mwh": [120],
                                                                "finance.debt.loan.rate_annual": 0.08}},
               ])
    r = run(raw)
    assert alloc(r, "S", "mine_mw", "cheap").iloc[0] == mw(10)
    assert alloc(r, "S", "mine_mw", "dear").iloc[0] == mw(0)
    # with initial cash 1,100,000 both scenarios are feasible; NPV adds the initial cash:
    # cheap 1,100,000 + 1,281,250 = 2,381,250 ; dear 1,100,000 - 1,020,000 = 80,000
    assert r.scenario_npv.loc["cheap", "npv_usd"] == usd(2_381_250)
    assert r.scenario_npv.loc["dear", "npv_usd"] == usd(80_000)
    # E = 0.5 * 2,381,250 + 0.5 * 80,000 = 1,230,625
    assert r.objective_usd == usd(1_230_625)


def test_every_scenario_must_stay_feasible():
    # Same site without initial cash: in "dear" the 100,000 a year overhead (25,000 a quarter)
    # cannot be paid -> the whole instance is infeasible.
    raw = make([miner("S", grid=10, price=40)], periods=1, m=3, hashprice=50, overhead_usd_per_year=100_000,
               scenarios=[
                   {"name": "cheap", "probability": 0.5, "set": {"sites.S.power_price_usd_per_mwh": 0}},
                   {"name": "dear", "probability": 0.5, "set": {"sites.S.power_price_usd_per_mwh": 120}},
               ])
    r = run(raw)
    assert r.status is Status.INFEASIBLE
