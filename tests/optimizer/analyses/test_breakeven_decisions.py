"""``breakeven`` answers for every decision that moves (issue 19, point 6), in the
parameter's own unit. Thresholds derived by hand on one-quarter instances (discount 0,
lead 0): a block of 10 IT MW earns 30,000 x lease (USD per kW-month x 10,000 kW x 3
months) and costs 2,000,000 (10 MW x 200,000); R's mining margin per grid MW-quarter
is hashprice x 50 PH/s x 91.25 days - 2190 MWh x 45 USD/MWh; a block holds 12 grid MW (pue 1.2)."""

from __future__ import annotations

import pytest

from instances import apply_overrides
from optimizer import SolveOptions
from optimizer.analyses.breakeven import breakeven
from tests.optimizer.analyses.test_sweep import base

TIGHT = SolveOptions(mip_gap=1e-9, sensitivities=False)
LEASE = "sites.R.ai.lease_usd_per_kw_month"
HASH = "markets.hashprice_usd_per_ph_day"


def one_quarter(**more) -> dict:
    sets = [("horizon.periods", 1), ("sites.R.ai.lead_periods", 0)] + list(more.items())
    return apply_overrides(base(), [(k.replace("__", "."), v) for k, v in sets])


def test_every_block_of_a_site_gets_its_own_breakeven() -> None:
    # grid 30 MW, mining capped at 18 MW: the first block (12 MW) displaces no mining
    # (30 - 12 = 18 still mined), so it pays from 30,000 x lease > 2,000,000: lease 66.67;
    # the second displaces 12 MW: 30,000 x lease - 2,000,000 > 12 x 129,575: lease 118.50
    raw = apply_overrides(one_quarter(), [("sites.R.ai.max_blocks", 2), ("sites.R.grid_mw", 30), ("sites.R.mining.max_mw", 18)])
    be = breakeven(raw, LEASE, None, low=0.5, high=1.5, options=TIGHT)
    assert be.site is None and be.found and be.unit == "USD per IT kW-month"
    rows = [(d.site, d.kind, d.low.answer(d.site, d.kind), d.high.answer(d.site, d.kind), d) for d in be.decisions]
    assert [r[:4] for r in rows] == [
        ("R", "first_start", "no retrofit", "first start 2026-01"),
        ("R", "blocks", "0 blocks", "1 block"),
        ("R", "blocks", "1 block", "2 blocks"),
    ]
    first = 2_000_000 / 30_000
    second = (2_000_000 + 12 * (50 * 50 * 91.25 - 2190 * 45)) / 30_000
    for (_, _, _, _, d), star in zip(rows, (first, first, second)):
        # in the parameter's unit: the first period's lease (factor x 100), closed to 1e-3 of the bracket
        assert be.in_unit(d.low.value) <= star <= be.in_unit(d.high.value)
        assert be.in_unit(d.high.value) - be.in_unit(d.low.value) <= 1e-3 * 100 + 1e-9
    data = be.to_json()["decisions"][2]
    assert data["low"]["unit"] == "USD per IT kW-month" and data["low"]["factor"] == pytest.approx(data["low"]["value"] / 100)
    assert data["low"]["period"] == "2026-01"


def test_hashprice_breakeven_in_usd_per_ph_day() -> None:
    # R retrofits when its block beats the 12 MW it would mine:
    # 30,000 x 100 - 2,000,000 > 12 x (hp x 4562.5 - 98,550)  <=>  hp < 39.8649...
    star = (1_000_000 / 12 + 2190 * 45) / (50 * 91.25)
    be = breakeven(one_quarter(), HASH, "R", options=TIGHT)
    assert be.found and be.mode == "scale" and be.unit == "USD per PH/s per day"
    assert be.in_unit(be.low.value) <= star <= be.in_unit(be.high.value)
    assert be.in_unit(be.low.value) == pytest.approx(50 * be.low.value)  # the first period's hashprice
    moved = {(d.site, d.kind) for d in be.decisions}
    assert moved == {("R", "first_start"), ("R", "blocks")}
