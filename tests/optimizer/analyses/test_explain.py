"""Infeasibility explained (issue 4): the smallest relaxation, in USD and by period.

Every instance here mines with one site whose margin is computable by hand:

    10 MW, 20 J/TH, pue 1  -> 1e6 / 20 = 50,000 TH/s = 50 PH/s per MW
    revenue per MW-quarter  = 50 $/PH/day * 50 PH/s * 91.25 days  = 228,125 USD
    power per MW-quarter    = 2190 h * 40 $/MWh                   =  87,600 USD
    margin per quarter      = (228,125 - 87,600) * 10 MW          = 1,405,250 USD

so EBITDA is E = 1,405,250 USD in every quarter (no overhead, no AI).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from instances import instance_from_dict
from optimizer import Status, solve
from optimizer.analyses.explain import explain_infeasibility

E = (50 * 1e6 / 20 / 1000 * 365 / 12 * 3 - 2190 * 40) * 10  # USD per quarter, derived above
PERIODS = ["2026-01", "2026-04", "2026-07", "2026-10"]


def miner(**finance) -> dict:
    return {
        "name": "miner",
        "horizon": {"start": "2026-01", "periods": 4, "period_months": 3},
        "markets": {"hashprice_usd_per_ph_day": 50},
        "sites": [
            {
                "name": "Mine",
                "region": "TX",
                "grid_mw": 10,
                "power_price_usd_per_mwh": 40,
                "mining": {"efficiency_j_per_th": 20, "pue": 1.0},
            }
        ],
        "finance": {"discount_rate_annual": 0.1, **finance},
    }


def test_margin_derivation() -> None:
    """The model's EBITDA of the miner, quarter by quarter, is the E derived above."""
    result = solve(instance_from_dict(miner(initial_cash_usd=C0)))
    assert result.status is Status.OPTIMAL
    ebitda = result.finance.xs("base", level="scenario")["ebitda_usd"]
    assert list(ebitda.index) == PERIODS
    assert list(ebitda) == pytest.approx([1_405_250.0] * 4, abs=1e-3)


# Minimum cash. With initial cash C0 = 5M and no debt, the most cash the portfolio can
# hold at the end of quarter t is C0 + (t+1) E (mine at full power, pay no dividend):
# 6,405,250 / 7,810,500 / 9,215,750 / 10,621,000. The floor binds first in quarter 0,
# so the largest feasible minimum is 6,405,250; a minimum of 16,405,250 is exactly
# $10M too high. The smallest relaxation lowers cash's floor by
# minimum - (C0 + (t+1) E) in each quarter: 10,000,000 / 8,594,750 / 7,189,500 / 5,784,250.
C0 = 5_000_000.0
MIN_OK = C0 + E  # 6,405,250
MIN_BAD = MIN_OK + 10_000_000.0


def test_min_cash_threshold_is_where_derived() -> None:
    assert solve(instance_from_dict(miner(initial_cash_usd=C0, min_cash_usd=MIN_OK))).status is Status.OPTIMAL
    assert solve(instance_from_dict(miner(initial_cash_usd=C0, min_cash_usd=MIN_OK + 1000))).status is Status.INFEASIBLE


def test_min_cash_too_high_is_explained() -> None:
    inst = instance_from_dict(miner(initial_cash_usd=C0, min_cash_usd=MIN_BAD))
    assert solve(inst).status is Status.INFEASIBLE
    ex = explain_infeasibility(inst)
    assert ex.found
    assert {r.constraint for r in ex.items} == {"min_cash"}
    assert [r.period for r in ex.items] == PERIODS
    for t, r in enumerate(ex.items):
        assert r.scenario == "base" and r.name is None
        assert r.amount_usd == pytest.approx(MIN_BAD - (C0 + (t + 1) * E), abs=1.0)
    assert max(r.amount_usd for r in ex.items) == pytest.approx(10_000_000.0, abs=1.0)
    assert ex.lines() == [
        "Cash falls below the minimum of $16.4M by up to $10.0M "
        "($10.0M in 2026-01, $8.6M in 2026-04, $7.2M in 2026-07, $5.8M in 2026-10)"
    ]


# Scenarios. With the minimum at its largest feasible value C0 + E, a "bust" scenario
# where hashprice is 0 cannot mine profitably: cash stays at C0 and falls
# C0 + E - C0 = E = 1,405,250 below the minimum in every quarter; the base scenario
# needs nothing.
def test_scenario_is_named() -> None:
    raw = miner(initial_cash_usd=C0, min_cash_usd=MIN_OK)
    raw["scenarios"] = [
        {"name": "base", "probability": 0.7, "set": {}},
        {"name": "bust", "probability": 0.3, "set": {"markets.hashprice_usd_per_ph_day": 0}},
    ]
    ex = explain_infeasibility(instance_from_dict(raw))
    assert [(r.constraint, r.scenario, r.period) for r in ex.items] == [("min_cash", "bust", t) for t in PERIODS]
    for r in ex.items:
        assert r.amount_usd == pytest.approx(E, abs=1.0)
    assert ex.lines() == ["In scenario bust, cash falls $1.4M below the minimum of $6.4M in 2026-01 to 2026-10"]


