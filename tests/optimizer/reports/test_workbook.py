"""plan.xlsx: pandas reads back the numbers of the run folder's CSV files; house
formats (money, dates, frozen headers, autofilters, widths); LibreOffice opens it."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from optimizer.runs.folder import write_result
from instances import load_instance
from optimizer import SolveOptions, solve
from optimizer.reports.workbook import write_workbook

REF = Path(__file__).parents[2] / "data" / "reference"
KEYS = {"scenario": str, "site": str, "period": str, "facility": str, "start": str, "online": str}


def _run(tmp_path_factory, name: str, options: SolveOptions | None = None):
    """A run folder as ``solve --out`` writes it (charts left out: test_charts draws them)."""
    result = solve(load_instance(REF / name), options)
    run = tmp_path_factory.mktemp(name.replace(".json", "")) / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("optimizer.reports.charts.draw_charts", lambda tables, folder: [])
        write_result(result, str(run))
    return result, run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """public_007 (debt, a retrofit) solved and written with ``solve --out``'s writer."""
    return _run(tmp_path_factory, "public_007.json")


@pytest.fixture(scope="module")
def stochastic_run(tmp_path_factory):
    """public_010: two scenarios, its retrofit schedule fixed to none. Keeping every
    site mining is optimal there: the plan is worth the reference optimum
    (tests/data/reference/expected.json). Fixed, so that the run has no retrofit even
    if another schedule tied with it."""
    result, folder = _run(tmp_path_factory, "public_010.json", SolveOptions(fixed_starts={}))
    expected = json.loads((REF / "expected.json").read_text())["public_010.json"]["objective_usd"]
    assert result.objective_usd == pytest.approx(expected, rel=1e-4)  # the default gap, 1e-4
    return result, folder


def read_table(path: Path, sheet: str, table: str) -> pd.DataFrame:
    """One Excel table of the workbook, read by pandas (its range found with openpyxl)."""
    ws = load_workbook(path)[sheet]
    min_col, min_row, max_col, max_row = range_boundaries(ws.tables[table].ref)
    # header=None: pandas would rename a header repeated in a table beside this one ("site.1")
    df = pd.read_excel(path, sheet_name=sheet, header=None, skiprows=min_row - 1, dtype=object,
                       usecols=list(range(min_col - 1, max_col)), nrows=max_row - min_row + 1)
    df.columns = [str(c) for c in df.iloc[0]]
    return df.iloc[1:].dropna(how="all").reset_index(drop=True)


def labels(values: pd.Series) -> list[str]:
    """Excel dates back to period labels."""
    return [pd.Timestamp(v).strftime("%Y-%m") for v in values]


def csv(run: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(run / name, dtype=KEYS)


def assert_numbers_equal(sheet: pd.DataFrame, table: pd.DataFrame, columns) -> None:
    for c in columns:
        got = pd.to_numeric(sheet[c]).to_numpy(dtype=float)
        want = table[c].to_numpy(dtype=float)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-5, err_msg=c)


def test_solve_out_writes_the_workbook_with_its_sheets(run):
    _result, folder = run
    path = folder / "plan.xlsx"
    assert path.is_file()
    assert pd.ExcelFile(path).sheet_names == ["Summary", "Assumptions", "Retrofits", "Allocation", "Finance", "Sensitivities", "Inputs"]


def test_finance_sheet_has_the_numbers_of_finance_csv(run):
    _result, folder = run
    want = csv(folder, "finance.csv")
    got = pd.read_excel(folder / "plan.xlsx", sheet_name="Finance")
    assert list(got.columns) == list(want.columns)
    assert list(got["scenario"]) == list(want["scenario"])
    assert labels(got["period"]) == list(want["period"])
    assert any(c.startswith("balance_usd[") for c in want.columns)  # per-facility columns
    assert_numbers_equal(got, want, [c for c in want.columns if c not in ("scenario", "period")])


