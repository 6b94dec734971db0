"""Two-stage scenarios (SPEC section 6), solved by hand (issue 7, item 1).

The case: one site A over two quarters, discount 0, initial cash 1,000,000.
- mining: 20 grid MW at pue 1, 20 J/TH -> 1 MW = 50 PH/s; a quarter has 91.25 days and
  2190 hours; power 40 USD/MWh costs 2190 * 40 = 87,600 per MW-quarter.
  hashprice 50 ("high", p = 0.6): 50 * 50 * 91.25 = 228,125 - 87,600 = 140,525 per MW-quarter;
  hashprice 10 ("low",  p = 0.4): 10 * 50 * 91.25 = 45,625 - 87,600 = -41,975: do not mine.
- one AI block of 10 IT MW (pue 1), capex 100,000 per IT MW = 1,000,000, lead 1 quarter,
  lease 100 USD/kW-month: 10 * 1000 * 100 * 3 = 3,000,000 in the quarter it is online.
  Started in quarter 0 it costs 1,000,000 in quarter 0 (capex spread over the lead),
  holds 10 grid MW from quarter 0 and earns 3,000,000 in quarter 1. Started in quarter 1
  it is online after the horizon: never worth it.

Plans (NPV = initial cash + cash flows, discount 0):
- no retrofit: high 1,000,000 + 20 * 140,525 * 2 = 6,621,000; low 1,000,000;
  expected 0.6 * 6,621,000 + 0.4 * 1,000,000 = 4,372,600
- retrofit in quarter 0: high 1,000,000 + 10 * 140,525 * 2 + 3,000,000 - 1,000,000 = 5,810,500;
  low 1,000,000 + 3,000,000 - 1,000,000 = 3,000,000;
  expected 0.6 * 5,810,500 + 0.4 * 3,000,000 = 4,686,300  <- optimal
"""

from __future__ import annotations

import copy
import io
import json
import math

import pandas as pd
import pytest
from click.testing import CliRunner
from rich.console import Console

from cli import report
from optimizer.reports import tables
from cli.main import main
from instances import instance_from_dict
from optimizer import SolveOptions, Status, solve


def usd(x):
    return pytest.approx(x, rel=1e-9, abs=0.5)


def two_scenarios() -> dict:
    site = {
        "name": "A",
        "region": "R",
        "grid_mw": 20,
        "power_price_usd_per_mwh": 40,
        "mining": {"efficiency_j_per_th": 20, "pue": 1.0},
        "ai": {"block_it_mw": 10, "max_blocks": 1, "capex_usd_per_it_mw": 100_000, "lead_periods": 1, "pue": 1.0, "lease_usd_per_kw_month": 100},
    }
    return {
        "name": "two",
        "horizon": {"start": "2026-01", "periods": 2, "period_months": 3},
        "markets": {"hashprice_usd_per_ph_day": 30},
        "sites": [site],
        "finance": {"discount_rate_annual": 0.0, "initial_cash_usd": 1_000_000},
        "scenarios": [
            {"name": "high", "probability": 0.6, "set": {"markets.hashprice_usd_per_ph_day": 50}},
            {"name": "low", "probability": 0.4, "set": {"markets.hashprice_usd_per_ph_day": 10}},
        ],
    }


@pytest.fixture(scope="module")
def result():
    return solve(instance_from_dict(two_scenarios()), SolveOptions(mip_gap=1e-9))


def test_expected_npv_and_scenario_npvs(result):
    assert result.status is Status.OPTIMAL
    assert result.objective_usd == usd(4_686_300)
    assert result.scenario_npv.loc["high", "npv_usd"] == usd(5_810_500)
    assert result.scenario_npv.loc["low", "npv_usd"] == usd(3_000_000)
    assert result.scenario_npv["probability"].to_dict() == {"high": 0.6, "low": 0.4}


def test_starts_are_shared_and_operations_are_per_scenario(result):
    # one schedule for both scenarios: the block starts in quarter 0
    assert result.plan["starts"] == [{"site": "A", "period": "2026-01", "blocks": 1}]
    assert [(r.site, r.start, r.blocks) for r in result.retrofits.itertuples()] == [("A", "2026-01", 1)]
    started = result.allocation["blocks_started"].unstack("scenario")
    assert (started["high"] == started["low"]).all()
    # mining differs: 10 MW left to mine in "high" (margin 140,525 > 0), none in "low" (-41,975)
    mine = result.allocation["mine_mw"].unstack("scenario")
    assert list(mine["high"]) == pytest.approx([10, 10])
    assert list(mine["low"]) == pytest.approx([0, 0])
    # AI online in quarter 1 in both scenarios: 10 IT MW leased
    ai = result.allocation["ai_it_mw"].unstack("scenario")
    assert list(ai["high"]) == pytest.approx([0, 10]) and list(ai["low"]) == pytest.approx([0, 10])


