"""CVaR risk aversion (``risk: {"cvar_alpha", "weight"}``) on a case solved by hand
(issue 7, item 2; formula in docs/uncertainty.md).

One quarter, discount 0, one site A: 10 grid MW mining at pue 1, 20 J/TH = 500 PH/s,
power free, so mining earns hashprice * 500 * 91.25 = hashprice * 45,625. Or one AI
block (10 IT MW, lead 0, capex 100,000 per IT MW = 1,000,000, lease 100 USD/kW-month =
3,000,000 a quarter) that takes the whole grid: NPV 2,000,000 in every scenario.

Scenarios (probability, hashprice, NPV of mining):
  crash 0.2   10    456,250
  mid   0.3   40  1,825,000
  boom  0.5  100  4,562,500
E[mine] = 0.2 * 456,250 + 0.3 * 1,825,000 + 0.5 * 4,562,500 = 91,250 + 547,500 + 2,281,250 = 2,920,000.
CVaR at alpha = 0.75 (mean of the worst 25 %): all of crash (0.2) and 0.05 of mid:
  (0.2 * 456,250 + 0.05 * 1,825,000) / 0.25 = (91,250 + 91,250) / 0.25 = 730,000.
Objective (1 - w) E + w CVaR:
  mine:     2,920,000 - w * (2,920,000 - 730,000) = 2,920,000 - 2,190,000 w
  retrofit: 2,000,000 for every w
Risk aversion flips the decision at w* = 920,000 / 2,190,000 = 0.420091...
"""

from __future__ import annotations

import copy

import pytest

from instances import instance_from_dict
from models import MONEY_SCALE
from optimizer import SolveOptions, Status, solve

W_STAR = 920_000 / 2_190_000


def usd(x):
    return pytest.approx(x, rel=1e-9, abs=0.5)


def case(weight: float | None, alpha: float = 0.75) -> dict:
    site = {
        "name": "A",
        "region": "R",
        "grid_mw": 10,
        "power_price_usd_per_mwh": 0,
        "mining": {"efficiency_j_per_th": 20, "pue": 1.0},
        "ai": {"block_it_mw": 10, "max_blocks": 1, "capex_usd_per_it_mw": 100_000, "lead_periods": 0, "pue": 1.0, "lease_usd_per_kw_month": 100},
    }
    raw = {
        "name": "cvar",
        "horizon": {"start": "2026-01", "periods": 1, "period_months": 3},
        "markets": {"hashprice_usd_per_ph_day": 40},
        "sites": [site],
        "finance": {"discount_rate_annual": 0.0},
        "scenarios": [
            {"name": "crash", "probability": 0.2, "set": {"markets.hashprice_usd_per_ph_day": 10}},
            {"name": "mid", "probability": 0.3, "set": {}},
            {"name": "boom", "probability": 0.5, "set": {"markets.hashprice_usd_per_ph_day": 100}},
        ],
    }
    if weight is not None:
        raw["risk"] = {"cvar_alpha": alpha, "weight": weight}
    return raw


def run(raw):
    return solve(instance_from_dict(copy.deepcopy(raw)), SolveOptions(mip_gap=1e-9))


def blocks(result) -> int:
    return int(result.retrofits["blocks"].sum()) if len(result.retrofits) else 0


def test_risk_neutral_mines():
    r = run(case(None))
    assert r.status is Status.OPTIMAL
    assert blocks(r) == 0
    assert r.objective_usd == usd(2_920_000)
    assert r.scenario_npv["npv_usd"].to_dict() == {"crash": usd(456_250), "mid": usd(1_825_000), "boom": usd(4_562_500)}


def test_weight_zero_is_risk_neutral():
    assert run(case(0.0)).objective_usd == usd(2_920_000)


def test_alpha_zero_cvar_is_the_mean():
    # CVaR_0 is the mean over all scenarios: the objective is E[NPV] whatever the weight
    r = run(case(1.0, alpha=0.0))
    assert blocks(r) == 0
    assert r.objective_usd == usd(2_920_000)


def test_below_the_flip_weight_keeps_mining():
    w = W_STAR - 0.005  # 0.415091: 2,920,000 - 2,190,000 * 0.415091 = 2,010,950 > 2,000,000
    r = run(case(w))
    assert blocks(r) == 0
    assert r.objective_usd == usd(2_920_000 - 2_190_000 * w)
    # the optimal CVaR level is the value at risk: P(NPV <= 456,250) = 0.2 < 0.25 <= P(NPV <= 1,825,000)
    assert r.model.var_level.value * MONEY_SCALE == usd(1_825_000)
    assert r.model.cvar.expr() * MONEY_SCALE == usd(730_000)


def test_above_the_flip_weight_retrofits():
    w = W_STAR + 0.005  # 0.425091: mining would score 2,920,000 - 2,190,000 * 0.425091 = 1,989,050 < 2,000,000
    r = run(case(w))
    assert blocks(r) == 1
    assert r.objective_usd == usd(2_000_000)
    assert r.scenario_npv["npv_usd"].to_dict() == {"crash": usd(2_000_000), "mid": usd(2_000_000), "boom": usd(2_000_000)}


@pytest.mark.parametrize("weight, expected", [(0.30, 2_920_000 - 2_190_000 * 0.30), (0.50, 2_000_000), (1.0, 2_000_000)])
def test_objective_follows_the_hand_formula(weight, expected):
    # max(2,920,000 - 2,190,000 w, 2,000,000): 0.3 -> 2,263,000 (mine); 0.5 and 1 -> retrofit
    assert run(case(weight)).objective_usd == usd(expected)
