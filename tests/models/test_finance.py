"""Hand-derived checks of finance (SPEC section 5): every debt feature, minimum cash,
the capex budgets, the leverage covenant and an infeasible instance.

Quarters from 2026-01 (2026-01, 2026-04, 2026-07, ...). A 10 MW miner at pue 1 and
eff 20 J/TH makes 500 PH/s; at power price 0 and hashprice 80 it earns
80 * 500 * 91.25 = 3,650,000 a quarter. Discount rate 0 unless said otherwise; with
0.4641 and quarters df_t = 1.1 ** -(t + 1).
"""

from __future__ import annotations

import pytest

from builders import QUARTER_RATE_1_1, ai_site, as_list, debt, fin, make, miner, run
from optimizer import Status


def usd(x):
    return pytest.approx(x, rel=1e-9, abs=0.5)


def loan(name="loan", limit=10_000_000, rate=0.0, **extra) -> dict:
    facility = {"name": name, "limit_usd": limit, "rate_annual": rate}
    facility.update(extra)
    return facility


IDLE = miner("M", grid=10, price=0)  # with hashprice 0 and power 0 its margin is 0


# --------------------------------------------------------------------------- interest, prepayment


def test_interest_on_opening_balance_and_voluntary_prepayment():
    # initial balance 1,000,000 at 8 %/year -> 0.08 * 3/12 = 2 % a quarter on the OPENING balance.
    # Discount rate 0 < 8 %: paying back at once saves the t1 interest, so the loan is
    # repaid in t0. Interest of t0 is still owed: 2 % * 1,000,000 = 20,000.
    raw = make([IDLE], periods=2, m=3, initial_cash_usd=2_000_000,
               debt=[loan(limit=1_000_000, initial_balance_usd=1_000_000, rate=0.08)])
    r = run(raw)
    assert as_list(debt(r, "loan", "interest_usd")) == [usd(20_000), usd(0)]
    assert as_list(debt(r, "loan", "repay_usd")) == [usd(1_000_000), usd(0)]
    assert as_list(debt(r, "loan", "balance_usd")) == [usd(0), usd(0)]
    # NPV = 2,000,000 - 1,000,000 - 20,000 = 980,000
    assert r.objective_usd == usd(980_000)


def test_no_prepayment_when_discount_rate_is_above_debt_rate():
    # Same loan, discount 46.41 %/year (1.1 a quarter) > 8 %, and no draw allowed (draw_until
    # before the horizon). Repaying x in t0 lowers the t0 payout by x - 0.02x (less cash kept for
    # the t1 interest) = 0.98x / 1.1 = 0.891x and saves x / 1.21 = 0.826x at the end: nothing is
    # prepaid. t0 pays 20,000 interest and keeps 20,000 for t1; 1,960,000 is paid out in t0.
    raw = make([IDLE], periods=2, m=3, initial_cash_usd=2_000_000, discount_rate_annual=QUARTER_RATE_1_1,
               debt=[loan(limit=1_000_000, initial_balance_usd=1_000_000, rate=0.08, draw_until="2025-12")])
    r = run(raw)
    assert as_list(debt(r, "loan", "balance_usd")) == [usd(1_000_000), usd(1_000_000)]
    assert as_list(debt(r, "loan", "interest_usd")) == [usd(20_000), usd(20_000)]
    assert as_list(fin(r, "dividend_usd")) == [usd(1_960_000), usd(0)]
    # NPV = 1,960,000 / 1.1 - 1,000,000 / 1.21 (balance still owed at the end)
    assert r.objective_usd == usd(1_960_000 / 1.1 - 1_000_000 / 1.21)


