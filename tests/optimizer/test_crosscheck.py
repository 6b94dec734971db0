"""Proof that the optimizer is right on small instances, by means other than itself:

- brute force: every retrofit schedule of a tiny instance, each solved with its starts
  fixed (an LP); the best feasible one equals the MIP optimum, and the evaluator
  confirms the optimum's plan;
- a greedy baseline (sites ranked by AI margin per dollar of capex, blocks converted
  while budget and financing allow) is never better than the optimizer;
- the diagnosis of a schedule that cannot be carried out names the first period and
  the constraint, with amounts derived by hand.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from pyomo.contrib.solver.common.factory import SolverFactory

from instances import instance_from_dict, load_instance
from models import MONEY_SCALE, build_model, prepare
from optimizer import SolveOptions, fix_starts, solve
from optimizer.analyses.diagnose import first_violation
from optimizer.evaluator import evaluate

TIGHT = SolveOptions(mip_gap=1e-9)
REF = Path(__file__).parent.parent / "data" / "reference"


def month(start: str, k: int) -> str:
    y, m = int(start[:4]), int(start[5:7]) - 1 + k
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


def tiny_instance(seed: int) -> dict:
    """Up to 2 sites, 3-4 periods, up to 2 blocks a site; budgets, debt and covenants
    drawn so that some schedules cannot be financed."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 5))
    m = int(rng.choice([3, 6]))
    start = "2027-01"
    sites = []
    for i in range(2):
        ai = {
            "block_it_mw": float(rng.choice([5, 10])),
            "max_blocks": int(rng.integers(1, 3)) if i == 0 or n == 3 else 1,
            "capex_usd_per_it_mw": float(rng.choice([0.5e6, 1.5e6, 4e6])),
            "lead_periods": int(rng.integers(0, 3)),
            "pue": float(rng.choice([1.2, 1.4])),
            "lease_usd_per_kw_month": [round(float(x), 2) for x in rng.uniform(80, 220, n)],
        }
        if rng.random() < 0.3:
            ai["earliest_start"] = month(start, m)
        if rng.random() < 0.3:
            ai["power_pass_through"] = False
        site = {
            "name": f"S{i}",
            "region": "R1",
            "grid_mw": [round(float(x), 1) for x in rng.uniform(15, 60, n)],
            "power_price_usd_per_mwh": round(float(rng.uniform(25, 60)), 2),
            "ai": ai,
        }
        if rng.random() < 0.8:
            site["mining"] = {"efficiency_j_per_th": float(rng.choice([16, 22])), "opex_usd_per_mw_year": 20000}
        sites.append(site)
    finance = {
        "discount_rate_annual": float(rng.choice([0.06, 0.12])),
        "initial_cash_usd": float(rng.choice([2e6, 10e6, 30e6])),
        "overhead_usd_per_year": 1e6,
        "terminal": {"mining_ebitda_multiple": 3, "ai_ebitda_multiple": float(rng.choice([4, 8]))},
    }
    if rng.random() < 0.5:
        finance["capex_budget_usd"] = float(rng.choice([10e6, 25e6]))
    if rng.random() < 0.3:
        finance["min_cash_usd"] = 1e6
    if rng.random() < 0.3:
        finance["max_debt_to_ebitda"] = 4.0
    if rng.random() < 0.6:
        finance["debt"] = [
            {
                "name": "L",
                "limit_usd": float(rng.choice([5e6, 20e6])),
                "rate_annual": float(rng.choice([0.05, 0.09])),
                "upfront_fee": 0.01,
                "advance_rate_on_ai_capex": 0.7,
                "maturity": month(start, m * (n - 1)) if rng.random() < 0.4 else None,
            }
        ]
        if finance["debt"][0]["maturity"] is None:
            del finance["debt"][0]["maturity"]
    raw = {
        "name": f"tiny{seed}",
        "horizon": {"start": start, "periods": n, "period_months": m},
        "markets": {"hashprice_usd_per_ph_day": round(float(rng.uniform(30, 60)), 2)},
        "sites": sites,
        "finance": finance,
    }
    if rng.random() < 0.3:
        raw["markets"]["ai_demand_it_mw"] = {"R1": 12}
    if rng.random() < 0.3:
        raw["scenarios"] = [
            {"name": "low", "probability": 0.5, "set": {"markets.hashprice_usd_per_ph_day": 20}},
            {"name": "high", "probability": 0.5, "set": {}},
        ]
    return raw


