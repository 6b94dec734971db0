"""``allocate compare`` (issue 19, point 6): facility names in the financing rows,
inputs shown whole, and the NPV bridge. Expected values come from independent solves
of the instances the bridge says it solves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from instances import apply_overrides, instance_from_dict
from optimizer import SolveOptions, solve
from tests.optimizer.analyses.test_sweep import base

TIGHT = SolveOptions(mip_gap=1e-9, sensitivities=False)
HASH = "markets.hashprice_usd_per_ph_day"
GROWTH = {"start": 50, "annual_growth": 0.08, "steps": [{"from": "2026-07", "factor": 0.5}]}


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(autouse=True)
def no_charts(monkeypatch):
    """Run folders without the workbook and charts: nothing here reads them."""
    import optimizer.reports.workbook

    monkeypatch.setattr(optimizer.reports.workbook, "write_workbook", lambda result, path, **kw: path.write_bytes(b""))


@pytest.fixture
def instance_file(tmp_path: Path) -> Path:
    raw = base()
    raw["markets"]["hashprice_usd_per_ph_day"] = GROWTH
    raw["finance"]["debt"] = [{"name": "bank_line", "limit_usd": 3e6, "rate_annual": 0.08}]
    path = tmp_path / "inst.json"
    path.write_text(json.dumps(raw))
    return path


def test_financing_rows_name_the_facility_and_inputs_are_whole(instance_file: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert invoke("solve", instance_file, "--out", a, "--mip-gap", "1e-9").exit_code == 0
    assert invoke("solve", instance_file, "--out", b, "--mip-gap", "1e-9", "--set", f"{HASH}=*0.8").exit_code == 0
    rep = json.loads(invoke("compare", a, b, "--json", "--no-bridge").stdout)
    facility = [r for r in rep["financing"] if r["facility"] is not None]
    assert {(r["figure"], r["facility"]) for r in facility} == {("draws_usd", "bank_line"), ("peak_debt_usd", "bank_line")}
    # a wide terminal, so that each table row is one line
    text = CliRunner().invoke(main, ["compare", str(a), str(b), "--no-bridge"], env={"COLUMNS": "400"}).stdout
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") >= 4}
    assert "draws_usd  bank_line" in rows and "peak_debt_usd  bank_line" in rows
    # the whole growth series, steps included, in both columns (no "...")
    cells = [c.strip() for c in rows[HASH].split("│")[2:4]]
    assert cells == [json.dumps(GROWTH), json.dumps(dict(GROWTH, start=40))]  # 50 * 0.8, a whole number
    assert [(i["path"], i["a"], i["b"]) for i in rep["inputs"]] == [(HASH, GROWTH, dict(GROWTH, start=40.0))]


def test_bridge_splits_the_change_by_input(instance_file: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    changes = [(HASH, "*0.8"), ("sites.R.power_price_usd_per_mwh", 95)]
    assert invoke("solve", instance_file, "--out", a, "--mip-gap", "1e-9").exit_code == 0
    assert invoke("solve", instance_file, "--out", b, "--mip-gap", "1e-9", *[x for p, v in changes for x in ("--set", f"{p}={v}")]).exit_code == 0
    rep = json.loads(invoke("compare", a, b, "--json", "--mip-gap", "1e-9").stdout)
    bridge = rep["npv_bridge"]
    raw = json.loads(instance_file.read_text())
    npv_a = solve(instance_from_dict(raw), TIGHT).objective_usd
    npv_b = solve(instance_from_dict(apply_overrides(raw, changes)), TIGHT).objective_usd
    assert bridge["total_usd"] == pytest.approx(npv_b - npv_a, rel=1e-6)
    effects = {s["path"]: s["effect_usd"] for s in bridge["steps"]}
    assert list(effects) == [HASH, "sites.R.power_price_usd_per_mwh"]
    for path, value in changes:  # each input alone on A, solved here independently
        alone = solve(instance_from_dict(apply_overrides(raw, [(path, value)])), TIGHT).objective_usd
        assert effects[path] == pytest.approx(alone - npv_a, rel=1e-6, abs=1.0)
    # the rows sum to the total exactly: the interaction is the remainder
    assert sum(effects.values()) + bridge["interaction_usd"] == pytest.approx(bridge["total_usd"], rel=0, abs=1e-6)
    assert bridge["complete"]
    text = invoke("compare", a, b, "--mip-gap", "1e-9").stdout
    assert "NPV bridge" in text and "interaction" in text


def test_one_changed_input_has_no_interaction(instance_file: Path, tmp_path: Path) -> None:
    """With one input changed its effect alone is the whole change (up to the gap)."""
    a, b = tmp_path / "a", tmp_path / "b"
    assert invoke("solve", instance_file, "--out", a, "--mip-gap", "1e-9").exit_code == 0
    assert invoke("solve", instance_file, "--out", b, "--mip-gap", "1e-9", "--set", "sites.R.power_price_usd_per_mwh=+50").exit_code == 0
    bridge = json.loads(invoke("compare", a, b, "--json", "--mip-gap", "1e-9").stdout)["npv_bridge"]
    assert len(bridge["steps"]) == 1
    assert abs(bridge["interaction_usd"]) <= 1e-6 * abs(bridge["npv_a_usd"]) + 1.0
