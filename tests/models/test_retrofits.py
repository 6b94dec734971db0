"""Hand-derived checks of retrofits (SPEC section 3): lead time, capex spreading
(including spend that overflows the horizon), lead 0, earliest start, the grid MW a
started block holds, and max_blocks.

Quarters from 2026-01: 2026-01, 2026-04, 2026-07, 2026-10 (t = 0..3).
A 10 IT MW block leased at 100 USD/kW-month earns 10 * 1000 * 100 * 3 = 3,000,000 a quarter.
"""

from __future__ import annotations

import pytest

from builders import ai_site, ai_spec, alloc, as_list, fin, make, miner, run
from optimizer import Status


def usd(x):
    return pytest.approx(x, rel=1e-9, abs=0.5)


def mw(x):
    return pytest.approx(x, rel=1e-9, abs=1e-6)


def _retrofit_rows(result) -> list[tuple]:
    return [
        (row.site, row.start, int(row.blocks), float(row.it_mw), row.online if isinstance(row.online, str) else None)
        for row in result.retrofits.itertuples()
    ]


# --------------------------------------------------------------------------- capex spreading


def test_capex_spread_over_lead_and_overflow_charged_in_last_period():
    # Site S: no mining, grid 100, blocks of 10 IT MW at 1,200,000 USD/IT MW -> K = 12,000,000
    # per block, lead 3 -> 4,000,000 in each of the 3 periods from the start.
    # Fixed schedule: 1 block in 2026-01 (t0), 1 block in 2026-07 (t2). Horizon: 4 quarters.
    raw = make(
        [ai_site("S", grid=100, max_blocks=3, capex=1_200_000, lead=3)],
        periods=4, m=3, initial_cash_usd=100_000_000,
    )
    r = run(raw, fixed_starts={("S", "2026-01"): 1, ("S", "2026-07"): 1})
    assert r.status is Status.OPTIMAL
    # block 1: t0, t1, t2 pay 4M each.
    # block 2: t2 and t3 pay 4M each; its t4 share (4M) falls after the horizon -> charged in t3.
    # capex = [4M, 4M, 4M + 4M, 4M + 4M] = [4M, 4M, 8M, 8M]; total 24M = 2 * K
    assert as_list(fin(r, "capex_usd")) == [usd(4e6), usd(4e6), usd(8e6), usd(8e6)]
    # online: block 1 at t0 + 3 = t3 (2026-10); block 2 at t5, after the horizon
    assert as_list(alloc(r, "S", "blocks_online")) == [0, 0, 0, 1]
    assert as_list(alloc(r, "S", "blocks_started")) == [1, 1, 2, 2]
    # the online block is leased in t3 only: ai = [0, 0, 0, 10]
    assert as_list(alloc(r, "S", "ai_it_mw")) == [mw(0), mw(0), mw(0), mw(10)]
    # construction MW = pue 1 * 10 * (started - online) = [10, 10, 20, 10]
    assert as_list(alloc(r, "S", "construction_mw")) == [mw(10), mw(10), mw(20), mw(10)]
    assert _retrofit_rows(r) == [("S", "2026-01", 1, 10.0, "2026-10"), ("S", "2026-07", 1, 10.0, None)]
    assert as_list(r.retrofits["capex_usd"]) == [usd(12e6), usd(12e6)]
    # NPV (discount 0) = 100M - 24M + 3M = 79,000,000
    assert r.objective_usd == usd(79_000_000)


def test_capex_start_in_last_period_pays_everything_there():
    # lead 2, K = 10 * 1,000,000 = 10,000,000; start 2 blocks in the last quarter (t3):
    # t3 share = 2 * 5M, t4 share = 2 * 5M after the horizon -> all 20M charged in t3.
    raw = make([ai_site("S", grid=100, max_blocks=2, capex=1_000_000, lead=2)], periods=4, m=3,
               initial_cash_usd=50_000_000)
    r = run(raw, fixed_starts={("S", "2026-10"): 2})
    assert as_list(fin(r, "capex_usd")) == [usd(0), usd(0), usd(0), usd(20e6)]
    assert _retrofit_rows(r) == [("S", "2026-10", 2, 20.0, None)]
    # NPV = 50M - 20M = 30,000,000 (no block ever online)
    assert r.objective_usd == usd(30_000_000)


def test_lead_zero_online_at_start_and_capex_in_start_period():
    # lead 0: online in its start period, all capex (K = 1,000,000) in that period.
    raw = make([ai_site("S", grid=10)], periods=4, m=3, initial_cash_usd=1_000_000)
    r = run(raw, fixed_starts={("S", "2026-04"): 1})
    assert as_list(fin(r, "capex_usd")) == [usd(0), usd(1e6), usd(0), usd(0)]
    assert as_list(alloc(r, "S", "blocks_online")) == [0, 1, 1, 1]
    assert as_list(alloc(r, "S", "ai_it_mw")) == [mw(0), mw(10), mw(10), mw(10)]
    assert _retrofit_rows(r) == [("S", "2026-04", 1, 10.0, "2026-04")]
    # NPV = 1M - 1M + 3 * 3M = 9,000,000
    assert r.objective_usd == usd(9_000_000)


def test_lead_zero_optimizer_starts_at_once():
    # Free choice, lead 0, K = 1M, 3M lease a quarter: start in t0, earn 4 * 3M.
    raw = make([ai_site("S", grid=10)], periods=4, m=3)
    r = run(raw)
    assert _retrofit_rows(r) == [("S", "2026-01", 1, 10.0, "2026-01")]
    # NPV = 4 * 3M - 1M = 11,000,000 (capex and lease net within t0, cash stays >= 0)
    assert r.objective_usd == usd(11_000_000)


