"""Decision value (optimizer/analyses/baselines.py): each rule's schedule derived by hand on
tests/data/tiny/baselines.json, every row re-evaluated by the plan evaluator, and the
optimum never below a rule on the reference cases.

baselines.json: 4 quarters from 2027-01 (2,190 h and 91.25 days each), discount 10 %
a year (df_t = 1.1 ** -((t + 1) / 4)), hashprice 50, no debt, initial cash 25M,
minimum cash 0, AI EBITDA multiple 8 (no mining multiple). Two sites of 30 grid MW at
40 USD/MWh, fleets of 20 J/TH:

  mining margin per grid MW and quarter: 50 PH/s * 50 * 91.25 - 2,190 * 40
      = 228,125 - 87,600 = 140,525 (562,100 a year); 30 MW: 4,215,750 a quarter
  A: blocks of 10 IT MW, 2 of them, capex 2M per IT MW (20M a block), lead 1,
     pue 1.2 (a block holds 12 grid MW), lease 150 (4.5M a quarter per block)
  B: one block of 10 IT MW, capex 1M per IT MW (10M), lead 1, pue 1.5 (15 grid MW),
     lease 80 (2.4M a quarter)

Unit economics (constant series: every weighted mean is the constant), per IT MW-year:
  lease margin A 150 * 1000 * 12 = 1,800,000; B 80 * 12,000 = 960,000
  lease yield A 1.8M / 2M = 0.90; B 0.96M / 1M = 0.96  -> convert early: B, then A
  mining forgone A 1.2 * 562,100 = 674,520; B 1.5 * 562,100 = 843,150
  payback A 2M / (1.8M - 674,520) = 1.777 y; B 1M / (960,000 - 843,150) = 8.558 y
      -> greedy by payback (< 6 y): A only

Cash at a period end with no dividend = previous cash + EBITDA - capex (all capex of
a block in its start period: lead 1); a schedule has a plan when no period end is
below 0 (margins are positive, so mining and leasing everything is the best case).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from instances import instance_from_dict, load_instance
from optimizer import SolveOptions
from optimizer.reports.tables import baseline_rows
from optimizer.analyses.baselines import (
    FixedFeasibility,
    baselines,
    earliest_schedule,
    payback_ranking,
    site_economics,
    trial_bound,
)
from optimizer.evaluator import evaluate

DATA = Path(__file__).parents[2] / "data"
TINY = DATA / "tiny" / "baselines.json"
REF = DATA / "reference"
TIGHT = SolveOptions(mip_gap=1e-9)
T0, T1, T2, T3 = "2027-01", "2027-04", "2027-07", "2027-10"


@pytest.fixture(scope="module")
def tiny():
    return load_instance(TINY)


@pytest.fixture(scope="module")
def table(tiny):
    return baselines(tiny, TIGHT, user_schedule={("A", T0): 2})


def test_site_economics_by_hand(tiny):
    econ = site_economics(tiny)
    assert econ.at["A", "lease_margin_usd_per_it_mw_year"] == pytest.approx(1_800_000)
    assert econ.at["B", "lease_margin_usd_per_it_mw_year"] == pytest.approx(960_000)
    assert econ.at["A", "mining_margin_usd_per_it_mw_year"] == pytest.approx(674_520)
    assert econ.at["B", "mining_margin_usd_per_it_mw_year"] == pytest.approx(843_150)
    assert econ.at["A", "lease_yield"] == pytest.approx(0.90)
    assert econ.at["B", "lease_yield"] == pytest.approx(0.96)
    assert econ.at["A", "payback_years"] == pytest.approx(2e6 / 1_125_480)
    assert econ.at["B", "payback_years"] == pytest.approx(1e6 / 116_850)


def test_payback_is_that_of_allocate_why(tiny):
    """One scenario: capex / (AI - pue * mining) per IT MW equals allocate why's
    (capex / pue) / (AI / pue - mining) per grid MW."""
    from optimizer.analyses.site_value import unit_economics

    why = unit_economics(tiny)
    econ = site_economics(tiny)
    for s in econ.index:
        assert econ.at[s, "payback_years"] == pytest.approx(why.at[s, "payback_years"], rel=1e-12)


def test_keep_mining_by_hand(table):
    # both sites mine 30 MW every quarter: EBITDA 2 * 4,215,750 = 8,431,500 paid out at
    # once, the initial 25M paid in the first quarter: 25M * df_0 + 8,431,500 * sum df
    df = [1.1 ** -((t + 1) / 4) for t in range(4)]
    row = table.row("keep_mining")
    assert row.feasible and row.schedule == {}
    assert row.npv_usd == pytest.approx(25e6 * df[0] + 8_431_500 * sum(df), rel=1e-9)


def test_convert_early_schedule(table, tiny):
    # B first (yield 0.96), then A (0.90); one block at a time, period by period:
    # 2027-01  B: cash 25M + (A 30 MW 4,215,750 + B 15 MW 2,107,875) - 10M = 21,323,625  keep
    #          A: + 20M capex, A mines 18 MW: 25M + 2,529,450 + 2,107,875 - 30M < 0     no   (2 LPs)
    # 2027-04  A: 21,323,625 + (B lease 2.4M + B 2,107,875 + A 18 MW 2,529,450) - 20M
    #             = 8,360,950                                                        keep
    #          A: 2nd block, A mines 6 MW (843,150): 21,323,625 + 5,351,025 - 40M < 0   no   (4)
    # 2027-07  A: 8,360,950 + (A lease 4.5M + A 6 MW 843,150 + B 4,507,875) - 20M
    #             = -1,788,025                                                        no   (5)
    # 2027-10  A: with one block, 2027-07 ends at 8,360,950 + 4.5M + 2,529,450 + 4,507,875
    #             = 19,898,275; then + 9,851,025 - 20M = 9,749,300                    keep (6)
    row = table.row("convert_early")
    assert row.schedule == {("B", T0): 1, ("A", T1): 1, ("A", T3): 1}
    assert row.solves == 6
    assert row.feasible


def test_greedy_payback_schedule(table):
    # A only (payback 1.78 y < 6, B 8.56 y):
    # 2027-01  A: 25M + (A 18 MW 2,529,450 + B 30 MW 4,215,750) - 20M = 11,745,200   keep
    #          A: a 2nd 20M block: 25M + 843,150 + 4,215,750 - 40M < 0                no
    # 2027-04  A: 11,745,200 + (4.5M + 843,150 + 4,215,750) - 20M = 1,304,100         keep (3 LPs)
    row = table.row("greedy_payback")
    assert row.schedule == {("A", T0): 1, ("A", T1): 1}
    assert row.solves == 3
    assert row.label == "greedy payback <6y"


def test_greedy_payback_threshold(tiny):
    econ = site_economics(tiny)
    assert payback_ranking(econ, 1.5) == []  # A's 1.78 y is not under 1.5
    assert payback_ranking(econ, 10) == ["A", "B"]
    # threshold 10: A as above (2027-01, 2027-04); B: in 2027-01 25M + 2,529,450 + 2,107,875
    # - 30M < 0; in 2027-04 1,304,100 - 2,107,875 (B mines 15 MW) - 10M < 0; in 2027-07
    # 1,304,100 + (A lease 9M + A 6 MW 843,150 + B 15 MW 2,107,875) - 10M = 3,255,125: keep
    check = FixedFeasibility(tiny, TIGHT)
    assert earliest_schedule(tiny, ["A", "B"], check) == {("A", T0): 1, ("A", T1): 1, ("B", T2): 1}
    assert check.solves <= trial_bound(tiny, ["A", "B"]) == (2 + 4) + (1 + 4)


def test_user_plan_infeasible_with_first_violation(table):
    # two A blocks in 2027-01: 40M capex; A mines 6 MW (843,150), B 30 MW (4,215,750):
    # 25M + 5,058,900 - 40M = -9,941,100 below the minimum of 0
    row = table.row("user_plan")
    assert not row.feasible and row.npv_usd is None and row.gap_usd is None
    assert row.first_violation["period"] == T0
    assert row.first_violation["constraint"] == "min_cash"
    assert "$9.94M" in row.first_violation["detail"]
    assert row.to_json()["feasible"] is False


def test_rows_re_evaluate_and_never_beat_the_optimum(table, tiny):
    assert table.optimum_usd is not None
    for row in table.rows:
        if not row.feasible:
            continue
        ev = evaluate(tiny, row.result.plan)
        assert ev.feasible, ev.violations.to_string()
        assert ev.expected_npv_usd == pytest.approx(row.npv_usd, rel=1e-6, abs=1e-2)
        assert row.evaluated_npv_usd == pytest.approx(row.npv_usd, rel=1e-6, abs=1e-2)
        assert row.npv_usd <= table.optimum_usd + 1e-6 * abs(table.optimum_usd)
        assert row.gap_usd == pytest.approx(table.optimum_usd - row.npv_usd)
        assert row.gap_pct == pytest.approx(100 * row.gap_usd / table.optimum_usd)
        f = row.result.finance
        assert row.peak_debt_usd == f["debt_usd"].max() and row.lowest_cash_usd == f["cash_usd"].min()


def test_json_shape(table):
    out = json.loads(json.dumps(table.to_json()))
    assert out["optimum_usd"] == table.optimum_usd
    assert [b["name"] for b in out["baselines"]] == ["keep_mining", "convert_early", "greedy_payback", "user_plan"]
    for b in out["baselines"]:
        assert {"name", "npv_usd", "gap_usd", "gap_pct", "feasible", "peak_debt_usd", "lowest_cash_usd", "schedule"} <= set(b)
    rows = baseline_rows(out)
    assert [r["plan"] for r in rows][:2] == ["optimum", "keep mining"] and len(rows) == 5


def stochastic_raw(initial_cash_usd: float = 25e6) -> dict:
    raw = json.loads(TINY.read_text())
    raw["finance"]["initial_cash_usd"] = initial_cash_usd
    raw["scenarios"] = [
        {"name": "low", "probability": 0.4, "set": {"markets.hashprice_usd_per_ph_day": 30, "sites.A.ai.lease_usd_per_kw_month": 120}},
        {"name": "high", "probability": 0.6, "set": {"markets.hashprice_usd_per_ph_day": 70}},
    ]
    return raw


def test_scenarios_rows_and_mean_scenario_plan():
    """Every row per scenario and in expectation; the mean-scenario plan's gap is the VSS."""
    from optimizer.analyses.value_of_information import value_of_information

    inst = instance_from_dict(stochastic_raw(40e6))
    out = baselines(inst, TIGHT)
    assert [r.name for r in out.rows] == ["keep_mining", "convert_early", "greedy_payback", "mean_scenario_plan"]
    p = {"low": 0.4, "high": 0.6}
    assert set(out.optimum_scenarios) == set(p)
    assert out.optimum_usd == pytest.approx(sum(p[w] * f.npv_usd for w, f in out.optimum_scenarios.items()))
    assert all(r.feasible for r in out.rows)
    for row in out.rows:
        assert row.npv_usd == pytest.approx(sum(p[w] * f.npv_usd for w, f in row.scenarios.items()), rel=1e-9)
        for w, f in row.scenarios.items():
            assert f.gap_usd == pytest.approx(out.optimum_scenarios[w].npv_usd - f.npv_usd)
            part = row.result.finance.xs(w, level="scenario")
            assert f.peak_debt_usd == part["debt_usd"].max() and f.lowest_cash_usd == part["cash_usd"].min()
        assert row.npv_usd <= out.optimum_usd + 1e-6 * abs(out.optimum_usd)
        assert evaluate(inst, row.result.plan).expected_npv_usd == pytest.approx(row.npv_usd, rel=1e-6)
    voi = value_of_information(inst, TIGHT)
    mean_row = out.row("mean_scenario_plan")
    assert mean_row.schedule == voi.ev_starts
    assert voi.vss_usd is not None
    assert mean_row.gap_usd == pytest.approx(voi.vss_usd, abs=1e-6 * abs(out.optimum_usd))
    rows = baseline_rows(out.to_json())
    assert {r["scenario"] for r in rows} == {"expected", "low", "high"} and len(rows) == 3 * 5


