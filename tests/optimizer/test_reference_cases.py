"""Every reference case (tests/data/reference, optimum from an independent
implementation of the SPEC) reproduces its status and objective to 1e-6 relative."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from instances import load_instance
from optimizer import SolveOptions, Status, solve

REF = Path(__file__).parent.parent / "data" / "reference"
EXPECTED = json.loads((REF / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_case(name: str) -> None:
    expected = EXPECTED[name]
    result = solve(load_instance(REF / name), SolveOptions(mip_gap=1e-9))
    assert result.status.value == expected["status"]
    if expected["status"] == "optimal":
        assert result.objective_usd == pytest.approx(expected["objective_usd"], rel=1e-6, abs=1e-3)
    else:
        assert result.status is Status.INFEASIBLE
