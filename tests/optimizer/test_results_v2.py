"""SPEC v2 result tables (section 11) and plan rows: they agree with the objective
and with the hand-derived worked cases; a v1 instance gets none of them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from instances import load_instance
from optimizer import SolveOptions, solve

REF = Path(__file__).parent.parent / "data" / "reference"
V2 = REF / "v2"
EXPECTED = json.loads((V2 / "expected.json").read_text())
OPTIMAL = sorted(n for n, e in EXPECTED.items() if e["status"] == "optimal")
OPTS = SolveOptions(mip_gap=1e-9, sensitivities=False)


def usd(x):
    return pytest.approx(x, rel=1e-9, abs=0.01)


@pytest.mark.parametrize("name", OPTIMAL)
def test_finance_table_reconciles_cash_and_npv(name: str) -> None:
    result = solve(load_instance(V2 / name), OPTS)
    inst = result.instance
    for w in inst.scenario_names:
        f = result.finance.xs(w, level="scenario")
        opening = np.concatenate([[inst.scenarios.at[w, "initial_cash_usd"]], f["cash_usd"].to_numpy()[:-1]])
        flows = f["ebitda_usd"] - f["capex_usd"] - f["interest_usd"] - f["fees_usd"] + f["draws_usd"] - f["repays_usd"] - f["dividend_usd"]
        if inst.is_v2:
            flows = flows - f["asic_capex_usd"] + f["prepayments_usd"] - f["credits_usd"]
            ebitda = f["mining_ebitda_usd"] + f["ai_ebitda_usd"] + f["resale_usd"] - f["overhead_usd"]
            assert f["ebitda_usd"].to_numpy() == pytest.approx(ebitda.to_numpy(), abs=1e-3)
            site = result.allocation.xs(w, level="scenario").groupby(level="period", sort=False)["site_ebitda_usd"].sum()
            assert site.to_numpy() == pytest.approx((f["ebitda_usd"] + f["overhead_usd"]).to_numpy(), abs=1e-3)
        assert (opening + flows.to_numpy()) == pytest.approx(f["cash_usd"].to_numpy(), abs=1e-3)
    npv = float((result.scenario_npv["probability"] * result.scenario_npv["npv_usd"]).sum())
    assert npv == pytest.approx(result.objective_usd, rel=1e-9)


def test_v1_instance_gets_no_v2_output() -> None:
    result = solve(load_instance(V2 / "public_v2_011.json"), OPTS)
    assert not result.instance.is_v2 and result.fleets is None
    assert not {"mining", "fleet"} & set(result.plan)
    v2_columns = {"resale_usd", "asic_capex_usd", "prepayments_usd", "credits_usd"}
    assert not v2_columns & set(result.finance.columns)
    assert not [c for c in result.allocation.columns if "[" in c or c == "resale_revenue_usd"]


def test_fleet1_tables() -> None:
    # worked/fleet1: retire the 10 MW installed (30 J/TH) and buy 10 MW of "new"
    # (15 J/TH) in 2027: 1e6 / 15 * 10 MW = 666,666.67 TH/s at $10 = $6,666,666.67.
    result = solve(load_instance(V2 / "worked" / "fleet1.json"), OPTS)
    fleets = result.fleets.xs(("base", "A"), level=("scenario", "site"))
    assert fleets.loc[("installed", "2027-01"), ["bought_mw", "retired_mw", "installed_mw"]].tolist() == pytest.approx([0, 10, 0])
    new = fleets.xs("new", level="fleet")
    assert new["bought_mw"].tolist() == pytest.approx([10, 0])
    assert new["installed_mw"].tolist() == pytest.approx([10, 10])
    # hashrate of 10 MW at 15 J/TH: 10 * 1e6 / 15 / 1000 = 666.67 PH/s
    assert new["hashrate_ph_s"].tolist() == pytest.approx([10 * 1e6 / 15 / 1000] * 2)
    assert new["asic_capex_usd"].tolist() == [usd(1e6 / 15 * 10 * 10), usd(0)]
    assert result.finance["asic_capex_usd"].tolist() == [usd(6_666_666.67), usd(0)]
    assert result.finance["capex_usd"].tolist() == [0, 0]  # ASIC capex is not AI capex
    plan = result.plan
    assert {"scenario": "base", "site": "A", "fleet": "installed", "period": "2027-01", "buy_mw": 0.0, "retire_mw": 10.0} in plan["fleet"]
    assert {"scenario": "base", "site": "A", "fleet": "new", "tier": 0, "period": "2028-01", "mine_mw": 10.0} in plan["mining"]
    assert [row["mine_mw"] for row in plan["operations"]] == [10.0, 10.0]


def test_tiers1_tables() -> None:
    # worked/tiers1: mine 10 MW in the cheap tier (90 % of hours), none in the dear one;
    # hours-weighted 0.9 * 10 = 9 MW; resale 10 MW * 876 h * $250 = $2,190,000;
    # mining revenue 10 * 40 PH/s * $40 * 365 * 0.9 = 5,256,000, power 10 * 7,884 h * $30 = 2,365,200.
    result = solve(load_instance(V2 / "worked" / "tiers1.json"), OPTS)
    row = result.allocation.loc[("base", "A", "2027-01")]
    assert row["mine_mw"] == pytest.approx(9.0)
    assert row["mine_mw[tier=0]"] == pytest.approx(10.0) and row["mine_mw[tier=1]"] == pytest.approx(0.0)
    assert row["curtailed_mw[tier=0]"] == pytest.approx(0.0) and row["curtailed_mw[tier=1]"] == pytest.approx(10.0)
    assert row["resale_revenue_usd"] == usd(2_190_000)
    assert row["mining_revenue_usd"] == usd(5_256_000) and row["mining_power_usd"] == usd(2_365_200)
    fin = result.finance.loc[("base", "2027-01")]
    assert fin["resale_usd"] == usd(2_190_000) and fin["mining_ebitda_usd"] == usd(5_256_000 - 2_365_200)
    assert [(r["tier"], r["mine_mw"]) for r in result.plan["mining"]] == [(0, 10.0), (1, 0.0)]
    assert result.plan["fleet"] == []


def test_prepay1_tables() -> None:
    # worked/prepay1: $50M prepaid when the block starts (2027), credited $25M in
    # 2028 and 2029 (2 periods from the online period), nothing in 2030.
    result = solve(load_instance(V2 / "worked" / "prepay1.json"), OPTS)
    assert result.finance["prepayments_usd"].tolist() == [usd(50e6), usd(0), usd(0), usd(0)]
    assert result.finance["credits_usd"].tolist() == [usd(0), usd(25e6), usd(25e6), usd(0)]
    assert result.allocation["ai_it_mw"].tolist() == pytest.approx([0, 10, 10, 10])