def test_lead_two_optimizer_choice():
    # lead 2, K = 1M (0.5M in t0, 0.5M in t1), initial cash 1M: start in t0, online t2.
    raw = make([ai_site("S", grid=10, lead=2)], periods=4, m=3, initial_cash_usd=1_000_000)
    r = run(raw)
    assert _retrofit_rows(r) == [("S", "2026-01", 1, 10.0, "2026-07")]
    assert as_list(fin(r, "capex_usd")) == [usd(5e5), usd(5e5), usd(0), usd(0)]
    assert as_list(alloc(r, "S", "ai_it_mw")) == [mw(0), mw(0), mw(10), mw(10)]
    # NPV = 1M - 1M + 2 * 3M = 6,000,000
    assert r.objective_usd == usd(6_000_000)


# --------------------------------------------------------------------------- grid MW held by started blocks


def test_started_block_leaves_mining_at_its_start():
    # Site with 20 MW of grid, mining (10 MW ~ 500 PH/s at eff 20) and one AI block of
    # 10 IT MW at ai pue 1.5 -> it holds 15 grid MW from its start, under construction or online.
    # lead 1, fixed start in t0 (online t1).
    site = miner("S", grid=20, price=0, ai=ai_spec(pue=1.5, lead=1))
    raw = make([site], periods=2, m=3, hashprice=50, initial_cash_usd=1_000_000)
    r = run(raw, fixed_starts={("S", "2026-01"): 1})
    # mine <= 20 - 1.5 * 10 * 1 = 5 in both quarters (margin 50 * 50 * 91.25 = 228,125 per MW > 0)
    assert as_list(alloc(r, "S", "mine_mw")) == [mw(5), mw(5)]
    assert as_list(alloc(r, "S", "construction_mw")) == [mw(15), mw(0)]
    assert as_list(alloc(r, "S", "reserved_ai_grid_mw")) == [mw(15), mw(15)]
    assert as_list(alloc(r, "S", "ai_it_mw")) == [mw(0), mw(10)]
    assert as_list(alloc(r, "S", "ai_grid_mw")) == [mw(0), mw(15)]
    # NPV = 1M - 1M (capex) + 2 * 5 * 228,125 (mining) + 3M (lease in t1) = 5,281,250
    assert r.objective_usd == usd(5_281_250)


def test_block_that_does_not_fit_the_grid_cannot_start():
    # grid 10, block 10 IT MW at pue 1.2 needs 12 grid MW: it never fits.
    raw = make([ai_site("S", grid=10, pue=1.2)], periods=2, m=3)
    r = run(raw)
    assert len(r.retrofits) == 0
    assert r.objective_usd == usd(0)


def test_max_blocks_limits_blocks_started_over_the_horizon():
    # max_blocks 2, grid 100, lead 0, K = 1M, 3M a quarter per block: start both in t0.
    raw = make([ai_site("S", grid=100, max_blocks=2)], periods=2, m=3)
    r = run(raw)
    assert _retrofit_rows(r) == [("S", "2026-01", 2, 20.0, "2026-01")]
    # NPV = 2 blocks * (2 * 3M - 1M) = 10,000,000
    assert r.objective_usd == usd(10_000_000)


def test_site_without_ai_or_ineligible_is_never_retrofitted():
    ineligible = miner("X", grid=10, ai={"eligible": False})
    raw = make([ineligible, miner("Y", grid=10)], periods=1, m=3)
    r = run(raw)
    assert len(r.retrofits) == 0
    assert list(r.instance.sites["retrofittable"]) == [False, False]
    with pytest.raises(ValueError):
        run(raw, fixed_starts={("X", "2026-01"): 1})


# --------------------------------------------------------------------------- earliest start


@pytest.mark.parametrize(
    "earliest, start_label, npv",
    [
        # a period start exactly: t2 = 2026-07; 2 quarters of lease: 2 * 3M - 1M = 5M
        ("2026-07", "2026-07", 5_000_000),
        # mid-period date selects the first period starting at or after it: 2026-05 -> 2026-07
        ("2026-05", "2026-07", 5_000_000),
        # before the horizon: t0; 4 * 3M - 1M = 11M
        ("2025-06", "2026-01", 11_000_000),
        # 2026-10 is the last period's start: 1 * 3M - 1M = 2M
        ("2026-10", "2026-10", 2_000_000),
    ],
)
def test_earliest_start_selects_a_period(earliest, start_label, npv):
    raw = make([ai_site("S", grid=10, earliest_start=earliest)], periods=4, m=3)
    r = run(raw)
    assert _retrofit_rows(r) == [("S", start_label, 1, 10.0, start_label)]
    assert r.objective_usd == usd(npv)


def test_earliest_start_after_horizon_means_never():
    # the last period starts 2026-10; 2026-11 selects no period -> the site is never retrofitted
    raw = make([ai_site("S", grid=10, earliest_start="2026-11")], periods=4, m=3)
    r = run(raw)
    assert len(r.retrofits) == 0
    assert r.objective_usd == usd(0)
    assert not bool(r.instance.sites.at["S", "retrofittable"])


def test_earliest_start_rejects_a_fixed_start_before_it():
    raw = make([ai_site("S", grid=10, earliest_start="2026-07")], periods=4, m=3)
    with pytest.raises(ValueError):
        run(raw, fixed_starts={("S", "2026-04"): 1})