def test_redraw_to_pay_interest_when_discount_rate_is_high():
    # Same, but the loan may be drawn again (limit 1,000,000). Cheapest: repay x in t0 and, in t1,
    # draw the t1 interest 0.02 * (1M - x) back. Ending balance = 1M - x + 0.02 (1M - x) = 1.02 (1M - x)
    # must stay <= 1M -> x >= 20,000 / 1.02. NPV = (1,980,000 - x) / 1.1 - 1.02 (1M - x) / 1.21 falls
    # with x (-1/1.1 + 1.02/1.21 < 0), so x = 20,000 / 1.02 = 19,607.84 and the ending balance is 1M.
    raw = make([IDLE], periods=2, m=3, initial_cash_usd=2_000_000, discount_rate_annual=QUARTER_RATE_1_1,
               debt=[loan(limit=1_000_000, initial_balance_usd=1_000_000, rate=0.08)])
    r = run(raw)
    x = 20_000 / 1.02
    assert as_list(debt(r, "loan", "balance_usd")) == [usd(1_000_000 - x), usd(1_000_000)]
    assert as_list(debt(r, "loan", "draw_usd")) == [usd(0), usd(0.02 * (1_000_000 - x))]
    assert r.objective_usd == usd((1_980_000 - x) / 1.1 - 1_000_000 / 1.21)


# --------------------------------------------------------------------------- upfront fee, draw window


def _need_in_t0(*facilities) -> dict:
    # t0: overhead 980,000 (3,920,000 a year), no income; t1: 3,650,000 mining, no overhead.
    return make([IDLE], periods=2, m=3, hashprice=[0, 80], overhead_usd_per_year=[3_920_000, 0],
                debt=list(facilities))


def test_upfront_fee_paid_on_each_draw():
    # Only a facility with 2 % fee and 8 %/year: draw D with D - 0.02 D = 980,000 -> D = 1,000,000,
    # fee = 20,000 in t0; interest in t1 = 2 % * 1,000,000 (opening balance) = 20,000.
    r = run(_need_in_t0(loan("bank", rate=0.08, upfront_fee=0.02)))
    assert as_list(debt(r, "bank", "draw_usd")) == [usd(1_000_000), usd(0)]
    assert as_list(debt(r, "bank", "fee_usd")) == [usd(20_000), usd(0)]
    assert as_list(debt(r, "bank", "interest_usd")) == [usd(0), usd(20_000)]
    assert as_list(fin(r, "fees_usd")) == [usd(20_000), usd(0)]
    # NPV = 3,650,000 - 980,000 - 20,000 - 20,000 = 2,630,000
    assert r.objective_usd == usd(2_630_000)


def test_draw_from_excludes_earlier_periods():
    # A free facility that may only draw from 2026-04 cannot help in t0: same plan as above.
    r = run(_need_in_t0(loan("bank", rate=0.08, upfront_fee=0.02), loan("cheap", draw_from="2026-04")))
    assert debt(r, "cheap", "draw_usd").iloc[0] == usd(0)
    assert debt(r, "bank", "draw_usd").iloc[0] == usd(1_000_000)
    assert r.objective_usd == usd(2_630_000)


def test_draw_from_at_horizon_start_allows_free_draw():
    # The free facility may draw in t0: no fee, no interest.
    r = run(_need_in_t0(loan("bank", rate=0.08, upfront_fee=0.02), loan("cheap", draw_from="2026-01")))
    assert as_list(debt(r, "bank", "draw_usd")) == [usd(0), usd(0)]
    # NPV = 3,650,000 - 980,000 = 2,670,000
    assert r.objective_usd == usd(2_670_000)


def _need_in_t1(early_until=None) -> dict:
    # t1: overhead 990,000 (3,960,000 a year); t2: 3,650,000 mining.
    # "early": 4 %/year (1 % a quarter), no fee; "late": no interest, 2 % fee.
    early = loan("early", rate=0.04)
    if early_until is not None:
        early["draw_until"] = early_until
    return make([IDLE], periods=3, m=3, hashprice=[0, 0, 80], overhead_usd_per_year=[0, 3_960_000, 0],
                debt=[early, loan("late", upfront_fee=0.02)])


