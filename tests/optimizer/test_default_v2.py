"""The embedded default instance is a SPEC v2 instance using all three levers, and its
plan's v2 money lines are right.

One solve of ``instances/data/default.json`` (about 10-30 s). The plan must be proven
optimal at the default gap and agree with the plan evaluator (``optimizer/evaluator.py``,
written from the SPEC alone). Then the v2 money lines of the plan are recomputed here
by hand from the raw instance JSON (series ``start * (1 + g) ** years``, no steps in
these series) and the plan's own decisions, and compared with the evaluator's tables:
Rockdale's resale (SPEC section 9), ASIC capex (section 8), Rockdale's prepayments and
credits (section 10) and Tydal 2's pre-leased halls. No solver output is hard-coded.
"""

from __future__ import annotations

import pytest

from instances import default_instance_dict, load_default
from optimizer import SolveOptions, solve
from optimizer.evaluator import evaluate

REL = 1e-9


@pytest.fixture(scope="module")
def run():
    result = solve(load_default(), SolveOptions(sensitivities=False))
    assert result.plan is not None, result.reason
    ev = evaluate(result.instance, result.plan)
    raw = default_instance_dict()
    m = raw["horizon"]["period_months"]
    return {"result": result, "ev": ev, "raw": raw, "plan": result.plan, "m": m,
            "labels": list(ev.instance.period_labels), "hours": 730 * m}


def grown(series: dict | float, years: float) -> float:
    """A number or a ``{"start", "annual_growth"}`` series at ``years`` after the start."""
    if not isinstance(series, dict):
        return float(series)
    assert not series.get("steps"), "this hand formula has no steps"
    return series["start"] * (1 + series.get("annual_growth", 0.0)) ** years


def site(raw: dict, name: str) -> dict:
    return next(s for s in raw["sites"] if s["name"] == name)


def test_default_uses_every_v2_lever():
    raw = default_instance_dict()
    assert len(raw["markets"]["asic_models"]) >= 2
    assert all(s["mining"].get("rack_mw") for s in raw["sites"] if "mining" in s)
    rock = site(raw, "Rockdale")
    assert "power_price_usd_per_mwh" not in rock
    assert any(t.get("resale_usd_per_mwh") for t in rock["power_price_tiers"])
    assert rock["ai"]["prepayment_usd_per_it_mw"] > 0
    assert site(raw, "Tydal2")["ai"]["leased_on_completion"] is True


def test_proven_optimal_and_the_evaluator_agrees(run):
    result, ev = run["result"], run["ev"]
    assert result.status.value == "optimal"
    assert result.mip_gap <= 1e-4
    assert ev.feasible, ev.violations
    assert ev.objective_usd == pytest.approx(result.objective_usd, rel=1e-6)


def test_rockdale_resale_by_hand(run):
    # resale_t = sum_k resale_k(t) * f_k * h * (grid - sum_g mine[g,t,k] - ai.pue * ai_it[t])
    raw, plan, m, labels = run["raw"], run["plan"], run["m"], run["labels"]
    rock = site(raw, "Rockdale")
    mined = {}
    for row in plan["mining"]:
        if row["site"] == "Rockdale":
            key = (row["period"], row["tier"])
            mined[key] = mined.get(key, 0.0) + row["mine_mw"]
    ai = {o["period"]: o["ai_it_mw"] for o in plan["operations"] if o["site"] == "Rockdale"}
    total = 0.0
    for t, period in enumerate(labels):
        years = t * m / 12
        resale = sum(
            grown(tier.get("resale_usd_per_mwh", 0.0), years) * tier["hours_fraction"] * run["hours"]
            * (rock["grid_mw"] - mined.get((period, k), 0.0) - rock["ai"]["pue"] * ai.get(period, 0.0))
            for k, tier in enumerate(rock["power_price_tiers"])
        )
        row = run["ev"].allocation.loc[("base", "Rockdale", period)]
        assert resale == pytest.approx(row["resale_revenue_usd"], rel=REL, abs=1e-3)
        total += resale
    assert total > 0, "the default plan sells Rockdale's contracted power back: update docs/default-instance.md"


def test_asic_capex_by_hand(run):
    # capex_t = sum buy[s,g,t] * 1e6 / mining.pue / eff_g * price_g(t)
    raw, plan, m, labels = run["raw"], run["plan"], run["m"], run["labels"]
    models = {g["name"]: g for g in raw["markets"]["asic_models"]}
    by_period = dict.fromkeys(labels, 0.0)
    for row in plan["fleet"]:
        if row["fleet"] in models and row["buy_mw"] > 0:
            g = models[row["fleet"]]
            t = labels.index(row["period"])
            th = row["buy_mw"] * 1e6 / site(raw, row["site"])["mining"]["pue"] / g["efficiency_j_per_th"]
            by_period[row["period"]] += th * grown(g["price_usd_per_th"], t * m / 12)
    assert sum(by_period.values()) > 0, "the default plan buys machines: update docs/default-instance.md"
    for period, capex in by_period.items():
        assert capex == pytest.approx(run["ev"].finance.loc[("base", period), "asic_capex_usd"], rel=REL, abs=1e-3)


def test_prepayments_and_credits_by_hand(run):
    # a block started in tau pays P = prepayment * block in tau and is credited P / n in
    # each of the n periods from its online period tau + lead (after the horizon: the last)
    raw, plan, labels = run["raw"], run["plan"], run["labels"]
    pre = dict.fromkeys(labels, 0.0)
    cred = dict.fromkeys(labels, 0.0)
    for s in plan["starts"]:
        ai = site(raw, s["site"])["ai"]
        amount = ai.get("prepayment_usd_per_it_mw", 0.0) * ai["block_it_mw"] * s["blocks"]
        if not amount:
            continue
        tau, n = labels.index(s["period"]), ai["prepayment_credit_periods"]
        pre[s["period"]] += amount
        for j in range(n):
            cred[labels[min(tau + ai["lead_periods"] + j, len(labels) - 1)]] += amount / n
    assert sum(pre.values()) > 0, "the default plan starts a prepaid hall: update docs/default-instance.md"
    fin = run["ev"].finance
    for period in labels:
        assert pre[period] == pytest.approx(fin.loc[("base", period), "prepayments_usd"], rel=REL, abs=1e-3)
        assert cred[period] == pytest.approx(fin.loc[("base", period), "credits_usd"], rel=REL, abs=1e-3)


def test_tydal2_halls_leased_in_full(run):
    raw, plan, labels = run["raw"], run["plan"], run["labels"]
    ai = site(raw, "Tydal2")["ai"]
    ops = {o["period"]: o["ai_it_mw"] for o in plan["operations"] if o["site"] == "Tydal2"}
    for t, period in enumerate(labels):
        online = sum(s["blocks"] for s in plan["starts"]
                     if s["site"] == "Tydal2" and labels.index(s["period"]) + ai["lead_periods"] <= t)
        assert ops.get(period, 0.0) == pytest.approx(online * ai["block_it_mw"], abs=1e-6)
