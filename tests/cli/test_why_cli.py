"""``allocate why`` on tests/data/tiny/why.json (numbers derived by hand in
tests/optimizer/test_site_value.py: A's hall is worth 594,750, one hall at B -600,000)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main

WHY = Path(__file__).parent.parent / "data" / "tiny" / "why.json"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_why_json():
    res = invoke("why", WHY, "--json", "--mip-gap", "1e-9")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["objective_usd"] == pytest.approx(3_405_250, abs=0.5)
    rows = {r["site"]: r for r in out["sites"]}
    assert rows["A"]["halls_value_usd"] == pytest.approx(594_750, abs=0.5)
    assert rows["A"]["one_more_block_usd"] is None
    assert rows["B"]["one_more_block_usd"] == pytest.approx(-600_000, abs=0.5)


def test_why_report_and_out(tmp_path: Path):
    out = tmp_path / "why"
    res = invoke("why", WHY, "--mip-gap", "1e-9", "--out", out)
    assert res.exit_code == 0, res.output
    assert "Sites that can host AI halls" in res.stdout and "$595k" in res.stdout and "-$600k" in res.stdout
    assert sorted(p.name for p in out.iterdir()) == ["site_values.csv", "summary.json"]
    assert (out / "site_values.csv").read_text().splitlines()[0].startswith("site,blocks,first_start,")


def test_why_unknown_site_is_one_line_and_exit_2():
    res = invoke("why", WHY, "--site", "C")
    assert res.exit_code == 2
    assert res.output == "error: --site C: not a site that can host AI halls (those are: A, B)\n"


def test_why_without_retrofittable_sites(tmp_path: Path):
    raw = json.loads(WHY.read_text())
    for site in raw["sites"]:
        site["ai"]["eligible"] = False
    path = tmp_path / "no_ai.json"
    path.write_text(json.dumps(raw))
    res = invoke("why", path)
    assert res.exit_code == 0, res.output
    assert "no site can host AI halls" in res.stdout
