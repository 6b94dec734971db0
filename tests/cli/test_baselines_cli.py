"""``allocate baselines`` and ``allocate solve --baselines`` on tests/data/tiny/baselines.json
(the schedules are derived by hand in tests/optimizer/test_baselines.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main

TINY = Path(__file__).parent.parent / "data" / "tiny" / "baselines.json"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_baselines_json_with_a_user_plan(tmp_path: Path):
    starts = tmp_path / "starts.csv"
    starts.write_text("site,start,blocks\nA,2027-01,2\n")
    res = invoke("baselines", TINY, "--json", "--mip-gap", "1e-9", "--starts", starts)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["optimum_usd"] > 0
    rows = {r["name"]: r for r in out["baselines"]}
    assert list(rows) == ["keep_mining", "convert_early", "greedy_payback", "user_plan"]
    assert rows["convert_early"]["schedule"] == [
        {"site": "B", "start": "2027-01", "blocks": 1},
        {"site": "A", "start": "2027-04", "blocks": 1},
        {"site": "A", "start": "2027-10", "blocks": 1},
    ]
    assert rows["user_plan"]["feasible"] is False
    assert rows["user_plan"]["first_violation"]["constraint"] == "min_cash"
    for r in rows.values():
        if r["feasible"]:
            assert r["gap_usd"] == pytest.approx(out["optimum_usd"] - r["npv_usd"])
            assert r["evaluated_npv_usd"] == pytest.approx(r["npv_usd"], rel=1e-6)


def test_baselines_payback_years_changes_the_greedy_rule():
    # payback: A 1.78 y, B 8.56 y (tests/optimizer/test_baselines.py)
    res = invoke("baselines", TINY, "--json", "--payback-years", "1.5")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    greedy = next(r for r in out["baselines"] if r["name"] == "greedy_payback")
    assert greedy["schedule"] == [] and greedy["label"] == "greedy payback <1.5y"
    assert out["payback_years"] == 1.5


def test_baselines_table():
    res = invoke("baselines", TINY)
    assert res.exit_code == 0, res.output
    assert "Baselines: the optimum against simple rules" in res.stdout
    for label in ("optimum", "keep mining", "convert early", "greedy payback <6y"):
        assert label in res.stdout
    assert "convert early: B 2027-01 x1, A 2027-04 x1, A 2027-10 x1  (6 LP solves to build)" in res.stdout
    assert max(len(line) for line in res.stdout.splitlines() if "│" not in line and "LP solves" not in line) <= 80


@pytest.mark.parametrize("args, message", [
    (["--payback-years", "0"], "--payback-years"),
    (["--starts", "missing.csv"], "--starts"),
])
def test_baselines_bad_input_exit_2(args, message):
    res = invoke("baselines", TINY, *args)
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output


def test_solve_baselines_everywhere(tmp_path: Path):
    out = tmp_path / "run"
    res = invoke("solve", TINY, "--baselines", "--out", out, "--mip-gap", "1e-9")
    assert res.exit_code == 0, res.output
    assert "Baselines: the optimum against simple rules" in res.stdout
    summary = json.loads((out / "summary.json").read_text())
    names = [r["name"] for r in summary["baselines"]["baselines"]]
    assert names == ["keep_mining", "convert_early", "greedy_payback"]
    assert summary["baselines"]["optimum_usd"] == pytest.approx(summary["objective_usd"])

    import openpyxl

    ws = openpyxl.load_workbook(out / "plan.xlsx")["Baselines"]
    values = list(ws.iter_rows(values_only=True))
    assert values[0][:2] == ("plan", "npv_usd")
    assert [v[0] for v in values[1:]] == ["optimum", "keep mining", "convert early", "greedy payback <6y"]
    assert values[1][1] == pytest.approx(summary["objective_usd"])

    res = invoke("report", out)
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text()
    assert "Baselines: the optimum against simple rules" in html and "greedy payback &lt;6y" in html

    res = invoke("solve", TINY, "--baselines", "--json")
    assert res.exit_code == 0, res.output
    assert [r["name"] for r in json.loads(res.stdout)["baselines"]["baselines"]] == names
