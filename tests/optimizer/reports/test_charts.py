"""Charts drawn from a run folder's CSV tables: four readable PNGs; the yearly
figures they plot agree with the CSVs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from optimizer.runs.folder import write_result
from instances import load_instance
from optimizer import solve
from optimizer.reports.charts import CHARTS, chart_mw_by_site, draw_charts, tables_from_result, yearly_finance, yearly_mw
from optimizer.runs.folder import load_tables

REF = Path(__file__).parents[2] / "data" / "reference"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    result = solve(load_instance(REF / "public_007.json"))
    folder = tmp_path_factory.mktemp("charts") / "run"
    write_result(result, str(folder))
    return result, folder


def _looks_like_a_chart(path: Path) -> None:
    with Image.open(path) as im:
        assert im.format == "PNG"
        width, height = im.size
        assert width >= 800 and height >= 250
        pixels = np.asarray(im.convert("RGB"), dtype=float)
    assert pixels.std() > 10  # not a blank canvas


def test_solve_out_writes_every_chart(run):
    _result, folder = run
    written = sorted(p.name for p in (folder / "charts").iterdir())
    assert written == sorted(f"{name}.png" for name in CHARTS)
    for name in written:
        _looks_like_a_chart(folder / "charts" / name)


def test_charts_redrawn_from_the_csv_tables(run, tmp_path):
    _result, folder = run
    paths = draw_charts(load_tables(folder), tmp_path / "again")
    assert [p.name for p in paths] == [f"{name}.png" for name in CHARTS]
    for p in paths:
        _looks_like_a_chart(p)


def test_yearly_figures_agree_with_the_csvs(run):
    result, folder = run
    tables = load_tables(folder)
    fin = pd.read_csv(folder / "finance.csv", dtype={"period": str, "scenario": str})
    by_year = fin.groupby(fin["period"].str[:4])[["mining_ebitda_usd", "ai_ebitda_usd", "overhead_usd", "ebitda_usd"]].sum()
    got = yearly_finance(tables)
    for col in by_year.columns:
        np.testing.assert_allclose(got[col].to_numpy(), by_year[col].to_numpy(), rtol=1e-9, atol=1e-5)
    alloc = pd.read_csv(folder / "allocation.csv", dtype={"period": str, "site": str, "scenario": str})
    mean = alloc.groupby([alloc["site"], alloc["period"].str[:4]])["ai_it_mw"].mean()
    np.testing.assert_allclose(yearly_mw(tables)["ai_it_mw"].to_numpy(), mean.to_numpy(), atol=1e-6)
    # the Result gives the same tables as the folder
    from_result = yearly_finance(tables_from_result(result))
    np.testing.assert_allclose(from_result["ebitda_usd"].to_numpy(), got["ebitda_usd"].to_numpy(), rtol=1e-9)


def test_stochastic_run_without_retrofits_still_draws(tmp_path):
    result = solve(load_instance(REF / "public_010.json"))
    assert len(result.instance.scenarios) > 1 and len(result.retrofits) == 0
    paths = draw_charts(tables_from_result(result), tmp_path)
    assert len(paths) == len(CHARTS)
    for p in paths:
        _looks_like_a_chart(p)


def test_many_sites_are_grouped_by_region(run, tmp_path):
    _result, folder = run
    tables = load_tables(folder)
    alloc = tables["allocation"]
    copies, raw_sites = [], []
    for k in range(4):  # 16 sites: one panel per region instead
        part = alloc.rename(index=lambda s: f"{s}_{k}" if s.startswith("S") else s, level="site")
        copies.append(part)
    tables["allocation"] = pd.concat(copies)
    for k in range(4):
        raw_sites += [{**s, "name": f"{s['name']}_{k}"} for s in tables["instance"]["sites"]]
    tables["instance"] = {**tables["instance"], "sites": raw_sites}
    path = tmp_path / "mw_by_site.png"
    path.write_bytes(chart_mw_by_site(tables))
    _looks_like_a_chart(path)


def test_a_run_without_plan_draws_nothing(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps({"status": "infeasible", "periods": []}))
    assert draw_charts(load_tables(tmp_path), tmp_path / "charts") == []
