"""Hand-derived checks of operations (SPEC sections 3-4): mining margin, curtailment,
the mining cap, regional AI demand, power pass-through and every series form.

Arithmetic conventions are in ``builders.py``: eff 20 J/TH at pue 1 -> 1 MW = 50 PH/s;
a quarter has 2190 h and 91.25 days; discount rate 0 unless said otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import Q_LABELS, ai_site, alloc, as_list, fin, make, miner, run
from optimizer import Status

TINY = Path(__file__).parent.parent / "data" / "tiny"


def usd(x):
    """Money: exact to 1e-9 relative, or half a dollar (solver tolerances in USD)."""
    return pytest.approx(x, rel=1e-9, abs=0.5)


def mw(x):
    return pytest.approx(x, rel=1e-9, abs=1e-6)


# --------------------------------------------------------------------------- mining margin


def test_mining_margin_one_quarter():
    # 10 MW, pue 1, eff 20 J/TH, hashprice 50 USD/PH/day, power 40 USD/MWh,
    # opex 100,000 USD/MW-year, one quarter (m = 3), discount 0.
    raw = make([miner(grid=10, price=40, opex=100_000)], periods=1, m=3, hashprice=50)
    r = run(raw)
    assert r.status is Status.OPTIMAL
    # margin per MW is positive (see below), so the whole 10 MW is mined
    assert alloc(r, "M", "mine_mw").iloc[0] == mw(10)
    # TH/s = 10 * 1e6 / 1 / 20 = 500,000 TH/s = 500 PH/s
    assert alloc(r, "M", "hashrate_ph_s").iloc[0] == mw(500)
    # revenue = 50 * 500 * 91.25 = 2,281,250
    assert alloc(r, "M", "mining_revenue_usd").iloc[0] == usd(2_281_250)
    # power = 10 MW * 2190 h * 40 = 876,000
    assert alloc(r, "M", "mining_power_usd").iloc[0] == usd(876_000)
    # opex = 10 * 100,000 * 3/12 = 250,000
    assert alloc(r, "M", "mining_opex_usd").iloc[0] == usd(250_000)
    # cost = 876,000 + 250,000 = 1,126,000
    assert alloc(r, "M", "mining_cost_usd").iloc[0] == usd(1_126_000)
    # EBITDA = 2,281,250 - 1,126,000 = 1,155,250
    assert fin(r, "mining_ebitda_usd").iloc[0] == usd(1_155_250)
    assert fin(r, "ebitda_usd").iloc[0] == usd(1_155_250)
    # one period, no debt, no capex, discount 0: NPV = EBITDA = 1,155,250
    assert r.objective_usd == usd(1_155_250)


def test_mining_margin_one_year_with_pue():
    # pue 1.25, eff 20: 1 grid MW = 1e6 / 1.25 / 20 = 40,000 TH/s = 40 PH/s.
    # 8 MW -> 320 PH/s. One year (m = 12): 8760 h, 365 days.
    raw = make([miner(grid=8, pue=1.25, price=25, opex=50_000)], periods=1, m=12, hashprice=40)
    r = run(raw)
    assert alloc(r, "M", "hashrate_ph_s").iloc[0] == mw(320)
    # revenue = 40 * 320 * 365 = 4,672,000
    assert alloc(r, "M", "mining_revenue_usd").iloc[0] == usd(4_672_000)
    # power = 8 * 8760 * 25 = 1,752,000 ; opex = 8 * 50,000 * 12/12 = 400,000
    assert alloc(r, "M", "mining_cost_usd").iloc[0] == usd(1_752_000 + 400_000)
    # NPV = 4,672,000 - 2,152,000 = 2,520,000
    assert r.objective_usd == usd(2_520_000)


def test_mining_margin_one_month():
    # m = 1: hours = 730, days = 365/12. 10 MW = 500 PH/s, hashprice 48.
    raw = make([miner(grid=10, price=30)], periods=1, m=1, hashprice=48)
    r = run(raw)
    # revenue = 48 * 500 * 365/12 = 730,000 ; power = 10 * 730 * 30 = 219,000
    assert alloc(r, "M", "mining_revenue_usd").iloc[0] == usd(730_000)
    assert alloc(r, "M", "mining_power_usd").iloc[0] == usd(219_000)
    # NPV = 730,000 - 219,000 = 511,000
    assert r.objective_usd == usd(511_000)


def test_mining_max_mw_caps_the_fleet():
    # grid 10 MW but the fleet draws at most 6 MW: mine = 6.
    raw = make([miner(grid=10, price=40, max_mw=6)], periods=1, m=3, hashprice=50)
    r = run(raw)
    assert alloc(r, "M", "mine_mw").iloc[0] == mw(6)
    # idle = 10 - 6 = 4 MW
    assert alloc(r, "M", "idle_mw").iloc[0] == mw(4)
    # margin per MW-quarter = 50 * 50 * 91.25 - 2190 * 40 = 228,125 - 87,600 = 140,525
    # NPV = 6 * 140,525 = 843,150
    assert r.objective_usd == usd(843_150)


def test_mining_max_mw_defaults_to_largest_grid():
    # grid [4, 10] with no max_mw: the fleet may draw 10 MW (the largest grid_mw),
    # so period 1 mines 10, period 0 is limited by its grid to 4.
    raw = make([miner(grid=[4, 10], price=40)], periods=2, m=3, hashprice=50)
    r = run(raw)
    assert as_list(alloc(r, "M", "mine_mw")) == [mw(4), mw(10)]
    # NPV = (4 + 10) * 140,525 = 1,967,350
    assert r.objective_usd == usd(1_967_350)


# --------------------------------------------------------------------------- curtailment


def test_curtailment_when_hashprice_below_power_cost():
    # hashprice 10: revenue per MW-quarter = 10 * 50 * 91.25 = 45,625
    # power per MW-quarter = 2190 * 40 = 87,600 > 45,625 -> mine = 0.
    # overhead 1,200,000 per year -> 300,000 per quarter; initial cash 1,000,000.
    raw = make(
        [miner(grid=10, price=40)], periods=2, m=3, hashprice=10,
        initial_cash_usd=1_000_000, overhead_usd_per_year=1_200_000,
    )
    r = run(raw)
    assert r.status is Status.OPTIMAL
    assert as_list(alloc(r, "M", "mine_mw")) == [mw(0), mw(0)]
    # EBITDA is the overhead only: -300,000 in each quarter
    assert as_list(fin(r, "ebitda_usd")) == [usd(-300_000), usd(-300_000)]
    assert as_list(fin(r, "mining_ebitda_usd")) == [usd(0), usd(0)]
    # NPV = 1,000,000 - 2 * 300,000 = 400,000
    assert r.objective_usd == usd(400_000)


def test_curtailment_period_by_period():
    # hashprice as a list [10, 100]: quarter 0 curtailed (45,625 < 87,600 per MW),
    # quarter 1 mined: 100 * 500 * 91.25 = 4,562,500 revenue, 876,000 power.
    raw = make([miner(grid=10, price=40)], periods=2, m=3, hashprice=[10, 100])
    r = run(raw)
    assert as_list(alloc(r, "M", "mine_mw")) == [mw(0), mw(10)]
    # NPV = 4,562,500 - 876,000 = 3,686,500
    assert r.objective_usd == usd(3_686_500)


def test_opex_alone_can_curtail():
    # revenue per MW-quarter 45,625 (hashprice 10), power 0, opex 200,000 / MW-year
    # -> 50,000 per MW-quarter > 45,625 -> curtail.
    raw = make([miner(grid=10, price=0, opex=200_000)], periods=1, m=3, hashprice=10)
    r = run(raw)
    assert alloc(r, "M", "mine_mw").iloc[0] == mw(0)
    assert r.objective_usd == usd(0)


# --------------------------------------------------------------------------- regional demand


def test_regional_demand_caps_leasing_and_absent_region_is_unlimited():
    # Region A: two sites with one 10 IT MW block each (lead 0, capex 100,000/MW -> 1,000,000),
    # demand A = [15, 5] IT MW. Region B (not in the map) has one such block: unlimited.
    # lease 100 USD/kW-month -> 300,000 per IT MW-quarter.
    sites = [ai_site("A1", region="A"), ai_site("A2", region="A"), ai_site("B1", region="B")]
    raw = make(sites, periods=2, m=3, demand={"A": [15, 5]})
    r = run(raw)
    leased_a = alloc(r, "A1", "ai_it_mw") + alloc(r, "A2", "ai_it_mw")
    # sum of ai in region A <= demand, and leasing pays, so it is equal
    assert as_list(leased_a) == [mw(15), mw(5)]
    assert as_list(alloc(r, "B1", "ai_it_mw")) == [mw(10), mw(10)]
    # Building both A blocks: A leases (15 + 5) * 300,000 = 6,000,000 for 2,000,000 capex -> 4,000,000.
    # Building one A block: (10 + 5) * 300,000 = 4,500,000 - 1,000,000 = 3,500,000 < 4,000,000.
    # B: 2 * 3,000,000 - 1,000,000 = 5,000,000.
    # NPV = 4,000,000 + 5,000,000 = 9,000,000
    assert r.objective_usd == usd(9_000_000)
    assert int(r.retrofits["blocks"].sum()) == 3


def test_regional_demand_zero_means_no_retrofit():
    # demand 0 in the only region: no lease is possible, a block would only cost money.
    raw = make([ai_site("A1", region="A")], periods=2, m=3, demand={"A": 0})
    r = run(raw)
    assert len(r.retrofits) == 0
    assert r.objective_usd == usd(0)


# --------------------------------------------------------------------------- power pass-through


def _pass_through_instance(flag: bool) -> dict:
    # one 10 IT MW block, ai pue 1.2, lead 0, capex 100,000/MW (1,000,000), lease 100,
    # ai opex 120,000 per IT MW-year, power 50 USD/MWh, grid 12 MW (10 * 1.2), one quarter.
    site = ai_site("A", grid=12, price=50, pue=1.2, opex_usd_per_it_mw_year=120_000, power_pass_through=flag)
    return make([site], periods=1, m=3)


def test_power_pass_through_false_landlord_pays_ai_energy():
    r = run(_pass_through_instance(False))
    assert alloc(r, "A", "ai_it_mw").iloc[0] == mw(10)
    # revenue = 10 * 1000 * 100 * 3 = 3,000,000
    assert alloc(r, "A", "ai_revenue_usd").iloc[0] == usd(3_000_000)
    # landlord energy = ai * pue * h * price = 10 * 1.2 * 2190 * 50 = 1,314,000
    assert alloc(r, "A", "ai_power_usd").iloc[0] == usd(1_314_000)
    # opex = 10 * 120,000 * 3/12 = 300,000 ; cost = 300,000 + 1,314,000 = 1,614,000
    assert alloc(r, "A", "ai_opex_usd").iloc[0] == usd(300_000)
    assert alloc(r, "A", "ai_cost_usd").iloc[0] == usd(1_614_000)
    # AI EBITDA = 3,000,000 - 1,614,000 = 1,386,000 ; NPV = 1,386,000 - 1,000,000 = 386,000
    assert fin(r, "ai_ebitda_usd").iloc[0] == usd(1_386_000)
    assert r.objective_usd == usd(386_000)


def test_power_pass_through_true_tenant_pays_ai_energy():
    r = run(_pass_through_instance(True))
    assert alloc(r, "A", "ai_power_usd").iloc[0] == usd(0)
    # AI EBITDA = 3,000,000 - 300,000 = 2,700,000 ; NPV = 2,700,000 - 1,000,000 = 1,700,000
    assert fin(r, "ai_ebitda_usd").iloc[0] == usd(2_700_000)
    assert r.objective_usd == usd(1_700_000)


def test_power_pass_through_false_can_make_a_retrofit_unprofitable():
    # power 120 USD/MWh, pue 1.2: landlord energy = 10 * 1.2 * 2190 * 120 = 3,153,600
    # > 3,000,000 lease: leasing loses money, so no block is built.
    raw = _pass_through_instance(False)
    raw["sites"][0]["power_price_usd_per_mwh"] = 120
    r = run(raw)
    assert len(r.retrofits) == 0
    assert r.objective_usd == usd(0)


# --------------------------------------------------------------------------- series forms in a solve


def test_series_number_and_list_in_a_solve():
    # power price as a number (40), hashprice as a list [50, 60]; 10 MW, quarters.
    raw = make([miner(grid=10, price=40)], periods=2, m=3, hashprice=[50, 60])
    r = run(raw)
    # revenue = [50, 60] * 500 * 91.25 = [2,281,250, 2,737,500]
    assert as_list(alloc(r, "M", "mining_revenue_usd")) == [usd(2_281_250), usd(2_737_500)]
    # power = 876,000 both quarters; NPV = 2,281,250 + 2,737,500 - 2 * 876,000 = 3,266,750
    assert r.objective_usd == usd(3_266_750)


def test_series_growth_with_halving_in_a_solve():
    # half-years (m = 6, days = 182.5, hours = 4380) from 2026-01: 2026-01, 2026-07, 2027-01, 2027-07.
    # hashprice = 100 * 1.21 ** (t * 6/12) = 100 * 1.1 ** t, halved from 2027-01:
    #   [100, 110, 121 * 0.5, 133.1 * 0.5] = [100, 110, 60.5, 66.55]
    hp = {"start": 100, "annual_growth": 0.21, "steps": [{"from": "2027-01", "factor": 0.5}]}
    raw = make([miner(grid=10, price=0)], periods=4, m=6, hashprice=hp)
    r = run(raw)
    # revenue = hashprice * 500 PH/s * 182.5 days = hashprice * 91,250
    expected = [100 * 91_250, 110 * 91_250, 60.5 * 91_250, 66.55 * 91_250]
    assert as_list(alloc(r, "M", "mining_revenue_usd")) == [usd(v) for v in expected]
    # = 9,125,000 + 10,037,500 + 5,520,625 + 6,072,687.5 = 30,755,812.5
    assert r.objective_usd == usd(30_755_812.5)


def test_series_csv_in_a_solve():
    # tests/data/tiny/csv_series.json reads hashprice and power price from prices.csv
    # (rows for 2026-01..2026-10 and one extra row; order shuffled).
    # hashprice = [40, 50, 60, 20], power = [40, 40, 20, 40], 10 MW, quarters.
    from instances import load_instance
    from optimizer import SolveOptions, solve

    r = solve(load_instance(TINY / "csv_series.json"), SolveOptions(mip_gap=1e-9))
    # revenue per quarter = hashprice * 45,625: [1,825,000, 2,281,250, 2,737,500, 912,500]
    # power per quarter at 10 MW = price * 21,900: [876,000, 876,000, 438,000, 876,000]
    # every quarter's margin is positive (the smallest: 912,500 - 876,000 = 36,500), so all mine 10 MW
    assert as_list(alloc(r, "M", "mine_mw")) == [mw(10)] * 4
    assert as_list(alloc(r, "M", "mining_revenue_usd")) == [usd(1_825_000), usd(2_281_250), usd(2_737_500), usd(912_500)]
    assert as_list(alloc(r, "M", "mining_power_usd")) == [usd(876_000), usd(876_000), usd(438_000), usd(876_000)]
    # NPV = 949,000 + 1,405,250 + 2,299,500 + 36,500 = 4,690,250
    assert r.objective_usd == usd(4_690_250)


def test_series_csv_through_instance_from_dict_base_dir():
    # the same CSV, referenced from a dict with base_dir = tests/data/tiny
    raw = make(
        [miner(grid=10, price={"csv": "prices.csv", "column": "power"})],
        periods=4, m=3, hashprice={"csv": "prices.csv", "column": "hashprice"},
    )
    r = run(raw, base_dir=TINY)
    assert r.objective_usd == usd(4_690_250)
    assert list(r.instance.period_labels) == Q_LABELS