def site_schedules(inst, site: str) -> list[dict]:
    """Every schedule of one site: blocks per allowed period, at most max_blocks in total."""
    sites = inst.sites
    if not sites.at[site, "retrofittable"]:
        return [{}]
    labels = inst.period_labels[int(sites.at[site, "earliest_t"]):]
    cap = int(sites.at[site, "max_blocks"])
    out = []
    for counts in itertools.product(range(cap + 1), repeat=len(labels)):
        if sum(counts) <= cap:
            out.append({(site, t): b for t, b in zip(labels, counts) if b})
    return out


class FixedSolver:
    """The model built once; each schedule fixed in turn and solved as an LP."""

    def __init__(self, inst):
        self.model = build_model(prepare(inst))
        self.solver = SolverFactory("highs")

    def value(self, schedule: dict) -> float | None:
        fix_starts(self.model, schedule)
        res = self.solver.solve(self.model, load_solutions=False, raise_exception_on_nonoptimal_result=False)
        status = str(self.solver._solver_model.getModelStatus())
        if not status.endswith("kOptimal"):
            return None
        return res.incumbent_objective * MONEY_SCALE


SEEDS = [0, 1, 2, 3, 4, 5]


@functools.lru_cache(maxsize=None)
def brute_force(seed: int):
    """(instance, best value or None, best schedule, schedules tried, schedules feasible)."""
    inst = instance_from_dict(tiny_instance(seed))
    per_site = [site_schedules(inst, s) for s in inst.site_names]
    fixed = FixedSolver(inst)
    best, best_schedule, tried, feasible = None, None, 0, 0
    for parts in itertools.product(*per_site):
        schedule = {k: v for part in parts for k, v in part.items()}
        tried += 1
        value = fixed.value(schedule)
        if value is None:
            continue
        feasible += 1
        if best is None or value > best:
            best, best_schedule = value, schedule
    return inst, best, best_schedule, tried, feasible


@pytest.mark.parametrize("seed", SEEDS)
def test_brute_force_equals_mip_optimum(seed: int) -> None:
    inst, best, best_schedule, _, _ = brute_force(seed)
    result = solve(inst, TIGHT)
    if best is None:
        assert not result.has_plan
        return
    assert result.has_plan
    assert result.objective_usd == pytest.approx(best, rel=1e-6, abs=1e-2)
    # the optimum's plan, evaluated independently, is feasible and worth the same
    ev = evaluate(inst, result.plan)
    assert ev.feasible, ev.violations.to_string()
    assert ev.objective_usd == pytest.approx(best, rel=1e-6, abs=1e-2)
    # and the best enumerated schedule, re-solved through solve(), gives the same
    again = solve(inst, SolveOptions(fixed_starts=best_schedule))
    assert again.objective_usd == pytest.approx(best, rel=1e-6, abs=1e-2)


def test_brute_force_covers_infeasible_schedules() -> None:
    """The tiny instances are not trivial: some schedules cannot be financed or built,
    and some best schedules retrofit."""
    cases = [brute_force(seed) for seed in SEEDS]
    assert sum(tried - feasible for _, _, _, tried, feasible in cases) > 0
    assert any(schedule for _, _, schedule, _, _ in cases)


@pytest.mark.parametrize("seed", [1, 3, 4])
def test_diagnosis_agrees_with_the_fixed_solves(seed: int) -> None:
    """Every schedule the fixed LP finds infeasible gets a diagnosis naming a period and
    a constraint; the best schedule gets none."""
    inst, _, best_schedule, _, _ = brute_force(seed)
    fixed = FixedSolver(inst)
    infeasible = []
    for parts in itertools.product(*[site_schedules(inst, s) for s in inst.site_names]):
        schedule = {k: v for part in parts for k, v in part.items()}
        if fixed.value(schedule) is None:
            infeasible.append(schedule)
    assert infeasible
    for schedule in infeasible:
        found = first_violation(inst, schedule)
        assert found is not None, schedule
        period, constraint, detail = found
        assert period in inst.period_labels and constraint and detail
    assert first_violation(inst, best_schedule) is None


# --------------------------------------------------------------------------------------
# greedy baseline
# --------------------------------------------------------------------------------------


