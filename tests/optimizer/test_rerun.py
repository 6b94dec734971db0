"""The Rerunner (optimizer/rerun.py): one kept model, numbers updated between solves.

Every rerun is checked against a cold ``solve`` of the same instance (a fresh model,
a fresh HiGHS): same status, same NPV (MIP gap 1e-9), and a retrofit schedule that
is optimal too (fixed in a cold solve it is worth the optimum: two schedules may tie,
so the rerun's need not be the cold solve's).
"""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from instances import apply_overrides, instance_from_dict
from optimizer import SolveOptions, solve
from optimizer.rerun import MUTABLE_FIELDS, Rerunner, changed_fields, relaxation_infeasible
from optimizer.evaluator import evaluate
from models import prepare

TIGHT = SolveOptions(mip_gap=1e-9, sensitivities=False)


def base() -> dict:
    """Two sites over six quarters: M mines and may host two AI blocks (lead 1), A
    hosts up to two blocks (lead 2); a loan; a per-period capex budget."""
    return {
        "name": "rerun",
        "horizon": {"start": "2026-01", "periods": 6, "period_months": 3},
        "markets": {"hashprice_usd_per_ph_day": [50, 48, 46, 44, 42, 40]},
        "sites": [
            {"name": "M", "region": "R", "grid_mw": 30, "power_price_usd_per_mwh": 45,
             "mining": {"efficiency_j_per_th": 20, "pue": 1.05},
             "ai": {"block_it_mw": 10, "max_blocks": 2, "capex_usd_per_it_mw": 800000, "lead_periods": 1,
                    "pue": 1.2, "lease_usd_per_kw_month": 110}},
            {"name": "A", "region": "R", "grid_mw": 25, "power_price_usd_per_mwh": 40,
             "mining": {"efficiency_j_per_th": 22},
             "ai": {"block_it_mw": 10, "max_blocks": 2, "capex_usd_per_it_mw": 900000, "lead_periods": 2,
                    "pue": 1.25, "lease_usd_per_kw_month": 130}},
        ],
        "finance": {
            "discount_rate_annual": 0.12, "initial_cash_usd": 5e6, "min_cash_usd": 1e6,
            "capex_budget_usd": 12e6,
            "debt": [{"name": "loan", "limit_usd": 20e6, "rate_annual": 0.08}],
            "terminal": {"mining_ebitda_multiple": 3, "ai_ebitda_multiple": 8},
        },
    }


def variant(overrides):
    return instance_from_dict(apply_overrides(base(), overrides))


HP = base()["markets"]["hashprice_usd_per_ph_day"]
SEQUENCE = [
    [],
    [("markets.hashprice_usd_per_ph_day", [v * 0.6 for v in HP])],
    [("markets.hashprice_usd_per_ph_day", [v * 1.5 for v in HP])],
    [("sites.A.power_price_usd_per_mwh", 70)],
    [("sites.M.ai.lease_usd_per_kw_month", 60), ("finance.min_cash_usd", 3e6)],
    [("sites.M.grid_mw", [30, 30, 35, 35, 40, 40]), ("finance.debt.loan.limit_usd", 5e6)],
    [("finance.capex_budget_usd", 8e6)],
    [("finance.min_cash_usd", 1e9)],  # infeasible
    [("sites.A.ai.max_blocks", 1)],  # structure: a rebuild
    [],
]


def check_same(rerun, cold):
    assert rerun.status == cold.status
    if cold.has_plan:
        assert rerun.objective_usd == pytest.approx(cold.objective_usd, rel=1e-9)
        # the rerun's schedule, fixed in a fresh solve, is worth the optimum
        starts = {key: round(v.value) for key, v in rerun.model.start.items() if round(v.value)}
        fixed = solve(rerun.instance, SolveOptions(mip_gap=1e-9, sensitivities=False, fixed_starts=starts))
        assert fixed.objective_usd == pytest.approx(cold.objective_usd, rel=1e-9)


@pytest.fixture(scope="module")
def cold_results():
    return [solve(variant(ov), TIGHT) for ov in SEQUENCE]


