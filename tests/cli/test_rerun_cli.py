"""Issue 5 on the command line: --set/--prices, sweep, compare, breakeven.

Instances are the small ones of tests/optimizer/test_sweep.py (``base()``); every
number asserted is derived in the test from an independent solve or by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from click.testing import CliRunner

from cli.main import main
from instances import InputError, apply_overrides, instance_from_dict, read_json
from instances.prices import price_overrides
from optimizer import SolveOptions, solve
from optimizer.analyses.breakeven import breakeven
from optimizer.runs.compare import retrofit_changes
from tests.optimizer.analyses.test_sweep import base

TIGHT = SolveOptions(mip_gap=1e-9, sensitivities=False)
LABELS = ["2026-01", "2026-04", "2026-07", "2026-10"]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(autouse=True)
def no_charts(monkeypatch):
    """Run folders without the workbook and the chart images: they take seconds to draw
    and nothing here reads them."""
    import optimizer.reports.charts
    import optimizer.reports.workbook

    monkeypatch.setattr(optimizer.reports.charts, "tables_from_result", lambda result: None)
    monkeypatch.setattr(optimizer.reports.charts, "draw_charts", lambda tables, path: None)
    monkeypatch.setattr(optimizer.reports.workbook, "write_workbook", lambda result, path: None)


@pytest.fixture
def instance_file(tmp_path) -> Path:
    path = tmp_path / "inst.json"
    path.write_text(json.dumps(base()))
    return path


# ------------------------------------------------------------------ --set and wrong paths


@pytest.mark.parametrize("command", ["solve", "sweep", "evaluate"])
def test_wrong_set_path_exits_2_with_the_closest_valid_path(instance_file, tmp_path, command):
    extra = {"solve": [], "sweep": ["--vary", "finance.min_cash_usd=0,1"], "evaluate": [tmp_path / "plan.json"]}[command]
    (tmp_path / "plan.json").write_text("{}")
    r = invoke(command, instance_file, *extra, "--set", "sites.RR.power_price_usd_per_mwh=50")
    assert r.exit_code == 2
    assert 'did you mean "sites.R.power_price_usd_per_mwh"' in r.output


def test_wrong_vary_path_and_bad_range_exit_2(instance_file):
    r = invoke("sweep", instance_file, "--vary", "markets.hashprice=1,2")
    assert r.exit_code == 2 and 'did you mean "markets.hashprice_usd_per_ph_day"' in r.output
    r = invoke("sweep", instance_file, "--vary", "markets.hashprice_usd_per_ph_day=50:40:5")
    assert r.exit_code == 2 and "goes away" in r.output


def test_evaluate_takes_set(instance_file, tmp_path):
    out = tmp_path / "run"
    assert invoke("solve", instance_file, "--out", out).exit_code == 0
    # the plan of power 45 at R, evaluated at power 60 there: R's mining costs 15 USD/MWh more
    plain = json.loads(invoke("evaluate", instance_file, out / "plan.json", "--json").output)
    moved = json.loads(invoke("evaluate", instance_file, out / "plan.json", "--json", "--set", "sites.R.power_price_usd_per_mwh=60").output)
    mined_mwh = pd.read_csv(out / "allocation.csv").query("site == 'R'")["mine_mw"].sum() * 2190
    assert plain["objective_usd"] - moved["objective_usd"] == pytest.approx(15 * mined_mwh, rel=1e-9)


# ------------------------------------------------------------------ --prices


def write_prices(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n")
    return path


def test_prices_csv_replaces_series_in_period_order(instance_file, tmp_path):
    csv = write_prices(tmp_path / "p.csv", [
        "period,markets.hashprice_usd_per_ph_day,sites.R.power_price_usd_per_mwh",
        "2026-10,41,44", "2026-01,38,47", "2027-01,999,999", "2026-04,39,46", "2026-07,40,45",
    ])
    got = price_overrides(csv, base())
    assert got == [("markets.hashprice_usd_per_ph_day", [38.0, 39.0, 40.0, 41.0]), ("sites.R.power_price_usd_per_mwh", [47.0, 46.0, 45.0, 44.0])]
    r = invoke("solve", instance_file, "--prices", csv, "--json")
    assert r.exit_code == 0, r.output
    same = solve(instance_from_dict(apply_overrides(base(), got)), SolveOptions(sensitivities=False))
    assert json.loads(r.output)["objective_usd"] == pytest.approx(same.objective_usd, rel=1e-9)
    # --set comes after --prices
    r2 = invoke("solve", instance_file, "--prices", csv, "--set", "markets.hashprice_usd_per_ph_day=50", "--json")
    later = solve(instance_from_dict(apply_overrides(base(), got + [("markets.hashprice_usd_per_ph_day", 50)])), SolveOptions(sensitivities=False))
    assert json.loads(r2.output)["objective_usd"] == pytest.approx(later.objective_usd, rel=1e-9)


@pytest.mark.parametrize(
    "rows,message",
    [
        (["month,markets.hashprice_usd_per_ph_day", "2026-01,1"], 'no "period" column'),
        (["period,markets.hashprice_usd_per_ph_day", "2026-01,1", "2026-04,2", "2026-10,4"], "no row for period 2026-07"),
        (["period,markets.hashprice_usd_per_ph_day", "2026-01,1", "2026-04,x", "2026-07,3", "2026-10,4"], "column markets.hashprice_usd_per_ph_day: period 2026-04: not a number"),
        (["period,markets.hashprice_usd_per_ph_day", "2026-01,1", "2026-1,2"], 'line 3: period must be a "YYYY-MM" month'),
        (["period,markets.hashprice_usd_per_ph_day", "2026-01,1", "2026-01,2"], "period 2026-01 appears twice"),
        (["period,sites.Q.grid_mw", "2026-01,1"], 'did you mean "sites.R.grid_mw"'),
        (["period,finance.discount_rate_annual", "2026-01,1"], "is not a series"),
    ],
)
def test_prices_errors_name_the_column_or_period(tmp_path, instance_file, rows, message):
    csv = write_prices(tmp_path / "bad.csv", rows)
    with pytest.raises(InputError, match=None) as err:
        price_overrides(csv, base())
    assert message in str(err.value)
    r = invoke("solve", instance_file, "--prices", csv)
    assert r.exit_code == 2 and message in r.output


# ------------------------------------------------------------------ sweep


def test_sweep_writes_csv_and_table(instance_file, tmp_path):
    out = tmp_path / "sw"
    r = invoke("sweep", instance_file, "--vary", "sites.R.ai.lease_usd_per_kw_month=60,100", "--out", out, "--mip-gap", "1e-9")
    assert r.exit_code == 0, r.output
    rows = pd.read_csv(out / "sweep.csv")
    assert list(rows["sites.R.ai.lease_usd_per_kw_month"]) == [60, 100]
    for row in rows.itertuples():
        cold = solve(instance_from_dict(apply_overrides(base(), [("sites.R.ai.lease_usd_per_kw_month", int(row[2]))])), TIGHT)
        assert row.npv_usd == pytest.approx(cold.objective_usd, rel=1e-6)
    assert list(rows["retrofits"]) == ["none", "R:1x@2026-01"]
    assert "Sweep: 2 cases" in r.output and "R:1x@2026-01" in r.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["cases"] == 2 and summary["status_counts"] == {"optimal": 2}
    # a second sweep into the same folder is refused (it holds a previous run), replaces it with --force
    assert invoke("sweep", instance_file, "--vary", "finance.min_cash_usd=0", "--out", out).exit_code == 2
    assert invoke("sweep", instance_file, "--vary", "finance.min_cash_usd=0", "--out", out, "--force").exit_code == 0


LEASES = [60, 70, 80, 90, 100]  # five cases: two chunks (at least 4 cases a chunk), so two workers share them


@pytest.fixture
def spied_sweep(monkeypatch):
    """``run_sweep`` as the sweep command calls it, with the calls recorded."""
    import cli.sweep_cmd
    import optimizer.analyses.sweep

    calls = []

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return optimizer.analyses.sweep.run_sweep(*args, **kwargs)

    monkeypatch.setattr(cli.sweep_cmd, "run_sweep", spy)
    return calls


def assert_rows_are_cold_solves(out: Path) -> None:
    rows = pd.read_csv(out / "sweep.csv")
    assert list(rows["case"]) == [1, 2, 3, 4, 5] and list(rows["sites.R.ai.lease_usd_per_kw_month"]) == LEASES
    for row in rows.to_dict("records"):
        lease = row["sites.R.ai.lease_usd_per_kw_month"]
        cold = solve(instance_from_dict(apply_overrides(base(), [("sites.R.ai.lease_usd_per_kw_month", lease)])), TIGHT)
        assert row["status"] == "optimal"
        assert row["npv_usd"] == pytest.approx(cold.objective_usd, rel=1e-6)


def test_sweep_jobs_runs_the_cases_in_two_processes(instance_file, tmp_path, spied_sweep):
    out = tmp_path / "jobs"
    vary = "sites.R.ai.lease_usd_per_kw_month=" + ",".join(map(str, LEASES))
    r = invoke("sweep", instance_file, "--vary", vary, "--jobs", "2", "--out", out, "--mip-gap", "1e-9")
    assert r.exit_code == 0, r.output
    assert [(c["jobs"], c["scheduler"]) for c in spied_sweep] == [(2, None)]
    assert_rows_are_cold_solves(out)
    assert "Sweep: 5 cases" in r.output


def test_sweep_on_a_dask_scheduler(instance_file, tmp_path, spied_sweep, monkeypatch):
    distributed = pytest.importorskip("distributed")
    import threading

    import optimizer.analyses.sweep

    real_chunk, log = optimizer.analyses.sweep.run_chunk, tmp_path / "chunks.txt"

    def chunk_spy(chunk, *args, **kwargs):  # shipped to the worker (by value): it leaves a line in a file
        with open(log, "a") as fh:
            fh.write(f"{threading.current_thread() is threading.main_thread()} {len(chunk.cases)}\n")
        return real_chunk(chunk, *args, **kwargs)

    monkeypatch.setattr(optimizer.analyses.sweep, "run_chunk", chunk_spy)
    out = tmp_path / "dask"
    vary = "sites.R.ai.lease_usd_per_kw_month=" + ",".join(map(str, LEASES))
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        r = invoke("sweep", instance_file, "--vary", vary, "--scheduler", cluster.scheduler_address, "--out", out, "--mip-gap", "1e-9")
    assert r.exit_code == 0, r.output
    assert [c["scheduler"] for c in spied_sweep] == [cluster.scheduler_address]
    # both chunks of cases (4 and 1) ran on the cluster's worker, not in the command's thread
    assert sorted(log.read_text().splitlines()) == ["False 1", "False 4"]
    assert_rows_are_cold_solves(out)


def test_sweep_with_only_failed_cases_exits_1(instance_file):
    r = invoke("sweep", instance_file, "--vary", "finance.min_cash_usd=1e12")
    assert r.exit_code == 1 and "infeasible" in r.output


# ------------------------------------------------------------------ compare


def test_compare_two_runs_differing_in_one_power_price(instance_file, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert invoke("solve", instance_file, "--out", a, "--set", "sites.R.ai.lease_usd_per_kw_month=70").exit_code == 0
    assert invoke("solve", instance_file, "--out", b, "--set", "sites.R.ai.lease_usd_per_kw_month=70", "--set", "sites.R.power_price_usd_per_mwh=95").exit_code == 0
    r = invoke("compare", a, b, "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    # the only input that differs, by its dotted path
    assert [(i["path"], i["a"], i["b"]) for i in rep["inputs"]] == [("sites.R.power_price_usd_per_mwh", 45, 95)]
    sa, sb = (json.loads((d / "summary.json").read_text())["objective_usd"] for d in (a, b))
    assert rep["npv"]["change_usd"] == pytest.approx(sb - sa, rel=1e-12)
    # power at 95 makes R's block worth more than its mining: a block appears
    assert rep["retrofits"] == [{"site": "R", "a": "-", "b": "1x@2026-01", "blocks_a": 0, "blocks_b": 1,
                                 "moves": [{"block": 1, "a": None, "b": "2026-01", "change": "added"}], "summary": "+1 block @2026-01"}]
    al_a, al_b = (pd.read_csv(d / "allocation.csv") for d in (a, b))
    mw = {(m["site"], m["year"]): m for m in rep["mw"]}
    for col in ("mine_mw", "ai_it_mw"):
        expect = al_b.query("site == 'R'")[col].mean() - al_a.query("site == 'R'")[col].mean()
        assert mw[("R", "2026")][f"{col}_change"] == pytest.approx(expect, abs=1e-9)
    assert mw[("R", "2026")]["ai_it_mw_change"] > 0 and mw[("H", "2026")]["mine_mw_change"] == 0
    fin = {f["item"]: f for f in rep["financing"]}
    fa, fb = (pd.read_csv(d / "finance.csv") for d in (a, b))
    assert fin["dividends_usd"]["change"] == pytest.approx(fb["dividend_usd"].sum() - fa["dividend_usd"].sum(), abs=1e-3)
    text = invoke("compare", a, b)
    assert text.exit_code == 0
    assert "sites.R.power_price_usd_per_mwh" in text.output and "+1 block @2026-01" in text.output


def test_compare_moves_earlier_and_later():
    def run(rows):
        return SimpleNamespace(retrofits=pd.DataFrame(rows, columns=["site", "start", "blocks"]), instance={"sites": [{"name": "X"}, {"name": "Y"}]})

    a = run([("X", "2026-07", 2), ("Y", "2026-01", 1)])
    b = run([("X", "2026-01", 1), ("X", "2026-10", 1), ("Y", "2026-04", 1), ("Y", "2026-10", 1)])
    rows = {r["site"]: r for r in retrofit_changes(a, b, LABELS)}
    assert rows["X"]["summary"] == "2026-07 -> 2026-01 (earlier by 2 periods); 2026-07 -> 2026-10 (later by 1 period)"
    assert rows["Y"]["summary"] == "2026-01 -> 2026-04 (later by 1 period); +1 block @2026-10"


def test_compare_refuses_a_folder_that_is_not_a_run(tmp_path):
    r = invoke("compare", tmp_path, tmp_path)
    assert r.exit_code == 2 and "summary.json" in r.output


# ------------------------------------------------------------------ breakeven


def test_breakeven_on_a_series_scale_and_on_a_number():
    # one quarter, lead 0, discount 0: R's block pays 10 IT MW * 1000 * lease * 3 - 2,000,000 capex and
    # frees R's 15 MW of mining (12 MW held by the block at pue 1.2; 3 MW still mined).
    # Mining margin per MW-quarter: 50 * 50 * 91.25 - 2190 * 45 = 129,575; 12 MW of it = 1,554,900.
    # Retrofit iff 30,000 * lease - 2,000,000 > 1,554,900: lease* = 118.4966..., factor 1.184966 on 100.
    raw = apply_overrides(base(), [("horizon.periods", 1), ("sites.R.ai.lead_periods", 0)])
    lease_star = (2_000_000 + 12 * (50 * 50 * 91.25 - 2190 * 45)) / 30_000
    be = breakeven(raw, "sites.R.ai.lease_usd_per_kw_month", "R", low=0.5, high=1.5, options=TIGHT)
    assert be.found and be.mode == "scale"
    assert be.low.value <= lease_star / 100 <= be.high.value and be.high.value - be.low.value <= 1e-3
    assert (be.low.first_start, be.high.first_start) == (None, "2026-01")
    # the same threshold on capex per IT MW (a number): 30,000 * 100 - 1,554,900 = 1,445,100 for 10 MW
    capex_star = (30_000 * 100 - 12 * (50 * 50 * 91.25 - 2190 * 45)) / 10
    be2 = breakeven(raw, "sites.R.ai.capex_usd_per_it_mw", "R", low=50_000, high=300_000, options=TIGHT)
    assert be2.found and be2.mode == "value" and be2.low.value <= capex_star <= be2.high.value
    assert (be2.low.first_start, be2.high.first_start) == ("2026-01", None)


def test_breakeven_cli(instance_file):
    r = invoke("breakeven", instance_file, "--param", "sites.R.ai.lease_usd_per_kw_month", "--site", "R", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["found"] and out["low"]["first_start"] is None and out["high"]["first_start"] == "2026-01"
    r = invoke("breakeven", instance_file, "--param", "sites.R.ai.lease_usd_per_kw_month", "--site", "RR")
    assert r.exit_code == 2 and 'did you mean "R"' in r.output
    r = invoke("breakeven", instance_file, "--param", "sites.R.ai.lease_usd_per_kw_month", "--site", "R", "--low", "1.4", "--high", "1.5")
    assert r.exit_code == 1 and "no change" in r.output
