"""Marginal values (optimizer/sensitivity.py) against finite differences and by hand.

The instance (``base()``): four quarters, discount 0.4641 a year so df_t = 1.1^-(t+1).
Site M mines (pue 1, 20 J/TH: 50 PH/s per MW; max_mw 100 so the grid binds, not the
fleet): hashprice 50 and power 40 give a margin per MW-quarter of
  50 * 50 * 91.25 - 2190 * 40 = 228,125 - 87,600 = 140,525 USD.
Site A holds one 10 IT MW block (capex 3,000,000, lead 1) that the plan starts at once;
the per-period and total capex budgets are exactly 3,000,000 (binding). A loan of
5,000,000 at 5 % a year (below the 46 % discount rate) is drawn in full; cash sits on
its floor of 1,000,000 in every period.

Every finite difference re-solves the LP from the instance with the input moved
(retrofit starts fixed at the plan's), forward and backward: the two agree (the step
stays inside the basis' stability range) and match the marginal value to 1e-6.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from cli.main import main
from instances import apply_overrides, instance_from_dict
from optimizer import SolveOptions, solve

MARGIN = 50 * 50 * 91.25 - 2190 * 40  # 140,525 USD per MW-quarter
DF = [1.1 ** -(t + 1) for t in range(4)]
LABELS = ["2026-01", "2026-04", "2026-07", "2026-10"]
TV_FACTOR = 1 + 2 * 12 / 3  # last quarter: its margin plus the mining multiple 2 x annualized


def base() -> dict:
    return {
        "name": "sens",
        "horizon": {"start": "2026-01", "periods": 4, "period_months": 3},
        "markets": {"hashprice_usd_per_ph_day": 50},
        "sites": [
            {"name": "M", "region": "R", "grid_mw": [10, 10, 12, 10], "power_price_usd_per_mwh": 40,
             "mining": {"efficiency_j_per_th": 20, "pue": 1.0, "max_mw": 100}},
            {"name": "A", "region": "R", "grid_mw": 12, "power_price_usd_per_mwh": 40,
             "ai": {"block_it_mw": 10, "max_blocks": 1, "capex_usd_per_it_mw": 300000, "lead_periods": 1,
                    "pue": 1.1, "lease_usd_per_kw_month": 120}},
        ],
        "finance": {
            "discount_rate_annual": 0.4641, "initial_cash_usd": 2e6, "min_cash_usd": 1e6,
            "capex_budget_usd": 3e6, "total_capex_budget_usd": 3e6,
            "debt": [{"name": "loan", "limit_usd": 5e6, "rate_annual": 0.05}],
            "terminal": {"mining_ebitda_multiple": 2, "ai_ebitda_multiple": 5},
        },
    }


@pytest.fixture(scope="module")
def solved():
    result = solve(instance_from_dict(base()), SolveOptions(mip_gap=1e-9))
    assert result.status.value == "optimal"
    starts = {(r.site, r.start): int(r.blocks) for r in result.retrofits.itertuples()}
    assert starts == {("A", "2026-01"): 1}
    return result, starts


def lp_objective(overrides, starts):
    """NPV of the LP with the input moved and the starts fixed (an independent solve)."""
    inst = instance_from_dict(apply_overrides(base(), overrides))
    r = solve(inst, SolveOptions(fixed_starts=starts, sensitivities=False))
    return r.objective_usd if r.has_plan else None


def value(table, kind, name, period):
    rows = table[(table.kind == kind) & (table.name == name) & (table.period == period)]
    assert len(rows) == 1, (kind, name, period)
    return float(rows.value_usd.iloc[0])


def grid_with(delta, periods):
    return [v + (delta if t in periods else 0.0) for t, v in enumerate([10, 10, 12, 10])]


CASES = [
    # (kind, name, period, overrides for a step d, step)
    *[("grid_mw", "M", LABELS[t], lambda d, t=t: [("sites.M.grid_mw", grid_with(d, {t}))], 0.5) for t in range(4)],
    ("grid_mw", "M", "all", lambda d: [("sites.M.grid_mw", grid_with(d, {0, 1, 2, 3}))], 0.5),
    ("debt_limit", "loan", "all", lambda d: [("finance.debt.loan.limit_usd", 5e6 + d)], 1e5),
    # a *lower* minimum cash: the input goes down as the step goes up
    ("min_cash", "min_cash", "all", lambda d: [("finance.min_cash_usd", 1e6 - d)], 1e5),
]


@pytest.mark.parametrize("kind,name,period,moved,step", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_marginal_values_match_finite_differences(solved, kind, name, period, moved, step):
    result, starts = solved
    o0 = lp_objective([], starts)
    assert o0 == pytest.approx(result.objective_usd, rel=1e-9)
    forward = (lp_objective(moved(step), starts) - o0) / step
    backward = (o0 - lp_objective(moved(-step), starts)) / step
    assert forward == pytest.approx(backward, rel=1e-7)  # locally linear: inside the stability range
    assert value(result.sensitivities, kind, name, period) == pytest.approx(forward, rel=1e-6)


def test_marginal_values_by_hand(solved):
    result, _ = solved
    s = result.sensitivities
    for t in range(3):  # an extra MW mined in quarter t is paid out as a dividend that quarter
        assert value(s, "grid_mw", "M", LABELS[t]) == pytest.approx(MARGIN * DF[t], rel=1e-9)
    # last quarter: its margin also counts in the terminal value (mining multiple 2)
    assert value(s, "grid_mw", "M", LABELS[3]) == pytest.approx(MARGIN * DF[3] * TV_FACTOR, rel=1e-9)
    total = sum(MARGIN * DF[t] for t in range(3)) + MARGIN * DF[3] * TV_FACTOR
    assert value(s, "grid_mw", "M", "all") == pytest.approx(total, rel=1e-9)
    # a dollar less of minimum cash: paid out in the first quarter, missing from the final cash
    assert value(s, "min_cash", "min_cash", "all") == pytest.approx(DF[0] - DF[3], rel=1e-9)
    # one more dollar of loan: a dividend now, 1.25 % interest in quarters 2-4, owed at the end
    assert value(s, "debt_limit", "loan", "all") == pytest.approx(DF[0] - 0.0125 * (DF[1] + DF[2] + DF[3]) - DF[3], rel=1e-9)
    # site A holds its block and does not mine: its grid does not bind
    assert value(s, "grid_mw", "A", "all") == 0.0


def test_binding_capex_budget_is_worth_nothing_with_the_schedule_held(solved):
    result, starts = solved
    s = result.sensitivities
    row = s[(s.kind == "capex_budget") & (s.period == LABELS[0])].iloc[0]
    assert bool(row.binding) and row.value_usd == 0.0
    total = s[s.kind == "total_capex_budget"].iloc[0]
    assert bool(total.binding) and total.value_usd == 0.0
    o0 = lp_objective([], starts)
    assert lp_objective([("finance.capex_budget_usd", 3.1e6)], starts) == pytest.approx(o0, rel=1e-12)
    assert lp_objective([("finance.total_capex_budget_usd", 3.1e6)], starts) == pytest.approx(o0, rel=1e-12)
    assert lp_objective([("finance.capex_budget_usd", 2.9e6)], starts) is None  # the held schedule no longer fits


def test_turned_off_and_the_model_is_left_as_it_was(solved):
    result, _ = solved
    assert all(not v.fixed for v in result.model.start.values())  # fixings restored after the LP
    off = solve(instance_from_dict(base()), SolveOptions(mip_gap=1e-9, sensitivities=False))
    assert off.sensitivities is None
    assert off.objective_usd == pytest.approx(result.objective_usd, rel=1e-9)


def test_cli_report_and_out_folder(tmp_path, monkeypatch):
    import optimizer.reports.charts
    import optimizer.reports.workbook

    # no workbook and no chart images: slow to draw, not read here
    monkeypatch.setattr(optimizer.reports.charts, "tables_from_result", lambda result: None)
    monkeypatch.setattr(optimizer.reports.charts, "draw_charts", lambda tables, path: None)
    monkeypatch.setattr(optimizer.reports.workbook, "write_workbook", lambda result, path: None)
    path = tmp_path / "sens.json"
    path.write_text(json.dumps(base()))
    out = tmp_path / "run"
    r = CliRunner().invoke(main, ["solve", str(path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Marginal values" in r.output and "one more grid MW at M" in r.output
    table = pd.read_csv(out / "sensitivities.csv")
    assert list(table.columns[:4]) == ["kind", "name", "period", "value_usd"]
    row = table[table.kind == "min_cash"].iloc[0]
    assert row.value_usd == pytest.approx(DF[0] - DF[3], abs=1e-6)
