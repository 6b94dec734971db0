"""The analyses on SPEC v2 instances: a smoke test and one value derived independently
for each (why's unit economics on a tiered site by hand; sensitivities, breakeven,
sweeps and value of information against re-solves or the evaluator).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from instances import instance_from_dict, load_instance
from optimizer import SolveOptions, solve
from optimizer.analyses.site_value import unit_economics
from optimizer.evaluator import evaluate

V2 = Path(__file__).resolve().parents[2] / "data" / "reference" / "v2"

# One site, one 12-month period, no discounting: a grid MW mines or is resold per tier.
TIERED = {
    "name": "why_tiers",
    "horizon": {"start": "2027-01", "periods": 1, "period_months": 12},
    "markets": {"hashprice_usd_per_ph_day": 40, "ai_demand_it_mw": {"R": 100}},
    "sites": [{
        "name": "A", "region": "R", "grid_mw": 10,
        "power_price_tiers": [{"hours_fraction": 0.9, "price_usd_per_mwh": 30},
                              {"hours_fraction": 0.1, "price_usd_per_mwh": 300, "resale_usd_per_mwh": 250}],
        "mining": {"efficiency_j_per_th": 25, "pue": 1.0, "opex_usd_per_mw_year": 0},
        "ai": {"block_it_mw": 5, "max_blocks": 1, "capex_usd_per_it_mw": 1e6, "lead_periods": 1, "pue": 1.25,
               "lease_usd_per_kw_month": 100, "opex_usd_per_it_mw_year": 0},
    }],
    "finance": {"discount_rate_annual": 0.0},
}


def test_why_mining_margin_on_a_tiered_site_by_hand():
    # a grid MW: 1e6 / 1.0 / 25 = 40,000 TH/s = 40 PH/s, earning 40 x 40 x 365 = 584,000 a year
    # tier 0 (90% of 8,760 h = 7,884 h at 30): 0.9 x 584,000 - 7,884 x 30 = 525,600 - 236,520 = 289,080
    # tier 1 (876 h at 300): mining 58,400 - 262,800 = -204,400 < resale 876 x 250 = 219,000
    # kept from the halls, the MW earns 289,080 + 219,000 = 508,080 a year
    # (the hours-weighted price 57 would give 584,000 - 8,760 x 57 = 84,680)
    econ = unit_economics(instance_from_dict(copy.deepcopy(TIERED)))
    assert econ.at["A", "mining_usd_per_grid_mw_year"] == pytest.approx(508_080.0, rel=1e-9)
    # AI: 1,000 x 100 x 12 = 1,200,000 per IT MW a year, / pue 1.25 = 960,000 per grid MW
    assert econ.at["A", "ai_usd_per_grid_mw_year"] == pytest.approx(960_000.0, rel=1e-9)
    # payback: capex 1e6 / 1.25 = 800,000 per grid MW over (960,000 - 508,080) = 1.77018...
    assert econ.at["A", "payback_years"] == pytest.approx(800_000.0 / (960_000.0 - 508_080.0), rel=1e-9)


def test_why_plain_priced_site_unchanged():
    # one tier of fraction 1 without resale is a plain price: 584,000 - 8,760 x 30 = 321,200
    raw = copy.deepcopy(TIERED)
    site = raw["sites"][0]
    del site["power_price_tiers"]
    site["power_price_usd_per_mwh"] = 30
    econ = unit_economics(instance_from_dict(raw))
    assert econ.at["A", "mining_usd_per_grid_mw_year"] == pytest.approx(321_200.0, rel=1e-9)


# --------------------------------------------------------------------------- sensitivities


def _grid_plus(raw: dict, site: str, delta: float) -> dict:
    """``raw`` with ``delta`` more grid MW at ``site`` in every period, its fleet size and
    racks pinned to what they were (they default to the largest grid)."""
    out = copy.deepcopy(raw)
    s = next(x for x in out["sites"] if x["name"] == site)
    grid = s["grid_mw"]
    top = max(grid) if isinstance(grid, list) else grid
    if "mining" in s:
        s["mining"].setdefault("max_mw", top)
        s["mining"].setdefault("rack_mw", max(s["mining"]["max_mw"], top))
    s["grid_mw"] = [g + delta for g in grid] if isinstance(grid, list) else grid + delta
    return out


@pytest.mark.parametrize("case, site", [("public_v2_001", "S2"),
                                        ("public_v2_005", "S0"), ("public_v2_007", "S1")])
def test_grid_mw_marginal_value_with_resale_brackets_the_finite_differences(case, site):
    # the schedule held, the NPV is the optimum of an LP in the grid MW: concave, so the
    # dual value lies between the right and the left difference quotients
    raw = json_raw(case)
    pinned = _grid_plus(raw, site, 0.0)
    result = solve(instance_from_dict(pinned, base_dir=V2), SolveOptions(mip_gap=1e-9, sensitivities=True))
    assert result.has_plan
    sens = result.sensitivities
    row = sens[(sens["kind"] == "grid_mw") & (sens["name"] == site) & (sens["period"] == "all")]
    dual = float(row["value_usd"].iloc[0]) if len(row) else 0.0
    starts = {(r.site, r.start): int(r.blocks) for r in result.retrofits.itertuples()}
    options = SolveOptions(mip_gap=1e-9, sensitivities=False, fixed_starts=starts)
    delta = 1e-3
    up = solve(instance_from_dict(_grid_plus(raw, site, delta), base_dir=V2), options).objective_usd
    down = solve(instance_from_dict(_grid_plus(raw, site, -delta), base_dir=V2), options).objective_usd
    base = solve(instance_from_dict(pinned, base_dir=V2), options).objective_usd
    tol = 1e-4 * abs(dual) + 1.0
    assert (up - base) / delta <= dual + tol
    assert (base - down) / delta >= dual - tol


def json_raw(case: str) -> dict:
    import json

    return json.loads((V2 / f"{case}.json").read_text())


# --------------------------------------------------------------------------- sweep, breakeven, compare


SWEEP_CASE = "public_v2_005"  # 2 ASIC models, tiers with resale at 2 sites, prepayments


def test_sweep_over_an_asic_price_matches_fresh_solves():
    from instances import set_path
    from optimizer.analyses.sweep import Vary, grid, run_sweep

    raw = json_raw(SWEEP_CASE)
    path = "markets.asic_models.G1.price_usd_per_th"
    values = [2.0, 14.0, 60.0]
    rows = run_sweep(raw, grid([Vary(path, values)]), base_dir=V2, options=SolveOptions(mip_gap=1e-9))
    npvs = []
    for value, npv in zip(values, rows["npv_usd"]):
        one = copy.deepcopy(raw)
        set_path(one, path, value)
        fresh = solve(instance_from_dict(one, base_dir=V2), SolveOptions(mip_gap=1e-9, sensitivities=False))
        assert npv == pytest.approx(fresh.objective_usd, rel=1e-6)
        npvs.append(npv)
    # dearer machines can only take options away: the NPV never rises with the price
    assert npvs[0] >= npvs[1] - 1e-6 * abs(npvs[1]) and npvs[1] >= npvs[2] - 1e-6 * abs(npvs[2])


def test_breakeven_on_a_resale_price_brackets_a_change_fresh_solves_confirm():
    from instances import set_path
    from instances.load import resolved_series
    from optimizer.analyses.breakeven import breakeven

    raw = json_raw(SWEEP_CASE)
    path = "sites.S0.power_price_tiers.1.resale_usd_per_mwh"
    found = breakeven(raw, path, "S0", low=0.0, high=40.0, base_dir=V2, options=SolveOptions(mip_gap=1e-9))
    assert found.mode == "scale"  # a series: each probe scales it by its value
    series = resolved_series(raw, path, V2)
    for probe in (found.low, found.high):
        one = copy.deepcopy(raw)
        set_path(one, path, [probe.value * v for v in series])
        fresh = solve(instance_from_dict(one, base_dir=V2), SolveOptions(mip_gap=1e-9, sensitivities=False))
        starts = [r.start for r in fresh.retrofits.itertuples() if r.site == "S0"] if fresh.has_plan else []
        assert probe.first_start == (min(starts) if starts else None)
        assert probe.npv_usd == pytest.approx(fresh.objective_usd, rel=1e-6)
    if found.found:
        assert found.low.state != found.high.state


def test_compare_two_v2_runs(tmp_path):
    from instances import set_path
    from optimizer.runs.compare import compare_runs
    from optimizer.runs.folder import write_result

    raw = json_raw(SWEEP_CASE)
    a = solve(instance_from_dict(raw, base_dir=V2), SolveOptions(mip_gap=1e-9))
    other = copy.deepcopy(raw)
    set_path(other, "markets.asic_models.G1.price_usd_per_th", 60.0)
    b = solve(instance_from_dict(other, base_dir=V2), SolveOptions(mip_gap=1e-9))
    write_result(a, str(tmp_path / "a"))
    write_result(b, str(tmp_path / "b"))
    out = compare_runs(tmp_path / "a", tmp_path / "b")
    assert out["npv"]["change_usd"] == pytest.approx(b.objective_usd - a.objective_usd, rel=1e-9, abs=1e-3)
    assert any("asic_models" in c["path"] for c in out["inputs"])


# --------------------------------------------------------------------------- scenarios, value of information


def test_value_of_information_on_a_v2_case_matches_each_scenario_alone():
    from instances.scenarios import restrict_to_scenario
    from optimizer.analyses.value_of_information import value_of_information

    inst = load_instance(V2 / "public_v2_009.json")  # 2 scenarios, all three v2 levers
    voi = value_of_information(inst, SolveOptions(mip_gap=1e-9))
    probability = inst.scenarios["probability"]
    ws = 0.0
    for w, p in probability.items():
        alone = solve(restrict_to_scenario(inst, w), SolveOptions(mip_gap=1e-9, sensitivities=False))
        assert voi.per_scenario_usd[w] == pytest.approx(alone.objective_usd, rel=1e-6)
        ws += p * alone.objective_usd
    assert voi.wait_and_see_usd == pytest.approx(ws, rel=1e-6)
    # perfect information and the stochastic solution are worth at least nothing
    assert voi.evpi_usd >= -1e-6 * abs(ws)
    # the mean scenario's schedule, held in the stochastic problem: VSS = RP - EEV, or no
    # VSS when that schedule cannot be financed in some scenario
    eev = solve(inst, SolveOptions(mip_gap=1e-9, sensitivities=False, fixed_starts=dict(voi.ev_starts)))
    if eev.has_plan:
        assert voi.vss_usd == pytest.approx(voi.stochastic_usd - eev.objective_usd, rel=1e-6, abs=1e-3)
        assert voi.vss_usd >= -1e-6 * abs(ws)
    else:
        assert voi.vss_usd is None and any("VSS not available" in n for n in voi.notes)


def test_generated_scenarios_on_a_v2_instance_keep_the_levers():
    from instances.scenario_gen import generate_scenarios

    raw = json_raw(SWEEP_CASE)
    out, _paths = generate_scenarios(raw, paths=20, seed=3, reduce=3)
    inst = instance_from_dict(out, base_dir=V2)
    assert len(inst.scenarios) == 3
    assert inst.scenarios["probability"].sum() == pytest.approx(1.0)
    assert inst.is_v2 and inst.has_asic_models
    result = solve(inst, SolveOptions(mip_gap=1e-6, sensitivities=False))
    assert result.has_plan
    ev = evaluate(inst, result.plan)
    assert ev.feasible and ev.objective_usd == pytest.approx(result.objective_usd, rel=1e-6)