def test_starts_are_shared_in_the_model_itself(result):
    # the here-and-now variable has no scenario index; operations do
    model = result.model
    assert model.start.index_set().dimen == 2  # (site, period)
    assert model.mine.index_set().dimen == 3  # (scenario, site, period)


def test_every_per_scenario_table_carries_the_scenario(result):
    for name in ("allocation", "finance", "debt", "capex"):
        table = getattr(result, name)
        if len(table):
            assert "scenario" in table.index.names, name
    assert result.scenario_npv.index.name == "scenario"
    assert {row["scenario"] for row in result.plan["operations"]} == {"high", "low"}
    assert {row["scenario"] for row in result.plan["dividends"]} == {"high", "low"}
    # capex is paid per scenario: 1,000,000 in quarter 0 of each
    capex = result.finance["capex_usd"].unstack("scenario")
    assert list(capex["high"]) == [usd(1_000_000), usd(0)] and list(capex["low"]) == [usd(1_000_000), usd(0)]


def test_written_tables_have_a_scenario_column(tmp_path):
    path = tmp_path / "two.json"
    path.write_text(json.dumps(two_scenarios()))
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["solve", str(path), "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    for name in ("allocation.csv", "finance.csv", "debt.csv", "scenarios.csv"):
        header = (out / name).read_text().splitlines()[0].split(",")
        assert header[0] == "scenario", name
    scen = pd.read_csv(out / "scenarios.csv", index_col="scenario")
    assert scen.loc["high", "npv_usd"] == usd(5_810_500)


def test_npv_distribution_by_hand(result):
    dist = tables.npv_distribution(result.scenario_npv)
    assert dist["min"] == usd(3_000_000)
    assert dist["max"] == usd(5_810_500)
    assert dist["mean"] == usd(4_686_300)
    # a two-point distribution: std = sqrt(p (1 - p)) * (high - low) = sqrt(0.24) * 2,810,500
    assert dist["std"] == usd(math.sqrt(0.24) * 2_810_500)
    # lower quantiles: P(NPV <= 3,000,000) = 0.4, so P5..P25 are 3,000,000 and P50..P95 5,810,500
    for q in (5, 10, 25):
        assert dist[f"p{q}"] == usd(3_000_000)
    for q in (50, 75, 90, 95):
        assert dist[f"p{q}"] == usd(5_810_500)
    assert dist["prob_negative"] == 0.0


def test_weighted_quantile_edges():
    # values 1, 2, 3 with probabilities 0.2, 0.3, 0.5: cumulative 0.2, 0.5, 1.0
    assert tables.weighted_quantile([3, 1, 2], [0.5, 0.2, 0.3], 0.2) == 1
    assert tables.weighted_quantile([3, 1, 2], [0.5, 0.2, 0.3], 0.21) == 2
    assert tables.weighted_quantile([3, 1, 2], [0.5, 0.2, 0.3], 0.5) == 2
    assert tables.weighted_quantile([3, 1, 2], [0.5, 0.2, 0.3], 0.51) == 3


def test_report_prints_the_distribution_only_with_two_scenarios_or_more(result):
    buf = io.StringIO()
    report.print_report(result, Console(file=buf, width=200, soft_wrap=False))
    text = buf.getvalue()
    assert "NPV distribution over 2 scenarios" in text
    assert "$3.0M" in text and "$5.8M" in text and "$4.7M" in text

    one = copy.deepcopy(two_scenarios())
    del one["scenarios"]
    single = solve(instance_from_dict(one), SolveOptions(mip_gap=1e-9))
    assert tables.npv_distribution(single.scenario_npv) is None
    buf = io.StringIO()
    report.print_report(single, Console(file=buf, width=200, soft_wrap=False))
    assert "NPV distribution" not in buf.getvalue()


def test_json_carries_the_distribution(tmp_path):
    path = tmp_path / "two.json"
    path.write_text(json.dumps(two_scenarios()))
    res = CliRunner().invoke(main, ["solve", str(path), "--json", "--mip-gap", "1e-9"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["npv_distribution_usd"]["mean"] == usd(4_686_300)
    assert out["scenario_npv_usd"] == {"high": usd(5_810_500), "low": usd(3_000_000)}
