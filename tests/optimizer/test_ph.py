"""Progressive hedging on mpi-sppy over MPI (issue 7, item 5).

A 4-rank run (``mpiexec -n 4``, so 5 scenarios per rank) on a small 20-scenario
instance must finish with a plan whose objective lies within its reported gap of the
extensive-form optimum: inner bound <= EF optimum <= outer bound. The PH plan is
also re-evaluated independently, by fixing its starts in the extensive form.

Slow-ish (about 30-60 s on 2 cores); skipped when ``mpiexec`` or mpi-sppy is missing
(``pip install -e '.[ph]'`` brings both: mpiexec lands in the virtualenv's bin).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from instances import instance_from_dict
from optimizer import SolveOptions, solve
from instances.scenario_gen import generate_scenarios
from optimizer.analyses.value_of_information import plain_options

ROOT = Path(__file__).resolve().parents[2]
TIGHT = plain_options(SolveOptions(mip_gap=1e-9))  # gap 1e-9, no post-solve extras


def _mpiexec() -> str | None:
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.exists():
        return str(beside)
    return shutil.which("mpiexec")


MPIEXEC = _mpiexec()
HAVE_PH = importlib.util.find_spec("mpisppy") is not None and importlib.util.find_spec("mpi4py") is not None
pytestmark = pytest.mark.skipif(MPIEXEC is None or not HAVE_PH, reason="needs mpiexec and mpi-sppy (pip install -e '.[ph]')")


def small_instance() -> dict:
    """Two sites, 12 quarters, 20 generated hashprice paths (seed 7)."""
    base = {
        "name": "ph-small",
        "horizon": {"start": "2026-10", "periods": 12, "period_months": 3},
        "markets": {"hashprice_usd_per_ph_day": 32},
        "sites": [
            {"name": "Rock", "region": "ERCOT", "grid_mw": 100, "power_price_usd_per_mwh": 40,
             "mining": {"efficiency_j_per_th": 18, "pue": 1.05},
             "ai": {"block_it_mw": 20, "max_blocks": 3, "capex_usd_per_it_mw": 8_000_000, "lead_periods": 2, "pue": 1.2, "lease_usd_per_kw_month": 150}},
            {"name": "Fjord", "region": "NO3", "grid_mw": 60, "power_price_usd_per_mwh": 35,
             "mining": {"efficiency_j_per_th": 15, "pue": 1.05},
             "ai": {"block_it_mw": 15, "max_blocks": 2, "capex_usd_per_it_mw": 9_000_000, "lead_periods": 3, "pue": 1.1, "lease_usd_per_kw_month": 165}},
        ],
        "finance": {"discount_rate_annual": 0.11, "initial_cash_usd": 600_000_000,
                    "terminal": {"mining_ebitda_multiple": 4, "ai_ebitda_multiple": 8}},
    }
    raw, _ = generate_scenarios(base, 20, seed=7)
    return raw


def run_ph(path: Path, ranks: int, timeout: float = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [MPIEXEC, "-n", str(ranks), sys.executable, "-m", "cli.main", "solve", str(path), "--method", "ph", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )


def test_four_ranks_reach_the_extensive_form_optimum_within_the_gap(tmp_path):
    raw = small_instance()
    path = tmp_path / "ph20.json"
    path.write_text(json.dumps(raw))
    ef = solve(instance_from_dict(raw), TIGHT)
    assert ef.has_plan

    proc = run_ph(path, 4)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    assert out["status"] in ("optimal", "feasible")
    assert out["model_size"]["ranks"] == 4 and out["model_size"]["scenarios"] == 20
    obj, bound = out["objective_usd"], out["bound_usd"]
    tol = 1e-6 * abs(ef.objective_usd)
    # a PH plan is feasible, so it cannot beat the optimum; the outer bound cannot be below it
    assert obj <= ef.objective_usd + tol
    assert bound >= ef.objective_usd - tol
    # "within its reported gap": |EF - PH| <= gap * max(|PH|, 1) (the gap definition of optimizer.solve)
    assert ef.objective_usd - obj <= out["mip_gap"] * max(abs(obj), 1.0) + tol

    # the plan evaluated independently: its starts fixed in the extensive form give its objective
    starts = {(r["site"], r["start"]): r["blocks"] for r in out["retrofits"]}
    fixed = solve(instance_from_dict(raw), dataclasses.replace(TIGHT, fixed_starts=starts))
    assert fixed.objective_usd == pytest.approx(obj, rel=1e-6)
    # and the per-scenario NPVs it reports are those of the evaluation
    for w, npv in out["scenario_npv_usd"].items():
        assert npv == pytest.approx(fixed.scenario_npv.loc[w, "npv_usd"], rel=1e-6, abs=1.0)


def test_more_ranks_than_scenarios_is_an_input_error(tmp_path):
    raw = small_instance()
    raw["scenarios"] = raw["scenarios"][:1]
    raw["scenarios"][0]["probability"] = 1.0
    path = tmp_path / "one.json"
    path.write_text(json.dumps(raw))
    proc = run_ph(path, 2, timeout=120)
    assert proc.returncode == 2
    assert "at most one rank per scenario" in proc.stderr


def small_v2_instance() -> dict:
    """The small instance with the SPEC v2 levers: an ASIC model to buy, price tiers with
    resale at Rock, a prepaid hall at Fjord; 6 generated hashprice paths (seed 7)."""
    raw = small_instance()
    base = {k: v for k, v in raw.items() if k != "scenarios"}
    base["markets"] = {k: v for k, v in base["markets"].items()}
    base["markets"]["asic_models"] = [{"name": "S23", "efficiency_j_per_th": 9.7,
                                       "price_usd_per_th": {"start": 12.0, "annual_growth": -0.15}}]
    rock, fjord = base["sites"]
    price = rock.pop("power_price_usd_per_mwh")
    rock["power_price_tiers"] = [{"hours_fraction": 0.97, "price_usd_per_mwh": price},
                                 {"hours_fraction": 0.03, "price_usd_per_mwh": price, "resale_usd_per_mwh": 380}]
    fjord["ai"] = dict(fjord["ai"], prepayment_usd_per_it_mw=2_000_000, prepayment_credit_periods=4)
    out, _ = generate_scenarios(base, 6, seed=7)
    return out


def test_ph_on_a_v2_instance_reaches_the_extensive_form_optimum_within_the_gap(tmp_path):
    raw = small_v2_instance()
    path = tmp_path / "ph_v2.json"
    path.write_text(json.dumps(raw))
    ef = solve(instance_from_dict(raw), TIGHT)
    assert ef.has_plan and ef.fleets is not None
    proc = run_ph(path, 2)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    obj, bound = out["objective_usd"], out["bound_usd"]
    tol = 1e-6 * abs(ef.objective_usd)
    assert obj <= ef.objective_usd + tol
    assert bound >= ef.objective_usd - tol
    assert ef.objective_usd - obj <= out["mip_gap"] * max(abs(obj), 1.0) + tol
    starts = {(r["site"], r["start"]): r["blocks"] for r in out["retrofits"]}
    fixed = solve(instance_from_dict(raw), dataclasses.replace(TIGHT, fixed_starts=starts))
    assert fixed.objective_usd == pytest.approx(obj, rel=1e-6)
