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
from optimizer import SolveOptions, solve
from optimizer.reports.charts import (
    CHARTS,
    chart_mw_by_site,
    draw_charts,
    figure_cash_and_debt,
    figure_ebitda_by_segment,
    figure_mw_by_site,
    tables_from_result,
    yearly_finance,
    yearly_mw,
)
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
    # public_010 with its schedule fixed to none (optimal there: worth the reference
    # optimum), so that the run has no retrofit even if another schedule tied with it
    result = solve(load_instance(REF / "public_010.json"), SolveOptions(fixed_starts={}))
    expected = json.loads((REF / "expected.json").read_text())["public_010.json"]["objective_usd"]
    assert result.objective_usd == pytest.approx(expected, rel=1e-4)
    assert len(result.instance.scenarios) > 1 and len(result.retrofits) == 0
    paths = draw_charts(tables_from_result(result), tmp_path)
    assert len(paths) == len(CHARTS)
    for p in paths:
        _looks_like_a_chart(p)


def _csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype={"period": str, "site": str, "scenario": str})


def _line(ax, label: str) -> np.ndarray:
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return np.asarray(line.get_ydata(), dtype=float)


def _post(values) -> np.ndarray:
    """A step drawn "post" repeats its last value at the horizon's end."""
    v = np.asarray(values, dtype=float)
    return np.append(v, v[-1])


def test_mw_chart_draws_the_allocation_of_each_site(run):
    """Per site panel: the grid line is grid_mw and the stacked layers end at mining +
    AI grid MW + ... as allocation.csv has them (read back from the matplotlib artists)."""
    _result, folder = run
    alloc = _csv(folder, "allocation.csv")
    fig = figure_mw_by_site(load_tables(folder))
    panels = {ax.get_title(loc="left").split()[0]: ax for ax in fig.axes if ax.get_visible() and ax.get_title(loc="left")}
    assert sorted(panels) == sorted(alloc["site"].unique())
    for site, ax in panels.items():
        rows = alloc[alloc["site"] == site].sort_values("period")
        np.testing.assert_allclose(_line(ax, "grid MW available"), _post(rows["grid_mw"]), atol=1e-9)
        # the first layer, mining, starts at 0: its polygon spans 0 .. mine_mw
        (mining,) = [c for c in ax.collections if c.get_label() == "mining"]
        ys = mining.get_paths()[0].vertices[:, 1]
        assert set(np.round(ys, 6)) == set(np.round(np.append(rows["mine_mw"].to_numpy(), 0.0), 6))


def test_many_sites_are_grouped_by_region(run):
    """16 sites (4 copies of the 4): one panel per region, whose grid line is the sum of
    its sites' grid MW (derived here from allocation.csv and the regions of the instance)."""
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
    fig = figure_mw_by_site(tables)
    panels = {ax.get_title(loc="left"): ax for ax in fig.axes if ax.get_visible() and ax.get_title(loc="left")}
    assert sorted(panels) == ["region R1", "region R2"]  # public_007: S0, S3 in R1; S1, S2 in R2
    csv = _csv(folder, "allocation.csv")
    region = {s["name"]: s["region"] for s in json.loads((folder / "instance.json").read_text())["sites"]}
    for name, ax in panels.items():
        mine = csv[csv["site"].map(region) == name.split()[1]]
        grid = 4 * mine.groupby("period")["grid_mw"].sum().sort_index()  # four copies of each site
        np.testing.assert_allclose(_line(ax, "grid MW available"), _post(grid), rtol=1e-12)
    path = Path(folder.parent) / "grouped.png"
    path.write_bytes(chart_mw_by_site(tables))
    _looks_like_a_chart(path)


def test_ebitda_chart_bars_are_the_yearly_sums_of_finance_csv(run):
    _result, folder = run
    fin = _csv(folder, "finance.csv")
    by_year = fin.groupby(fin["period"].str[:4])[["mining_ebitda_usd", "ai_ebitda_usd", "overhead_usd", "ebitda_usd"]].sum()
    (ax,) = figure_ebitda_by_segment(load_tables(folder)).axes
    bars = {c.get_label(): [p.get_height() for p in c.patches] for c in ax.containers}
    np.testing.assert_allclose(bars["mining EBITDA"], by_year["mining_ebitda_usd"], rtol=1e-9)
    np.testing.assert_allclose(bars["AI hosting EBITDA"], by_year["ai_ebitda_usd"], rtol=1e-9)
    np.testing.assert_allclose(bars["overhead (cost)"], -by_year["overhead_usd"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(_line(ax, "total EBITDA"), by_year["ebitda_usd"], rtol=1e-9)
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == list(by_year.index)


def test_cash_chart_follows_finance_csv(run):
    _result, folder = run
    fin = _csv(folder, "finance.csv").sort_values("period")
    (ax,) = figure_cash_and_debt(load_tables(folder)).axes
    np.testing.assert_allclose(_line(ax, "cash"), _post(fin["cash_usd"]), rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(_line(ax, "total debt"), _post(fin["debt_usd"]), rtol=1e-9, atol=1e-6)


def test_a_run_without_plan_draws_nothing(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps({"status": "infeasible", "periods": []}))
    assert draw_charts(load_tables(tmp_path), tmp_path / "charts") == []