def test_draw_until_excludes_later_periods():
    # "early" may only draw in t0 (2026-01 <= 2026-03). Cheapest: draw C in t0 and carry the cash:
    # C - 1 % C (t1 interest) = 990,000 -> C = 1,000,000; t2 interest 10,000 -> cost 20,000.
    # ("late" would cost a fee of 2 % * 990,000 / 0.98 = 20,204.08 > 20,000.)
    r = run(_need_in_t1("2026-03"))
    assert as_list(debt(r, "early", "draw_usd")) == [usd(1_000_000), usd(0), usd(0)]
    assert as_list(debt(r, "late", "draw_usd")) == [usd(0), usd(0), usd(0)]
    assert as_list(debt(r, "early", "interest_usd")) == [usd(0), usd(10_000), usd(10_000)]
    # NPV = 3,650,000 - 990,000 - 20,000 = 2,640,000
    assert r.objective_usd == usd(2_640_000)


def test_without_draw_until_the_draw_waits_for_the_need():
    # "early" draws 990,000 in t1; t2 interest = 1 % * 990,000 = 9,900.
    r = run(_need_in_t1(None))
    assert as_list(debt(r, "early", "draw_usd")) == [usd(0), usd(990_000), usd(0)]
    # NPV = 3,650,000 - 990,000 - 9,900 = 2,650,100
    assert r.objective_usd == usd(2_650_100)


# --------------------------------------------------------------------------- maturity


def _maturing(maturity=None) -> dict:
    # initial balance 1,000,000 at 8 %/year (20,000 a quarter), initial cash 20,000 (pays the t0
    # interest), income 3,650,000 in t1 and t2, discount 1.1 a quarter (so no voluntary prepayment).
    facility = loan(limit=1_000_000, initial_balance_usd=1_000_000, rate=0.08)
    if maturity is not None:
        facility["maturity"] = maturity
    return make([IDLE], periods=3, m=3, hashprice=[0, 80, 80], initial_cash_usd=20_000,
                discount_rate_annual=QUARTER_RATE_1_1, debt=[facility])


@pytest.mark.parametrize("maturity", ["2026-04", "2026-02"])
def test_maturity_forces_balance_to_zero_from_selected_period(maturity):
    # both dates select t1 (2026-04): balance = [1M, 0, 0]
    r = run(_maturing(maturity))
    assert as_list(debt(r, "loan", "balance_usd")) == [usd(1_000_000), usd(0), usd(0)]
    assert as_list(debt(r, "loan", "interest_usd")) == [usd(20_000), usd(20_000), usd(0)]
    # t1 dividend = 3,650,000 - 20,000 - 1,000,000 = 2,630,000 ; t2 dividend = 3,650,000
    # NPV = 2,630,000 / 1.21 + 3,650,000 / 1.331
    assert r.objective_usd == usd(2_630_000 / 1.21 + 3_650_000 / 1.331)


@pytest.mark.parametrize("maturity", [None, "2027-01"])
def test_maturity_after_horizon_has_no_effect(maturity):
    # 2027-01 is after the last period start (2026-07): no period is selected.
    # Repaying x in t1 costs x / 1.21 = 0.826x and saves 1.02x / 1.331 = 0.766x: the loan is kept.
    # t1 dividend = 3,650,000 - 20,000 = 3,630,000; t2: 3,630,000 - 1,000,000 owed at the end.
    r = run(_maturing(maturity))
    assert debt(r, "loan", "balance_usd").iloc[1] == usd(1_000_000)
    # NPV = 3,630,000 / 1.21 + 2,630,000 / 1.331 = 3,000,000 + 1,975,957.93...
    assert r.objective_usd == usd(3_630_000 / 1.21 + 2_630_000 / 1.331)


# --------------------------------------------------------------------------- advance rate


