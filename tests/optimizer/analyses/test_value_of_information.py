"""EVPI and VSS (issue 7, item 4) on two-scenario cases solved by hand.

Case 1 (one quarter, discount 0), site A: 10 grid MW mining at pue 1, 20 J/TH = 500 PH/s,
power 100 USD/MWh: cost 10 * 2190 * 100 = 2,190,000 a quarter; revenue hashprice * 45,625.
Or one AI block taking the whole grid (10 IT MW, lead 0, capex 150,000 per IT MW =
1,500,000, lease 100 USD/kW-month = 3,000,000): 1,500,000 in every scenario.
  good (p 0.5) hashprice 120: mining 5,475,000 - 2,190,000 = 3,285,000
  bad  (p 0.5) hashprice  20: mining   912,500 - 2,190,000 < 0 -> mine nothing: 0
- RP: mine 0.5 * 3,285,000 = 1,642,500 vs retrofit 1,500,000 -> mine, RP = 1,642,500
- WS: good alone mines 3,285,000; bad alone retrofits 1,500,000 -> WS = 2,392,500
  EVPI = 2,392,500 - 1,642,500 = 750,000
- EV: hashprice 70: mining 3,193,750 - 2,190,000 = 1,003,750 < 1,500,000 -> retrofit;
  EEV = the retrofit in both scenarios = 1,500,000; VSS = 1,642,500 - 1,500,000 = 142,500

Case 2: the EV plan cannot be funded in one scenario. Site A as above but power free:
mining 20 * 45,625 = 912,500 in both scenarios; the block costs 1,000,000 (100,000 per
IT MW); leases differ: s1 190 USD/kW-month (5,700,000), s2 10 (300,000); no cash, no debt.
- EV: lease 100 -> 3,000,000 - 1,000,000 = 2,000,000 > 912,500 -> retrofit; but in s2 the
  quarter's cash would be 300,000 - 1,000,000 < 0: infeasible, so no EEV and no VSS
- RP: the retrofit is infeasible in s2, so mine: 912,500
- WS: s1 retrofits 4,700,000, s2 mines 912,500: 2,806,250; EVPI = 1,893,750
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli.main import main
from instances import instance_from_dict
from optimizer import SolveOptions
from instances.scenarios import expected_value_instance, restrict_to_scenario
from optimizer.analyses.value_of_information import value_of_information

TIGHT = SolveOptions(mip_gap=1e-9)


def usd(x):
    return pytest.approx(x, rel=1e-9, abs=0.5)


def site(power=100, capex=150_000) -> dict:
    return {
        "name": "A",
        "region": "R",
        "grid_mw": 10,
        "power_price_usd_per_mwh": power,
        "mining": {"efficiency_j_per_th": 20, "pue": 1.0},
        "ai": {"block_it_mw": 10, "max_blocks": 1, "capex_usd_per_it_mw": capex, "lead_periods": 0, "pue": 1.0, "lease_usd_per_kw_month": 100},
    }


def instance(sites, hashprice, scenarios) -> dict:
    return {
        "name": "voi",
        "horizon": {"start": "2026-01", "periods": 1, "period_months": 3},
        "markets": {"hashprice_usd_per_ph_day": hashprice},
        "sites": sites,
        "finance": {"discount_rate_annual": 0.0},
        "scenarios": scenarios,
    }


def case1() -> dict:
    return instance([site()], 70, [
        {"name": "good", "probability": 0.5, "set": {"markets.hashprice_usd_per_ph_day": 120}},
        {"name": "bad", "probability": 0.5, "set": {"markets.hashprice_usd_per_ph_day": 20}},
    ])


def case2() -> dict:
    return instance([site(power=0, capex=100_000)], 20, [
        {"name": "s1", "probability": 0.5, "set": {"sites.A.ai.lease_usd_per_kw_month": 190}},
        {"name": "s2", "probability": 0.5, "set": {"sites.A.ai.lease_usd_per_kw_month": 10}},
    ])


def test_evpi_and_vss_by_hand():
    v = value_of_information(instance_from_dict(case1()), TIGHT)
    assert v.stochastic_usd == usd(1_642_500)
    assert v.per_scenario_usd == {"good": usd(3_285_000), "bad": usd(1_500_000)}
    assert v.wait_and_see_usd == usd(2_392_500)
    assert v.evpi_usd == usd(750_000)
    assert v.expected_value_usd == usd(1_500_000)
    assert v.ev_starts == {("A", "2026-01"): 1}
    assert v.eev_usd == usd(1_500_000)
    assert v.vss_usd == usd(142_500)
    assert v.notes == []


def test_vss_not_available_when_the_mean_plan_is_infeasible():
    v = value_of_information(instance_from_dict(case2()), TIGHT)
    assert v.stochastic_usd == usd(912_500)
    assert v.wait_and_see_usd == usd(2_806_250)
    assert v.evpi_usd == usd(1_893_750)
    assert v.ev_starts == {("A", "2026-01"): 1}
    assert v.eev_usd is None and v.vss_usd is None
    assert any("infeasible in at least one scenario" in n for n in v.notes)


def test_expected_value_instance_averages_every_scenario_number():
    inst = instance_from_dict(case2())
    ev = expected_value_instance(inst)
    assert ev.scenario_names == ["expected"]
    assert ev.scenarios.at["expected", "probability"] == 1.0
    # lease (190 + 10) / 2 = 100; hashprice the same 20 in both
    assert ev.site_period.loc[("expected", "A", "2026-01"), "lease_usd_per_kw_month"] == pytest.approx(100)
    assert ev.period_data.loc[("expected", "2026-01"), "hashprice_usd_per_ph_day"] == pytest.approx(20)
    alone = restrict_to_scenario(inst, "s2")
    assert alone.scenario_names == ["s2"]
    assert alone.scenarios.at["s2", "probability"] == 1.0
    assert alone.site_period.loc[("s2", "A", "2026-01"), "lease_usd_per_kw_month"] == pytest.approx(10)


def test_risk_setting_is_ignored_for_the_value_of_information():
    raw = case1()
    raw["risk"] = {"cvar_alpha": 0.5, "weight": 1.0}
    v = value_of_information(instance_from_dict(raw), TIGHT)
    assert v.evpi_usd == usd(750_000) and v.vss_usd == usd(142_500)
    assert any("risk neutral" in n for n in v.notes)


def test_solve_flag_reports_value_of_information(tmp_path):
    path = tmp_path / "voi.json"
    path.write_text(json.dumps(case1()))
    runner = CliRunner()
    res = runner.invoke(main, ["solve", str(path), "--value-of-information", "--json", "--mip-gap", "1e-9"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)["value_of_information"]
    assert out["evpi_usd"] == usd(750_000)
    assert out["vss_usd"] == usd(142_500)
    assert out["ev_starts"] == [{"site": "A", "start": "2026-01", "blocks": 1}]
    res = runner.invoke(main, ["solve", str(path), "--value-of-information", "--mip-gap", "1e-9", "--quiet"])
    assert res.exit_code == 0, res.output
    assert "EVPI = WS - RP               $750k" in res.output
    assert "VSS = RP - EEV               $142k" in res.output
    # without the flag: no extra solves, no key
    res = runner.invoke(main, ["solve", str(path), "--json"])
    assert "value_of_information" not in json.loads(res.output)
