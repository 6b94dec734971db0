"""An optimum found without the MIP: hypothesis draws tiny instances (v1 fields, and in a
second test SPEC v2 fields too: ASIC models with prices and availability windows, rack
limits, power price tiers with resale, tenant prepayments with credit periods and
pre-leased halls), every
retrofit schedule is enumerated, the LP left by each is solved on its own, and the
best of them must equal what ``solve`` returns; ``solve``'s plan must be worth the
same through the plan evaluator. No reference file is involved.

The instances hold at most a few hundred schedules (two sites, up to four periods,
up to two blocks a site: at most 15 x 15 = 225), with budgets, debt, covenants and
demand limits drawn so that some schedules cannot be financed. The examples are
derandomized, so CI runs the same ones every time.
"""

from __future__ import annotations

import itertools

import highspy
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instances import instance_from_dict
from models import MONEY_SCALE, build_model, prepare
from optimizer import SolveOptions, solve
from optimizer.evaluator import evaluate
from optimizer.backend.highs_direct import DirectHighs

MAX_SCHEDULES = 400


def month(start: str, k: int) -> str:
    y, m = int(start[:4]), int(start[5:7]) - 1 + k
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


@st.composite
def tiny_instances(draw) -> dict:
    n = draw(st.integers(2, 4))
    m = draw(st.sampled_from([3, 6, 12]))
    start = "2027-01"
    money = st.sampled_from
    sites = []
    for i in range(draw(st.integers(1, 2))):
        ai = {
            "block_it_mw": draw(st.sampled_from([5.0, 10.0])),
            "max_blocks": draw(st.integers(1, 2)),
            "capex_usd_per_it_mw": draw(money([0.5e6, 1.5e6, 4e6])),
            "lead_periods": draw(st.integers(0, 2)),
            "pue": draw(st.sampled_from([1.2, 1.4])),
            "lease_usd_per_kw_month": draw(st.lists(st.integers(60, 220), min_size=n, max_size=n)),
        }
        if draw(st.booleans()):
            ai["earliest_start"] = month(start, m)
        if draw(st.booleans()):
            ai["power_pass_through"] = False
        site = {
            "name": f"S{i}",
            "region": "R1",
            "grid_mw": draw(st.lists(st.integers(10, 60), min_size=n, max_size=n)),
            "power_price_usd_per_mwh": draw(st.integers(20, 70)),
            "ai": ai,
        }
        if draw(st.booleans()):
            site["mining"] = {"efficiency_j_per_th": draw(st.sampled_from([16.0, 22.0, 30.0])), "opex_usd_per_mw_year": 20000}
        sites.append(site)
    finance = {
        "discount_rate_annual": draw(st.sampled_from([0.0, 0.08, 0.15])),
        "initial_cash_usd": draw(money([1e6, 10e6, 30e6])),
        "overhead_usd_per_year": draw(money([0.0, 1e6])),
        "terminal": {"mining_ebitda_multiple": draw(st.sampled_from([0, 3])), "ai_ebitda_multiple": draw(st.sampled_from([0, 4, 8]))},
    }
    if draw(st.booleans()):
        finance["capex_budget_usd"] = draw(money([8e6, 25e6]))
    if draw(st.booleans()):
        finance["total_capex_budget_usd"] = draw(money([10e6, 40e6]))
    if draw(st.booleans()):
        finance["min_cash_usd"] = 1e6
    if draw(st.booleans()):
        finance["max_debt_to_ebitda"] = draw(st.sampled_from([2.0, 4.0]))
    if draw(st.booleans()):
        loan = {
            "name": "L",
            "limit_usd": draw(money([5e6, 20e6])),
            "rate_annual": draw(st.sampled_from([0.05, 0.09])),
            "upfront_fee": draw(st.sampled_from([0.0, 0.01])),
        }
        if draw(st.booleans()):
            loan["advance_rate_on_ai_capex"] = 0.7
        if draw(st.booleans()):
            loan["maturity"] = month(start, m * (n - 1))
        finance["debt"] = [loan]
    raw = {
        "name": "tiny",
        "horizon": {"start": start, "periods": n, "period_months": m},
        "markets": {"hashprice_usd_per_ph_day": draw(st.integers(20, 70))},
        "sites": sites,
        "finance": finance,
    }
    if draw(st.booleans()):
        raw["markets"]["ai_demand_it_mw"] = {"R1": draw(st.sampled_from([5, 12]))}
    if draw(st.booleans()):
        raw["scenarios"] = [
            {"name": "low", "probability": 0.4, "set": {"markets.hashprice_usd_per_ph_day": 15}},
            {"name": "high", "probability": 0.6, "set": {}},
        ]
    return raw


