"""Hand-derived one-site checks of the SPEC v2 levers (sections 8-10), each with a
unique optimum derived in its comment. Yearly periods: 8,760 h and 365 days;
discount rate 0, so the NPV is the final cash plus the terminal value."""

from __future__ import annotations

import pytest

from builders import ai_spec, make, run
from optimizer import Status


def usd(x):
    return pytest.approx(x, rel=1e-9, abs=0.5)


def test_leased_on_completion_forces_leasing_at_a_loss():
    # One 10 IT MW block, capex 0, lead 0, power passed through, landlord opex
    # 120,000 per IT MW-year, lease [20, 5] USD/kW-month: revenue 1000 * 20 * 12 =
    # 240,000 then 60,000 per IT MW-year, so the margin is +120,000 then -60,000.
    # Free to choose: lease year 1 only, 10 * 120,000 = 1,200,000.
    # Pre-leased (ai = 10 * online): 10 * (120,000 - 60,000) = 600,000 (a block
    # started in year 2 would give -600,000, none gives 0).
    site = {"name": "A", "region": "R", "grid_mw": 20, "power_price_usd_per_mwh": 50,
            "ai": ai_spec(capex=0, lease=[20, 5], opex_usd_per_it_mw_year=120_000)}
    free = run(make([site], periods=2, m=12))
    assert free.objective_usd == usd(1_200_000)
    site["ai"]["leased_on_completion"] = True
    forced = run(make([site], periods=2, m=12))
    assert forced.status is Status.OPTIMAL
    assert forced.objective_usd == usd(600_000)
    assert forced.allocation.xs(("base", "A"), level=("scenario", "site"))["ai_it_mw"].tolist() == pytest.approx([10, 10])


def test_leased_on_completion_meets_the_demand_limit():
    # The demand limit still holds (SPEC 10): a pre-leased 10 IT MW hall in a region
    # that takes 5 IT MW can never be online, so no block is started: NPV 0 (capex 0,
    # nothing else earns).
    site = {"name": "A", "region": "R", "grid_mw": 20, "power_price_usd_per_mwh": 50,
            "ai": ai_spec(capex=0, lease=100, leased_on_completion=True)}
    result = run(make([site], periods=2, m=12, demand={"R": 5}))
    assert result.objective_usd == usd(0)
    assert result.retrofits.empty


def fleet_site(**mining):
    return {"name": "A", "region": "R", "grid_mw": 10, "power_price_usd_per_mwh": 50,
            "mining": {"efficiency_j_per_th": 30, "pue": 1.0, "max_mw": 10, **mining}}


NEW = {"name": "new", "efficiency_j_per_th": 15, "price_usd_per_th": 10}


def test_asic_model_bought_only_in_its_window():
    # Three years from 2027-01; hashprice 50, power 50 USD/MWh (worked/fleet1 numbers):
    # installed 30 J/TH margin 50 * 33.33 * 365 - 438,000 = 170,333.33 per MW-year;
    # "new" 15 J/TH margin 778,666.67 per MW-year, capex 666,666.67 per MW.
    # available_from 2027-06 selects 2028-01 (t=1); available_until 2028-12 keeps the
    # periods starting at or before it (t <= 1): "new" can be bought in 2028 only.
    # Best: mine the old fleet in 2027, retire it and buy 10 MW of "new" in 2028:
    # 10 * (170,333.33 + 2 * 778,666.67 - 666,666.67) = 10,610,000.
    # (Keeping the old fleet: 5,110,000; buying in 2027, were it allowed: 16,693,333.33.)
    raw = make([fleet_site()], periods=3, m=12, start="2027-01", hashprice=50)
    raw["markets"]["asic_models"] = [dict(NEW, available_from="2027-06", available_until="2028-12")]
    result = run(raw)
    assert result.status is Status.OPTIMAL
    assert result.objective_usd == usd(10_610_000)
    raw["markets"]["asic_models"] = [dict(NEW)]
    assert run(raw).objective_usd == usd(10 * (3 * 778_666.6666666666 - 666_666.6666666666))