# Maturity. Bridge loan: 30M owed at the start, limit 30M, no interest, matures in
# 2026-07 (balance 0 at the end of 2026-07 and 2026-10); no cash at the start. At most
# (t+1) E can be repaid by the end of quarter t, so the balance left is at least
# 30M - 3E = 25,784,250 in 2026-07 and 30M - 4E = 24,379,000 in 2026-10. Keeping that
# balance past maturity costs 1 per USD; repaying it with cash that does not exist
# (cash below zero) costs 10 per USD, so the maturity is what gives way.
def bridge(**extra) -> dict:
    debt = {"name": "Bridge", "limit_usd": 30e6, "initial_balance_usd": 30e6, "rate_annual": 0.0, "maturity": "2026-07"}
    return miner(initial_cash_usd=0, debt=[{**debt, **extra}])


def test_maturity_is_explained() -> None:
    inst = instance_from_dict(bridge())
    assert solve(inst).status is Status.INFEASIBLE
    ex = explain_infeasibility(inst)
    assert [(r.constraint, r.period, r.name) for r in ex.items] == [
        ("maturity", "2026-07", "Bridge"),
        ("maturity", "2026-10", "Bridge"),
    ]
    assert ex.items[0].amount_usd == pytest.approx(30e6 - 3 * E, abs=1.0)
    assert ex.items[1].amount_usd == pytest.approx(30e6 - 4 * E, abs=1.0)
    assert ex.lines() == [
        'Facility "Bridge" still owes money after its maturity (2026-07): '
        "up to $25.8M ($25.8M in 2026-07, $24.4M in 2026-10)"
    ]


def test_maturity_after_the_horizon_is_feasible() -> None:
    # the same loan maturing after the horizon needs no relaxation: a control
    assert solve(instance_from_dict(bridge(maturity="2027-01"))).status is Status.OPTIMAL


# Debt limit. The same loan with a 20M limit and no maturity: the balance can fall by
# at most E a quarter, so it exceeds the limit by 30M - (t+1) E - 20M while that is
# positive: 8,594,750 / 7,189,500 / 5,784,250 / 4,379,000.
def test_debt_limit_is_explained() -> None:
    raw = bridge(limit_usd=20e6)
    del raw["finance"]["debt"][0]["maturity"]
    ex = explain_infeasibility(instance_from_dict(raw))
    assert [(r.constraint, r.name) for r in ex.items] == [("debt_limit", "Bridge")] * 4
    for t, r in enumerate(ex.items):
        assert r.amount_usd == pytest.approx(10e6 - (t + 1) * E, abs=1.0)
    assert ex.lines()[0].startswith('Facility "Bridge" exceeds its limit of $20.0M by up to $8.6M')


def test_cli_reports_the_explanation(tmp_path: Path) -> None:
    path = tmp_path / "min_cash.json"
    path.write_text(json.dumps(miner(initial_cash_usd=C0, min_cash_usd=MIN_BAD)))
    runner = CliRunner()
    text = runner.invoke(main, ["solve", str(path)])
    assert text.exit_code == 1
    assert "infeasible" in text.stdout
    assert "Cash falls below the minimum of $16.4M by up to $10.0M ($10.0M in 2026-01" in text.stdout
    out = runner.invoke(main, ["solve", str(path), "--json"])
    assert out.exit_code == 1
    data = json.loads(out.stdout)
    assert data["status"] == "infeasible"
    assert [e["period"] for e in data["explanation"]] == PERIODS
    assert data["explanation"][0]["constraint"] == "min_cash"
    assert data["explanation"][0]["amount_usd"] == pytest.approx(10_000_000.0, abs=1.0)
    summary_dir = tmp_path / "run"
    runner.invoke(main, ["solve", str(path), "--out", str(summary_dir)])
    summary = json.loads((summary_dir / "summary.json").read_text())
    assert summary["explanation"][0]["amount_usd"] == pytest.approx(10_000_000.0, abs=1.0)


def test_feasible_solve_has_no_explanation(tmp_path: Path) -> None:
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(miner(initial_cash_usd=C0, min_cash_usd=MIN_OK)))
    out = CliRunner().invoke(main, ["solve", str(path), "--json"])
    assert out.exit_code == 0
    assert "explanation" not in json.loads(out.stdout)


def test_fixed_starts_are_kept() -> None:
    # explain with a given schedule: the options reach the elastic model
    inst = instance_from_dict(miner(initial_cash_usd=C0, min_cash_usd=MIN_BAD))
    ex = explain_infeasibility(inst, fixed_starts={})
    assert ex.found and {r.constraint for r in ex.items} == {"min_cash"}
