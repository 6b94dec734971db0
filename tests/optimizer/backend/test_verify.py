"""A solve checks its own answer (optimizer/backend/verify.py).

The check is shown to catch the failure it exists for: reference case public_006
with the reference implementation's mistake rebuilt on purpose (rows in USD,
objective in millions of USD, so that the cost differences between periods fall
under HiGHS's dual tolerance). On that copy HiGHS with presolve returns
55,932,716.16 USD as "optimal", the value the reference carried before its
correction; presolve off and the corrected reference (../shared/cases) give
56,244,781.11 USD.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pyomo.environ import Objective, maximize

import models.data as model_data
from instances import load_instance
from models import MONEY_SCALE, build_model, prepare
from optimizer import SolveOptions, solve
from optimizer.backend.highs_direct import DirectHighs
from optimizer.backend.verify import CORRECTED, SKIPPED, VERIFIED, check_answer

REF = Path(__file__).parents[2] / "data" / "reference"
EXPECTED = json.loads((REF / "expected.json").read_text())
TIGHT = 1e-9


def badly_scaled_model(instance):
    """The model with every row in USD and the objective in millions of USD."""
    saved = model_data.MONEY_SCALE
    model_data.MONEY_SCALE = 1.0  # prepare() reads it: coefficients stay in USD
    try:
        data = prepare(instance)
    finally:
        model_data.MONEY_SCALE = saved
    model = build_model(data)
    objective = model.npv.expr
    model.npv.deactivate()
    model.npv_musd = Objective(expr=objective * 1e-6, sense=maximize)
    return model


def test_presolve_answer_on_the_badly_scaled_copy_is_wrong_and_the_check_corrects_it() -> None:
    expected = EXPECTED["public_006.json"]["objective_usd"]
    model = badly_scaled_model(load_instance(REF / "public_006.json"))
    solver = DirectHighs()
    report = solver.solve(model, mip_gap=TIGHT, options={"random_seed": 0})
    assert report.model_status == "kOptimal"
    wrong = report.objective * 1e6
    # HiGHS calls it optimal, yet it is at least 0.5 % (about 312k USD) below the optimum
    assert wrong < expected * (1 - 5e-3)
    check = check_answer(solver.highs, solver.column_values(), report.objective, 1e6, TIGHT)
    assert check.status == CORRECTED
    assert check.mip_objective_usd == pytest.approx(wrong, rel=1e-12)
    assert check.schedule_lp_objective_usd == pytest.approx(expected, rel=1e-6)
    # the corrected column values are the better plan: their objective is the optimum
    assert float(check.values @ solver.cost() + solver.offset()) * 1e6 == pytest.approx(expected, rel=1e-6)


def test_presolve_off_finds_the_optimum_on_the_badly_scaled_copy() -> None:
    """The deep check (--verify) alone would also have caught it."""
    expected = EXPECTED["public_006.json"]["objective_usd"]
    model = badly_scaled_model(load_instance(REF / "public_006.json"))
    solver = DirectHighs()
    report = solver.solve(model, mip_gap=TIGHT, options={"random_seed": 0})
    check = check_answer(solver.highs, solver.column_values(), report.objective, 1e6, TIGHT, deep=True)
    assert check.status == CORRECTED
    assert check.presolve_off_objective_usd == pytest.approx(expected, rel=1e-6)


def test_the_product_model_of_public_006_is_verified_at_the_corrected_value() -> None:
    result = solve(load_instance(REF / "public_006.json"), SolveOptions(mip_gap=TIGHT, verify=True))
    v = result.verification
    assert v.status == VERIFIED
    expected = EXPECTED["public_006.json"]["objective_usd"]
    assert result.objective_usd == pytest.approx(expected, rel=1e-6)
    for figure in (v.mip_objective_usd, v.schedule_lp_objective_usd, v.presolve_off_objective_usd):
        assert figure == pytest.approx(expected, rel=1e-6)
    assert v.presolve_off_bound_usd == pytest.approx(expected, rel=1e-6)


def test_a_corrected_answer_replaces_the_plan(monkeypatch) -> None:
    """solve() keeps the better plan when the check finds one: the badly scaled model
    is handed to solve() in place of the product's, so that HiGHS errs as above."""
    solve_module = sys.modules["optimizer.solve"]  # the module, not the function

    instance = load_instance(REF / "public_006.json")
    expected = EXPECTED["public_006.json"]["objective_usd"]

    def bad_build(data):
        # the objective is in millions of USD, the model's money unit, so solve()
        # reads it right; the rows (and so the tables) are in USD, not asserted here
        assert MONEY_SCALE == 1e6
        return badly_scaled_model(instance)

    monkeypatch.setattr(solve_module, "build_model", bad_build)
    result = solve(instance, SolveOptions(mip_gap=TIGHT, sensitivities=False))
    assert result.verification.status == CORRECTED
    assert result.objective_usd == pytest.approx(expected, rel=1e-6)
    assert any(w.startswith("answer corrected:") for w in result.warnings)
    assert result.mip_gap is not None and result.bound_usd >= result.objective_usd


def test_no_plan_is_skipped() -> None:
    result = solve(load_instance(REF / "public_003.json"))
    assert EXPECTED["public_003.json"]["status"] == "infeasible"
    assert result.verification.status == SKIPPED


def test_cli_json_reports_the_verification() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cli.main", "solve", str(REF / "public_006.json"), "--json", "--mip-gap", "1e-9"],
        capture_output=True, text=True, check=True,
    )
    data = json.loads(out.stdout)
    assert data["verification"]["status"] == "verified"
    assert data["objective_usd"] == pytest.approx(EXPECTED["public_006.json"]["objective_usd"], rel=1e-6)
    assert data["verification"]["seconds"] >= 0
    assert "verify" in data["timings"]