def test_mean_scenario_plan_infeasible_in_a_scenario_is_reported():
    """With 25M of initial cash the plan made for the mean scenario runs out of cash in
    scenario low: the row stays, infeasible, with where it breaks (VSS not available)."""
    from optimizer.analyses.value_of_information import value_of_information

    inst = instance_from_dict(stochastic_raw(25e6))
    row = baselines(inst, TIGHT).row("mean_scenario_plan")
    assert not row.feasible and row.npv_usd is None
    assert row.first_violation["constraint"] == "min_cash" and "scenario low" in row.first_violation["detail"]
    assert value_of_information(inst, TIGHT).vss_usd is None


REFERENCE_CASES = sorted(p.name for p in REF.glob("public_*.json"))


def test_optimum_never_below_a_rule_on_every_reference_case():
    """All 14 reference cases (each has at most 4 sites and 12 periods: about 10 s in all)."""
    expected = json.loads((REF / "expected.json").read_text())
    assert len(REFERENCE_CASES) == 14
    for case in REFERENCE_CASES:
        inst = load_instance(REF / case)
        out = baselines(inst, TIGHT)
        if expected[case]["status"] == "infeasible":
            assert out.optimum_usd is None and not any(r.feasible for r in out.rows), case
            continue
        assert out.optimum_usd is not None, case
        for row in out.rows:
            if row.feasible:
                assert row.npv_usd <= out.optimum_usd + 1e-6 * max(1.0, abs(out.optimum_usd)), (case, row.name)
                assert row.evaluated_npv_usd == pytest.approx(row.npv_usd, rel=1e-6, abs=1e-2), (case, row.name)
            else:
                assert row.first_violation is not None, (case, row.name)


def test_bad_threshold(tiny):
    with pytest.raises(ValueError, match="payback_years"):
        baselines(tiny, TIGHT, payback_years=0)
