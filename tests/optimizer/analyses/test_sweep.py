"""Sweeps (optimizer/analyses/sweep.py): the grid, the rows, and the same rows however run.

Rows are checked against cold solves of the same overrides (a fresh model each) and,
for a mining-only site, against the NPV worked out by hand.
"""

from __future__ import annotations

import pytest

from instances import apply_overrides, instance_from_dict
from optimizer import SolveOptions, solve
from optimizer.analyses.sweep import Case, Vary, chunk_cases, frange, grid, parse_vary, run_sweep, schedule_short

TIGHT = SolveOptions(mip_gap=1e-9, sensitivities=False)


def base() -> dict:
    """Four quarters at discount 0. H only mines (10 MW, pue 1, 20 J/TH = 500 PH/s,
    power 40, no opex); R mines and may host one 10 IT MW block (lead 1)."""
    return {
        "name": "sweep",
        "horizon": {"start": "2026-01", "periods": 4, "period_months": 3},
        "markets": {"hashprice_usd_per_ph_day": 50},
        "sites": [
            {"name": "H", "region": "X", "grid_mw": 10, "power_price_usd_per_mwh": 40,
             "mining": {"efficiency_j_per_th": 20, "max_mw": 10}},
            {"name": "R", "region": "X", "grid_mw": 15, "power_price_usd_per_mwh": 45,
             "mining": {"efficiency_j_per_th": 20},
             "ai": {"block_it_mw": 10, "max_blocks": 1, "capex_usd_per_it_mw": 200000, "lead_periods": 1,
                    "pue": 1.2, "lease_usd_per_kw_month": 100}},
        ],
        "finance": {"discount_rate_annual": 0.0, "initial_cash_usd": 1e6},
    }


# ---------------------------------------------------------------- the grid


def test_float_ranges_are_exact_and_include_stop():
    assert frange(0.6, 1.5, 0.1) == [0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5]
    assert frange(0, 1, 0.3) == [0.0, 0.3, 0.6, 0.9]  # 1 is not reached by the steps
    assert frange(2, 6, 2) == [2, 4, 6] and all(isinstance(v, int) for v in frange(2, 6, 2))
    assert frange(1.0, 0.0, -0.25) == [1.0, 0.75, 0.5, 0.25, 0.0]
    assert frange(5, 5, 1) == [5]
    for bad in ((0, 1, 0), (0, 1, -1)):
        with pytest.raises(ValueError):
            frange(*bad)


def test_parse_vary_forms():
    assert parse_vary("markets.hashprice_usd_per_ph_day=30:40:5") == Vary("markets.hashprice_usd_per_ph_day", (30, 35, 40))
    assert parse_vary("a.b=1,2.5,x").values == (1, 2.5, "x")
    assert parse_vary("a.b=[[1,2],[3,4]]").values == ([1, 2], [3, 4])
    assert parse_vary("a.b=7").values == (7,)
    for bad in ("nopath", "=1,2", "a.b=", "a.b=1:2", "a.b=1:x:1", "a.b=1,,2", "a.b=[1,"):
        with pytest.raises(ValueError):
            parse_vary(bad)


def test_grid_is_the_cartesian_product_first_outermost():
    cases = grid([Vary("a", (1, 2)), Vary("b", ("x", "y", "z"))])
    assert [c.number for c in cases] == [1, 2, 3, 4, 5, 6]
    assert [tuple(v for _, v in c.values) for c in cases] == [(1, "x"), (1, "y"), (1, "z"), (2, "x"), (2, "y"), (2, "z")]
    with pytest.raises(ValueError, match="twice"):
        grid([Vary("a", (1,)), Vary("a", (2,))])


def test_chunks_depend_on_the_cases_only():
    cases = [Case(i, ()) for i in range(1, 11)]
    assert [len(c) for c in chunk_cases(cases)] == [4, 4, 2]
    assert [len(c) for c in chunk_cases(cases, 3)] == [3, 3, 3, 1]


# ---------------------------------------------------------------- the rows

VARIES = [parse_vary("markets.hashprice_usd_per_ph_day=30:60:15"), parse_vary("sites.R.ai.lease_usd_per_kw_month=60,200")]


@pytest.fixture(scope="module")
def serial():
    return run_sweep(base(), grid(VARIES), options=TIGHT, chunk_size=2)