def test_retrofits_sheet_has_the_rows_of_retrofits_csv(run):
    _result, folder = run
    want = csv(folder, "retrofits.csv")
    got = pd.read_excel(folder / "plan.xlsx", sheet_name="Retrofits")
    assert len(want) > 0
    assert list(got.columns) == list(want.columns)
    assert list(got["site"].astype(str)) == list(want["site"])
    assert labels(got["start"]) == list(want["start"])
    assert labels(got["online"]) == list(want["online"])
    assert_numbers_equal(got, want, ["blocks", "it_mw", "capex_usd"])


def test_allocation_sheet_holds_the_per_period_table_and_the_yearly_pivot(run):
    _result, folder = run
    path = folder / "plan.xlsx"
    want = csv(folder, "allocation.csv")
    got = read_table(path, "Allocation", "AllocationByPeriod")
    assert list(got.columns) == list(want.columns)
    assert labels(got["period"]) == list(want["period"])
    assert_numbers_equal(got, want, [c for c in want.columns if c not in ("scenario", "site", "period")])

    # pivot: average MW per calendar year, probability-weighted over scenarios
    prob = csv(folder, "scenarios.csv").set_index("scenario")["probability"]
    want["w"] = want["scenario"].map(prob)
    want["year"] = want["period"].str[:4]
    pivot = read_table(path, "Allocation", "AllocationByYear")
    pivot.columns = [str(c) for c in pivot.columns]
    years = sorted(want["year"].unique())
    assert list(pivot.columns) == ["site", "measure", *years]
    for measure, col in (("mining MW", "mine_mw"), ("AI IT MW", "ai_it_mw")):
        per_period = (want[col] * want["w"]).groupby([want["site"], want["period"]]).sum()
        expected = per_period.groupby([per_period.index.get_level_values(0), per_period.index.get_level_values(1).str[:4]]).mean()
        rows = pivot[pivot["measure"] == measure].set_index("site")
        for (site, year), value in expected.items():
            assert rows.at[site, year] == pytest.approx(value, rel=1e-9, abs=1e-6), (measure, site, year)
    assert pivot[pivot["measure"] == "AI IT MW"][years].to_numpy().sum() > 0  # the retrofit shows


def test_summary_sheet_has_status_npv_and_key_figures(run):
    _result, folder = run
    summary = json.loads((folder / "summary.json").read_text())
    finance = csv(folder, "finance.csv")
    retrofits = csv(folder, "retrofits.csv")
    s = pd.read_excel(folder / "plan.xlsx", sheet_name="Summary")
    assert list(s.columns) == ["section", "item", "value"]
    value = dict(zip(s["item"], s["value"]))
    assert value["status"] == summary["status"]
    assert float(value["NPV (objective, expected)"]) == pytest.approx(summary["objective_usd"], rel=1e-12)
    assert float(value["bound"]) == pytest.approx(summary["bound_usd"], rel=1e-12)
    assert float(value["MIP gap"]) == pytest.approx(summary["mip_gap"], abs=1e-12)
    assert float(value["AI capex"]) == pytest.approx(finance["capex_usd"].sum(), rel=1e-9)
    assert float(value["dividends"]) == pytest.approx(finance["dividend_usd"].sum(), rel=1e-9)
    assert float(value["EBITDA, whole horizon"]) == pytest.approx(finance["ebitda_usd"].sum(), rel=1e-9)
    assert float(value["peak debt"]) == pytest.approx(finance["debt_usd"].max(), rel=1e-9)
    assert float(value["AI IT MW retrofitted"]) == pytest.approx(retrofits["it_mw"].sum())


def test_summary_lists_the_runs_overrides(run, tmp_path):
    result, _folder = run
    r = copy.copy(result)
    base = result.summary()
    r.summary = lambda: {**base, "overrides": [{"path": "finance.discount_rate_annual", "value": 0.1}]}
    write_workbook(r, tmp_path / "plan.xlsx")
    s = pd.read_excel(tmp_path / "plan.xlsx", sheet_name="Summary")
    rows = s[s["section"] == "override"]
    assert list(rows["item"]) == ["finance.discount_rate_annual"]
    assert float(rows["value"].iloc[0]) == 0.1