def test_reruns_match_cold_solves(cold_results):
    runner = Rerunner(TIGHT)
    statuses = []
    for overrides, cold in zip(SEQUENCE, cold_results):
        result = runner.solve(variant(overrides), tables=False)
        check_same(result, cold)
        statuses.append(result.status.value)
    assert "infeasible" in statuses and statuses.count("optimal") == len(SEQUENCE) - 1
    # numbers that moved are learned once (a rebuild each), then updated in place;
    # max_blocks shapes bounds: it rebuilds
    assert runner.stats["updates"] >= 3
    assert {"mining_margin", "ai_margin", "grid_mw", "min_cash", "limit", "capex_budget"} <= runner.mutable


def test_declared_parameters_build_once(cold_results):
    moving = set()
    datas = [prepare(variant(ov)) for ov in SEQUENCE[:8]]
    for d in datas[1:]:
        moving |= changed_fields(datas[0], d)
    assert moving <= set(MUTABLE_FIELDS)  # the first eight variants move numbers only
    runner = Rerunner(TIGHT, mutable=moving)
    for overrides, cold, data in zip(SEQUENCE[:8], cold_results, datas):
        check_same(runner.solve(variant(overrides), tables=False, data=data), cold)
    assert runner.stats == {"builds": 1, "updates": 7, "relaxed": 0}


def test_infeasible_run_is_found_by_the_relaxation():
    """After a case without a plan, a case whose LP relaxation is infeasible is
    reported as a cold solve reports it, without the MIP; a feasible case after it
    is solved as usual."""
    sequence = [
        [],
        [("finance.min_cash_usd", 1e9)],  # the MIP's presolve proves it infeasible
        [("finance.min_cash_usd", 2e9)],  # after an infeasible case: the LP relaxation
        [("finance.min_cash_usd", 2e6)],  # feasible again: relaxation, then the MIP
        [("finance.min_cash_usd", 3e6)],
    ]
    runner = Rerunner(TIGHT, mutable="all")
    for overrides in sequence:
        cold = solve(variant(overrides), TIGHT)
        result = runner.solve(variant(overrides), tables=False)
        check_same(result, cold)
        assert result.reason == cold.reason
    assert runner.stats["relaxed"] == 1
    assert runner.stats["updates"] == len(sequence) - 1


def test_relaxation_proves_nothing_for_a_feasible_model():
    runner = Rerunner(TIGHT, mutable="all")
    runner.solve(variant([]), tables=False)
    assert relaxation_infeasible(runner._solver._solver_model, TIGHT) is None


def test_tables_match_a_cold_solve(cold_results):
    runner = Rerunner(TIGHT, mutable="all")
    runner.solve(variant(SEQUENCE[1]), tables=False)
    result = runner.solve(variant(SEQUENCE[2]), tables=True)
    cold = cold_results[2]
    assert result.objective_usd == pytest.approx(cold.objective_usd, rel=1e-9)
    # the rerun's tables are its plan's: the evaluator prices the plan at the optimum and
    # recomputes the same EBITDA per period (the plan may be another of equal value)
    ev = evaluate(result.instance, result.plan)
    assert ev.feasible, ev.violations.to_string()
    assert ev.objective_usd == pytest.approx(cold.objective_usd, rel=1e-6)
    pd.testing.assert_series_equal(ev.finance["ebitda_usd"], result.finance.loc[ev.finance.index, "ebitda_usd"], rtol=1e-6)
    assert list(result.retrofits.columns) == list(cold.retrofits.columns)


def test_without_warm_start_and_with_fixed_starts(cold_results):
    starts = {(r.site, r.start): int(r.blocks) for r in cold_results[0].retrofits.itertuples()}
    fixed = SolveOptions(mip_gap=1e-9, sensitivities=False, fixed_starts=starts)
    runner = Rerunner(fixed, warm_start=False)
    for overrides in SEQUENCE[1:3]:
        cold = solve(variant(overrides), fixed)
        check_same(runner.solve(variant(overrides), tables=False), cold)
        assert {k: round(v.value) for k, v in runner.model.start.items() if round(v.value)} == starts


def test_unknown_mutable_field_is_refused():
    with pytest.raises(ValueError, match="not a mutable field"):
        Rerunner(mutable=["no_such_field"])
