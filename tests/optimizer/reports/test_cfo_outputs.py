"""What a CFO reads: the workbook's Assumptions sheet and NPV decomposition, the HTML
report's assumptions, covenant and, for a run without a plan, the explanation.

tests/data/tiny/covenant.json, hashprice 64 (x0.8 of its 80) and a breach priced at 5 %:
EBITDA = 64 * 500 PH/s * 91.25 days = 2,920,000; allowed debt 0.7 * 4 * 2,920,000 =
8,176,000; repaid x = 828,800 / 0.95 = 872,421.05 (cash held at its 2,000,000 floor);
excess = 1,824,000 - x = 951,578.95, cost 5 % of it = 47,578.95;
NPV = final cash less debt = 2,000,000 - (10,000,000 - x) = -7,127,578.95.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cli.main import main

TINY = Path(__file__).parents[2] / "data" / "tiny"
X = 828_800 / 0.95
EXCESS = 1_824_000 - X


def usd(x):
    return pytest.approx(x, rel=1e-9, abs=0.5)


@pytest.fixture(scope="module")
def shocked(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cfo") / "run"
    r = CliRunner().invoke(main, ["solve", str(TINY / "covenant.json"), "--set", "markets.hashprice_usd_per_ph_day=64",
                                  "--set", "finance.leverage_breach_cost=0.05", "--out", str(out)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["report", str(out)])
    assert r.exit_code == 0, r.output
    return out


def sheet_rows(ws) -> list[tuple]:
    return [row for row in ws.iter_rows(values_only=True)]


def test_workbook_assumptions_sheet_states_the_inputs(shocked):
    wb = openpyxl.load_workbook(shocked / "plan.xlsx")
    assert "Assumptions" in wb.sheetnames
    rows = {(r[0], r[1]): r[2] for r in sheet_rows(wb["Assumptions"])[2:] if r[0]}
    assert rows[("model", "SPEC version")].startswith("v1")
    assert rows[("covenant", "max debt / annualized EBITDA")] == "0.7x"
    assert rows[("covenant", "breach")] == "priced: 5.00% of the excess debt per period"
    assert rows[("finance", "minimum cash")] == 2_000_000
    assert rows[("markets", "hashprice (as given)")] == "64 flat"
    # the hashprice path beside it: one dated row per period, in USD with cents
    ws = wb["Assumptions"]
    assert ws.cell(row=2, column=5).value == "period" and ws.cell(row=3, column=5).number_format == "yyyy-mm"
    assert ws.cell(row=3, column=6).value == 64 and ws.cell(row=3, column=6).number_format.startswith('"$"#,##0.00')
    fmt = {r[1]: ws.cell(row=k, column=3).number_format for k, r in enumerate(sheet_rows(ws), start=1) if r[0] == "finance"}
    assert fmt["minimum cash"].startswith('"$"#,##0') and fmt["discount rate, annual"] == "0.00%"


def test_workbook_summary_carries_the_npv_decomposition_and_the_breach(shocked):
    ws = openpyxl.load_workbook(shocked / "plan.xlsx")["Summary"]
    rows = {(r[0], r[1]): r[2] for r in sheet_rows(ws)[1:]}
    assert rows[("NPV decomposition", "PV of final cash less debt")] == usd(2_000_000 - (10_000_000 - X))
    assert rows[("NPV decomposition", "PV of dividends")] == usd(0)
    assert rows[("NPV decomposition", "NPV")] == usd(rows[("run", "NPV (objective, expected)")])
    assert rows[("covenant", "breach 2026-01 (base): cost")] == usd(0.05 * EXCESS)
    k = [r[1] for r in sheet_rows(ws)].index("PV of final cash less debt") + 1
    assert ws.cell(row=k, column=3).number_format.startswith('"$"#,##0')


def test_html_states_assumptions_decomposition_and_covenant_without_raw_floats(shocked):
    text = (shocked / "report.html").read_text()
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    for needle in ("<h2>Assumptions</h2>", "priced: 5.00% of the excess debt per period", "64 flat",
                   "Where the NPV comes from", "PV of terminal value, AI", "Leverage covenant", "$47,579"):
        assert needle in text, needle
    # no unformatted float (more than four decimals) and no month counter anywhere
    assert re.findall(r"\d\.\d{5,}", text) == []
    assert "start_month" not in text


def test_html_of_an_infeasible_run_explains_it(tmp_path):
    out = tmp_path / "run"
    r = CliRunner().invoke(main, ["solve", str(TINY / "infeasible.json"), "--out", str(out)])
    assert r.exit_code == 1, r.output
    assert CliRunner().invoke(main, ["report", str(out)]).exit_code == 0
    text = (out / "report.html").read_text()
    assert "Why there is no plan" in text and "<h2>Assumptions</h2>" in text


def test_workbook_shows_no_raw_float_and_no_month_counter(shocked):
    wb = openpyxl.load_workbook(shocked / "plan.xlsx")
    raw = [(ws.title, c.coordinate, c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
           if isinstance(c.value, float) and c.number_format == "General" and c.value != round(c.value, 4)]
    assert raw == []
    headers = [c.value for c in wb["Inputs"][2]]
    assert "period" in headers and "start_month" not in headers


def test_the_runs_overrides_are_stated_in_summary_workbook_and_html(shocked):
    import json

    summary = json.loads((shocked / "summary.json").read_text())
    assert summary["overrides"] == [{"path": "markets.hashprice_usd_per_ph_day", "value": 64},
                                    {"path": "finance.leverage_breach_cost", "value": 0.05}]
    rows = [r for r in sheet_rows(openpyxl.load_workbook(shocked / "plan.xlsx")["Assumptions"]) if r[0] == "override"]
    assert [(r[1], r[2]) for r in rows] == [("markets.hashprice_usd_per_ph_day", 64), ("finance.leverage_breach_cost", 0.05)]
    text = (shocked / "report.html").read_text()
    assert "Overrides of this run" in text and "finance.leverage_breach_cost" in text