def test_inputs_sheet_holds_the_resolved_instance_tables(run):
    result, folder = run
    path = folder / "plan.xlsx"
    raw = json.loads((folder / "instance.json").read_text())
    periods = read_table(path, "Inputs", "Input_periods")
    assert labels(periods["period"]) == result.instance.period_labels
    assert len(periods) == raw["horizon"]["periods"]
    sites = read_table(path, "Inputs", "Input_sites")
    assert list(sites["site"]) == [s["name"] for s in raw["sites"]]
    sp = read_table(path, "Inputs", "Input_site_period")
    grid = [s["grid_mw"] for s in raw["sites"] if isinstance(s["grid_mw"], list)][0]  # S2's grid is a plain list
    site = [s["name"] for s in raw["sites"] if isinstance(s["grid_mw"], list)][0]
    np.testing.assert_allclose(sp.loc[sp["site"] == site, "grid_mw"].to_numpy(dtype=float), grid)
    pdata = read_table(path, "Inputs", "Input_period_data")
    np.testing.assert_allclose(pdata["hashprice_usd_per_ph_day"].to_numpy(dtype=float), raw["markets"]["hashprice_usd_per_ph_day"])
    fac = read_table(path, "Inputs", "Input_facilities")
    assert list(fac["facility"]) == [d["name"] for d in raw["finance"]["debt"]]
    np.testing.assert_allclose(fac["limit_usd"].to_numpy(dtype=float), [d["limit_usd"] for d in raw["finance"]["debt"]])


def test_house_formats_dates_frozen_headers_filters_and_widths(run):
    _result, folder = run
    wb = load_workbook(folder / "plan.xlsx")
    for ws in wb.worksheets:
        assert ws.freeze_panes is not None, ws.title
        assert ws.tables, ws.title
        for table in ws.tables.values():
            assert table.autoFilter is not None and table.autoFilter.ref == table.ref
            min_col, min_row, max_col, _ = range_boundaries(table.ref)
            for col in range(min_col, max_col + 1):
                header = ws.cell(row=min_row, column=col).value
                width = ws.column_dimensions[ws.cell(row=min_row, column=col).column_letter].width
                assert width >= len(str(header)) + 1, (ws.title, header, width)
    ws = wb["Finance"]
    headers = [c.value for c in ws[1]]
    period = ws.cell(row=2, column=headers.index("period") + 1)
    assert isinstance(period.value, datetime) and period.value.day == 1
    assert period.number_format == "yyyy-mm"
    money = ws.cell(row=2, column=headers.index("ebitda_usd") + 1)
    assert "#,##0" in money.number_format and "$" in money.number_format
    widest = max(len(f"${abs(c.value):,.0f}") for c in ws[money.column_letter][1:] if c.value is not None)
    assert ws.column_dimensions[money.column_letter].width >= widest


def test_sensitivities_sheet_only_when_the_result_has_them(run, tmp_path):
    result, _folder = run
    # solve computes sensitivities by default, so a solved run has the sheet
    assert result.sensitivities is not None
    assert "Sensitivities" in pd.ExcelFile(_folder / "plan.xlsx").sheet_names
    r = copy.copy(result)
    r.sensitivities = None
    write_workbook(r, tmp_path / "none.xlsx")
    assert "Sensitivities" not in pd.ExcelFile(tmp_path / "none.xlsx").sheet_names
    npv = result.objective_usd
    r.sensitivities = pd.DataFrame({"parameter": ["hashprice", "hashprice"], "change": [-0.2, 0.2],
                                    "npv_usd": [0.9 * npv, 1.1 * npv]})
    write_workbook(r, tmp_path / "sens.xlsx")
    got = pd.read_excel(tmp_path / "sens.xlsx", sheet_name="Sensitivities")
    assert list(got.columns) == ["parameter", "change", "npv_usd"]
    np.testing.assert_allclose(got["npv_usd"], [0.9 * npv, 1.1 * npv])


