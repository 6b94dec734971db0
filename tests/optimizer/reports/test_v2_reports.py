"""The SPEC v2 parts of the reports: fleet per year, curtailment, resale and tenant cash
in the charts, the workbook and the HTML report, read from the run folder.

Reference case public_v2_009 (2 scenarios; ASIC model, tiers at every site, a prepaid
site and pre-leased halls) is solved once and written with ``write_result``. Every
figure is recomputed here from the plan evaluator's tables (``optimizer/evaluator.py``,
which works from the SPEC and the plan alone) and the raw instance, expected over the
scenarios by hand, and compared with what the reports read from the folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from instances import load_instance
from optimizer import SolveOptions, solve
from optimizer.evaluator import evaluate
from optimizer.reports.charts import V2_CHARTS, CHARTS, fleet_by_year, flexibility_by_year, render_charts
from optimizer.reports.html import render_report
from optimizer.runs.folder import load_tables, write_result

V2 = Path(__file__).resolve().parents[2] / "data" / "reference" / "v2"
CASE = V2 / "public_v2_009.json"
TINY = Path(__file__).resolve().parents[2] / "data" / "tiny"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    result = solve(load_instance(CASE), SolveOptions(sensitivities=False, mip_gap=1e-9))
    assert result.plan is not None
    folder = tmp_path_factory.mktemp("v2run") / "run"
    write_result(result, str(folder))
    ev = evaluate(result.instance, result.plan)
    assert ev.feasible
    raw = json.loads(CASE.read_text())
    prob = {s["name"]: s["probability"] for s in raw["scenarios"]}
    return {"tables": load_tables(folder), "ev": ev, "raw": raw, "prob": prob, "folder": folder}


def _by_year(frame, column, prob):
    """Probability-weighted sum of ``column`` per calendar year (index has scenario, period)."""
    out: dict[str, float] = {}
    for key, value in frame[column].items():
        key = dict(zip(frame.index.names, key))
        year = key["period"][:4]
        out[year] = out.get(year, 0.0) + prob[key["scenario"]] * float(value)
    return out


def test_fleet_per_year_by_hand(run):
    raw, prob, ev = run["raw"], run["prob"], run["ev"]
    y = fleet_by_year(run["tables"])
    pue = {s["name"]: s["mining"]["pue"] for s in raw["sites"] if "mining" in s}
    eff = {g["name"]: g["efficiency_j_per_th"] for g in raw["markets"]["asic_models"]}
    fl = ev.fleet
    periods_per_year: dict[str, set] = {}
    installed: dict[str, float] = {}
    watts: dict[str, float] = {}
    th: dict[str, float] = {}
    for key, row in fl.iterrows():
        k = dict(zip(fl.index.names, key))
        yr = k["period"][:4]
        periods_per_year.setdefault(yr, set()).add(k["period"])
        p = prob[k["scenario"]]
        site_eff = next(s["mining"]["efficiency_j_per_th"] for s in raw["sites"] if s["name"] == k["site"])
        e = site_eff if k["fleet"] == "installed" else eff[k["fleet"]]
        installed[yr] = installed.get(yr, 0.0) + p * row["fleet_mw"]
        # at the ASIC: W = MW * 1e6 / pue, TH/s = W / (J/TH); fleet J/TH = total W / total TH/s
        watts[yr] = watts.get(yr, 0.0) + p * row["fleet_mw"] * 1e6 / pue[k["site"]]
        th[yr] = th.get(yr, 0.0) + p * row["fleet_mw"] * 1e6 / pue[k["site"]] / e
    for yr in installed:
        assert y.at[yr, "installed_mw"] == pytest.approx(installed[yr] / len(periods_per_year[yr]), rel=1e-6, abs=1e-6)
        if th[yr] > 0:
            assert y.at[yr, "avg_j_per_th"] == pytest.approx(watts[yr] / th[yr], rel=1e-6)
    bought = _by_year(fl, "buy_mw", prob)
    capex = _by_year(fl, "asic_capex_usd", prob)
    for yr in bought:
        assert y.at[yr, "bought_mw"] == pytest.approx(bought[yr], rel=1e-6, abs=1e-6)
        assert y.at[yr, "asic_capex_usd"] == pytest.approx(capex[yr], rel=1e-6, abs=1e-3)


def test_flexibility_per_year_by_hand(run):
    raw, prob, ev = run["raw"], run["prob"], run["ev"]
    f = flexibility_by_year(run["tables"])
    for column, ev_column in (("prepayments_usd", "prepayments_usd"), ("credits_usd", "credits_usd"),
                              ("asic_capex_usd", "asic_capex_usd")):
        want = _by_year(ev.finance, ev_column, prob)
        for yr, v in want.items():
            assert f.at[yr, column] == pytest.approx(v, rel=1e-6, abs=1e-3)
    resale = _by_year(ev.allocation, "resale_revenue_usd", prob)
    assert sum(resale.values()) > 0
    for yr, v in resale.items():
        assert f.at[yr, "resale_usd"] == pytest.approx(v, rel=1e-6, abs=1e-3)
    # curtailed MWh (SPEC 11, docs of optimizer/results.py): per site, tier and period the
    # fleets could have drawn min(installed MW, grid - AI grid reserved) and mined less
    m = raw["horizon"]["period_months"]
    fractions = {s["name"]: [t["hours_fraction"] for t in s.get("power_price_tiers", [{"hours_fraction": 1.0}])]
                 for s in raw["sites"]}
    installed = ev.fleet["fleet_mw"].groupby(level=["scenario", "site", "period"]).sum()
    mined = ev.mining["mine_mw"].groupby(level=["scenario", "site", "tier", "period"]).sum()
    alloc = ev.allocation
    curtailed: dict[str, float] = {}
    for (w, site, k, period), mine in mined.items():
        room = alloc.loc[(w, site, period), "grid_mw"] - alloc.loc[(w, site, period), "reserved_ai_grid_mw"]
        could = min(installed.loc[(w, site, period)], room)
        hours = fractions[site][k] * 730 * m
        curtailed[period[:4]] = curtailed.get(period[:4], 0.0) + prob[w] * max(could - mine, 0.0) * hours
    for yr, v in curtailed.items():
        assert f.at[yr, "curtailed_mwh"] == pytest.approx(v, rel=1e-6, abs=1e-3)


def test_v2_charts_workbook_and_html(run):
    tables = run["tables"]
    charts = render_charts(tables)
    assert set(charts) == set(CHARTS) | set(V2_CHARTS)
    assert all(png.startswith(b"\x89PNG") for png in charts.values())
    assert sorted(p.name for p in (run["folder"] / "charts").iterdir()) == sorted(f"{c}.png" for c in {**CHARTS, **V2_CHARTS})
    text = render_report(tables, charts)
    assert "Mining fleet per year" in text and "Curtailment, resale and tenant cash per year" in text
    book = openpyxl.load_workbook(run["folder"] / "plan.xlsx")
    assert "Fleet" in book.sheetnames
    assert {"FleetByYear", "FlexibilityByYear", "FleetByPeriod"} <= set(book["Fleet"].tables)


def test_v1_run_has_no_v2_parts(tmp_path):
    result = solve(load_instance(TINY / "mine_and_lease.json"), SolveOptions(sensitivities=False))
    write_result(result, str(tmp_path / "run"))
    tables = load_tables(tmp_path / "run")
    assert tables["fleets"] is None
    assert fleet_by_year(tables) is None and flexibility_by_year(tables) is None
    assert set(render_charts(tables)) == set(CHARTS)
    assert "Mining fleet per year" not in render_report(tables)
    assert "Fleet" not in openpyxl.load_workbook(tmp_path / "run" / "plan.xlsx").sheetnames
