"""The command line on SPEC v2 instances: validate names the levers, solve --out
writes fleets.csv (and a v1 instance's run folder has none)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from cli.main import main

V2 = Path(__file__).parents[1] / "data" / "reference" / "v2"


def test_validate_names_the_v2_levers() -> None:
    result = CliRunner().invoke(main, ["validate", str(V2 / "public_v2_000.json")])
    assert result.exit_code == 0, result.output
    assert "  v2        1 ASIC model (G0); tiered power prices at 1 site (S1); tenant prepayments at S0, S1; pre-leased halls at S0" in result.output
    v1 = CliRunner().invoke(main, ["validate", str(V2 / "public_v2_011.json")])
    assert v1.exit_code == 0 and " v2 " not in v1.output


def test_solve_out_writes_the_fleet_table(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["solve", str(V2 / "worked" / "fleet1.json"), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "fleets.csv").open()))
    assert list(rows[0]) == ["scenario", "site", "fleet", "period", "bought_mw", "retired_mw", "installed_mw", "efficiency_j_per_th", "hashrate_ph_s", "mined_mw", "asic_capex_usd"]
    # worked/fleet1: 10 MW of "new" bought in 2027, the installed 10 MW retired then
    new_2027 = next(r for r in rows if r["fleet"] == "new" and r["period"] == "2027-01")
    assert float(new_2027["bought_mw"]) == 10.0
    plan = json.loads((out / "plan.json").read_text())
    assert {"mining", "fleet"} <= set(plan)


def test_v1_run_has_no_fleet_table(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["solve", str(V2 / "public_v2_011.json"), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert not (out / "fleets.csv").exists()
    assert not {"mining", "fleet"} & set(json.loads((out / "plan.json").read_text()))
