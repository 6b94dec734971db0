"""Every malformed instance ends with exit code 2 and one line on stderr naming the
field (issue 4). The corpus is ``tests/data/bad`` (regenerate it with
``make_corpus.py`` there); ``manifest.json`` maps each file to a substring the line
must contain."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main

BAD = Path(__file__).parents[1] / "data" / "bad"
MANIFEST = json.loads((BAD / "manifest.json").read_text())
sys.path.append(str(Path(__file__).parents[1]))  # tests/, for reliability_cases

from reliability_cases import small_instance  # noqa: E402


HIDDEN_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def run(*args: str):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = CliRunner().invoke(main, list(args))
    # a warning Python shows by default would be one more line on a user's stderr
    shown = [w for w in caught if not issubclass(w.category, HIDDEN_WARNINGS)]
    assert not shown, [f"{w.filename}:{w.lineno}: {w.message}" for w in shown]
    # the CLI ends with sys.exit: any other exception is a crash
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def assert_one_line_error(result, expected: str) -> None:
    err = result.stderr
    assert result.exit_code == 2, (result.exit_code, err, result.stdout)
    assert "Traceback" not in err + result.stdout
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    assert expected in err, (expected, err)


def test_corpus_is_large_enough() -> None:
    assert len(MANIFEST) >= 40
    for name in MANIFEST:
        assert name == "missing_file.json" or (BAD / name).is_file(), name
    assert not (BAD / "missing_file.json").exists()


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_bad_instance_solve(name: str) -> None:
    assert_one_line_error(run("solve", str(BAD / name)), MANIFEST[name])


def test_folder_instead_of_file(tmp_path: Path) -> None:
    assert_one_line_error(run("solve", str(tmp_path)), "is a folder")


def test_unreadable_path(tmp_path: Path) -> None:
    # a file used as a folder: the OS refuses to open it (root reads everything else)
    (tmp_path / "plain").write_text("{}")
    assert_one_line_error(run("solve", str(tmp_path / "plain" / "x.json")), "cannot read")


def test_bad_override_path(tmp_path: Path) -> None:
    path = tmp_path / "small.json"
    path.write_text(json.dumps(small_instance()))
    result = run("solve", str(path), "--set", "sites.Alpha.ai.blok_it_mw=5")
    assert_one_line_error(result, 'did you mean "sites.Alpha.ai.block_it_mw"?')


def test_line_break_in_a_key_stays_on_one_line(tmp_path: Path) -> None:
    raw = small_instance()
    raw["sites"][0]["grid\nmw"] = 5
    path = tmp_path / "newline.json"
    path.write_text(json.dumps(raw))
    assert_one_line_error(run("solve", str(path)), "sites[0].grid\\nmw: unknown key")


def test_out_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "small.json"
    path.write_text(json.dumps(small_instance()))
    (tmp_path / "out").write_text("not a folder")
    assert_one_line_error(run("solve", str(path), "--out", str(tmp_path / "out")), "exists and is not a folder")


def test_validate_lists_every_problem(tmp_path: Path) -> None:
    raw = small_instance()
    raw["sites"][0]["ai"]["block_it_mw"] = -5
    raw["sites"][0]["grid_mw"] = "lots"
    raw["sites"][1]["grid_mw"] = [1, 2]
    raw["sites"][1]["mining"]["pue"] = 0.5
    raw["finance"]["debt"][0]["maturty"] = "2027-01"
    raw["finance"]["min_cash_usd"] = float("nan")
    raw["scenarios"] = [
        {"name": "a", "probability": 0.2, "set": {}},
        {"name": "b", "probability": 0.2, "set": {"sites.Gamma.grid_mw": 1}},
    ]
    path = tmp_path / "several.json"
    path.write_text(json.dumps(raw))
    result = run("validate", str(path))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    expected = [
        "sites[0].grid_mw: must be a number",
        "sites[0].ai.block_it_mw: must be > 0, got -5",
        "sites[1].grid_mw: a list series needs exactly 4 values",
        "sites[1].mining.pue: must be >= 1, got 0.5",
        "finance.min_cash_usd: must be finite, got NaN",
        'finance.debt[0].maturty: unknown key (did you mean "maturity"?)',
        "scenarios: probabilities must sum to 1, got 0.4",
        'scenarios[1].set.sites.Gamma.grid_mw: no entry named "Gamma"',
    ]
    for text in expected:
        assert sum(text in line for line in lines) == 1, (text, lines)
    assert len(lines) == len(expected)
    assert all(line.startswith("error: ") for line in lines)


def test_validate_continues_when_the_horizon_is_bad(tmp_path: Path) -> None:
    raw = small_instance()
    raw["horizon"]["period_months"] = 5
    raw["sites"][1]["grid_mw"] = [50, -1]  # length unknown without a horizon, sign is not
    raw["markets"]["hashprice_usd_per_ph_day"] = {"start": 50, "growth": 0.1}
    path = tmp_path / "horizon.json"
    path.write_text(json.dumps(raw))
    lines = run("validate", str(path)).stderr.splitlines()
    assert len(lines) == 3, lines
    assert "horizon.period_months: must be one of 1, 3, 6, 12, got 5" in lines[0]
    assert any("sites[1].grid_mw: must be >= 0 in every period, got -1" in line for line in lines)
    assert any('markets.hashprice_usd_per_ph_day.growth: unknown key (did you mean "annual_growth"?)' in line for line in lines)


def test_demand_region_without_site_is_a_warning(tmp_path: Path) -> None:
    raw = small_instance()
    raw["markets"]["ai_demand_it_mw"]["NY"] = 10
    path = tmp_path / "region.json"
    path.write_text(json.dumps(raw))
    result = run("validate", str(path))
    assert result.exit_code == 0
    assert 'warning: markets.ai_demand_it_mw.NY: no site is in region "NY"' in result.stderr
    solved = run("solve", str(path), "--json")
    assert solved.exit_code == 0
    assert any("markets.ai_demand_it_mw.NY" in w for w in json.loads(solved.stdout)["warnings"])


def test_reversed_draw_window_is_a_warning(tmp_path: Path) -> None:
    raw = small_instance()
    raw["finance"]["debt"][0].update({"draw_from": "2026-10", "draw_until": "2026-04"})
    path = tmp_path / "window.json"
    path.write_text(json.dumps(raw))
    result = run("validate", str(path))
    assert result.exit_code == 0
    assert 'finance.debt[0].draw_until: before draw_from, so "Loan" can never draw' in result.stderr


def test_small_instance_is_valid(tmp_path: Path) -> None:
    """The base of the corpus is valid: each bad file fails for its one defect."""
    path = tmp_path / "small.json"
    path.write_text(json.dumps(small_instance()))
    result = run("validate", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