def test_rack_room_lets_new_machines_beside_the_old():
    # One year, grid 20 MW, installed 10 MW (30 J/TH), racks 20 MW: buy 10 MW of "new"
    # beside the old fleet (no retirement needed): 10 * 170,333.33 + 10 * (778,666.67
    # - 666,666.67) = 1,703,333.33 + 1,120,000 = 2,823,333.33.
    site = fleet_site(rack_mw=20)
    site["grid_mw"] = 20
    raw = make([site], periods=1, m=12, hashprice=50)
    raw["markets"]["asic_models"] = [dict(NEW)]
    assert run(raw).objective_usd == usd(10 * 170_333.3333333333 + 10 * (778_666.6666666666 - 666_666.6666666666))


def test_credits_after_the_horizon_are_charged_in_the_last_period():
    # Two years. One 10 IT MW block, $10M per IT MW ($100M), lead 1, rent $300/kW-month
    # ($36M a year online), $70M of cash, AI EBITDA multiple 10 (TV = 10 * 36M = 360M).
    # Prepayment $5M per IT MW ($50M) credited over 3 periods from the online period
    # (years 2, 3, 4): years 3 and 4 fall after the horizon, so year 2 is charged all
    # $50M. Start in year 1: cash 70 + 50 - 100 = 20; year 2: 20 + 36 - 50 = 6.
    # NPV = 6 + 360 = 366M (without the hall: 70M; a start in year 2 is never online
    # and leaves 70 + 50 - 100 - 50 < 0: infeasible).
    site = {"name": "A", "region": "R", "grid_mw": 10, "power_price_usd_per_mwh": 50,
            "ai": ai_spec(capex=10_000_000, lead=1, lease=300, prepayment_usd_per_it_mw=5_000_000, prepayment_credit_periods=3)}
    raw = make([site], periods=2, m=12, initial_cash_usd=70_000_000, terminal={"ai_ebitda_multiple": 10})
    result = run(raw)
    assert result.status is Status.OPTIMAL
    assert result.objective_usd == usd(366_000_000)


def test_resale_counts_leased_ai_not_started_blocks_and_stays_out_of_the_tv():
    # Two years, grid 10 MW, no mining; tiers: half the hours at $40/MWh with resale
    # $20/MWh, half at $60/MWh without. One 5 IT MW block (pue 1.2: 6 grid MW), capex 0,
    # lead 1, lease $100/kW-month, landlord pays power, AI EBITDA multiple 1.
    # Resale per undrawn MW-year: 20 * 0.5 * 8,760 = 87,600.
    # Start in year 1, online and leased in year 2:
    #   year 1: the hall under construction draws nothing: resale 10 * 87,600 = 876,000;
    #   year 2: AI revenue 5 * 1000 * 100 * 12 = 6,000,000, power 5 * 1.2 * 8,760 *
    #   (0.5 * 40 + 0.5 * 60) = 2,628,000, resale (10 - 6) * 87,600 = 350,400;
    #   TV = 12/12 * 1 * (6,000,000 - 2,628,000) = 3,372,000 (resale is in no segment).
    # NPV = 876,000 + 6,000,000 - 2,628,000 + 350,400 + 3,372,000 = 7,970,400
    # (no hall: 2 * 876,000 = 1,752,000).
    site = {"name": "A", "region": "R", "grid_mw": 10,
            "power_price_tiers": [{"hours_fraction": 0.5, "price_usd_per_mwh": 40, "resale_usd_per_mwh": 20},
                                  {"hours_fraction": 0.5, "price_usd_per_mwh": 60}],
            "ai": ai_spec(block=5, capex=0, lead=1, pue=1.2, lease=100, power_pass_through=False)}
    raw = make([site], periods=2, m=12, terminal={"ai_ebitda_multiple": 1})
    result = run(raw)
    assert result.status is Status.OPTIMAL
    assert result.objective_usd == usd(7_970_400)