def parse_schedule(text: str) -> dict[tuple[str, str], int]:
    """``R:1x@2026-01;H:2x@2026-04`` (a sweep row's retrofits) -> {(site, period): blocks}."""
    if text == "none":
        return {}
    out = {}
    for item in text.split(";"):
        site, rest = item.split(":")
        blocks, period = rest.split("x@")
        out[(site, period)] = int(blocks)
    return out


def test_rows_match_cold_solves_and_hand_numbers(serial):
    assert list(serial.columns) == ["case", "markets.hashprice_usd_per_ph_day", "sites.R.ai.lease_usd_per_kw_month",
                                    "status", "npv_usd", "ai_it_mw_end", "retrofits", "mip_gap", "reason"]
    assert len(serial) == 6 and list(serial["case"]) == [1, 2, 3, 4, 5, 6]
    seen = set()
    for row in serial.to_dict("records"):
        hp, lease = row["markets.hashprice_usd_per_ph_day"], row["sites.R.ai.lease_usd_per_kw_month"]
        cold = solve(instance_from_dict(apply_overrides(base(), [("markets.hashprice_usd_per_ph_day", hp), ("sites.R.ai.lease_usd_per_kw_month", lease)])), TIGHT)
        assert row["status"] == "optimal"
        assert row["npv_usd"] == pytest.approx(cold.objective_usd, rel=1e-9)
        # the row's schedule is an optimal one: fixed in a cold solve it is worth the
        # optimum (two schedules may tie, so it need not be the cold solve's own)
        at_row = solve(instance_from_dict(apply_overrides(base(), [("markets.hashprice_usd_per_ph_day", hp), ("sites.R.ai.lease_usd_per_kw_month", lease)])),
                       SolveOptions(mip_gap=1e-9, sensitivities=False, fixed_starts=parse_schedule(row["retrofits"])))
        assert at_row.objective_usd == pytest.approx(cold.objective_usd, rel=1e-9)
        assert row["retrofits"] == schedule_short(at_row.model, at_row.instance)
        last = at_row.allocation.xs(at_row.instance.period_labels[-1], level="period")["ai_it_mw"].sum()
        assert row["ai_it_mw_end"] == pytest.approx(last, abs=1e-6)
        # H alone, by hand: 500 PH/s * hp * 91.25 days - 10 MW * 2190 h * 40 USD, four quarters
        h_npv = 4 * (500 * hp * 91.25 - 10 * 2190 * 40)
        h_cold = cold.allocation.xs("H", level="site")["site_ebitda_usd"].sum()
        assert h_cold == pytest.approx(h_npv, rel=1e-9)
        seen.add(row["retrofits"])
    assert "none" in seen and len(seen) > 1  # the lease decides whether R is retrofitted


def test_failed_cases_are_rows_with_their_reason():
    cases = grid([parse_vary("sites.H.grid_mw=10,-5"), parse_vary("finance.min_cash_usd=0,1e12")])
    rows = run_sweep(base(), cases, options=TIGHT)
    by = {(r["sites.H.grid_mw"], r["finance.min_cash_usd"]): r for r in rows.to_dict("records")}
    assert by[(10, 0)]["status"] == "optimal"
    assert by[(10, 1e12)]["status"] == "infeasible" and by[(10, 1e12)]["npv_usd"] != by[(10, 1e12)]["npv_usd"]  # NaN
    for cash in (0, 1e12):
        bad = by[(-5, cash)]
        assert bad["status"] == "input_error" and "grid_mw" in bad["reason"]


def test_same_rows_with_two_processes(serial):
    parallel = run_sweep(base(), grid(VARIES), options=TIGHT, chunk_size=2, jobs=2)
    assert parallel.equals(serial)


def test_same_rows_on_a_dask_cluster(serial):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        rows = run_sweep(base(), grid(VARIES), options=TIGHT, chunk_size=2, scheduler=cluster.scheduler_address)
    assert rows.equals(serial)


def test_progress_counts_every_case():
    ticks = []
    run_sweep(base(), grid([parse_vary("markets.hashprice_usd_per_ph_day=40,50,60")]), options=TIGHT, on_progress=ticks.append)
    assert sum(ticks) == 3
