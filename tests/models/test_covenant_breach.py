"""The leverage covenant breached at a price (extension ``finance.leverage_breach_cost``,
docs/model.md "Extensions"), derived by hand.

One quarter, discount 0, a 10 MW miner at pue 1, eff 20 J/TH (500 PH/s), power 0:
EBITDA = hashprice * 500 * 91.25. A loan of 10,000,000 at 0 % is held from the start;
initial cash 0, so NPV = cash - debt = EBITDA - breach cost - 10,000,000 whatever is
repaid (repaying at 0 % moves cash into less debt one for one).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from builders import make, miner, run
from cli.main import main
from optimizer import Status
from optimizer.evaluator import evaluate

TINY = Path(__file__).parents[1] / "data" / "tiny"
LOAN = {"name": "loan", "limit_usd": 10_000_000, "initial_balance_usd": 10_000_000, "rate_annual": 0.0}


def usd(x):
    return pytest.approx(x, rel=1e-9, abs=0.5)


def covenant_case(ratio: float, cost: float | None, hashprice: float = 80.0, min_cash: float = 0.0) -> dict:
    fin = {"initial_cash_usd": 0, "min_cash_usd": min_cash, "max_debt_to_ebitda": ratio, "debt": [dict(LOAN)]}
    if cost is not None:
        fin["leverage_breach_cost"] = cost
    return make([miner("M", grid=10, price=0)], periods=1, hashprice=hashprice, **fin)


def test_hard_covenant_without_cash_to_cure_is_infeasible():
    # EBITDA = 80 * 500 * 91.25 = 3,650,000; allowed debt = 0.1 * 3,650,000 * 4 = 1,460,000.
    # Getting there needs a repayment of 8,540,000 > the 3,650,000 of cash.
    assert run(covenant_case(0.1, None)).status is Status.INFEASIBLE


def test_priced_breach_pays_the_cost_and_repays_what_cash_allows():
    # Repay x: excess = 10,000,000 - x - 1,460,000 = 8,540,000 - x, cost 0.05 * excess.
    # cash = 3,650,000 - x - 0.05 (8,540,000 - x) >= 0  ->  0.95 x <= 3,223,000
    # x = 3,392,631.58; excess 5,147,368.42; cost 257,368.42; NPV = 3,650,000 - 257,368.42 - 10,000,000
    r = run(covenant_case(0.1, 0.05))
    assert r.status is Status.OPTIMAL
    excess = 8_540_000 - 3_223_000 / 0.95
    assert r.objective_usd == usd(3_650_000 - 0.05 * excess - 10_000_000)
    fin = r.finance.loc[("base", "2026-01")]
    assert fin["leverage_excess_usd"] == usd(excess)
    assert fin["breach_cost_usd"] == usd(0.05 * excess)
    assert fin["ebitda_usd"] == usd(3_650_000)  # the breach cost is a fee, not in EBITDA
    cov = r.summary()["covenant"]
    assert cov["breaches"] == [{"period": "2026-01", "scenario": "base", "excess_usd": usd(excess), "cost_usd": usd(0.05 * excess)}]
    assert cov["min_headroom_usd"] == usd(-excess)
    assert "covenant breached" in cov["warning"]
    # the plan evaluator recomputes the cost from the plan alone
    ev = evaluate(r.instance, r.plan)
    assert ev.feasible, ev.violation_records()[:3]
    assert ev.objective_usd == usd(r.objective_usd)
    assert ev.finance.loc[("base", "2026-01"), "breach_cost_usd"] == usd(0.05 * excess)


def test_a_breach_dearer_than_the_cure_is_not_taken():
    # ratio 0.7: allowed 0.7 * 3,650,000 * 4 = 10,220,000 >= 10,000,000: no excess, no cost,
    # the same NPV as the hard covenant: 3,650,000 - 10,000,000
    hard, priced = run(covenant_case(0.7, None)), run(covenant_case(0.7, 0.05))
    assert hard.objective_usd == usd(-6_350_000)
    assert priced.objective_usd == usd(-6_350_000)
    assert priced.summary()["covenant"]["breaches"] == []
    assert "leverage_excess_usd" in priced.finance and priced.finance["breach_cost_usd"].sum() == usd(0)


def test_headroom_warning_under_ten_percent():
    # ratio 0.7, min cash 3,650,000: nothing can be repaid, debt stays 10,000,000;
    # headroom = 10,220,000 - 10,000,000 = 220,000 = 2.2 % of the allowed debt < 10 %
    r = run(covenant_case(0.7, None, min_cash=3_650_000))
    cov = r.summary()["covenant"]
    assert cov["min_headroom_usd"] == usd(220_000)
    assert cov["min_headroom_period"] == "2026-01"
    assert "headroom" in cov["warning"] and "under 10%" in cov["warning"]


def test_no_covenant_no_covenant_object():
    raw = make([miner("M", grid=10, price=0)], periods=1, hashprice=80.0)
    assert run(raw).summary()["covenant"] is None


def test_cli_hashprice_shock_with_priced_covenant(tmp_path):
    # tests/data/tiny/covenant.json: hashprice 80 growing 5 %/year, ratio 0.7, min cash 2,000,000.
    # Unshocked: EBITDA 3,650,000, allowed 10,220,000 >= debt: NPV = 3,650,000 - 10,000,000.
    # Hashprice x 0.8 (start 64, growth kept): EBITDA 2,920,000, allowed 8,176,000; the hard
    # covenant needs 1,824,000 repaid but only 2,920,000 - 2,000,000 = 920,000 can go.
    # Priced at 0.05: 2,920,000 - x - 0.05 (1,824,000 - x) = 2,000,000 -> x = 828,800 / 0.95
    path = TINY / "covenant.json"
    shock = '--set=markets.hashprice_usd_per_ph_day={"start": 64, "annual_growth": 0.05}'
    base = CliRunner().invoke(main, ["solve", str(path), "--json"])
    hard = CliRunner().invoke(main, ["solve", str(path), "--json", shock])
    priced = CliRunner().invoke(main, ["solve", str(path), "--json", shock, "--set", "finance.leverage_breach_cost=0.05",
                                       "--out", str(tmp_path / "run")])
    assert base.exit_code == 0 and hard.exit_code == 1, (base.output, hard.output)
    assert priced.exit_code == 0, priced.output
    base_npv, out = json.loads(base.output)["objective_usd"], json.loads(priced.output)
    excess = 1_824_000 - 828_800 / 0.95
    assert base_npv == usd(-6_350_000)
    assert out["objective_usd"] == usd(2_920_000 - 0.05 * excess - 10_000_000)
    assert out["objective_usd"] < base_npv
    cov = out["covenant"]
    assert cov["min_headroom_usd"] == usd(-excess) and cov["min_headroom_period"] == "2026-01"
    assert [(b["period"], b["excess_usd"], b["cost_usd"]) for b in cov["breaches"]] == [("2026-01", usd(excess), usd(0.05 * excess))]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["covenant"] == cov
