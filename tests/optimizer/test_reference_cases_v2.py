"""SPEC v2 reference cases (tests/data/reference/v2, optimum from an independent
implementation of the SPEC) reproduce their status and objective to 1e-6 relative,
and the three worked cases (one per v2 lever) reach the optimum derived by hand in
tests/data/reference/v2/worked/README.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from instances import load_instance
from optimizer import SolveOptions, Status, solve
from optimizer.evaluator import evaluate

REF = Path(__file__).parent.parent / "data" / "reference" / "v2"
EXPECTED = json.loads((REF / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_v2_reference_case(name: str) -> None:
    expected = EXPECTED[name]
    instance = load_instance(REF / name)
    result = solve(instance, SolveOptions(mip_gap=1e-9, sensitivities=False))
    assert result.status.value == expected["status"]
    if expected["status"] == "optimal":
        assert result.objective_usd == pytest.approx(expected["objective_usd"], rel=1e-6, abs=1e-3)
        # the solver's plan, recomputed from the SPEC alone by the plan evaluator
        evaluation = evaluate(instance, result.plan)
        assert evaluation.feasible, evaluation.violation_records()[:3]
        assert evaluation.objective_usd == pytest.approx(expected["objective_usd"], rel=1e-6)
    else:
        assert result.status is Status.INFEASIBLE


def solve_worked(name: str, overrides=None):
    return solve(load_instance(REF / "worked" / f"{name}.json", overrides=overrides), SolveOptions(mip_gap=1e-9, sensitivities=False))


def test_fleet1_replaces_the_installed_fleet_at_once() -> None:
    # Two years (8,760 h, 365 days), power $50/MWh, hashprice $50 per PH/s-day.
    # Installed 30 J/TH: 1e6/30 TH/s = 33.33 PH/s per MW; revenue 50 * 33.33 * 365
    # = 608,333.33, power 8,760 * 50 = 438,000: margin 170,333.33 per MW-year.
    # Model "new" 15 J/TH: 66.67 PH/s per MW, revenue 1,216,666.67, margin
    # 778,666.67 per MW-year; capex 1e6/15 TH/s * $10 = 666,666.67 per MW.
    # Racks hold 10 MW: retire the installed 10 MW in year 1 and buy 10 MW of "new":
    # 10 * (2 * 778,666.67 - 666,666.67) = 8,906,666.67 (keeping the old fleet:
    # 3,406,666.67; buying in year 2: 2,823,333.33). Discount 0: NPV = final cash.
    result = solve_worked("fleet1")
    assert result.status is Status.OPTIMAL
    assert result.objective_usd == pytest.approx(10 * (2 * (50 * 1e6 / 15 / 1000 * 365 - 8760 * 50) - 1e6 / 15 * 10), rel=1e-9)
    assert result.objective_usd == pytest.approx(8_906_666.67, abs=0.01)


def test_fleet1_asic_capex_is_not_ai_capex() -> None:
    # ASIC capex counts toward no AI capex budget (SPEC 8): budgets of 0 change nothing.
    result = solve_worked("fleet1", [("finance.capex_budget_usd", 0), ("finance.total_capex_budget_usd", 0)])
    assert result.objective_usd == pytest.approx(8_906_666.67, abs=0.01)


def test_tiers1_mines_the_cheap_hours_and_resells_the_dear_ones() -> None:
    # One year, 10 MW, 25 J/TH (40 PH/s per MW), hashprice $40.
    # Cheap tier (90 % of hours, $30/MWh): revenue 40 * 40 * 365 * 0.9 = 525,600,
    # power 0.9 * 8,760 * 30 = 236,520: margin 289,080 per MW, mine.
    # Dear tier (10 %, $300/MWh, resale $250/MWh): revenue 58,400 < power 262,800,
    # do not mine; each undrawn MW earns 876 * 250 = 219,000.
    # NPV = 10 * (289,080 + 219,000) = 5,080,800.
    result = solve_worked("tiers1")
    assert result.status is Status.OPTIMAL
    assert result.objective_usd == pytest.approx(5_080_800, abs=0.01)


def test_prepay1_funds_the_hall() -> None:
    # One 10 IT MW block at $10M per IT MW ($100M), lead 1 year, rent $300/kW-month
    # = 10 * 1000 * 300 * 12 = $36M a year once online; $50M of cash, no debt.
    # The tenant prepays 5M * 10 = $50M at the start, credited back $25M in each of
    # the 2 periods from the online period (years 2 and 3). Pre-leased.
    # Build in year 1: cash 50 + 50 - 100 = 0; year 2: 0 + 36 - 25 = 11;
    # year 3: 11 + 36 - 25 = 22; year 4: 22 + 36 = 58. Without the prepayment the
    # hall cannot be paid: $50M. NPV (discount 0) = $58M.
    result = solve_worked("prepay1")
    assert result.status is Status.OPTIMAL
    assert result.objective_usd == pytest.approx(58_000_000, abs=0.01)
    without = solve_worked("prepay1", [("sites.A.ai.prepayment_usd_per_it_mw", 0)])
    assert without.objective_usd == pytest.approx(50_000_000, abs=0.01)


def test_a_priced_covenant_on_a_v2_case_agrees_with_the_evaluator() -> None:
    """public_v2_013 has no plan under its hard covenant (expected.json: infeasible);
    with a breach priced at 5 % of the excess debt it has one, which breaks the
    covenant somewhere, and the evaluator, which pays the breach cost from the plan's
    own debt and EBITDA, finds the plan feasible and worth what the solver says."""
    assert EXPECTED["public_v2_013.json"]["status"] == "infeasible"
    instance = load_instance(REF / "public_v2_013.json", [("finance.leverage_breach_cost", 0.05)])
    result = solve(instance, SolveOptions(mip_gap=1e-9, sensitivities=False))
    assert result.has_plan
    breaches = result.summary()["covenant"]["breaches"]
    assert breaches and all(b["cost_usd"] == pytest.approx(0.05 * b["excess_usd"]) for b in breaches)
    evaluation = evaluate(instance, result.plan)
    assert evaluation.feasible, evaluation.violation_records()[:3]
    assert evaluation.objective_usd == pytest.approx(result.objective_usd, rel=1e-9)
    assert float(evaluation.finance["breach_cost_usd"].sum()) == pytest.approx(sum(b["cost_usd"] for b in breaches), rel=1e-6)