def _construction(advance) -> dict:
    # One 10 IT MW block at 1,000,000 USD/IT MW -> K = 10,000,000, lead 1 (all capex in the start
    # period, online the next). Initial cash 4,000,000, a free construction loan (limit 100M).
    # AI terminal multiple 1: TV = 1 * 12/3 * 3,000,000 = 12,000,000 if leased in t1.
    return make([ai_site("A", grid=10, capex=1_000_000, lead=1)], periods=2, m=3, initial_cash_usd=4_000_000,
                terminal={"ai_ebitda_multiple": 1},
                debt=[loan("construction", limit=100_000_000, advance_rate_on_ai_capex=advance)])


def test_advance_rate_just_enough():
    # t0: cash = 4M - 10M + draw >= 0 -> draw >= 6M; balance <= 0.6 * 10M = 6M -> exactly 6M.
    r = run(_construction(0.6))
    assert [(row.site, row.start) for row in r.retrofits.itertuples()] == [("A", "2026-01")]
    assert debt(r, "construction", "balance_usd").iloc[0] == usd(6_000_000)
    # NPV = 4M - 10M + 3M (lease t1) + 12M (TV) = 9,000,000
    assert r.objective_usd == usd(9_000_000)


def test_advance_rate_too_low_blocks_the_retrofit():
    # balance <= 0.5 * 10M = 5M < 6M needed: t0 start impossible; a t1 start comes online
    # after the horizon and earns nothing, so nothing is built. NPV = initial cash 4,000,000.
    r = run(_construction(0.5))
    assert len(r.retrofits) == 0
    assert r.objective_usd == usd(4_000_000)
    # and forcing the t0 start is infeasible
    forced = run(_construction(0.5), fixed_starts={("A", "2026-01"): 1})
    assert forced.status is Status.INFEASIBLE


def test_advance_rate_counts_capex_spent_so_far():
    # lead 2: K = 10M paid 5M in t0 and 5M in t1; initial cash 0; advance 1.0 -> balance_t <= capex so far.
    # So the loan can cover capex exactly as it is spent: balance = [5M, 10M], and with an AI terminal
    # multiple of 2 the block online in t2 is worth TV = 2 * 4 * 3M = 24M.
    raw = make([ai_site("A", grid=10, capex=1_000_000, lead=2)], periods=3, m=3,
               terminal={"ai_ebitda_multiple": 2},
               debt=[loan("construction", limit=100_000_000, advance_rate_on_ai_capex=1.0)])
    r = run(raw)
    bal = as_list(debt(r, "construction", "balance_usd"))
    assert bal[:2] == [usd(5_000_000), usd(10_000_000)]
    # NPV = -10M + 3M (lease t2) + 24M = 17,000,000
    assert r.objective_usd == usd(17_000_000)


# --------------------------------------------------------------------------- minimum cash


def test_minimum_cash_kept_at_every_period_end():
    # initial cash 1,000,000, min cash 400,000, no income, discount 1.1 a quarter:
    # pay 600,000 in t0; the 400,000 floor stays until the end and counts at df_1.
    raw = make([IDLE], periods=2, m=3, initial_cash_usd=1_000_000, min_cash_usd=400_000,
               discount_rate_annual=QUARTER_RATE_1_1)
    r = run(raw)
    assert as_list(fin(r, "cash_usd")) == [usd(400_000), usd(400_000)]
    assert as_list(fin(r, "dividend_usd")) == [usd(600_000), usd(0)]
    # NPV = 600,000 / 1.1 + 400,000 / 1.21
    assert r.objective_usd == usd(600_000 / 1.1 + 400_000 / 1.21)


def test_minimum_cash_above_initial_cash_is_infeasible():
    raw = make([IDLE], periods=2, m=3, initial_cash_usd=0, min_cash_usd=100_000)
    r = run(raw)
    assert r.status is Status.INFEASIBLE
    assert r.objective_usd is None


# --------------------------------------------------------------------------- capex budgets


def _two_blocks(**finance) -> dict:
    # Up to 2 blocks of 10 IT MW, K = 10,000,000 each, lead 1 (capex in the start quarter, online
    # the next), 3,000,000 lease a quarter each, 3 quarters, initial cash 100M, AI multiple 1
    # (TV = 4 * AI EBITDA of t2).
    return make([ai_site("A", grid=20, max_blocks=2, capex=1_000_000, lead=1)], periods=3, m=3,
                initial_cash_usd=100_000_000, terminal={"ai_ebitda_multiple": 1}, **finance)


