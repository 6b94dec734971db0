"""Issue 19 on the command line: ``allocate series``, the operators through ``--set``,
unit slips (``--mip-gap``, a discount rate in percent), a negative power price, and
``--prices`` on ``why`` and ``evaluate``. Expected numbers are derived in each test
(by hand in a comment or from another route to the same input)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import main
from instances import default_instance_dict
from instances.load import resolved_series

TINY = Path(__file__).parents[1] / "data" / "tiny"
HASH = "markets.hashprice_usd_per_ph_day"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_series_prints_the_resolved_series() -> None:
    res = invoke("series", HASH)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    base = resolved_series(default_instance_dict(), HASH, None)
    assert lines[0] == f"period,{HASH}"
    assert len(lines) == 1 + len(base)
    # SPEC section 2 by hand: start 32, +8%/year, quarterly; 2027-04 is t=1: 32 * 1.08 ** 0.25
    assert lines[1] == "2027-01,32"
    assert lines[2] == f"2027-04,{32 * 1.08 ** 0.25:.6g}"
    scaled = invoke("series", HASH, "--set", f"{HASH}=*0.8", "--json")
    data = json.loads(scaled.stdout)
    assert np.allclose(data["values"], 0.8 * np.array(base))
    assert data["periods"][0] == "2027-01" and len(data["periods"]) == len(base)


def test_series_of_an_instance_file_and_errors() -> None:
    res = invoke("series", TINY / "csv_series.json", "sites.M.power_price_usd_per_mwh", "--set", "sites.M.power_price_usd_per_mwh=+5")
    # prices.csv, column power, rows 2026-01..2026-10: 40, 40, 20, 40; each +5
    assert res.stdout.splitlines()[1:] == ["2026-01,45", "2026-04,45", "2026-07,25", "2026-10,45"]
    alone = invoke("series", TINY / "csv_series.json")
    assert alone.exit_code == 2 and alone.stderr.startswith(f"error: series {TINY / 'csv_series.json'}: give the dotted PATH")
    bad = invoke("series", "markets.hashprice_usd_per_ph_da")
    assert bad.exit_code == 2
    assert bad.stderr.splitlines() == [f'error: markets.hashprice_usd_per_ph_da: unknown field "hashprice_usd_per_ph_da" in path "markets.hashprice_usd_per_ph_da" (did you mean "{HASH}"?)']


def test_flat_set_warns_in_the_report_and_json() -> None:
    res = invoke("series", HASH, "--set", f"{HASH}=28")
    assert res.exit_code == 0
    assert "warning: markets.hashprice_usd_per_ph_day: a growing series with 2 steps becomes a flat 28" in res.stderr.splitlines()
    assert res.stdout.splitlines()[1:3] == ["2027-01,28", "2027-04,28"]


def test_scaled_hashprice_lowers_the_npv() -> None:
    """Less revenue in every period cannot raise the optimum; here the site mines, so
    the NPV falls (1 period of 3 months, 10 MW mined at 20 J/TH: 500 PH/s; at 50 and
    then 40 $/PH/day for 91.25 days revenue falls by 10 * 500 * 91.25 = $456,250)."""
    path = TINY / "mine_and_lease.json"
    base = json.loads(invoke("solve", path, "--json", "--mip-gap", "1e-9").stdout)
    low = json.loads(invoke("solve", path, "--json", "--mip-gap", "1e-9", "--set", f"{HASH}=*0.8").stdout)
    assert base["objective_usd"] - low["objective_usd"] == pytest.approx(10 * 500 * 91.25, rel=1e-6)


@pytest.mark.parametrize("gap", ["5", "0", "1", "-0.1"])
def test_mip_gap_outside_zero_one_is_an_error(gap: str) -> None:
    for command in (["solve"], ["why"], ["sweep", "--vary", "finance.min_cash_usd=0"], ["baselines"], ["breakeven", HASH, "--site", "Rockdale"]):
        res = invoke(*command, "--mip-gap", gap)
        assert res.exit_code == 2, (command, res.output)
        assert res.stderr.splitlines() == [f"error: --mip-gap: {float(gap):g} is outside (0, 1): write the gap as a fraction (0.01 for 1%)"]


def test_discount_rate_in_percent_is_an_error() -> None:
    res = invoke("solve", "--set", "finance.discount_rate_annual=11")
    assert res.exit_code == 2
    assert res.stderr.splitlines() == ["error: finance.discount_rate_annual: 11 is above 1: write rates as fractions (0.11 for 11%)"]
    assert invoke("validate", TINY / "mine_and_lease.json").exit_code == 0  # a rate of 0 is fine


def test_negative_power_price_is_a_warning(tmp_path: Path) -> None:
    raw = json.loads((TINY / "mine_and_lease.json").read_text())
    raw["sites"][0]["power_price_usd_per_mwh"] = -5
    path = tmp_path / "negative.json"
    path.write_text(json.dumps(raw))
    res = invoke("validate", path)
    assert res.exit_code == 0
    assert "warning: sites.M.power_price_usd_per_mwh: below 0 in 1 period (lowest -5 USD/MWh): the site is paid to draw power; check the sign" in res.stderr.splitlines()
    solved = json.loads(invoke("solve", path, "--json", "--mip-gap", "1e-9").stdout)
    assert any("sites.M.power_price_usd_per_mwh: below 0" in w for w in solved["warnings"])
    # a negative lease: a warning too, and a hall that costs rent is never built
    lease = json.loads(invoke("solve", TINY / "mine_and_lease.json", "--json", "--mip-gap", "1e-9", "--set", "sites.A.ai.lease_usd_per_kw_month=-5").stdout)
    assert lease["status"] == "optimal"
    assert "sites.A.ai.lease_usd_per_kw_month: below 0 in 1 period (lowest -5 USD per IT kW-month): the landlord pays the tenant to lease; check the sign" in lease["warnings"]
    assert lease["retrofits"] == []


def test_why_and_evaluate_take_prices(tmp_path: Path) -> None:
    """A --prices column and the same list through --set give the same answer; without
    it the answer differs (the option is read, not ignored)."""
    prices = tmp_path / "prices.csv"
    prices.write_text(f"period,{HASH}\n2026-01,20\n")
    why = TINY / "why.json"
    by_csv = json.loads(invoke("why", why, "--json", "--mip-gap", "1e-9", "--prices", prices).stdout)
    by_set = json.loads(invoke("why", why, "--json", "--mip-gap", "1e-9", "--set", f"{HASH}=[20]").stdout)
    plain = json.loads(invoke("why", why, "--json", "--mip-gap", "1e-9").stdout)
    assert by_csv == by_set and by_csv != plain
    run = tmp_path / "run"
    path = TINY / "mine_and_lease.json"
    assert invoke("solve", path, "--out", run, "--mip-gap", "1e-9").exit_code == 0
    ev_csv = json.loads(invoke("evaluate", path, run / "plan.json", "--json", "--prices", prices).stdout)
    ev_set = json.loads(invoke("evaluate", path, run / "plan.json", "--json", "--set", f"{HASH}=[20]").stdout)
    ev_plain = json.loads(invoke("evaluate", path, run / "plan.json", "--json").stdout)
    assert ev_csv["objective_usd"] == ev_set["objective_usd"]
    # the plan mines 10 MW (500 PH/s) for 91.25 days; hashprice 50 -> 20 costs 30 * 500 * 91.25
    assert ev_plain["objective_usd"] - ev_csv["objective_usd"] == pytest.approx(30 * 500 * 91.25, rel=1e-9)


def test_sweep_relative_range_and_flat_warning(tmp_path: Path) -> None:
    """``--vary PATH=*a:b:step`` scales the series in each case (the NPV of each row is
    that of a solve with ``--set PATH=*v``); a flat --vary over a growth series warns once."""
    raw = json.loads((TINY / "mine_and_lease.json").read_text())
    raw["horizon"]["periods"] = 2
    raw["markets"]["hashprice_usd_per_ph_day"] = {"start": 50, "annual_growth": 0.2}
    path = tmp_path / "growing.json"
    path.write_text(json.dumps(raw))
    res = invoke("sweep", path, "--vary", f"{HASH}=*0.5:1:0.5", "--out", tmp_path / "sw", "--mip-gap", "1e-9", "--quiet")
    assert res.exit_code == 0, res.output
    import pandas as pd

    rows = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    assert list(rows[HASH]) == ["*0.5", "*1.0"]
    for value, npv in zip(rows[HASH], rows["npv_usd"]):
        alone = json.loads(invoke("solve", path, "--json", "--mip-gap", "1e-9", "--set", f"{HASH}={value}").stdout)
        assert npv == pytest.approx(alone["objective_usd"], rel=1e-6)
    flat = invoke("sweep", path, "--vary", f"{HASH}=30,40", "--mip-gap", "1e-9", "--quiet")
    assert flat.stderr.splitlines().count(f"warning: --vary {HASH}: a growing series becomes a flat 30") == 1
