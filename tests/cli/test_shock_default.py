"""The rerun loop's first question on the default instance: "hashprice fell 20 %".

``allocate solve --set 'markets.hashprice_usd_per_ph_day=*0.8' --json`` keeps the
series' growth and halvings and lowers every period by 20 %. The answer must be a
plan (the default's covenant is hard: docs/default-instance.md), worth less than the
unshocked plan, with its covenant headroom and breaches reported, and worth what the
plan evaluator recomputes from the SPEC on the shocked instance.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from instances import load_default
from optimizer.evaluator import evaluate

SHOCK = ("markets.hashprice_usd_per_ph_day", "*0.8")


def solve_json(*sets: str, out: Path | None = None) -> dict:
    args = ["solve", "--json"] + (["--out", str(out)] if out else [])
    for s in sets:
        args += ["--set", s]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def test_a_20_percent_hashprice_drop_gives_a_lower_plan_with_its_covenant_reported(tmp_path: Path) -> None:
    base = solve_json()
    shocked = solve_json(f"{SHOCK[0]}={SHOCK[1]}", out=tmp_path / "shock")
    assert shocked["status"] == "optimal"
    assert shocked["objective_usd"] < base["objective_usd"]
    # every period's hashprice is 0.8 of the default's (halvings kept), as resolved
    default = load_default().period_data["hashprice_usd_per_ph_day"]
    lowered = load_default([SHOCK]).period_data["hashprice_usd_per_ph_day"]
    assert (lowered / default).to_numpy() == pytest.approx(0.8)
    covenant = shocked["covenant"]
    assert covenant["breaches"] == []  # a hard covenant is never breached
    assert covenant["min_headroom_usd"] >= -1e-3
    assert covenant["min_headroom_period"] in shocked["periods"]
    # the evaluator prices the plan from the SPEC alone: the same NPV, no violation
    plan = json.loads((tmp_path / "shock" / "plan.json").read_text())
    evaluation = evaluate(load_default([SHOCK]), plan)
    assert evaluation.feasible, evaluation.violation_records()[:3]
    assert evaluation.objective_usd == pytest.approx(shocked["objective_usd"], rel=1e-6)
    summary = json.loads((tmp_path / "shock" / "summary.json").read_text())
    assert summary["covenant"]["min_headroom_usd"] == pytest.approx(covenant["min_headroom_usd"])
