"""Numerics (issue 4): a 1 MW site and a 20 GW portfolio, money from thousands to a
trillion USD, solve to optimal without HiGHS numerical warnings; the warning words
match what HiGHS prints; numbers beyond the solver's range are refused clearly.

The scaled instances (``reliability_cases.scaled_instance``) make every quantity
proportional to the MW of a site (grid, blocks, demand, capex, overhead, loans, cash),
so multiplying the MW by k maps plans to plans and multiplies every money line, hence
the optimum, by exactly k: an independent check of the values HiGHS returns at each
scale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from instances import instance_from_dict
from optimizer import SolveOptions, Status, solve

sys.path.append(str(Path(__file__).parents[2]))  # tests/, for reliability_cases

from reliability_cases import scaled_instance, small_instance  # noqa: E402

GAP = 1e-7  # both optima within 1e-7: their ratio within ~2e-7 of the exact k


def solved(raw: dict):
    result = solve(instance_from_dict(raw), SolveOptions(mip_gap=GAP))
    assert result.status is Status.OPTIMAL, result.reason
    assert result.warnings == [], result.warnings
    return result


@pytest.mark.parametrize(
    "small, large, k",
    [
        # one site: 1 MW (overhead 5k$ a quarter, minimum cash 20k$) against 20 GW
        ((1, 1, None, 6), (20_000, 1, None, 6), 20_000),
        # 20 sites: 20 MW with 1 B$ of cash against 20 GW with 1 T$ of cash
        ((1, 20, 1e9, 4), (1_000, 20, 1e12, 4), 1_000),
    ],
)
def test_scaled_portfolios_solve_cleanly(small, large, k) -> None:
    a = solved(scaled_instance(*small))
    b = solved(scaled_instance(*large))
    assert b.objective_usd == pytest.approx(k * a.objective_usd, rel=1e-6)
    # blocks are a tenth of a site at every scale, so the small portfolio's schedule is
    # optimal at the large scale too: fixed there, it is worth k times the small optimum
    # (compared by value: another schedule may tie with it)
    starts = {(r.site, r.start): int(r.blocks) for r in a.retrofits.itertuples()}
    fixed = solve(instance_from_dict(scaled_instance(*large)), SolveOptions(mip_gap=GAP, fixed_starts=starts))
    assert fixed.objective_usd == pytest.approx(b.objective_usd, rel=1e-6)


def test_tenth_of_a_megawatt() -> None:
    a = solved(scaled_instance(1, 1, None, 6))
    b = solved(scaled_instance(0.1, 1, None, 6))
    assert b.objective_usd == pytest.approx(0.1 * a.objective_usd, rel=1e-6)


def test_warning_words_match_highs_output() -> None:
    """A quadrillion dollars of cash (1e9 model units): HiGHS warns about excessively
    large bounds, and the warning reaches the result and the --json output."""
    raw = small_instance()
    raw["finance"]["initial_cash_usd"] = 1e15
    result = solve(instance_from_dict(raw))
    assert result.status is Status.OPTIMAL
    assert any("excessively large bounds" in w for w in result.warnings), result.warnings
    # and at the other end: a 1e-12 MW block makes bounds of ~3e-12 MW
    raw = small_instance()
    raw["sites"][0]["ai"]["block_it_mw"] = 1e-12
    result = solve(instance_from_dict(raw))
    assert result.status is Status.OPTIMAL
    assert any("excessively small bounds" in w for w in result.warnings), result.warnings


def test_numbers_beyond_the_solver_are_refused(tmp_path: Path) -> None:
    """A hashprice of 2.6e16 USD per PH/s-day (revenue ~1.2e20 USD per MW-quarter) made
    HiGHS 1.16 crash; it is now an input error naming the site and the fields."""
    raw = small_instance()
    raw["markets"]["hashprice_usd_per_ph_day"] = 2.6e16
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(raw))
    result = CliRunner().invoke(main, ["solve", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    # Alpha: 1e6 W / pue 1.05 / 20 J/TH = 47,619 TH/s per MW, 91.25 days a quarter
    revenue = 2.6e16 * (1e6 / 1.05 / 20 / 1000) * (365 / 12 * 3)
    assert lines[0].startswith(f'error: sites[0]: mining revenue of {revenue:.3g} USD per MW in 2026-01 at "Alpha"')
    assert "markets.hashprice_usd_per_ph_day" in lines[0]
    api = solve(instance_from_dict(raw))
    assert api.status is Status.ERROR and "numerical range" in api.reason


def test_huge_debt_limit_is_refused_not_misreported() -> None:
    """A 1e17 USD limit used to come back "infeasible" (the same instance with a 5e7
    limit is optimal); it is now refused as out of range."""
    raw = small_instance()
    raw["finance"]["debt"][0]["limit_usd"] = 1e17
    result = solve(instance_from_dict(raw))
    assert result.status is Status.ERROR
    assert result.reason.startswith("finance.debt[0].limit_usd: 1e+17 USD")