@st.composite
def tiny_v2_instances(draw) -> dict:
    """A tiny instance of ``tiny_instances`` with SPEC v2 fields drawn on top of it."""
    raw = draw(tiny_instances())
    n, m, start = raw["horizon"]["periods"], raw["horizon"]["period_months"], raw["horizon"]["start"]
    models = []
    for j in range(draw(st.integers(0, 2))):
        model = {
            "name": f"G{j}",
            "efficiency_j_per_th": draw(st.sampled_from([9.7, 13.5])),
            "price_usd_per_th": {"start": draw(st.sampled_from([4.0, 10.0, 18.0])),
                                 "annual_growth": draw(st.sampled_from([0.0, -0.3]))},
        }
        if draw(st.booleans()):
            model["available_from"] = month(start, m * draw(st.integers(0, n - 1)))
        if draw(st.booleans()):
            model["available_until"] = month(start, m * (n - 1) + 1) if "available_from" in model else month(start, m)
        models.append(model)
    if models:
        raw["markets"]["asic_models"] = models
    for site in raw["sites"]:
        if "mining" in site and draw(st.booleans()):
            site["mining"]["rack_mw"] = float(max(site["grid_mw"]) + draw(st.sampled_from([0, 10])))
        if draw(st.booleans()):
            price = site.pop("power_price_usd_per_mwh")
            f = draw(st.sampled_from([0.8, 0.95]))
            site["power_price_tiers"] = [
                {"hours_fraction": f, "price_usd_per_mwh": price},
                {"hours_fraction": round(1 - f, 10), "price_usd_per_mwh": draw(st.sampled_from([price, 150, 400])),
                 "resale_usd_per_mwh": draw(st.sampled_from([0, 100, 300]))},
            ]
        ai = site["ai"]
        if draw(st.booleans()):
            ai["prepayment_usd_per_it_mw"] = draw(st.sampled_from([0.2e6, 1e6]))
            ai["prepayment_credit_periods"] = draw(st.integers(1, 3))
        if draw(st.booleans()):
            ai["leased_on_completion"] = True
    return raw


def site_schedules(inst, site: str) -> list[dict]:
    """Every schedule of one site: blocks per allowed period, at most max_blocks in all."""
    if not inst.sites.at[site, "retrofittable"]:
        return [{}]
    labels = inst.period_labels[int(inst.sites.at[site, "earliest_t"]):]
    cap = int(inst.sites.at[site, "max_blocks"])
    return [
        {(site, t): b for t, b in zip(labels, counts) if b}
        for counts in itertools.product(range(cap + 1), repeat=len(labels))
        if sum(counts) <= cap
    ]


def best_by_enumeration(inst) -> float | None:
    """The best NPV (USD) over every schedule, each solved as an LP; None if none is feasible.

    One HiGHS model, integrality dropped; each schedule sets the bounds of the start
    columns and HiGHS solves the LP from scratch (no basis carried over).
    """
    model = build_model(prepare(inst))
    handle = DirectHighs()
    handle.load(model)
    highs = handle.highs
    highs.setOptionValue("output_flag", False)
    start_cols = {v.index(): j for j, v in enumerate(handle.columns) if v.parent_component().name == "start"}
    keys = sorted(start_cols, key=start_cols.get)
    cols = np.array([start_cols[k] for k in keys], dtype=np.int32)
    if len(cols):
        highs.changeColsIntegrality(len(cols), cols, np.full(len(cols), highspy.HighsVarType.kContinuous))
    schedules = list(itertools.product(*[site_schedules(inst, s) for s in inst.site_names]))
    assert len(schedules) <= MAX_SCHEDULES
    best = None
    for parts in schedules:
        schedule = {k: v for part in parts for k, v in part.items()}
        values = np.array([float(schedule.get(key, 0)) for key in keys])
        highs.clearSolver()
        if len(cols):
            highs.changeColsBounds(len(cols), cols, values, values)
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            continue
        value = highs.getInfo().objective_function_value * MONEY_SCALE
        best = value if best is None else max(best, value)
    return best


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(raw=tiny_instances())
def test_solve_equals_the_best_enumerated_schedule(raw: dict) -> None:
    inst = instance_from_dict(raw)
    best = best_by_enumeration(inst)
    result = solve(inst, SolveOptions(mip_gap=1e-9, sensitivities=False))
    if best is None:
        assert not result.has_plan
        return
    assert result.has_plan
    assert result.objective_usd == pytest.approx(best, rel=1e-6, abs=1e-2)
    evaluation = evaluate(inst, result.plan)
    assert evaluation.feasible, evaluation.violations.to_string()
    assert evaluation.objective_usd == pytest.approx(best, rel=1e-6, abs=1e-2)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(raw=tiny_v2_instances())
def test_solve_equals_the_best_enumerated_schedule_v2(raw: dict) -> None:
    test_solve_equals_the_best_enumerated_schedule.hypothesis.inner_test(raw)