def test_no_budget_both_blocks_at_once():
    r = run(_two_blocks())
    # both in t0: NPV = 100M - 20M + 2 quarters * 6M + 4 * 6M = 116,000,000
    assert as_list(r.retrofits["blocks"]) == [2]
    assert r.objective_usd == usd(116_000_000)


def test_per_period_capex_budget_binds():
    # budget 10M a quarter: one block in t0, one in t1 (a t2 block would come online after the horizon).
    r = run(_two_blocks(capex_budget_usd=10_000_000))
    assert [(row.start, int(row.blocks)) for row in r.retrofits.itertuples()] == [("2026-01", 1), ("2026-04", 1)]
    assert as_list(fin(r, "capex_usd")) == [usd(10e6), usd(10e6), usd(0)]
    # NPV = 100M - 20M + 3M (t1) + 6M (t2) + 4 * 6M = 113,000,000
    # (one block only: 100M - 10M + 6M + 12M = 108M < 113M)
    assert r.objective_usd == usd(113_000_000)


def test_per_period_capex_budget_as_a_list():
    # budget [0, 10M, 10M]: nothing in t0; one block in t1 (online t2); a t2 block is worthless.
    r = run(_two_blocks(capex_budget_usd=[0, 10_000_000, 10_000_000]))
    assert [(row.start, int(row.blocks)) for row in r.retrofits.itertuples()] == [("2026-04", 1)]
    # NPV = 100M - 10M + 3M + 4 * 3M = 105,000,000
    assert r.objective_usd == usd(105_000_000)


def test_total_capex_budget_binds():
    # 15M in total: one block (10M), in t0. NPV = 100M - 10M + 2 * 3M + 4 * 3M = 108,000,000
    r = run(_two_blocks(total_capex_budget_usd=15_000_000))
    assert [(row.start, int(row.blocks)) for row in r.retrofits.itertuples()] == [("2026-01", 1)]
    assert fin(r, "capex_usd").sum() == usd(10_000_000)
    assert r.objective_usd == usd(108_000_000)


def _spread_blocks(**finance) -> dict:
    # Up to 2 blocks, K = 10,000,000 each, lead 2 (5M in the start quarter and 5M in the next),
    # 4 quarters, initial cash 100M, AI multiple 1.
    return make([ai_site("A", grid=20, max_blocks=2, capex=1_000_000, lead=2)], periods=4, m=3,
                initial_cash_usd=100_000_000, terminal={"ai_ebitda_multiple": 1}, **finance)


def test_per_period_budget_with_spread_capex():
    # budget 5M a quarter: block 1 in t0 pays 5M in t0 and t1; a second block could only start
    # in t2 (t1 is full), would come online in t4, after the horizon: worthless.
    # NPV = 100M - 10M + 2 * 3M (t2, t3) + 4 * 3M (TV) = 108,000,000
    # (no budget: both in t0 -> 100M - 20M + 2 * 6M + 4 * 6M = 116M)
    r = run(_spread_blocks(capex_budget_usd=5_000_000))
    assert [(row.start, int(row.blocks)) for row in r.retrofits.itertuples()] == [("2026-01", 1)]
    assert as_list(fin(r, "capex_usd")) == [usd(5e6), usd(5e6), usd(0), usd(0)]
    assert r.objective_usd == usd(108_000_000)
    assert run(_spread_blocks()).objective_usd == usd(116_000_000)


