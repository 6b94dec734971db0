"""Hashprice scenario generation (issue 7, item 3): formula, halvings, determinism,
reduction and the ``allocate scenarios`` command."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import main
from instances import InputError, instance_from_dict
from instances.scenario_gen import DEFAULTS, generate_scenarios, hashprice, k_medoids, reduce_paths, simulate


def base_instance(periods=8, months=3, start="2026-10", **model) -> dict:
    raw = {
        "name": "gen",
        "horizon": {"start": start, "periods": periods, "period_months": months},
        "markets": {"hashprice_usd_per_ph_day": 30},
        "sites": [{"name": "M", "region": "R", "grid_mw": 10, "power_price_usd_per_mwh": 40, "mining": {"efficiency_j_per_th": 20}}],
        "finance": {"discount_rate_annual": 0.1},
    }
    if model:
        raw["scenario_model"] = model
    return raw


# --------------------------------------------------------------------------- formula


def test_hashprice_formula_matches_public_facts_points():
    # public-facts 3.1: BTC 91k, difficulty 152T, subsidy 3.125 + 1 % fees:
    # 91,000 * 86,400 * 1e15 * 3.125 * 1.01 / (152e12 * 2^32)
    # = 91,000 * 86,400 = 7.8624e9; * 3.15625 = 2.48157e10; * 1e15 = 2.48157e25
    # / (152e12 * 4.294967296e9 = 6.52835e23) = 38.01  (reported: 38.2)
    assert hashprice(91_000, 152e12, 3.125, 0.01) == pytest.approx(38.01, abs=0.01)
    assert hashprice(91_000, 152e12, 3.125, 0.01) == pytest.approx(38.2, rel=0.05)
    # BTC 104.6k, 108.5T: 104,600 * 86,400 * 3.15625e15 / (108.5e12 * 2^32) = 61.21 (reported 61.95)
    assert hashprice(104_600, 108.5e12, 3.125, 0.01) == pytest.approx(61.21, abs=0.01)
    # the defaults give the ~32 USD/PH/day of August 2026 (public-facts 3.1):
    # 65,000 * 86,400 * 3.15625e15 / (126.23e12 * 2^32) = 32.69
    d = {k: v[0] for k, v in DEFAULTS.items()}
    assert hashprice(d["btc_price_usd"], d["difficulty"], d["block_subsidy_btc"], d["fee_share_of_subsidy"]) == pytest.approx(32.69, abs=0.01)


FLAT = dict(btc_volatility_annual=0.0, btc_growth_annual=0.0, difficulty_trend_annual=0.0, difficulty_step_at_halving=0.0)


def test_halving_halves_the_hashprice_from_its_month():
    # no randomness, no growth: the hashprice is flat until April 2028, then half
    sim = simulate("2028-01", 2, 3, 1, seed=0, params=FLAT)
    full = hashprice(65_000, 126.23e12, 3.125, 0.01)
    assert sim.hashprice[0].tolist() == pytest.approx([full, full / 2])
    # a year-long period 2028-01..2028-12 averages 3 months at full and 9 at half: 0.625
    year = simulate("2028-01", 1, 12, 1, seed=0, params=FLAT)
    assert year.hashprice[0, 0] == pytest.approx(full * (3 + 9 * 0.5) / 12)
    # halvings every 4 years: the 2032-04 one halves again
    later = simulate("2032-01", 2, 3, 1, seed=0, params=FLAT)
    assert later.hashprice[0].tolist() == pytest.approx([full / 2, full / 4])


def test_difficulty_step_at_halving():
    # a -5 % difficulty step with the halving: hashprice * 0.5 / 0.95
    sim = simulate("2028-01", 2, 3, 1, seed=0, params=dict(FLAT, difficulty_step_at_halving=-0.05))
    full = hashprice(65_000, 126.23e12, 3.125, 0.01)
    assert sim.hashprice[0, 1] == pytest.approx(full * 0.5 / 0.95)


def test_deterministic_growth_path():
    # sigma 0: P = P0 (1+g)^tau, D = D0 (1+d)^tau (P/P0)^e at tau = (k + 0.5)/12 for month k.
    # monthly periods, g = 20 %, d = 10 %, e = 0.5: hashprice ~ (1.2^(1-0.5) / 1.1)^tau
    params = dict(btc_volatility_annual=0.0, btc_growth_annual=0.2, difficulty_trend_annual=0.1,
                  difficulty_price_elasticity=0.5, next_halving="2040-04")
    sim = simulate("2026-10", 12, 1, 1, seed=0, params=params)
    full = hashprice(65_000, 126.23e12, 3.125, 0.01)
    for k in (0, 5, 11):
        tau = (k + 0.5) / 12
        assert sim.hashprice[0, k] == pytest.approx(full * (1.2**0.5 / 1.1) ** tau, rel=1e-12)
        assert sim.price[0, k] == pytest.approx(65_000 * 1.2**tau, rel=1e-12)


def test_gbm_mean_grows_at_the_expected_rate():
    # E[P(tau)] = P0 (1+g)^tau; 40,000 paths, last month of 3 years: tau = 35.5/12
    sim = simulate("2026-10", 12, 3, 40_000, seed=11)
    tau = 35.5 / 12
    expected = 65_000 * 1.2**tau
    # standard error of the mean: P0 (1+g)^tau sqrt(exp(sigma^2 tau) - 1) / sqrt(n)
    se = expected * np.sqrt(np.exp(0.25 * tau) - 1) / np.sqrt(40_000)
    assert abs(sim.price[:, -1].mean() - expected) < 4 * se
    # the log price's standard deviation is sigma sqrt(tau)
    assert np.log(sim.price[:, -1]).std() == pytest.approx(0.5 * np.sqrt(tau), rel=0.02)


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_scenarios_other_seed_other_scenarios():
    a, _ = generate_scenarios(base_instance(), 30, seed=5)
    b, _ = generate_scenarios(base_instance(), 30, seed=5)
    c, _ = generate_scenarios(base_instance(), 30, seed=6)
    assert json.dumps(a) == json.dumps(b)
    assert json.dumps(a) != json.dumps(c)
    ra, _ = generate_scenarios(base_instance(), 30, seed=5, reduce=4)
    rb, _ = generate_scenarios(base_instance(), 30, seed=5, reduce=4)
    assert json.dumps(ra) == json.dumps(rb)


def test_generated_instance_is_valid_with_equal_probabilities():
    raw, sim = generate_scenarios(base_instance(), 25, seed=1)
    inst = instance_from_dict(raw)
    assert len(inst.scenario_names) == 25
    assert inst.scenarios["probability"].to_numpy() == pytest.approx(np.full(25, 1 / 25))
    # each scenario's hashprice is its path, period by period
    hp = inst.period_data["hashprice_usd_per_ph_day"].unstack("period").loc[inst.scenario_names].to_numpy()
    assert hp == pytest.approx(sim.hashprice, abs=1e-6)
    assert raw["scenario_model"]["btc_price_usd"] == 65_000.0


# --------------------------------------------------------------------------- reduction


def test_k_medoids_by_hand():
    # two clear groups on a line; the medoid of {0, 1, 2} is 1 and of {10, 11, 12} is 11
    x = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]])
    medoids, labels = k_medoids(x, 2)
    assert sorted(x[medoids, 0].tolist()) == [1.0, 11.0]
    assert labels.tolist() in ([0, 0, 0, 1, 1, 1], [1, 1, 1, 0, 0, 0])
    assert [p for _, p in reduce_paths(x, 2)] == [0.5, 0.5]
    # unequal groups: 4 points near 0, 1 at 10 -> probabilities 0.8 and 0.2. The medoid of
    # {0, 0.5, 1, 1.5} is 0.5 or 1 (total distance 2 each; the first, 0.5, is kept): total 2.
    # (The quantile start alone, medoids 0.5 and 1.5, stops at {0, 0.5, 1} + {1.5, 10}, total
    # 1 + 8.5 = 9.5: the k-means++ restarts find the better clustering.)
    y = np.array([[0.0], [0.5], [1.0], [1.5], [10.0]])
    assert [(int(i), p) for i, p in reduce_paths(y, 2)] == [(1, 0.8), (4, 0.2)]


def test_reduction_keeps_k_medoid_paths_with_cluster_shares():
    full, sim = generate_scenarios(base_instance(), 60, seed=2)
    reduced, _ = generate_scenarios(base_instance(), 60, seed=2, reduce=5)
    scen = reduced["scenarios"]
    assert len(scen) == 5
    assert sum(s["probability"] for s in scen) == pytest.approx(1.0, abs=1e-12)
    paths = {s["name"]: s["set"]["markets.hashprice_usd_per_ph_day"] for s in full["scenarios"]}
    for s in scen:
        # a medoid is one of the simulated paths, its probability a multiple of 1/60
        assert s["set"]["markets.hashprice_usd_per_ph_day"] == paths[s["name"]]
        assert round(s["probability"] * 60) == pytest.approx(s["probability"] * 60, abs=1e-9)
    instance_from_dict(reduced)  # valid
    # K >= N keeps every path
    same, _ = generate_scenarios(base_instance(), 6, seed=2, reduce=10)
    assert len(same["scenarios"]) == 6


# --------------------------------------------------------------------------- command and schema


def test_scenarios_command_writes_a_valid_deterministic_instance(tmp_path):
    src = tmp_path / "base.json"
    src.write_text(json.dumps(base_instance(btc_volatility_annual=0.6)))
    runner = CliRunner()
    outs = []
    for name in ("a.json", "b.json"):
        res = runner.invoke(main, ["scenarios", str(src), "--paths", "40", "--seed", "9", "--reduce", "6", "-o", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        outs.append((tmp_path / name).read_text())
    assert outs[0] == outs[1]
    raw = json.loads(outs[0])
    assert len(raw["scenarios"]) == 6
    assert raw["scenario_model"]["btc_volatility_annual"] == 0.6
    res = runner.invoke(main, ["validate", str(tmp_path / "a.json")])
    assert res.exit_code == 0, res.output
    # to standard output
    res = runner.invoke(main, ["scenarios", str(src), "--paths", "3", "--seed", "1"])
    assert res.exit_code == 0
    assert len(json.loads(res.stdout)["scenarios"]) == 3


def test_scenario_model_is_validated():
    with pytest.raises(InputError, match="scenario_model.btc_price_usd"):
        instance_from_dict(base_instance(btc_price_usd=-1))
    with pytest.raises(InputError, match="scenario_model.halving"):
        instance_from_dict(base_instance(halvings=["2028-04"]))
    instance_from_dict(base_instance(next_halving="2028-05", fee_share_of_subsidy=0.02))


def test_scenarios_command_rejects_a_bad_instance(tmp_path):
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(base_instance(btc_volatility_annual=-0.1)))
    res = CliRunner().invoke(main, ["scenarios", str(src), "--paths", "3", "--seed", "1"])
    assert res.exit_code == 2
    assert "btc_volatility_annual" in res.output
