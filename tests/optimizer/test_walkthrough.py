"""The hand walk-through of docs/evaluator.md ("One period by hand"), as a test.

The page walks through period 2029-04 of the SPEC v1 default instance
(``tests/data/default_v1.json``: ``instances/data/default.json`` before the default
became a SPEC v2 instance, byte for byte that file at commit 27c192c) under the
optimal plan it describes. This test fixes the page's retrofit schedule (an LP: the
plan does not depend on how the MIP breaks ties), checks that the plan is worth the
page's NPV and that the evaluator finds it feasible at that value, and recomputes
some of the page's figures for that period with
the same hand formulas: mining at Rockdale, AI leasing at Tydal2 (power not passed
through), capex spread over the lead, interest and fees per facility, the cash
recursion and the discount factor. Each figure is computed from the raw instance JSON
(series written out by hand: ``start * (1 + g) ** years`` times the steps) and from
the plan's own decisions (starts, MW, draws, repays, dividends). No solver output is
hard-coded. The test then compares each figure with the evaluator's tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from instances import load_instance
from optimizer import SolveOptions, solve
from optimizer.evaluator import evaluate

PERIOD = "2029-04"  # the period docs/evaluator.md walks through
REL = 1e-9
V1_DEFAULT = Path(__file__).resolve().parents[1] / "data" / "default_v1.json"
# the optimal plan of docs/evaluator.md ("One period by hand"): its schedule and NPV
SCHEDULE = {("Rockdale", "2027-01"): 2, ("Tydal1", "2027-01"): 1, ("Tydal2", "2028-04"): 1, ("Tydal2", "2029-01"): 2,
            ("Molde", "2034-04"): 1, ("Knoxville", "2035-01"): 1, ("Rockdale", "2035-07"): 1}
NPV_USD = 4_883_053_027.31


@pytest.fixture(scope="module")
def walk():
    result = solve(load_instance(V1_DEFAULT), SolveOptions(sensitivities=False, fixed_starts=SCHEDULE))
    assert result.plan is not None, result.reason
    assert result.objective_usd == pytest.approx(NPV_USD, abs=0.01)
    ev = evaluate(result.instance, result.plan)
    assert ev.feasible, ev.violations.to_string()
    assert ev.objective_usd == pytest.approx(NPV_USD, abs=0.01)
    raw = json.loads(V1_DEFAULT.read_text())
    h = raw["horizon"]
    m = h["period_months"]
    t = (int(PERIOD[:4]) * 12 + int(PERIOD[5:]) - int(h["start"][:4]) * 12 - int(h["start"][5:])) // m
    labels = list(ev.instance.period_labels)
    assert labels[t] == PERIOD
    return {"raw": raw, "plan": result.plan, "ev": ev, "t": t, "m": m, "labels": labels,
            "years": t * m / 12, "hours": 730 * m, "days": 365 / 12 * m}


def grown(series: dict, years: float) -> float:
    """A ``{"start", "annual_growth"}`` series (no steps) at ``years`` after the horizon start."""
    return series["start"] * (1 + series.get("annual_growth", 0.0)) ** years


def site(raw: dict, name: str) -> dict:
    return next(s for s in raw["sites"] if s["name"] == name)


def operations(plan: dict, name: str, period: str) -> tuple[float, float]:
    row = next((o for o in plan["operations"] if o["site"] == name and o["period"] == period), {})
    return row.get("mine_mw", 0.0), row.get("ai_it_mw", 0.0)


def test_rockdale_mining(walk):
    raw, years = walk["raw"], walk["years"]
    hp_series = raw["markets"]["hashprice_usd_per_ph_day"]
    hashprice = grown(hp_series, years)
    for step in hp_series["steps"]:
        if step["from"] <= PERIOD:
            hashprice *= step["factor"]
    rock = site(raw, "Rockdale")
    mine, _ = operations(walk["plan"], "Rockdale", PERIOD)
    assert mine > 0, "docs/evaluator.md walks through Rockdale mining in this period: update the page"
    th_per_mw = 1e6 / rock["mining"]["pue"] / rock["mining"]["efficiency_j_per_th"]
    revenue = hashprice * mine * th_per_mw / 1000 * walk["days"]
    price = grown(rock["power_price_usd_per_mwh"], years)
    power = mine * walk["hours"] * price
    opex = mine * rock["mining"]["opex_usd_per_mw_year"] * walk["m"] / 12
    row = walk["ev"].allocation.loc[("base", "Rockdale", PERIOD)]
    assert revenue == pytest.approx(row["mining_revenue_usd"], rel=REL)
    assert power == pytest.approx(row["mining_power_usd"], rel=REL)
    assert opex == pytest.approx(row["mining_opex_usd"], rel=REL)


def test_tydal2_lease_landlord_pays_power(walk):
    raw, years, m = walk["raw"], walk["years"], walk["m"]
    ty = site(raw, "Tydal2")
    assert ty["ai"]["power_pass_through"] is False
    _, ai = operations(walk["plan"], "Tydal2", PERIOD)
    assert ai > 0, "docs/evaluator.md walks through Tydal2's lease in this period: update the page"
    revenue = ai * 1000 * grown(ty["ai"]["lease_usd_per_kw_month"], years) * m
    opex = ai * ty["ai"]["opex_usd_per_it_mw_year"] * m / 12
    power = ai * ty["ai"]["pue"] * walk["hours"] * grown(ty["power_price_usd_per_mwh"], years)
    row = walk["ev"].allocation.loc[("base", "Tydal2", PERIOD)]
    assert revenue == pytest.approx(row["ai_revenue_usd"], rel=REL)
    assert opex == pytest.approx(row["ai_opex_usd"], rel=REL)
    assert power == pytest.approx(row["ai_power_usd"], rel=REL)


def test_capex_interest_fees_cash_discount(walk):
    raw, plan, ev, t, m, labels = walk["raw"], walk["plan"], walk["ev"], walk["t"], walk["m"], walk["labels"]
    # capex: each started block's cost spread evenly over its lead periods
    capex = 0.0
    for s in plan["starts"]:
        ai = site(raw, s["site"])["ai"]
        t0, lead = labels.index(s["period"]), ai["lead_periods"]
        cost = s["blocks"] * ai["block_it_mw"] * ai["capex_usd_per_it_mw"]
        if t0 <= t < t0 + max(lead, 1):
            capex += cost / max(lead, 1)
    assert capex > 0, "docs/evaluator.md walks through capex paid in this period: update the page"
    fin = ev.finance.loc[("base", PERIOD)]
    assert capex == pytest.approx(fin["capex_usd"], rel=REL)

    # interest on each facility's opening balance, fee on each draw
    interest = fees = draws = repays = 0.0
    for fac in raw["finance"]["debt"]:
        rows = {d["period"]: d for d in plan["debt"] if d["facility"] == fac["name"]}
        opening = fac.get("initial_balance_usd", 0.0) + sum(
            rows[p]["draw_usd"] - rows[p]["repay_usd"] for p in labels[:t] if p in rows
        )
        this = rows.get(PERIOD, {"draw_usd": 0.0, "repay_usd": 0.0})
        fac_interest = fac["rate_annual"] * m / 12 * opening
        fac_fee = fac.get("upfront_fee", 0.0) * this["draw_usd"]
        drow = ev.debt.loc[("base", fac["name"], PERIOD)]
        assert fac_interest == pytest.approx(drow["interest_usd"], rel=REL, abs=1e-6)
        assert fac_fee == pytest.approx(drow["fee_usd"], rel=REL, abs=1e-6)
        interest += fac_interest
        fees += fac_fee
        draws += this["draw_usd"]
        repays += this["repay_usd"]
    assert draws > 0, "docs/evaluator.md walks through a construction-loan draw in this period: update the page"
    assert interest == pytest.approx(fin["interest_usd"], rel=REL)
    assert fees == pytest.approx(fin["fees_usd"], rel=REL)

    # cash recursion from the evaluator's opening cash and this period's EBITDA
    dividend = next((d["dividend_usd"] for d in plan["dividends"] if d["period"] == PERIOD), 0.0)
    opening_cash = ev.finance.loc[("base", labels[t - 1]), "cash_usd"]
    cash = opening_cash + fin["ebitda_usd"] - capex - interest - fees + draws - repays - dividend
    assert cash == pytest.approx(fin["cash_usd"], rel=REL)
    assert fin["dividend_usd"] == pytest.approx(dividend, abs=1e-6)

    # discount factor
    df = (1 + raw["finance"]["discount_rate_annual"]) ** (-(t + 1) * m / 12)
    assert df == pytest.approx(fin["discount_factor"], rel=1e-12)
