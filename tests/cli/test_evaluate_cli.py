"""``allocate evaluate`` and ``allocate solve --starts`` through click's CliRunner:
exit codes (0 feasible, 1 violations or no plan, 2 bad input), the JSON shape, and
the schedule file reader (instances/schedule.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from instances import InputError, load_instance
from instances.schedule import read_schedule

DATA = Path(__file__).parent.parent / "data" / "evaluator"
SMALL = str(DATA / "small.json")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def one_error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    return lines[0]


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "run"
    result = run("solve", SMALL, "--mip-gap", "1e-9", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    return out


def test_evaluate_optimal_plan_is_feasible(solved: Path) -> None:
    result = run("evaluate", SMALL, str(solved / "plan.json"), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["feasible"] is True
    assert out["violations"] == []
    assert isinstance(out["objective_usd"], float)
    # the NPV the solver wrote in its summary, recomputed independently
    summary = json.loads((solved / "summary.json").read_text())
    assert out["objective_usd"] == pytest.approx(summary["objective_usd"], rel=1e-6)


def test_evaluate_text_report(solved: Path) -> None:
    result = run("evaluate", SMALL, str(solved / "plan.json"))
    assert result.exit_code == 0
    assert "NPV" in result.stdout and "feasible   yes" in result.stdout


def test_evaluate_violations_exit_1_and_json_shape() -> None:
    result = run("evaluate", SMALL, str(DATA / "plan_violations.json"), "--json")
    assert result.exit_code == 1, result.output
    out = json.loads(result.stdout)
    assert out["feasible"] is False
    assert set(out) >= {"objective_usd", "feasible", "violations"}
    for v in out["violations"]:
        assert set(v) >= {"constraint", "entity", "period", "scenario", "amount", "unit", "detail"}
    found = {(v["constraint"], v["entity"], v["period"]): v["amount"] for v in out["violations"]}
    # B mines 55 MW in 2027-01: its grid is 50 MW and its fleet (max_mw defaults to the
    # largest grid_mw, 50) draws at most 50: 5 MW over on both counts
    assert found[("grid_limit", "B", "2027-01")] == pytest.approx(5)
    assert found[("mine_max", "B", "2027-01")] == pytest.approx(5)
    # A's block starts in 2027-04 with lead 1: online from 2027-07, 10 IT MW, so leasing
    # 10 there is allowed; nothing else is broken (cash: 10M + EBITDA covers the 20M block)
    assert set(found) == {("grid_limit", "B", "2027-01"), ("mine_max", "B", "2027-01")}


def test_evaluate_text_lists_violations() -> None:
    result = run("evaluate", SMALL, str(DATA / "plan_violations.json"))
    assert result.exit_code == 1
    assert "grid_limit" in result.stdout and "mine_max" in result.stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (("evaluate", SMALL, str(DATA / "plan_malformed.json")), "plan.starts[0].blocks"),
        (("evaluate", SMALL, str(DATA / "missing.json")), "file not found"),
        (("evaluate", str(DATA / "missing.json"), str(DATA / "plan_violations.json")), "file not found"),
        (("evaluate", SMALL, str(DATA)), "folder"),
        (("evaluate", SMALL, str(DATA / "starts_ok.csv")), "invalid JSON"),
    ],
)
def test_evaluate_bad_input_exit_2(args, needle) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    line = one_error_line(result)
    assert line.startswith("error: ")
    assert needle in line


def test_evaluate_out_writes_tables(tmp_path: Path) -> None:
    out = tmp_path / "ev"
    result = run("evaluate", SMALL, str(DATA / "plan_violations.json"), "--out", str(out))
    assert result.exit_code == 1
    for name in ("summary.json", "allocation.csv", "finance.csv", "violations.csv"):
        assert (out / name).exists(), name
    assert "grid_limit" in (out / "violations.csv").read_text()
    assert not (out / "fleets.csv").exists()  # a v1 instance: the v1 tables only


def test_evaluate_v2_plan(tmp_path: Path) -> None:
    # fleet1's hand optimum (tests/optimizer/test_evaluator_v2.py): NPV 26,720,000 / 3
    root = Path(__file__).parent.parent / "data"
    out = tmp_path / "ev"
    result = run("evaluate", str(root / "reference" / "v2" / "worked" / "fleet1.json"),
                 str(root / "evaluator" / "v2" / "fleet1.plan.json"), "--json", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["objective_usd"] == pytest.approx(26_720_000 / 3, rel=1e-12)
    fleet = (out / "fleets.csv").read_text().splitlines()
    assert fleet[0].startswith("scenario,site,fleet,period,buy_mw,retire_mw,fleet_mw")
    assert (out / "mining.csv").exists()
    assert "asic_capex_usd" in (out / "finance.csv").read_text().splitlines()[0]


# --------------------------------------------------------------------------------------
# solve --starts
# --------------------------------------------------------------------------------------


def test_solve_starts_reports_gap(tmp_path: Path) -> None:
    """A block at A one quarter late (2027-07; the optimum starts it in 2027-04): the
    figures equal the plan evaluator's prices of the optimal plan and of the best plan
    with that schedule, each found by its own solve."""
    from optimizer import SolveOptions, solve
    from optimizer.evaluator import evaluate

    inst = load_instance(SMALL)
    optimum = evaluate(inst, solve(inst, SolveOptions(mip_gap=1e-9)).plan)
    late = evaluate(inst, solve(inst, SolveOptions(mip_gap=1e-9, fixed_starts={("A", "2027-07"): 1})).plan)
    assert optimum.feasible and late.feasible
    starts = tmp_path / "late.csv"
    starts.write_text("site,start,blocks\nA,2027-07,1\n")
    result = run("solve", SMALL, "--mip-gap", "1e-9", "--starts", str(starts), "--json")
    assert result.exit_code == 0, result.output
    cmp = json.loads(result.stdout)["starts_comparison"]
    assert cmp["status"] == "optimal"
    assert cmp["schedule"] == [{"site": "A", "start": "2027-07", "blocks": 1}]
    assert cmp["optimum_usd"] == pytest.approx(optimum.objective_usd, rel=1e-9)
    assert cmp["schedule_npv_usd"] == pytest.approx(late.objective_usd, rel=1e-9)
    assert cmp["gap_usd"] == pytest.approx(optimum.objective_usd - late.objective_usd, rel=1e-6)
    assert cmp["gap_usd"] > 1e6  # a quarter of lease lost: about $3.9M
    assert cmp["first_violation"] is None


def test_solve_starts_with_the_optimal_schedule_leaves_nothing(solved: Path) -> None:
    result = run("solve", SMALL, "--mip-gap", "1e-9", "--starts", str(solved / "retrofits.csv"), "--json")
    assert result.exit_code == 0, result.output
    cmp = json.loads(result.stdout)["starts_comparison"]
    assert cmp["gap_usd"] == pytest.approx(0, abs=1e-6 * abs(cmp["optimum_usd"]))
    # plan.json's starts are accepted too
    again = run("solve", SMALL, "--mip-gap", "1e-9", "--starts", str(solved / "plan.json"), "--json")
    assert json.loads(again.stdout)["starts_comparison"]["schedule_npv_usd"] == pytest.approx(cmp["schedule_npv_usd"])


def test_solve_starts_text_report() -> None:
    result = run("solve", SMALL, "--starts", str(DATA / "starts_ok.csv"))
    assert result.exit_code == 0
    assert "left on the table" in result.stdout
    assert "free optimum" in result.stdout


def test_solve_starts_unfundable_names_period_and_constraint() -> None:
    result = run("solve", SMALL, "--starts", str(DATA / "starts_unfunded.csv"))
    assert result.exit_code == 1
    line = one_error_line(result)
    # 2 blocks cost 40M in 2027-04; cash can reach 10M + 2 x 7,026,250 = 24,052,500 by
    # then (B mining 50 MW, see tests/optimizer/test_crosscheck.py): 15.95M short
    assert "2027-04" in line and "min_cash" in line and "$15.95M" in line
    js = run("solve", SMALL, "--starts", str(DATA / "starts_unfunded.csv"), "--json")
    assert js.exit_code == 1
    cmp = json.loads(js.stdout)["starts_comparison"]
    assert cmp["first_violation"]["period"] == "2027-04"
    assert cmp["first_violation"]["constraint"] == "min_cash"
    assert cmp["schedule_npv_usd"] is None


def test_solve_starts_structural_violation(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("site,start,blocks\nB,2027-04,1\n")
    result = run("solve", SMALL, "--starts", str(path))
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "2027-04" in line and "start_window" in line


def test_solve_starts_bad_file_exit_2() -> None:
    result = run("solve", SMALL, "--starts", str(DATA / "starts_bad.csv"))
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "starts_bad.csv line 3" in line and "blocks" in line


# --------------------------------------------------------------------------------------
# schedule files
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("s.csv", "site,start,blocks\nA,2027-04,1\nA,2027-10,2\n", {("A", "2027-04"): 1, ("A", "2027-10"): 2}),
        ("s.csv", "blocks,site,period,it_mw\n1,A,2027-04,10\n0,A,2027-07,0\n", {("A", "2027-04"): 1}),
        # a month that is not a period start selects the next period (SPEC 1)
        ("s.csv", "site,start,blocks\nA,2027-05,1\n", {("A", "2027-07"): 1}),
        ("s.json", '[{"site": "A", "start": "2027-04", "blocks": 1}]', {("A", "2027-04"): 1}),
        ("s.json", '{"starts": [{"site": "A", "period": "2027-07", "blocks": 2}]}', {("A", "2027-07"): 2}),
    ],
)
def test_read_schedule(tmp_path: Path, name, text, expected) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert read_schedule(path, load_instance(SMALL)) == expected


@pytest.mark.parametrize(
    "name, text, needle",
    [
        ("s.csv", "site,blocks\nA,1\n", "missing start"),
        ("s.csv", "site,start,blocks\nZ,2027-04,1\n", 'line 2: unknown site "Z"'),
        ("s.csv", "site,start,blocks\nA,2027-04,-1\n", "line 2: blocks must be a whole number"),
        ("s.csv", "site,start,blocks\nA,2027-04,1\nA,2027-04,1\n", "line 3: site A starts in 2027-04 twice"),
        ("s.csv", "site,start,blocks\nA,2030-01,1\n", "after the horizon"),
        ("s.csv", "site,start,blocks\nA,April,1\n", "line 2: start must be a date"),
        ("s.json", '{"x": 1}', '"starts"'),
        ("s.json", '[{"site": "A", "blocks": 1}]', "entry 0: start is missing"),
        ("s.json", "[1,", "invalid JSON"),
    ],
)
def test_read_schedule_errors(tmp_path: Path, name, text, needle) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as exc:
        read_schedule(path, load_instance(SMALL))
    assert needle in str(exc.value)
    assert "\n" not in str(exc.value)