def greedy_schedule(inst) -> dict:
    """Rank sites by AI margin (over the horizon, per IT MW) per dollar of capex; convert
    one block at a time, at the site's earliest start, while the schedule stays feasible."""
    sp = inst.site_period.xs(inst.scenario_names[0], level="scenario")
    par = inst.site_params.xs(inst.scenario_names[0], level="scenario")
    m = inst.period_months
    hours = 730.0 * m
    ranking = []
    for s in inst.site_names:
        if not inst.sites.at[s, "retrofittable"]:
            continue
        rows = sp.loc[s]
        margin = 1000 * rows["lease_usd_per_kw_month"] * m - par.at[s, "ai_opex_usd_per_it_mw_year"] * m / 12
        if not par.at[s, "power_pass_through"]:
            margin = margin - par.at[s, "ai_pue"] * hours * rows["power_price_usd_per_mwh"]
        capex = max(par.at[s, "capex_usd_per_it_mw"], 1.0)
        ranking.append((float(margin.sum()) / capex, s))
    ranking.sort(reverse=True)
    fixed = FixedSolver(inst)
    schedule: dict = {}
    for _, s in ranking:
        t = inst.period_labels[int(inst.sites.at[s, "earliest_t"])]
        for _ in range(int(inst.sites.at[s, "max_blocks"])):
            trial = dict(schedule)
            trial[(s, t)] = trial.get((s, t), 0) + 1
            if fixed.value(trial) is None:
                break
            schedule = trial
    return schedule


GREEDY_CASES = [f"seed{s}" for s in SEEDS] + ["public_001.json", "public_008.json", "public_012.json", "public_013.json"]


def independent_optimum(case: str) -> float | None:
    """The optimum found without the MIP: the brute force of a seeded tiny instance, or
    the reference value of a shared case (tests/data/reference/expected.json)."""
    if case.startswith("seed"):
        return brute_force(int(case[4:]))[1]
    expected = json.loads((REF / "expected.json").read_text())[case]
    assert expected["status"] == "optimal"
    return expected["objective_usd"]


@pytest.mark.parametrize("case", GREEDY_CASES)
def test_greedy_never_beats_the_optimum(case: str) -> None:
    """The greedy plan, priced by the plan evaluator (not by the model), is feasible and
    worth no more than the optimum found by enumeration or given by the reference."""
    inst = instance_from_dict(tiny_instance(int(case[4:]))) if case.startswith("seed") else load_instance(REF / case)
    best = independent_optimum(case)
    schedule = greedy_schedule(inst)
    greedy = solve(inst, SolveOptions(fixed_starts=schedule))
    if best is None:  # no schedule can be financed
        assert not greedy.has_plan
        return
    if not greedy.has_plan:  # even no retrofit cannot be financed: nothing to compare
        return
    ev = evaluate(inst, greedy.plan)
    assert ev.feasible, ev.violations.to_string()
    assert ev.objective_usd == pytest.approx(greedy.objective_usd, rel=1e-6, abs=1e-2)
    assert ev.objective_usd <= best + 1e-6 * max(1.0, abs(best))


# --------------------------------------------------------------------------------------
# diagnosis of a schedule that cannot be carried out
# --------------------------------------------------------------------------------------

DIAG = {
    "name": "diag",
    "horizon": {"start": "2027-01", "periods": 4, "period_months": 3},
    "markets": {"hashprice_usd_per_ph_day": 50},
    "sites": [
        {
            "name": "A", "region": "R1", "grid_mw": [40, 40, 40, 20], "power_price_usd_per_mwh": 40,
            "ai": {"block_it_mw": 10, "max_blocks": 3, "capex_usd_per_it_mw": 2e6, "lead_periods": 1,
                   "pue": 1.2, "lease_usd_per_kw_month": 150, "earliest_start": "2027-04"},
        },
        {
            "name": "B", "region": "R1", "grid_mw": 50, "power_price_usd_per_mwh": 40,
            "mining": {"efficiency_j_per_th": 20},
            "ai": {"eligible": False},
        },
    ],
    "finance": {"discount_rate_annual": 0.1, "initial_cash_usd": 50e6},
}


def test_diagnosis_feasible_schedule_is_none() -> None:
    inst = instance_from_dict(copy.deepcopy(DIAG))
    assert first_violation(inst, {("A", "2027-04"): 1}) is None


def test_diagnosis_structural() -> None:
    inst = instance_from_dict(copy.deepcopy(DIAG))
    assert first_violation(inst, {("B", "2027-07"): 1})[:2] == ("2027-07", "start_window")
    assert first_violation(inst, {("A", "2027-01"): 1})[:2] == ("2027-01", "start_window")
    assert first_violation(inst, {("A", "2027-04"): 2, ("A", "2027-10"): 2})[:2] == ("2027-10", "max_blocks")


