"""SPEC v2 fields (sections 8-10) resolve into the instance tables with their defaults,
and scenario overrides reach them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from instances import InputError, instance_from_dict, valid_paths
from instances.prices import field_kind

sys.path.append(str(Path(__file__).parents[1]))  # tests/, for reliability_cases

from reliability_cases import small_instance  # noqa: E402

ASIC = {"name": "S21XP", "efficiency_j_per_th": 13.5, "price_usd_per_th": [16, 15, 14, 13], "available_from": "2026-02", "available_until": "2026-07"}
TIERS = [{"hours_fraction": 0.9, "price_usd_per_mwh": 30}, {"hours_fraction": 0.1, "price_usd_per_mwh": 300, "resale_usd_per_mwh": 250}]


def v2_raw() -> dict:
    raw = small_instance()
    raw["markets"]["asic_models"] = [dict(ASIC)]
    alpha = raw["sites"][0]
    del alpha["power_price_usd_per_mwh"]
    alpha["power_price_tiers"] = [dict(t) for t in TIERS]
    alpha["ai"].update(prepayment_usd_per_it_mw=2e6, prepayment_credit_periods=4, leased_on_completion=True)
    raw["sites"][1]["mining"]["rack_mw"] = 80
    return raw


def test_v1_instance_has_one_tier_per_site_and_no_models() -> None:
    inst = instance_from_dict(small_instance())
    assert not inst.is_v2 and not inst.has_asic_models and inst.asic_model_names == []
    tiers = inst.power_tiers
    assert sorted(set(tiers.index.get_level_values("tier"))) == [0]
    assert (tiers["hours_fraction"] == 1.0).all() and (tiers["resale_usd_per_mwh"] == 0.0).all()
    # tier 0's price is the plain price: 40 at Alpha, 35 at Beta
    assert tiers.xs(("base", "Alpha", 0), level=["scenario", "site", "tier"])["price_usd_per_mwh"].tolist() == [40.0] * 4
    v2 = inst.site_params_v2
    # Beta's grid is [50, 50, 60, 60]: max_mw and so rack_mw default to 60
    assert v2.at[("base", "Beta"), "rack_mw"] == 60.0
    assert v2.at[("base", "Alpha"), "prepayment_credit_periods"] == 0
    assert not v2["leased_on_completion"].any() and not v2["tiered"].any()


def test_v2_fields_resolve() -> None:
    inst = instance_from_dict(v2_raw())
    assert inst.is_v2 and inst.has_asic_models and inst.has_tiers and inst.has_tenant_contracts
    assert inst.asic_model_names == ["S21XP"]
    # periods start 2026-01, -04, -07, -10: from 2026-02 selects 2026-04 (t=1); until
    # 2026-07 keeps the periods starting at or before it (t <= 2)
    assert inst.asic_models.loc[("base", "S21XP")].tolist() == [13.5, 1, 2]
    assert inst.asic_model_period["available"].tolist() == [False, True, True, False]
    assert inst.asic_model_period["price_usd_per_th"].tolist() == [16.0, 15.0, 14.0, 13.0]
    v2 = inst.site_params_v2
    assert v2.at[("base", "Beta"), "rack_mw"] == 80.0
    assert v2.at[("base", "Alpha"), "prepayment_usd_per_it_mw"] == 2e6
    assert v2.at[("base", "Alpha"), "prepayment_credit_periods"] == 4
    assert bool(v2.at[("base", "Alpha"), "leased_on_completion"]) and bool(v2.at[("base", "Alpha"), "tiered"])
    # hours-weighted price: 0.9 * 30 + 0.1 * 300 = 57
    assert inst.site_period.loc[("base", "Alpha", "2026-01"), "power_price_usd_per_mwh"] == pytest.approx(57.0)
    dear = inst.power_tiers.xs(("base", "Alpha", 1), level=["scenario", "site", "tier"])
    assert dear["resale_usd_per_mwh"].tolist() == [250.0] * 4 and dear["hours_fraction"].tolist() == [0.1] * 4


def test_scenario_overrides_reach_models_and_tiers() -> None:
    raw = v2_raw()
    raw["scenarios"] = [
        {"name": "cheap", "probability": 0.5, "set": {"markets.asic_models.S21XP.price_usd_per_th": 9, "sites.Alpha.power_price_tiers.1.resale_usd_per_mwh": 100}},
        {"name": "three", "probability": 0.5, "set": {"sites.Alpha.power_price_tiers": [{"hours_fraction": 0.5, "price_usd_per_mwh": 20}, {"hours_fraction": 0.3, "price_usd_per_mwh": 40}, {"hours_fraction": 0.2, "price_usd_per_mwh": 100}]}},
    ]
    inst = instance_from_dict(raw)
    assert inst.asic_model_period.xs("cheap", level="scenario")["price_usd_per_th"].tolist() == [9.0] * 4
    assert inst.asic_model_period.xs("three", level="scenario")["price_usd_per_th"].tolist() == [16.0, 15.0, 14.0, 13.0]
    cheap = inst.power_tiers.xs(("cheap", "Alpha", 1), level=["scenario", "site", "tier"])
    assert cheap["resale_usd_per_mwh"].tolist() == [100.0] * 4
    three = inst.power_tiers.xs(("three", "Alpha"), level=["scenario", "site"])
    assert sorted(set(three.index.get_level_values("tier"))) == [0, 1, 2]
    # 0.5 * 20 + 0.3 * 40 + 0.2 * 100 = 42
    assert inst.site_period.loc[("three", "Alpha", "2026-04"), "power_price_usd_per_mwh"] == pytest.approx(42.0)


def test_override_paths_of_v2_fields() -> None:
    raw = v2_raw()
    paths = valid_paths(raw)
    for path in ("markets.asic_models.S21XP.price_usd_per_th", "sites.Alpha.power_price_tiers", "sites.Alpha.power_price_tiers.1.resale_usd_per_mwh", "sites.Beta.mining.rack_mw", "sites.Alpha.ai.prepayment_usd_per_it_mw"):
        assert path in paths, path
    assert field_kind("sites.Alpha.power_price_tiers.0.price_usd_per_mwh") == "series"
    assert field_kind("markets.asic_models.S21XP.price_usd_per_th") == "series"


def test_every_scenario_is_checked() -> None:
    raw = v2_raw()
    raw["scenarios"] = [
        {"name": "a", "probability": 0.5, "set": {"sites.Beta.mining.max_mw": 90}},
        {"name": "b", "probability": 0.5, "set": {}},
    ]
    with pytest.raises(InputError, match=r"scenarios\[0\] \(a\): sites\[1\].mining.rack_mw: must be >= mining.max_mw \(90\), got 80"):
        instance_from_dict(raw)


def test_get_path_reads_a_price_tier_by_position() -> None:
    from instances.overrides import get_path

    raw = {"sites": [{"name": "A", "power_price_tiers": [{"hours_fraction": 0.9, "price_usd_per_mwh": 30},
                                                          {"hours_fraction": 0.1, "resale_usd_per_mwh": 250}]}]}
    assert get_path(raw, "sites.A.power_price_tiers.1.resale_usd_per_mwh") == 250
    assert get_path(raw, "sites.A.power_price_tiers.0.price_usd_per_mwh") == 30
    assert get_path(raw, "sites.A.power_price_tiers.2.price_usd_per_mwh") is None
    assert get_path(raw, "sites.A.power_price_tiers.x.price_usd_per_mwh") is None