def test_stochastic_run_without_retrofits(stochastic_run):
    _result, folder = stochastic_run
    path = folder / "plan.xlsx"
    want = csv(folder, "finance.csv")
    got = pd.read_excel(path, sheet_name="Finance")
    assert sorted(set(got["scenario"])) == sorted(set(want["scenario"])) and len(set(want["scenario"])) > 1
    assert_numbers_equal(got, want, ["ebitda_usd", "cash_usd", "dividend_usd"])
    assert len(csv(folder, "retrofits.csv")) == 0
    assert read_table(path, "Retrofits", "Retrofits").empty
    s = pd.read_excel(path, sheet_name="Summary")
    npv = csv(folder, "scenarios.csv").set_index("scenario")["npv_usd"]
    rows = s[s["section"] == "scenario NPV"]
    assert len(rows) == len(npv)
    for item, value in zip(rows["item"], rows["value"]):
        assert float(value) == pytest.approx(npv[item.split(" ")[0]], rel=1e-9)


def test_a_run_without_plan_gets_summary_and_inputs(tmp_path):
    result = solve(load_instance(REF / "public_003.json"))
    assert not result.has_plan
    write_workbook(result, tmp_path / "plan.xlsx")
    assert pd.ExcelFile(tmp_path / "plan.xlsx").sheet_names == ["Summary", "Assumptions", "Inputs"]
    s = pd.read_excel(tmp_path / "plan.xlsx", sheet_name="Summary")
    assert dict(zip(s["item"], s["value"]))["status"] == result.status.value


def _office() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.skipif(_office() is None, reason="LibreOffice (libreoffice/soffice) not installed")
def test_libreoffice_opens_the_workbook_and_keeps_the_numbers(run, tmp_path):
    _result, folder = run
    out = tmp_path / "converted"
    profile = tmp_path / "profile"
    proc = subprocess.run(
        [_office(), "--headless", "--norestore", f"-env:UserInstallation=file://{profile}", "--convert-to", "xlsx",
         "--outdir", str(out), str(folder / "plan.xlsx")],
        capture_output=True, text=True, timeout=180,
    )
    converted = out / "plan.xlsx"
    assert proc.returncode == 0 and converted.is_file(), proc.stdout + proc.stderr
    assert pd.ExcelFile(converted).sheet_names == ["Summary", "Assumptions", "Retrofits", "Allocation", "Finance", "Sensitivities", "Inputs"]
    want = csv(folder, "finance.csv")
    got = pd.read_excel(converted, sheet_name="Finance")
    assert labels(got["period"]) == list(want["period"])
    assert_numbers_equal(got, want, [c for c in want.columns if c not in ("scenario", "period")])
    alloc = read_table(converted, "Allocation", "AllocationByPeriod")
    assert_numbers_equal(alloc, csv(folder, "allocation.csv"), ["mine_mw", "ai_it_mw", "site_ebitda_usd"])
    # every table and its autofilter survive the round trip
    assert sum(len(ws.tables) for ws in load_workbook(converted).worksheets) == \
        sum(len(ws.tables) for ws in load_workbook(folder / "plan.xlsx").worksheets)


def test_a_table_longer_than_the_workbook_limit_becomes_a_note(run, tmp_path, monkeypatch):
    """public_007 has 4 sites x 10 quarters = 40 allocation rows and 10 finance rows:
    with the limit at 20 rows the allocation table (and the 40-row site_period input)
    become a one-row note naming the CSV, the 10-row finance table stays whole."""
    result, _folder = run
    monkeypatch.setattr("optimizer.reports.workbook.MAX_TABLE_ROWS", 20)
    write_workbook(result, tmp_path / "small.xlsx")
    note = read_table(tmp_path / "small.xlsx", "Allocation", "AllocationByPeriod")
    assert list(note.columns) == ["note"]
    assert note["note"].tolist() == ["40 rows, more than the workbook holds (20): see allocation.csv"]
    site_period = read_table(tmp_path / "small.xlsx", "Inputs", "Input_site_period")
    assert site_period["note"].tolist() == ["40 rows, more than the workbook holds (20): see instance.json"]
    finance = read_table(tmp_path / "small.xlsx", "Finance", "Finance")
    assert len(finance) == len(result.finance) == 10
