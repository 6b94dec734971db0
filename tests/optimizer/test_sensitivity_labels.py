"""The terminal report names the period(s) that carry a marginal value, not "every period".

Two quarters, a 10 MW miner (machines for 20 MW, so the grid binds) at pue 1, eff 20 J/TH (500 PH/s), power 0, hashprice 80 then 0:
one more grid MW mines 50 PH/s more in 2026-01 only, worth 80 * 50 * 91.25 = 365,000
(discount 0); in 2026-04 mining earns nothing, so the grid row there is worth 0.
"""

from __future__ import annotations

import pytest
from rich.console import Console

from cli.report import print_sensitivities
from instances import instance_from_dict
from optimizer import SolveOptions, solve
from optimizer.sensitivity import carrying_periods, periods_label


def test_label_names_the_period_that_carries_the_value():
    raw = {
        "name": "two quarters",
        "horizon": {"start": "2026-01", "periods": 2, "period_months": 3},
        "markets": {"hashprice_usd_per_ph_day": [80, 0]},
        "sites": [{"name": "M", "region": "R", "grid_mw": 10, "power_price_usd_per_mwh": 0,
                   "mining": {"efficiency_j_per_th": 20, "pue": 1.0, "max_mw": 20}}],
        "finance": {"discount_rate_annual": 0.0},
    }
    r = solve(instance_from_dict(raw), SolveOptions(mip_gap=1e-9, sensitivities=True))
    table = r.sensitivities
    row = table[(table["kind"] == "grid_mw") & (table["name"] == "M") & (table["period"] == "all")].iloc[0]
    assert row.value_usd == pytest.approx(365_000, rel=1e-9)
    assert carrying_periods(table, "grid_mw", "M") == ["2026-01"]
    console = Console(record=True, width=200)
    print_sensitivities(r, console)
    text = console.export_text()
    assert "one more grid MW at M, 2026-01 only" in text
    assert "every period" not in text


def test_periods_label_words():
    labels = ["2026-01", "2026-04", "2026-07", "2026-10"]
    assert periods_label(labels, labels) == "every period"
    assert periods_label(None, labels) == "every period"
    assert periods_label(["2026-04"], labels) == "2026-04 only"
    assert periods_label(["2026-01", "2026-04", "2026-07"], labels) == "2026-01 to 2026-07"
    assert periods_label(["2026-01", "2026-07"], labels) == "2026-01 and 2026-07"
