"""The override grammar on series (issue 19, point 1): ``*F`` scales, ``+D`` shifts,
``.start``/``.annual_growth``/``.steps`` address a growth series, and a flat number
replacing a time-varying series says so. Every expected value is the base series
resolved independently (``resolved_series`` or the CSV read with pandas) and moved by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from instances import InputError, apply_overrides, default_instance_dict, instance_from_dict, load_default, load_instance
from instances.load import resolved_series
from instances.overrides import describe_series, parse_operator
from optimizer.analyses.sweep import parse_vary

HASH = "markets.hashprice_usd_per_ph_day"
TINY = Path(__file__).parents[1] / "data" / "tiny"


def test_operator_text() -> None:
    assert parse_operator("*0.8") == ("*", 0.8)
    assert parse_operator("+7") == ("+", 7.0)
    assert parse_operator("+-3.5") == ("+", -3.5)
    assert parse_operator(" * 1e-1 ") == ("*", 0.1)
    for plain in (28, "28", "-7", "x*2", "*", "*abc", [1, 2], None):
        assert parse_operator(plain) is None


def test_scale_keeps_growth_and_steps() -> None:
    raw = default_instance_dict()
    base = np.array(resolved_series(raw, HASH, None))
    out = apply_overrides(raw, [(HASH, "*0.8")])
    new = out["markets"]["hashprice_usd_per_ph_day"]
    old = raw["markets"]["hashprice_usd_per_ph_day"]
    assert new == dict(old, start=old["start"] * 0.8)  # still a growth series, halvings kept
    assert np.allclose(resolved_series(out, HASH, None), 0.8 * base, rtol=1e-12)


def test_shift_moves_every_period_into_a_list() -> None:
    raw = default_instance_dict()
    base = np.array(resolved_series(raw, HASH, None))
    out = apply_overrides(raw, [(HASH, "+7")])
    assert isinstance(out["markets"]["hashprice_usd_per_ph_day"], list)
    assert np.allclose(out["markets"]["hashprice_usd_per_ph_day"], base + 7, rtol=0, atol=1e-12)
    lower = apply_overrides(raw, [(HASH, "+-2")])
    assert np.allclose(lower["markets"]["hashprice_usd_per_ph_day"], base - 2, rtol=0, atol=1e-12)


def test_operators_on_numbers_lists_and_maps() -> None:
    raw = default_instance_dict()
    rock = "sites.Rockdale.ai.max_blocks"
    blocks = next(s for s in raw["sites"] if s["name"] == "Rockdale")["ai"]["max_blocks"]
    out = apply_overrides(raw, [(rock, "*2"), ("finance.initial_cash_usd", "+1000000")])
    site = next(s for s in out["sites"] if s["name"] == "Rockdale")
    assert site["ai"]["max_blocks"] == 2 * blocks and isinstance(site["ai"]["max_blocks"], int)
    assert out["finance"]["initial_cash_usd"] == raw["finance"]["initial_cash_usd"] + 1_000_000
    listed = apply_overrides(raw, [(HASH, [10, 20] * 20), (HASH, "*0.5")])
    assert listed["markets"]["hashprice_usd_per_ph_day"] == [5.0, 10.0] * 20
    demand = apply_overrides(raw, [("markets.ai_demand_it_mw", "*2")])["markets"]["ai_demand_it_mw"]
    for region, value in raw["markets"]["ai_demand_it_mw"].items():  # every region doubled
        expected = value * 2 if isinstance(value, (int, float)) else dict(value, start=value["start"] * 2)
        assert demand[region] == expected
    one = apply_overrides(raw, [("markets.ai_demand_it_mw.TVA", "+5")])["markets"]["ai_demand_it_mw"]
    assert one["TVA"] == raw["markets"]["ai_demand_it_mw"]["TVA"] + 5 and one["PNW"] == raw["markets"]["ai_demand_it_mw"]["PNW"]


def test_operators_on_a_csv_series() -> None:
    table = pd.read_csv(TINY / "prices.csv").set_index("period")
    labels = ["2026-01", "2026-04", "2026-07", "2026-10"]  # the horizon of csv_series.json
    inst = load_instance(TINY / "csv_series.json", [(HASH, "*0.5"), ("sites.M.power_price_usd_per_mwh", "+10")])
    assert inst.raw["markets"]["hashprice_usd_per_ph_day"] == [0.5 * table.loc[p, "hashprice"] for p in labels]
    power = inst.site_period.xs("M", level="site")["power_price_usd_per_mwh"].to_numpy()
    assert list(power) == [table.loc[p, "power"] + 10 for p in labels]


def test_growth_keys_are_addressable() -> None:
    raw = default_instance_dict()
    old = raw["markets"]["hashprice_usd_per_ph_day"]
    out = apply_overrides(raw, [(f"{HASH}.start", 30), (f"{HASH}.annual_growth", "*0.5")])
    assert out["markets"]["hashprice_usd_per_ph_day"] == dict(old, start=30, annual_growth=old["annual_growth"] * 0.5)
    flat = apply_overrides(raw, [("markets.ai_demand_it_mw.TVA.annual_growth", 0.1)])
    assert flat["markets"]["ai_demand_it_mw"]["TVA"] == {"start": raw["markets"]["ai_demand_it_mw"]["TVA"], "annual_growth": 0.1}
    no_steps = apply_overrides(raw, [(f"{HASH}.steps", [])])
    assert no_steps["markets"]["hashprice_usd_per_ph_day"]["steps"] == []
    power = apply_overrides(raw, [("sites.Clarington.power_price_usd_per_mwh.start", 40)])
    rock = next(s for s in power["sites"] if s["name"] == "Clarington")["power_price_usd_per_mwh"]
    assert rock["start"] == 40


def test_growth_key_on_a_csv_series_and_operators_on_nothing_are_errors() -> None:
    raw = json.loads((TINY / "csv_series.json").read_text())
    with pytest.raises(InputError, match=r"markets.hashprice_usd_per_ph_day.start: .start applies to a growth series"):
        apply_overrides(raw, [(f"{HASH}.start", 30)])
    with pytest.raises(InputError, match=r"finance.capex_budget_usd: \*2: the field is not set"):
        apply_overrides(raw, [("finance.capex_budget_usd", "*2")])
    with pytest.raises(InputError, match=r'"hashprice_usd_per_ph_day" has no fields \(a series has .start, .annual_growth, .steps\)'):
        apply_overrides(raw, [(f"{HASH}.begin", 1)])


def test_flat_number_over_a_series_warns() -> None:
    inst = load_default([(HASH, 28)])
    assert inst.warnings[0] == "markets.hashprice_usd_per_ph_day: a growing series with 2 steps becomes a flat 28"
    assert load_default([(HASH, "*0.8")]).warnings == load_default().warnings  # an operator keeps the shape: no warning
    notes: list[str] = []
    apply_overrides(default_instance_dict(), [("markets.ai_demand_it_mw.TVA", 50), (HASH, [28] * 40)], warnings=notes)
    assert notes == []  # a number over a number, a list given in full: nothing replaced silently
    assert describe_series([1, 1, 1]) is None and describe_series({"start": 3}) is None
    assert describe_series({"csv": "p.csv", "column": "x"}) == "a CSV series (p.csv, column x)"


def test_scenario_set_takes_operators() -> None:
    raw = default_instance_dict()
    base = np.array(resolved_series(raw, HASH, None))
    raw["scenarios"] = [
        {"name": "low", "probability": 0.5, "set": {HASH: "*0.5"}},
        {"name": "same", "probability": 0.5, "set": {}},
    ]
    inst = instance_from_dict(raw)
    hp = inst.period_data["hashprice_usd_per_ph_day"]
    assert np.allclose(hp.xs("low", level="scenario").to_numpy(), 0.5 * base)
    assert np.allclose(hp.xs("same", level="scenario").to_numpy(), base)


def test_sweep_relative_ranges() -> None:
    assert parse_vary(f"{HASH}=*0.6:1:0.2").values == ("*0.6", "*0.8", "*1.0")
    assert parse_vary(f"{HASH}=+-5:5:5").values == ("+-5", "+0", "+5")
    assert parse_vary(f"{HASH}=*0.8,*0.9").values == ("*0.8", "*0.9")
    with pytest.raises(ValueError, match=r"\*START:STOP:STEP"):
        parse_vary(f"{HASH}=*0.6:1")
