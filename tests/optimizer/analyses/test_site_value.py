"""Why this site (optimizer/analyses/site_value.py) on tests/data/tiny/why.json, numbers by hand.

why.json: one quarter (2,190 h, 91.25 days), discount 0, hashprice 50, two sites A and B
of 10 grid MW at 40 USD/MWh, each able to host one 10 IT MW hall (pue 1, capex 100,000
per IT MW = 1,000,000, lead 0); both in region R, where tenants lease 10 IT MW at most.

  mining margin per MW and quarter: 50 PH/s (1e6 / 20 J/TH = 50,000 TH/s) * 50 * 91.25
      - 2,190 * 40 = 228,125 - 87,600 = 140,525
  a hall at A: lease 100 * 1000 * 3 * 10 MW = 3,000,000, minus capex 1,000,000, minus the
      mining it displaces 10 * 140,525 = 1,405,250: +594,750
  a hall at B (lease 80): 2,400,000 - 1,000,000 - 1,405,250 = -5,250
  mining only: 2 * 1,405,250 = 2,810,500; the optimum builds A: NPV 3,405,250

  A's halls are worth 594,750 (without them the best plan is mining only).
  One hall at B: with A's hall too, the 10 MW of demand leave one hall unleased
      (594,750 - 1,000,000 - 1,405,250 = -1,810,500); B's hall alone: -5,250. The best
      plan with a hall at B is B alone: 2,810,500 - 5,250 = 2,805,250, i.e. -600,000.

  unit economics, per grid MW and year (x 4 quarters):
      mining 140,525 * 4 = 562,100; AI at A 300,000 * 4 = 1,200,000, at B 960,000;
      capex 100,000; payback A 100,000 / (1,200,000 - 562,100) = 0.156764 years,
      B 100,000 / (960,000 - 562,100) = 0.251319 years.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from instances import instance_from_dict, load_instance
from optimizer import SolveOptions, solve
from optimizer.analyses.site_value import site_values, unit_economics

WHY = Path(__file__).parents[2] / "data" / "tiny" / "why.json"
EXACT = SolveOptions(mip_gap=1e-9)


def usd(x):
    return pytest.approx(x, rel=1e-9, abs=0.5)


@pytest.fixture(scope="module")
def solved():
    result = solve(load_instance(WHY), EXACT)
    assert result.objective_usd == usd(3_405_250)
    return result


def test_unit_economics_by_hand():
    econ = unit_economics(load_instance(WHY))
    assert list(econ.index) == ["A", "B"]
    assert econ.loc["A", "mining_usd_per_grid_mw_year"] == usd(562_100)
    assert econ.loc["A", "ai_usd_per_grid_mw_year"] == usd(1_200_000)
    assert econ.loc["B", "ai_usd_per_grid_mw_year"] == usd(960_000)
    assert econ.loc["B", "capex_usd_per_grid_mw"] == usd(100_000)
    assert econ.loc["A", "payback_years"] == pytest.approx(100_000 / 637_900, rel=1e-9)
    assert econ.loc["B", "payback_years"] == pytest.approx(100_000 / 397_900, rel=1e-9)


def test_site_values_by_hand(solved):
    table = site_values(solved, EXACT).set_index("site")
    assert table.loc["A", "blocks"] == 1 and table.loc["A", "first_start"] == "2026-01"
    assert table.loc["A", "halls_value_usd"] == usd(594_750)
    assert math.isnan(table.loc["A", "one_more_block_usd"])  # A holds its one block
    assert table.loc["B", "blocks"] == 0
    assert math.isnan(table.loc["B", "halls_value_usd"])
    assert table.loc["B", "one_more_block_usd"] == usd(-600_000)
    assert (table["note"] == "").all()


def test_only_the_sites_asked_for(solved):
    assert list(site_values(solved, EXACT, sites=["B"])["site"]) == ["B"]


def test_a_hall_without_any_plan_is_a_note():
    # a capex budget of 999,999 per period: no hall (1,000,000) can be paid, so the optimum
    # mines only (2,810,500) and "one more block" has no plan at either site: the value is
    # left empty and the note says why.
    raw = load_instance(WHY).raw
    raw["finance"]["capex_budget_usd"] = 999_999
    tight = solve(instance_from_dict(raw), EXACT)
    assert tight.objective_usd == usd(2_810_500)
    table = site_values(tight, EXACT).set_index("site")
    for site in ("A", "B"):
        assert math.isnan(table.loc[site, "one_more_block_usd"])
        assert table.loc[site, "note"].startswith("with one more block: ")


def test_min_blocks_beyond_what_a_site_holds_is_refused():
    with pytest.raises(ValueError, match="site A cannot hold 2 blocks"):
        solve(load_instance(WHY), SolveOptions(min_blocks={"A": 2}))
