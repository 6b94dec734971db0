"""The plan evaluator on SPEC v2 plans (sections 8-10): fleets and ASIC purchases, power
price tiers with resale, tenant prepayments and pre-leased halls.

Every number asserted is derived by hand in a comment, from SPEC.md and the worked
examples of tests/data/reference/v2/worked/README.md, or is the objective of an
independent implementation of the SPEC (tests/data/reference/v2/expected.json). No
solver runs here: the plans are data (tests/data/evaluator/v2: written by hand from
the README's derivations).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instances import InputError, instance_from_dict, load_instance
from optimizer.evaluator import V2_FAMILIES, evaluate

DATA = Path(__file__).parent.parent / "data"
WORKED = DATA / "reference" / "v2" / "worked"
PLANS = DATA / "evaluator" / "v2"
REFERENCE = DATA / "reference" / "v2"
REFERENCE_PLANS = DATA / "evaluator" / "v2_reference_plans"


def raw_case(name: str) -> dict:
    return json.loads((WORKED / f"{name}.json").read_text())


def plan_of(name: str) -> dict:
    return json.loads((PLANS / f"{name}.plan.json").read_text())


def base(frame):
    return frame.xs("base", level="scenario")


def rows(ev, family: str) -> list[tuple[str, str]]:
    """(site, period) of every violation of ``family``."""
    v = ev.violations[ev.violations["constraint"] == family]
    return list(zip(v["entity"], v["period"]))


# --------------------------------------------------------------------------------------
# the three worked cases: the hand optimum, recomputed from the plan
# --------------------------------------------------------------------------------------


def test_fleet1_optimum_by_hand() -> None:
    ev = evaluate(instance_from_dict(raw_case("fleet1")), plan_of("fleet1"))
    assert ev.feasible, ev.violations.to_string()
    f = base(ev.finance)
    # 12-month periods: h = 8,760, days = 365. "new": 1e6 / 1.0 / 15 = 66,666.67 TH/s per MW,
    # revenue 50 * 66.667 PH/s * 365 = 1,216,666.67 per MW-year; power 8,760 * 50 = 438,000:
    # mining EBITDA of 10 MW = 10 * 778,666.67 = 7,786,666.67 in each year
    assert list(f["mining_ebitda_usd"]) == pytest.approx([7_786_666.666667, 7_786_666.666667], rel=1e-12)
    # ASIC capex: 10 MW * 1e6 / 1.0 / 15 TH/s per MW * 10 USD/TH = 6,666,666.67, paid in 2027-01;
    # it is not AI capex
    assert list(f["asic_capex_usd"]) == pytest.approx([20_000_000 / 3, 0], rel=1e-12)
    assert list(f["capex_usd"]) == [0, 0]
    # cash: 7,786,666.67 - 6,666,666.67 = 1,120,000; then + 7,786,666.67 = 8,906,666.67
    assert list(f["cash_usd"]) == pytest.approx([1_120_000, 8_906_666.666667], rel=1e-12)
    # NPV (rate 0) = 10 * (2 * 778,666.67 - 666,666.67) = 26,720,000 / 3 = 8,906,666.67 (README)
    assert ev.objective_usd == pytest.approx(26_720_000 / 3, rel=1e-12)
    fleet = base(ev.fleet)
    # installed: 10 MW at the start, 10 retired in 2027-01 -> 0; new: 10 bought -> 10
    assert fleet.loc[("A", "installed"), "fleet_mw"].tolist() == [0, 0]
    assert fleet.loc[("A", "new"), "fleet_mw"].tolist() == [10, 10]
    # hashrate of the new fleet: 10 MW * 66,666.67 TH/s = 666.67 PH/s
    assert fleet.loc[("A", "new"), "hashrate_ph_s"].tolist() == pytest.approx([2000 / 3] * 2, rel=1e-12)


def test_tiers1_optimum_by_hand() -> None:
    ev = evaluate(instance_from_dict(raw_case("tiers1")), plan_of("tiers1"))
    assert ev.feasible, ev.violations.to_string()
    assert ev.warnings == []  # operations.mine_mw 9 = 0.9 * 10 + 0.1 * 0
    a = base(ev.allocation).loc[("A", "2027-01")]
    # cheap tier (90% of 8,760 h): revenue 40 $/PH/day * 40 PH/s per MW * 365 * 0.9 = 525,600 per MW
    # -> 5,256,000 for 10 MW; power 10 * 7,884 h * 30 = 2,365,200
    assert a["mining_revenue_usd"] == pytest.approx(5_256_000, rel=1e-12)
    assert a["mining_cost_usd"] == pytest.approx(2_365_200, rel=1e-12)
    # dear tier: the 10 MW are not drawn and earn 876 h * 250 = 219,000 each -> 2,190,000
    assert a["resale_revenue_usd"] == pytest.approx(2_190_000, rel=1e-12)
    assert a["mine_mw"] == pytest.approx(9)  # hours-weighted: 0.9 * 10
    m = base(ev.mining).loc[("A", "installed")]
    assert m.loc[(1, "2027-01"), "curtailed_mw"] == pytest.approx(10)  # the fleet stands still in tier 1
    # NPV = 10 * (289,080 + 219,000) = 5,080,800 (README); resale is in no terminal value
    assert ev.objective_usd == pytest.approx(5_080_800, rel=1e-12)


def test_prepay1_optimum_by_hand() -> None:
    ev = evaluate(instance_from_dict(raw_case("prepay1")), plan_of("prepay1"))
    assert ev.feasible, ev.violations.to_string()
    f = base(ev.finance)
    # one block of 10 IT MW at 10M per IT MW, lead 1: 100M in 2027-01; the tenant prepays
    # 5M * 10 = 50M in 2027-01 and is credited 50M / 2 = 25M in 2028-01 and 2029-01
    assert list(f["capex_usd"]) == [100e6, 0, 0, 0]
    assert list(f["prepayments_usd"]) == [50e6, 0, 0, 0]
    assert list(f["credits_usd"]) == [0, 25e6, 25e6, 0]
    # rent 10 * 1000 * 300 * 12 = 36M a year once online; prepayments and credits are not EBITDA
    assert list(f["ebitda_usd"]) == [0, 36e6, 36e6, 36e6]
    # cash: 50 + 50 - 100 = 0; 0 + 36 - 25 = 11; 11 + 36 - 25 = 22; 22 + 36 = 58 (README)
    assert list(f["cash_usd"]) == [0, 11e6, 22e6, 58e6]
    assert ev.objective_usd == pytest.approx(58e6, rel=1e-12)


# a perturbation of each worked optimum that breaks one v2 rule: (case, change, family, site, periods)
def _fleet1_retire_new(plan: dict) -> None:
    # retire 1 MW of "new" in 2028-01 but keep mining 10: fleet new = 9 < 10 mined
    plan["fleet"].append({"site": "A", "fleet": "new", "period": "2028-01", "retire_mw": 1})


def _tiers1_negative_tier(plan: dict) -> None:
    # -0.5 MW "mined" in the dear tier (grid: 10 - 0.5 <= 10 holds; only the sign is wrong)
    plan["mining"][1]["mine_mw"] = -0.5


def _prepay1_unleased(plan: dict) -> None:
    # the pre-leased hall leases 9 of its 10 IT MW in 2029-01
    plan["operations"][1]["ai_it_mw"] = 9


@pytest.mark.parametrize(
    "case, change, family, periods",
    [
        ("fleet1", _fleet1_retire_new, "fleet_mine", ["2028-01"]),
        ("tiers1", _tiers1_negative_tier, "nonnegativity", ["2027-01"]),
        ("prepay1", _prepay1_unleased, "leased_on_completion", ["2029-01"]),
    ],
)
def test_worked_perturbed_names_family_site_period(case, change, family, periods) -> None:
    plan = plan_of(case)
    change(plan)
    ev = evaluate(instance_from_dict(raw_case(case)), plan)
    assert ev.families() == {family}, ev.violations.to_string()
    assert rows(ev, family) == [("A", p) for p in periods]


def test_perturbed_plans_are_valued_as_written() -> None:
    # fleet1 with 1 MW of "new" retired in 2028-01: the money is the plan's (still 10 MW
    # mined), the violation is reported beside it
    plan = plan_of("fleet1")
    _fleet1_retire_new(plan)
    ev = evaluate(instance_from_dict(raw_case("fleet1")), plan)
    assert ev.objective_usd == pytest.approx(26_720_000 / 3, rel=1e-12)
    # prepay1 leasing 9 IT MW in 2029-01: 1 IT MW * 1000 * 300 * 12 = 3.6M less rent
    plan = plan_of("prepay1")
    _prepay1_unleased(plan)
    ev = evaluate(instance_from_dict(raw_case("prepay1")), plan)
    assert ev.objective_usd == pytest.approx(58e6 - 3.6e6, rel=1e-12)


# --------------------------------------------------------------------------------------
# one broken v2 rule per family, with the site and period it names
# --------------------------------------------------------------------------------------


def _break(family: str) -> tuple[dict, dict, list[tuple[str, str]]]:
    """(instance dict, plan, expected (site, period) rows) breaking ``family`` only."""
    if family == "fleet_mine":
        raw, plan = raw_case("fleet1"), plan_of("fleet1")
        _fleet1_retire_new(plan)
        return raw, plan, [("A", "2028-01")]
    if family == "fleet_stock":
        # 10.5 MW of the 10 installed retired: installed = -0.5 in both years; it mines 0,
        # racks hold -0.5 + 10 = 9.5 <= 10
        raw, plan = raw_case("fleet1"), plan_of("fleet1")
        plan["fleet"][0]["retire_mw"] = 10.5
        return raw, plan, [("A", "2027-01"), ("A", "2028-01")]
    if family == "rack_limit":
        # only 9.5 of the installed 10 MW retired: 0.5 + 10 = 10.5 MW installed > 10 MW of racks
        raw, plan = raw_case("fleet1"), plan_of("fleet1")
        plan["fleet"][0]["retire_mw"] = 9.5
        return raw, plan, [("A", "2027-01"), ("A", "2028-01")]
    if family == "buy_window":
        # "new" can be bought from 2028-01 on: the plan buys it in 2027-01
        raw, plan = raw_case("fleet1"), plan_of("fleet1")
        raw["markets"]["asic_models"][0]["available_from"] = "2028-01"
        return raw, plan, [("A", "2027-01")]
    if family == "leased_on_completion":
        raw, plan = raw_case("prepay1"), plan_of("prepay1")
        _prepay1_unleased(plan)
        return raw, plan, [("A", "2029-01")]
    raise AssertionError(family)  # pragma: no cover


@pytest.mark.parametrize("family", V2_FAMILIES)
def test_breaking_one_v2_family_flags_exactly_it(family) -> None:
    raw, plan, where = _break(family)
    ev = evaluate(instance_from_dict(raw), plan)
    assert ev.families() == {family}, ev.violations.to_string()
    assert rows(ev, family) == where
    assert (ev.violations["amount"] > 0).all()


def test_buy_at_a_site_without_mining_is_buy_window() -> None:
    # fleet1 plus a site B without mining; the plan buys 1 MW of "new" there in 2028-01
    raw = raw_case("fleet1")
    raw["sites"].append({"name": "B", "region": "R", "grid_mw": 5, "power_price_usd_per_mwh": 50})
    plan = plan_of("fleet1")
    plan["fleet"].append({"site": "B", "fleet": "new", "period": "2028-01", "buy_mw": 1})
    ev = evaluate(instance_from_dict(raw), plan)
    assert ev.families() == {"buy_window"}, ev.violations.to_string()
    assert rows(ev, "buy_window") == [("B", "2028-01")]
    assert "no mining" in ev.violations["detail"].iloc[0]


def test_buying_the_installed_fleet_is_buy_window() -> None:
    # fleet1 without the retirement of the installed fleet: nothing bought, 10 MW of racks
    # hold the 10 installed MW; buying 0.5 MW more of "installed" breaks the window and the racks
    raw, plan = raw_case("fleet1"), {"fleet": [{"site": "A", "fleet": "installed", "period": "2027-01", "buy_mw": 0.5}]}
    ev = evaluate(instance_from_dict(raw), plan)
    assert ev.families() == {"buy_window", "rack_limit"}, ev.violations.to_string()
    assert rows(ev, "buy_window") == [("A", "2027-01")]


def test_grid_limit_holds_in_every_tier() -> None:
    # tiers1 with racks and installed fleet of 10 MW on a 9.5 MW grid: mining 10 MW in the
    # cheap tier breaks the grid there (by 0.5 MW), not in the dear tier (0 MW mined)
    raw = raw_case("tiers1")
    raw["sites"][0]["grid_mw"] = 9.5
    raw["sites"][0]["mining"]["max_mw"] = 10
    ev = evaluate(instance_from_dict(raw), plan_of("tiers1"))
    assert ev.families() == {"grid_limit"}, ev.violations.to_string()
    assert rows(ev, "grid_limit") == [("A", "2027-01")]
    assert ev.violations["detail"].iloc[0].startswith("tier 0:")
    assert ev.violations["amount"].iloc[0] == pytest.approx(0.5)
    # and in the dear tier: 9.6 MW there too breaks tier 1 by 0.1 MW
    plan = plan_of("tiers1")
    plan["mining"][0]["mine_mw"] = 9.5
    plan["mining"][1]["mine_mw"] = 9.6
    ev = evaluate(instance_from_dict(raw), plan)
    assert ev.families() == {"grid_limit"}, ev.violations.to_string()
    assert ev.violations["detail"].iloc[0].startswith("tier 1:")
    assert ev.violations["amount"].iloc[0] == pytest.approx(0.1)


@pytest.mark.parametrize("section, field, value", [("fleet", "buy_mw", -1.0), ("fleet", "retire_mw", -1.0), ("mining", "mine_mw", -1.0)])
def test_negative_v2_decisions_are_nonnegativity(section, field, value) -> None:
    # fleet1 with 5 MW of "new" bought in 2027-01 (racks: 0 + 5 <= 10) and nothing mined;
    # a negative buy/retire of "new" in 2028-01 (stock 5 -/+ 1 stays in 4..6 <= 10) or a
    # negative mine breaks only nonnegativity
    raw = raw_case("fleet1")
    raw["finance"]["initial_cash_usd"] = 1e7  # pays the 3.33M of machines without mining
    plan = {"fleet": [{"site": "A", "fleet": "installed", "period": "2027-01", "retire_mw": 10},
                      {"site": "A", "fleet": "new", "period": "2027-01", "buy_mw": 5}]}
    if section == "fleet":
        plan["fleet"].append({"site": "A", "fleet": "new", "period": "2028-01", field: value})
    else:
        plan["mining"] = [{"site": "A", "fleet": "new", "tier": 0, "period": "2028-01", "mine_mw": value}]
    ev = evaluate(instance_from_dict(raw), plan)
    assert ev.families() == {"nonnegativity"}, ev.violations.to_string()
    assert rows(ev, "nonnegativity") == [("A", "2028-01")]


# --------------------------------------------------------------------------------------
# reading rules
# --------------------------------------------------------------------------------------


def test_v1_plan_on_a_v2_instance_mines_the_installed_fleet_in_every_tier() -> None:
    # tiers1 with a v1 plan: operations.mine_mw 10 is the installed fleet mining 10 MW in
    # both tiers. Revenue 40 * 40 PH/s per MW * 365 * 10 = 5,840,000; power
    # 10 * (7,884 h * 30 + 876 h * 300) = 10 * (236,520 + 262,800) = 4,993,200; no MW left
    # to resell. NPV = 846,800.
    plan = {"operations": [{"site": "A", "period": "2027-01", "mine_mw": 10}]}
    ev = evaluate(instance_from_dict(raw_case("tiers1")), plan)
    assert ev.feasible, ev.violations.to_string()
    a = base(ev.allocation).loc[("A", "2027-01")]
    assert a["mining_revenue_usd"] == pytest.approx(5_840_000, rel=1e-12)
    assert a["mining_cost_usd"] == pytest.approx(4_993_200, rel=1e-12)
    assert a["resale_revenue_usd"] == pytest.approx(0, abs=1e-9)
    assert ev.objective_usd == pytest.approx(846_800, rel=1e-12)
    # the same plan written as mining rows of the installed fleet gives the same evaluation
    rows_plan = {"mining": [{"site": "A", "fleet": "installed", "tier": k, "period": "2027-01", "mine_mw": 10} for k in (0, 1)]}
    assert evaluate(instance_from_dict(raw_case("tiers1")), rows_plan).objective_usd == ev.objective_usd


def test_mining_rows_override_operations_mine_mw() -> None:
    # tiers1's optimal mining rows with operations.mine_mw 3 (not 0.9 * 10 = 9): the rows
    # count (NPV 5,080,800), and a warning names the mismatch
    plan = plan_of("tiers1")
    plan["operations"][0]["mine_mw"] = 3
    ev = evaluate(instance_from_dict(raw_case("tiers1")), plan)
    assert ev.objective_usd == pytest.approx(5_080_800, rel=1e-12)
    assert len(ev.warnings) == 1 and "operations.mine_mw 3" in ev.warnings[0]


def test_v1_instance_tables_have_no_v2_columns() -> None:
    # a v1 instance: the allocation and finance tables are v1's (the v2 lines are 0 there)
    raw = raw_case("fleet1")
    del raw["markets"]["asic_models"]
    ev = evaluate(instance_from_dict(raw), {"operations": [{"site": "A", "period": "2027-01", "mine_mw": 10}]})
    assert "asic_capex_usd" not in ev.finance.columns
    assert "resale_revenue_usd" not in ev.allocation.columns
    # 30 J/TH: margin 170,333.33 per MW-year (README) -> 1,703,333.33 for one year of 10 MW
    assert ev.objective_usd == pytest.approx(10 * (50 * 1e3 / 30 * 365 - 438_000), rel=1e-12)


@pytest.mark.parametrize(
    "plan, field",
    [
        ({"mining": [{"site": "A", "fleet": "old", "tier": 0, "period": "2027-01", "mine_mw": 1}]}, "plan.mining[0].fleet"),
        ({"mining": [{"site": "A", "fleet": "installed", "tier": 2, "period": "2027-01", "mine_mw": 1}]}, "plan.mining[0].tier"),
        ({"mining": [{"site": "A", "fleet": "installed", "tier": -1, "period": "2027-01"}]}, "plan.mining[0].tier"),
        ({"mining": [{"site": "A", "fleet": "installed", "tier": 0.5, "period": "2027-01"}]}, "plan.mining[0].tier"),
        ({"mining": [{"site": "A", "fleet": "installed", "tier": True, "period": "2027-01"}]}, "plan.mining[0].tier"),
        ({"mining": [{"site": "A", "fleet": "installed", "period": "2027-01"}]}, "plan.mining[0].tier"),
        ({"mining": [{"site": "A", "fleet": "installed", "tier": 0, "period": "2027-01", "mine_mw": float("inf")}]}, "plan.mining[0].mine_mw"),
        ({"mining": [{"site": "A", "fleet": "installed", "tier": 1, "period": "2027-01"},
                     {"site": "A", "fleet": "installed", "tier": 1, "period": "2027-01"}]}, "plan.mining[1]"),
        ({"mining": [{"site": "A", "fleet": "installed", "tier": 0, "period": "2027-01", "mw": 1}]}, "plan.mining[0].mw"),
        ({"fleet": [{"site": "A", "fleet": "S21", "period": "2027-01", "buy_mw": 1}]}, "plan.fleet[0].fleet"),
        ({"fleet": [{"site": "A", "fleet": "installed", "period": "2027-01", "retire_mw": float("nan")}]}, "plan.fleet[0].retire_mw"),
        ({"fleet": [{"site": "A", "period": "2027-01", "retire_mw": 1}]}, "plan.fleet[0].fleet"),
        ({"fleet": [{"site": "A", "fleet": "installed", "period": "2027-01"},
                    {"site": "A", "fleet": "installed", "period": "2027-01"}]}, "plan.fleet[1]"),
        ({"fleet": [{"site": "Z", "fleet": "installed", "period": "2027-01"}]}, "plan.fleet[0].site"),
    ],
)
def test_malformed_v2_plan_names_the_field(plan, field) -> None:
    # tiers1 has one site A with 2 tiers (0, 1) and only the installed fleet
    with pytest.raises(InputError) as exc:
        evaluate(instance_from_dict(raw_case("tiers1")), plan)
    message = str(exc.value)
    assert message.startswith(field), message
    assert "\n" not in message


def test_tier_out_of_range_says_how_many_tiers() -> None:
    with pytest.raises(InputError, match=r"plan.mining\[0\].tier: tier 2 is out of range: site A has 2 price tier\(s\) \(0..1\)"):
        evaluate(instance_from_dict(raw_case("tiers1")), {"mining": [{"site": "A", "fleet": "installed", "tier": 2, "period": "2027-01"}]})


# --------------------------------------------------------------------------------------
# hand-checked money lines: credits after the horizon, resale with AI leased, ASIC capex
# outside the AI budgets
# --------------------------------------------------------------------------------------


def test_credits_after_the_horizon_are_charged_in_the_last_period() -> None:
    # prepay1 with the block started in 2029-01 (t = 2), online 2030-01 (t = 3), and 100M
    # of initial cash. Credits of 25M fall in t = 3 and t = 4; t = 4 is after the
    # horizon, so 50M are charged in 2030-01.
    raw = raw_case("prepay1")
    raw["finance"]["initial_cash_usd"] = 100e6
    plan = {"starts": [{"site": "A", "period": "2029-01", "blocks": 1}],
            "operations": [{"site": "A", "period": "2030-01", "ai_it_mw": 10}]}
    ev = evaluate(instance_from_dict(raw), plan)
    assert ev.feasible, ev.violations.to_string()
    f = base(ev.finance)
    assert list(f["prepayments_usd"]) == [0, 0, 50e6, 0]
    assert list(f["credits_usd"]) == [0, 0, 0, 50e6]
    # cash: 100, 100, 100 + 50 - 100 = 50, 50 + 36 - 50 = 36 (M)
    assert list(f["cash_usd"]) == [100e6, 100e6, 50e6, 36e6]
    assert ev.objective_usd == pytest.approx(36e6, rel=1e-12)
    # three credit periods: 50M / 3 in t = 3, 4, 5: all in 2030-01, 50M again
    raw["sites"][0]["ai"]["prepayment_credit_periods"] = 3
    f3 = base(evaluate(instance_from_dict(raw), plan).finance)
    assert list(f3["credits_usd"]) == pytest.approx([0, 0, 0, 50e6], rel=1e-12)


RESALE = {
    "name": "resale_with_ai",
    "horizon": {"start": "2027-01", "periods": 1, "period_months": 12},
    "markets": {"hashprice_usd_per_ph_day": 40},
    "sites": [{
        "name": "A", "region": "R", "grid_mw": 20,
        "power_price_tiers": [{"hours_fraction": 0.75, "price_usd_per_mwh": 40},
                              {"hours_fraction": 0.25, "price_usd_per_mwh": 200, "resale_usd_per_mwh": 150}],
        "mining": {"efficiency_j_per_th": 25, "max_mw": 8},
        "ai": {"block_it_mw": 10, "max_blocks": 1, "capex_usd_per_it_mw": 1e6, "lead_periods": 0, "pue": 1.2,
               "lease_usd_per_kw_month": 100, "power_pass_through": False},
    }],
    "finance": {"discount_rate_annual": 0.0, "initial_cash_usd": 20e6, "max_debt_to_ebitda": 5,
                "terminal": {"mining_ebitda_multiple": 2, "ai_ebitda_multiple": 5},
                "debt": [{"name": "L", "limit_usd": 30e6, "initial_balance_usd": 30e6, "rate_annual": 0.0}]},
}
RESALE_PLAN = {
    "starts": [{"site": "A", "period": "2027-01", "blocks": 1}],
    "operations": [{"site": "A", "period": "2027-01", "ai_it_mw": 10}],
    "mining": [{"site": "A", "fleet": "installed", "tier": 0, "period": "2027-01", "mine_mw": 8}],
}


def test_resale_with_ai_leased_by_hand() -> None:
    ev = evaluate(instance_from_dict(copy.deepcopy(RESALE)), RESALE_PLAN)
    assert ev.feasible, ev.violations.to_string()
    a = base(ev.allocation).loc[("A", "2027-01")]
    # h = 8,760: tier 0 6,570 h at 40, tier 1 2,190 h at 200 (resale 150). Grid: 8 mined +
    # 1.2 * 10 = 20 <= 20 in tier 0; 0 + 12 <= 20 in tier 1.
    # mining: 40 PH/s per MW * 8 MW = 320 PH/s; revenue 40 * 320 * 365 * 0.75 = 3,504,000;
    # power 8 * 6,570 * 40 = 2,102,400
    assert a["mining_revenue_usd"] == pytest.approx(3_504_000, rel=1e-12)
    assert a["mining_cost_usd"] == pytest.approx(2_102_400, rel=1e-12)
    # AI: rent 10 * 1000 * 100 * 12 = 12,000,000; the landlord's power in every tier:
    # 10 * 1.2 * (6,570 * 40 + 2,190 * 200) = 12 * 700,800 = 8,409,600
    assert a["ai_revenue_usd"] == pytest.approx(12_000_000, rel=1e-12)
    assert a["ai_power_usd"] == pytest.approx(8_409_600, rel=1e-12)
    # resale: tier 1 only, 150 * 2,190 * (20 - 0 - 1.2 * 10) = 2,628,000 (the leased hall's
    # 12 grid MW are drawn; tier 0's resale price is 0)
    assert a["resale_revenue_usd"] == pytest.approx(2_628_000, rel=1e-12)
    f = base(ev.finance).loc["2027-01"]
    # EBITDA = 1,401,600 + 3,590,400 + 2,628,000 = 7,620,000: the covenant 30M <= 5 * 7.62M
    # = 38.1M holds only with resale (5 * 4,992,000 = 24.96M without)
    assert f["ebitda_usd"] == pytest.approx(7_620_000, rel=1e-12)
    assert f["resale_revenue_usd"] == pytest.approx(2_628_000, rel=1e-12)
    # TV = 2 * 1,401,600 + 5 * 3,590,400 = 20,755,200 (no resale in it)
    assert ev.scenario_npv.at["base", "terminal_value_usd"] == pytest.approx(20_755_200, rel=1e-12)
    # cash = 20M - 10M capex + 7.62M = 17.62M; NPV = 17.62M - 30M debt + 20,755,200 = 8,375,200
    assert ev.objective_usd == pytest.approx(8_375_200, rel=1e-12)


def test_resale_counts_in_the_covenant() -> None:
    # RESALE without its resale price: EBITDA 4,992,000, 5 x 4,992,000 = 24.96M < 30M of debt
    raw = copy.deepcopy(RESALE)
    raw["sites"][0]["power_price_tiers"][1]["resale_usd_per_mwh"] = 0
    ev = evaluate(instance_from_dict(raw), RESALE_PLAN)
    assert ev.families() == {"leverage"}, ev.violations.to_string()
    assert ev.violations["amount"].iloc[0] == pytest.approx(30e6 - 24.96e6, rel=1e-9)


def test_asic_capex_is_not_ai_capex() -> None:
    # fleet1's optimal plan (6,666,666.67 of machines in 2027-01) under an AI capex budget of
    # 1M a period and 1M in total, with a loan capped at 50% of AI capex spent (0 here)
    raw = raw_case("fleet1")
    raw["finance"].update(capex_budget_usd=1e6, total_capex_budget_usd=1e6,
                          debt=[{"name": "L", "limit_usd": 1e7, "rate_annual": 0.0, "advance_rate_on_ai_capex": 0.5}])
    ev = evaluate(instance_from_dict(raw), plan_of("fleet1"))
    assert ev.feasible, ev.violations.to_string()
    f = base(ev.finance)
    assert list(f["capex_usd"]) == [0, 0]
    assert list(f["asic_capex_usd"]) == pytest.approx([20e6 / 3, 0], rel=1e-12)
    # a draw of 1,000 USD breaks the advance rate: 50% of 0 USD of AI capex
    plan = plan_of("fleet1")
    plan["debt"] = [{"facility": "L", "period": "2027-01", "draw_usd": 1000}]
    ev = evaluate(instance_from_dict(raw), plan)
    assert ev.families() == {"advance_rate"}, ev.violations.to_string()


# --------------------------------------------------------------------------------------
# the v2 reference cases: plans of the v2 formulation, valued as the independent
# implementation values them
# --------------------------------------------------------------------------------------

EXPECTED = json.loads((REFERENCE / "expected.json").read_text())


@pytest.mark.parametrize("plan_path", sorted(REFERENCE_PLANS.glob("*.plan.json")), ids=lambda p: p.name.split(".")[0])
def test_reference_plans_reach_the_independent_optimum(plan_path) -> None:
    # plans solved at MIP gap 1e-9 (data, tests/data/evaluator/README.md); the objective
    # each must reach is expected.json's, from an implementation of the SPEC that shares no
    # code with this project
    name = plan_path.name.split(".")[0]
    ev = evaluate(load_instance(REFERENCE / f"{name}.json"), json.loads(plan_path.read_text()))
    assert ev.feasible, ev.violations.to_string()
    assert ev.warnings == []
    assert ev.objective_usd == pytest.approx(EXPECTED[f"{name}.json"]["objective_usd"], rel=1e-6)


def test_every_optimal_reference_case_has_a_plan() -> None:
    optimal = {k.split(".")[0] for k, v in EXPECTED.items() if v["status"] == "optimal"}
    assert {p.name.split(".")[0] for p in REFERENCE_PLANS.glob("*.plan.json")} == optimal


# --------------------------------------------------------------------------------------
# properties: how a plan is written does not change its value
# --------------------------------------------------------------------------------------


@st.composite
def tiered_case(draw) -> tuple[dict, list[float], float]:
    """A one-site, one-period instance with 1-3 random tiers, and the MW mined per tier."""
    n = draw(st.integers(1, 3))
    weights = [draw(st.integers(1, 9)) for _ in range(n)]
    tiers = [{"hours_fraction": w / sum(weights),
              "price_usd_per_mwh": draw(st.integers(-20, 300)),
              "resale_usd_per_mwh": draw(st.integers(0, 250))} for w in weights]
    raw = {
        "name": "prop", "horizon": {"start": "2027-01", "periods": 1, "period_months": draw(st.sampled_from([1, 3, 12]))},
        "markets": {"hashprice_usd_per_ph_day": draw(st.integers(10, 80))},
        "sites": [{"name": "A", "region": "R", "grid_mw": 10, "power_price_tiers": tiers,
                   "mining": {"efficiency_j_per_th": draw(st.sampled_from([15, 25, 30])), "pue": 1.1, "opex_usd_per_mw_year": 20000},
                   "ai": {"block_it_mw": 2, "max_blocks": 1, "capex_usd_per_it_mw": 1e6, "lead_periods": 0, "pue": 1.25,
                          "lease_usd_per_kw_month": 120, "power_pass_through": draw(st.booleans())}}],
        "finance": {"discount_rate_annual": 0.1, "initial_cash_usd": 1e9,
                    "terminal": {"mining_ebitda_multiple": 3, "ai_ebitda_multiple": 7}},
    }
    mine = [draw(st.floats(0, 7.5)) for _ in range(n)]
    ai = draw(st.floats(0, 2))
    return raw, mine, ai


@settings(max_examples=40, deadline=None)
@given(case=tiered_case(), k=st.integers(0, 2))
def test_splitting_a_tier_changes_nothing(case, k) -> None:
    # tier k split into two tiers of half its hours at the same prices, mined alike: the
    # same hours at the same prices, so the same money and NPV
    raw, mine, ai = case
    k = k % len(mine)
    tiers = raw["sites"][0]["power_price_tiers"]
    split = copy.deepcopy(raw)
    half = dict(tiers[k], hours_fraction=tiers[k]["hours_fraction"] / 2)
    split["sites"][0]["power_price_tiers"] = tiers[:k] + [half, dict(half)] + tiers[k + 1:]
    mine_split = mine[:k] + [mine[k], mine[k]] + mine[k + 1:]

    def plan(per_tier):
        return {"starts": [{"site": "A", "period": "2027-01", "blocks": 1}],
                "operations": [{"site": "A", "period": "2027-01", "ai_it_mw": ai}],
                "mining": [{"site": "A", "fleet": "installed", "tier": i, "period": "2027-01", "mine_mw": x} for i, x in enumerate(per_tier)]}

    one = evaluate(instance_from_dict(raw), plan(mine))
    two = evaluate(instance_from_dict(split), plan(mine_split))
    assert one.feasible and two.feasible
    assert two.objective_usd == pytest.approx(one.objective_usd, rel=1e-9, abs=1e-6)
    # (one tier without resale is a v1 price: that instance's table has no resale column)
    cols = ["mining_revenue_usd", "mining_cost_usd", "ai_cost_usd", "resale_revenue_usd", "mine_mw"]
    table = lambda ev: ev.allocation.reindex(columns=cols, fill_value=0.0).to_numpy()  # noqa: E731
    assert table(two) == pytest.approx(table(one), rel=1e-9, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(case=tiered_case())
def test_flat_mining_as_operations_or_rows_is_the_same_plan(case) -> None:
    # the v1 meaning: operations.mine_mw x is the installed fleet mining x in every tier
    raw, mine, ai = case
    x = mine[0]
    inst = instance_from_dict(raw)
    n = len(mine)
    as_ops = evaluate(inst, {"operations": [{"site": "A", "period": "2027-01", "mine_mw": x}]})
    as_rows = evaluate(inst, {"mining": [{"site": "A", "fleet": "installed", "tier": i, "period": "2027-01", "mine_mw": x} for i in range(n)]})
    assert as_rows.objective_usd == as_ops.objective_usd
    assert as_rows.finance.equals(as_ops.finance)