def test_resale_is_in_the_covenant():
    # One year, grid 10 MW, no mining, no AI: EBITDA is the resale alone,
    # 10 * 250 * 0.1 * 8,760 = 2,190,000. Initial debt 10M at rate 0 and a covenant of
    # 5x EBITDA: 10M <= 5 * 2,190,000 = 10.95M holds with resale (without it, EBITDA 0
    # and 10M > 0: infeasible). NPV = 2,190,000 - 10,000,000 = -7,810,000.
    site = {"name": "A", "region": "R", "grid_mw": 10,
            "power_price_tiers": [{"hours_fraction": 0.9, "price_usd_per_mwh": 30},
                                  {"hours_fraction": 0.1, "price_usd_per_mwh": 300, "resale_usd_per_mwh": 250}]}
    raw = make([site], periods=1, m=12, max_debt_to_ebitda=5,
               debt=[{"name": "D", "limit_usd": 10_000_000, "initial_balance_usd": 10_000_000, "rate_annual": 0.0}])
    result = run(raw)
    assert result.status is Status.OPTIMAL
    assert result.objective_usd == usd(-7_810_000)


def test_buys_are_decided_per_scenario():
    # worked/fleet1 numbers over two years, 10 MW: replacing the 30 J/TH fleet by
    # 15 J/TH machines gains 2 * (778,666.67 - 170,333.33) = 1,216,666.67 per MW of
    # margin. At $10/TH the machines cost 666,666.67 per MW: buy (NPV 8,906,666.67).
    # At $30/TH they cost 2,000,000 per MW: keep the old fleet (NPV 3,406,666.67).
    # Each scenario decides its own buys: 0.5 * 8,906,666.67 + 0.5 * 3,406,666.67.
    raw = make([fleet_site()], periods=2, m=12, start="2027-01", hashprice=50, scenarios=[
        {"name": "cheap", "probability": 0.5, "set": {}},
        {"name": "dear", "probability": 0.5, "set": {"markets.asic_models.new.price_usd_per_th": 30}},
    ])
    raw["markets"]["asic_models"] = [dict(NEW)]
    result = run(raw)
    assert result.status is Status.OPTIMAL
    assert result.objective_usd == usd(0.5 * 8_906_666.666666667 + 0.5 * 3_406_666.666666667)
    bought = result.fleets.xs("new", level="fleet")["bought_mw"].groupby(level="scenario").sum()
    assert bought.to_dict() == {"cheap": pytest.approx(10), "dear": pytest.approx(0)}


def test_tier_count_may_differ_between_scenarios():
    # One year, 10 MW, 25 J/TH (40 PH/s per MW), hashprice 40: a MW mined all year
    # earns 40 * 40 * 365 = 584,000. Scenario "flat": one price of $30/MWh, mine all
    # hours: 10 * (584,000 - 8,760 * 30) = 3,212,000. Scenario "spiky": worked/tiers1
    # (90 % at $30, 10 % at $300 resold at $250): 5,080,800. Probabilities 1/2 each.
    tiers = [{"hours_fraction": 0.9, "price_usd_per_mwh": 30},
             {"hours_fraction": 0.1, "price_usd_per_mwh": 300, "resale_usd_per_mwh": 250}]
    site = {"name": "A", "region": "R", "grid_mw": 10, "power_price_tiers": tiers,
            "mining": {"efficiency_j_per_th": 25, "pue": 1.0}}
    raw = make([site], periods=1, m=12, hashprice=40, scenarios=[
        {"name": "flat", "probability": 0.5, "set": {"sites.A.power_price_tiers": [{"hours_fraction": 1, "price_usd_per_mwh": 30}]}},
        {"name": "spiky", "probability": 0.5, "set": {}},
    ])
    result = run(raw)
    assert result.status is Status.OPTIMAL
    assert result.objective_usd == usd(0.5 * 3_212_000 + 0.5 * 5_080_800)