def test_overflow_capex_counts_against_the_last_period_budget():
    # a block started in the last quarter (t3) pays its 5M share of t3 and its 5M share of t4 in t3:
    # 10M > 5M budget -> infeasible; with a 10M budget it fits: NPV = 100M - 10M = 90M.
    forced = {("A", "2026-10"): 1}
    assert run(_spread_blocks(capex_budget_usd=5_000_000), fixed_starts=forced).status is Status.INFEASIBLE
    ok = run(_spread_blocks(capex_budget_usd=10_000_000), fixed_starts=forced)
    assert as_list(fin(ok, "capex_usd")) == [usd(0), usd(0), usd(0), usd(10e6)]
    assert ok.objective_usd == usd(90_000_000)


def test_overflow_capex_counts_against_the_total_budget():
    # the same forced last-quarter block costs 10M in total, overflow included
    forced = {("A", "2026-10"): 1}
    assert run(_spread_blocks(total_capex_budget_usd=9_000_000), fixed_starts=forced).status is Status.INFEASIBLE
    assert run(_spread_blocks(total_capex_budget_usd=10_000_000), fixed_starts=forced).objective_usd == usd(90_000_000)


# --------------------------------------------------------------------------- leverage covenant


def _levered(**finance) -> dict:
    # years (m = 12), discount 10 %: df = [1/1.1, 1/1.21]. 10 MW at hashprice 40, power 0:
    # EBITDA = 40 * 500 * 365 = 7,300,000 a year. A free loan (rate 0) with a 100M limit:
    # with a positive discount rate, borrowing early and paying it out is worth it.
    return make([miner("M", grid=10, price=0)], periods=2, m=12, hashprice=40, discount_rate_annual=0.1,
                max_debt_to_ebitda=2, **finance)


def test_leverage_covenant_caps_debt():
    # debt <= 2 * 7,300,000 * 12/12 = 14,600,000 at every period end.
    r = run(_levered(debt=[loan(limit=100_000_000)]))
    assert debt(r, "loan", "balance_usd").iloc[0] == usd(14_600_000)
    # t0 dividend = 7.3M + 14.6M = 21.9M; t1: 7.3M earned, 14.6M owed at the end.
    # NPV = 21,900,000 / 1.1 + (7,300,000 - 14,600,000) / 1.21
    assert r.objective_usd == usd(21_900_000 / 1.1 - 7_300_000 / 1.21)


def test_leverage_covenant_forces_deleveraging():
    # initial balance 20M > 14.6M: 5.4M must be repaid in t0 out of t0 EBITDA (7.3M).
    r = run(_levered(debt=[loan(limit=100_000_000, initial_balance_usd=20_000_000)]))
    assert debt(r, "loan", "repay_usd").iloc[0] == usd(5_400_000)
    # NPV = (7.3M - 5.4M) / 1.1 + (7.3M - 14.6M) / 1.21
    assert r.objective_usd == usd(1_900_000 / 1.1 - 7_300_000 / 1.21)


def test_leverage_covenant_with_quarters_annualizes_ebitda():
    # quarters: EBITDA = 7.3M / 4 = 1,825,000 a quarter; covenant: debt <= 2 * 1,825,000 * 12/3 = 14.6M.
    raw = make([miner("M", grid=10, price=0)], periods=2, m=3, hashprice=40, discount_rate_annual=QUARTER_RATE_1_1,
               max_debt_to_ebitda=2, debt=[loan(limit=100_000_000)])
    r = run(raw)
    assert debt(r, "loan", "balance_usd").iloc[0] == usd(14_600_000)
    # NPV = (1,825,000 + 14,600,000) / 1.1 + (1,825,000 - 14,600,000) / 1.21
    assert r.objective_usd == usd(16_425_000 / 1.1 - 12_775_000 / 1.21)


# --------------------------------------------------------------------------- infeasible


def test_infeasible_when_overhead_cannot_be_paid():
    # overhead 400,000 a year (100,000 a quarter), no income, no cash, no debt.
    raw = make([IDLE], periods=2, m=3, overhead_usd_per_year=400_000)
    r = run(raw)
    assert r.status is Status.INFEASIBLE
    assert r.status.exit_code == 1
    assert not r.has_plan
    assert r.allocation is None