def test_diagnosis_grid() -> None:
    inst = instance_from_dict(copy.deepcopy(DIAG))
    # 2 blocks at A hold 2 * 10 * 1.2 = 24 grid MW; the grid falls to 20 MW in 2027-10
    period, constraint, detail = first_violation(inst, {("A", "2027-04"): 2})
    assert (period, constraint) == ("2027-10", "grid_limit")
    assert "4.000 MW" in detail  # 24 - 20


def test_diagnosis_cash() -> None:
    raw = copy.deepcopy(DIAG)
    raw["finance"]["initial_cash_usd"] = 10e6
    inst = instance_from_dict(raw)
    # 1 block costs 10 MW * 2M = 20M, all in its start period (lead 1); in 2027-01 B
    # mines 50 MW: 50e6 / 20 J/TH = 2.5e6 TH/s = 2500 PH/s * 50 * 91.25 = 11,406,250 revenue,
    # cost 50 * 2190 * 40 = 4,380,000 -> EBITDA 7,026,250; cash at the end of 2027-01 is
    # 17,026,250 at most. In 2027-04 (same EBITDA: B mines on) cash reaches at most
    # 24,052,500, so a 20M block fits, but 2 blocks (40M) fall short by 15,947,500.
    assert first_violation(inst, {("A", "2027-04"): 1}) is None
    period, constraint, detail = first_violation(inst, {("A", "2027-04"): 2})
    assert (period, constraint) == ("2027-04", "min_cash")
    assert "$15.95M" in detail
    # the same shortfall, seen by the evaluator on the plan that mines fully and pays nothing
    plan = {
        "starts": [{"site": "A", "period": "2027-04", "blocks": 2}],
        "operations": [{"site": "B", "period": t, "mine_mw": 50} for t in inst.period_labels],
    }
    ev = evaluate(inst, plan)
    cash = ev.violations[ev.violations["constraint"] == "min_cash"].set_index("period")["amount"]
    assert cash["2027-04"] == pytest.approx(15_947_500)


def test_diagnosis_capex_budget() -> None:
    raw = copy.deepcopy(DIAG)
    raw["finance"]["capex_budget_usd"] = [30e6, 30e6, 15e6, 30e6]
    inst = instance_from_dict(raw)
    # a 20M block in 2027-07 is 5M over that period's 15M budget
    period, constraint, detail = first_violation(inst, {("A", "2027-04"): 1, ("A", "2027-07"): 1})
    assert (period, constraint) == ("2027-07", "capex_budget")
    assert "$5.00M" in detail


def test_every_schedule_of_the_diag_instance_is_diagnosed_as_derived() -> None:
    """Every schedule of up to 3 blocks at A (starts 2027-04, 2027-07, 2027-10), by hand:

    - each block holds 10 IT MW * pue 1.2 = 12 grid MW from its start (construction
      included); the grid is 40 MW until 2027-07 and 20 MW in 2027-10, so up to 3 blocks
      fit (36 <= 40) until 2027-07 and 2 or more (24 > 20) break the grid in 2027-10;
    - cash never binds: B's EBITDA is 7,026,250 a quarter (test_diagnosis_cash), so even
      3 blocks in 2027-04 (60M) leave 50M + 2 * 7,026,250 - 60M = 4,052,500 >= 0.

    So a schedule of 0 or 1 block is feasible, one of 2 or 3 blocks fails first in
    2027-10 on grid_limit, whatever the start periods; the fixed LP agrees."""
    inst = instance_from_dict(copy.deepcopy(DIAG))
    fixed = FixedSolver(inst)
    starts = ["2027-04", "2027-07", "2027-10"]
    seen = 0
    for counts in itertools.product(range(4), repeat=3):
        if sum(counts) > 3:
            continue
        schedule = {("A", t): b for t, b in zip(starts, counts) if b}
        found = first_violation(inst, schedule)
        if sum(counts) <= 1:
            assert found is None, schedule
            assert fixed.value(schedule) is not None
        else:
            assert found is not None and found[:2] == ("2027-10", "grid_limit"), (schedule, found)
            assert f"{12 * sum(counts) - 20:.3f} MW" in found[2]
            assert fixed.value(schedule) is None
            seen += 1
    assert seen == 16  # the schedules of 2 or 3 blocks over 3 start periods: 6 + 10
