"""Every reference case (tests/data/reference, a copy of ../shared/cases: the optimum
from an independent implementation of the SPEC, checked by two solvers that agree)
reproduces its status and objective to 1e-6 relative, and the plan the solver
returns is worth the same through the plan evaluator, which is written from the
SPEC without the model code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from instances import load_instance
from optimizer import SolveOptions, Status, solve
from optimizer.evaluator import evaluate

REF = Path(__file__).parent.parent / "data" / "reference"
EXPECTED = json.loads((REF / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_case(name: str) -> None:
    expected = EXPECTED[name]
    instance = load_instance(REF / name)
    result = solve(instance, SolveOptions(mip_gap=1e-9))
    assert result.status.value == expected["status"]
    if expected["status"] != "optimal":
        assert result.status is Status.INFEASIBLE
        return
    assert result.objective_usd == pytest.approx(expected["objective_usd"], rel=1e-6, abs=1e-3)
    evaluation = evaluate(instance, result.plan)
    assert evaluation.feasible, evaluation.violation_records()[:3]
    assert evaluation.objective_usd == pytest.approx(expected["objective_usd"], rel=1e-6)
