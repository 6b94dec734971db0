"""The NPV decomposition (dividends, final cash less debt, terminal value by segment)
sums to the NPV on every reference case (tests/data/reference, and its v2 folder when
present), and its terms are the SPEC section 5 terms recomputed here from the finance
table by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from instances import load_instance
from optimizer import SolveOptions, solve

REF = Path(__file__).parent.parent / "data" / "reference"


def cases() -> list[Path]:
    out = []
    for folder in (REF, REF / "v2"):
        if (folder / "expected.json").exists():
            expected = json.loads((folder / "expected.json").read_text())
            out += [folder / name for name in sorted(expected) if expected[name]["status"] == "optimal"]
    return out


@pytest.mark.parametrize("path", cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_decomposition_sums_to_npv(path: Path) -> None:
    result = solve(load_instance(path), SolveOptions(mip_gap=1e-9, sensitivities=False))
    dec = result.summary()["npv_decomposition"]
    total = dec["dividends_usd"] + dec["final_equity_usd"] + dec["terminal_value_usd"]
    expected_npv = float((result.scenario_npv["probability"] * result.scenario_npv["npv_usd"]).sum())
    assert total == pytest.approx(expected_npv, rel=1e-12, abs=1e-6)
    if not result.instance.risk:  # the objective is the expected NPV
        assert total == pytest.approx(result.objective_usd, rel=1e-6, abs=1e-6)
    assert dec["terminal_value_usd"] == pytest.approx(dec["terminal_value_mining_usd"] + dec["terminal_value_ai_usd"], rel=1e-12, abs=1e-6)
    # the dividend term by hand: sum over scenarios and periods of p * df * dividend
    f = result.finance
    p = f.index.get_level_values("scenario").map(result.instance.scenarios["probability"])
    assert dec["dividends_usd"] == pytest.approx(float((p * f["discount_factor"] * f["dividend_usd"]).sum()), rel=1e-12, abs=1e-6)
