"""The SPEC v2 levers (sections 8-10) against an independent LP.

For random one-site instances (fleets, ASIC purchases in an availability window,
racks, price tiers with resale, cash, dividends, terminal values; with an AI section,
a retrofit schedule held fixed, so that capex, prepayments and credits are known and
the halls' leasing is still a choice, or not when pre-leased) the optimum is a plain
LP. It is written here again, from the SPEC text alone, with dense matrices and
``scipy.optimize.linprog``: no code of ``instances`` or ``models`` is used to build
it. The solver's objective must agree to 1e-7 relative on every instance, and both
must find the same instances infeasible.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.optimize import linprog

from instances import instance_from_dict
from optimizer import SolveOptions, Status, solve


def random_instance(seed: int, with_ai: bool = False) -> dict:
    rng = random.Random(seed)
    n = rng.randint(2, 5)
    m = rng.choice([3, 6, 12])
    start_year = 2027
    grid = rng.choice([20.0, 35.0, 50.0])
    max_mw = rng.choice([None, 15.0, 30.0])
    fractions = rng.choice([[1.0], [0.8, 0.2], [0.6, 0.3, 0.1]])
    tiers = []
    for f in fractions:
        tier = {"hours_fraction": f, "price_usd_per_mwh": [round(rng.uniform(20, 400), 2) for _ in range(n)]}
        if rng.random() < 0.6:
            tier["resale_usd_per_mwh"] = round(rng.uniform(0, 150), 2)
        tiers.append(tier)
    models = []
    for j in range(rng.randint(1, 2)):
        model = {"name": f"G{j}", "efficiency_j_per_th": rng.choice([9.5, 13.5, 17.0]),
                 "price_usd_per_th": [round(rng.uniform(4, 20), 2) for _ in range(n)]}
        if rng.random() < 0.5:
            model["available_from"] = f"{start_year + rng.randint(0, 1)}-{rng.randint(1, 12):02d}"
        if rng.random() < 0.4:
            model["available_until"] = f"{start_year + 1 + rng.randint(0, 1)}-{rng.randint(1, 12):02d}"
        models.append(model)
    mining = {"efficiency_j_per_th": rng.choice([21.5, 30.0, 38.0]), "pue": rng.choice([1.0, 1.1]),
              "opex_usd_per_mw_year": rng.choice([0.0, 40_000.0])}
    if max_mw is not None:
        mining["max_mw"] = max_mw
    rack_floor = max_mw if max_mw is not None else grid
    if rng.random() < 0.6:
        mining["rack_mw"] = rack_floor + rng.choice([0.0, 10.0, 25.0])
    site = {"name": "A", "region": "R", "grid_mw": grid, "power_price_tiers": tiers, "mining": mining}
    if with_ai:
        site["ai"] = {
            "block_it_mw": rng.choice([4.0, 8.0]), "max_blocks": 3, "capex_usd_per_it_mw": rng.choice([0.0, 2e6, 8e6]),
            "lead_periods": rng.randint(0, 3), "pue": rng.choice([1.0, 1.3]),
            "lease_usd_per_kw_month": [round(rng.uniform(40, 200), 2) for _ in range(n)],
            "opex_usd_per_it_mw_year": rng.choice([0.0, 150_000.0]), "power_pass_through": rng.random() < 0.5,
            "leased_on_completion": rng.random() < 0.5,
        }
        if rng.random() < 0.7:
            site["ai"]["prepayment_usd_per_it_mw"] = rng.choice([1e6, 3e6])
            site["ai"]["prepayment_credit_periods"] = rng.randint(1, 6)
    return {
        "name": f"lp{seed}",
        "horizon": {"start": f"{start_year}-01", "periods": n, "period_months": m},
        "markets": {"hashprice_usd_per_ph_day": [round(rng.uniform(25, 70), 3) for _ in range(n)], "asic_models": models},
        "sites": [site],
        "finance": {"discount_rate_annual": rng.choice([0.0, 0.08, 0.15]), "initial_cash_usd": rng.choice([0.0, 5e6, 60e6]),
                    "overhead_usd_per_year": rng.choice([0.0, 1e6]),
                    "terminal": {"mining_ebitda_multiple": rng.choice([0.0, 3.0]), "ai_ebitda_multiple": rng.choice([0.0, 6.0])}},
    }


def month(text: str) -> int:
    year, mon = text.split("-")
    return int(year) * 12 + int(mon) - 1


def lp_optimum(raw: dict, starts_by_t: dict[int, int] | None = None) -> float | None:
    """The SPEC's optimum of a one-site mining instance, by linprog (maximize -> minimize
    -c); None when the LP is infeasible (the overhead cannot be paid). With an ``ai``
    section the retrofit starts are given (``starts_by_t``: period index -> blocks), so
    the rest is still an LP (SPEC 3 and 10)."""
    hz = raw["horizon"]
    n, m = hz["periods"], hz["period_months"]
    starts = [month(hz["start"]) + m * t for t in range(n)]
    hours, days = 730.0 * m, 365.0 / 12.0 * m
    fin = raw["finance"]
    df = [(1 + fin["discount_rate_annual"]) ** (-(t + 1) * m / 12) for t in range(n)]
    hashprice = raw["markets"]["hashprice_usd_per_ph_day"]
    site = raw["sites"][0]
    mining = site["mining"]
    grid = site["grid_mw"]
    max_mw = mining.get("max_mw", grid)
    rack = mining.get("rack_mw", max_mw)
    pue, opex = mining["pue"], mining["opex_usd_per_mw_year"]
    tiers = site["power_price_tiers"]
    fleets = [("installed", mining["efficiency_j_per_th"], None)] + [
        (g["name"], g["efficiency_j_per_th"], g) for g in raw["markets"]["asic_models"]
    ]

    def can_buy(model, t):
        if model is None:
            return False
        ok = model.get("available_from") is None or starts[t] >= month(model["available_from"])
        return ok and (model.get("available_until") is None or starts[t] <= month(model["available_until"]))

    names: list[tuple] = []
    for t in range(n):
        for g, _, _ in fleets:
            names += [("F", g, t), ("B", g, t), ("R", g, t)]
            names += [("M", g, k, t) for k in range(len(tiers))]
        names += [("D", t), ("C", t), ("AI", t)]
    col = {v: i for i, v in enumerate(names)}
    nv = len(names)
    bounds = [(0, None)] * nv
    for t in range(n):
        for g, _, model in fleets:
            if not can_buy(model, t):
                bounds[col["B", g, t]] = (0, 0)
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    objective = np.zeros(nv)  # to maximize
    th = {g: 1e6 / pue / eff for g, eff, _ in fleets}
    ai = site.get("ai")
    started = np.zeros(n)
    online = np.zeros(n)
    capex_ai = np.zeros(n)
    prepay_in = np.zeros(n)
    credit = np.zeros(n)
    if ai is not None:
        block, lead = ai["block_it_mw"], ai["lead_periods"]
        prepay = ai.get("prepayment_usd_per_it_mw", 0.0) * block
        periods_p = ai.get("prepayment_credit_periods", 1)
        for t0, blocks in (starts_by_t or {}).items():
            started[t0:] += blocks
            if t0 + lead < n:
                online[t0 + lead:] += blocks
            cost = ai["capex_usd_per_it_mw"] * block * blocks
            for j in range(max(lead, 1)):  # spread over the lead periods, overflow at the end
                capex_ai[min(t0 + j, n - 1)] += cost / max(lead, 1)
            prepay_in[t0] += prepay * blocks
            for j in range(periods_p):  # credits from the online period, overflow at the end
                credit[min(t0 + lead + j, n - 1)] += prepay * blocks / periods_p
    for t in range(n):
        if ai is None:
            bounds[col["AI", t]] = (0, 0)
        elif ai.get("leased_on_completion"):
            bounds[col["AI", t]] = (ai["block_it_mw"] * online[t],) * 2
        else:
            bounds[col["AI", t]] = (0, ai["block_it_mw"] * online[t])
        # EBITDA_t as coefficients and constant; mining EBITDA separately for the TV
        ebitda, const = np.zeros(nv), -float(fin["overhead_usd_per_year"]) * m / 12
        mining_ebitda = np.zeros(nv)
        ai_ebitda = np.zeros(nv)
        if ai is not None:
            landlord = 0.0 if ai["power_pass_through"] else ai["pue"] * sum(q["hours_fraction"] * hours * q["price_usd_per_mwh"][t] for q in tiers)
            ai_ebitda[col["AI", t]] = 1000 * ai["lease_usd_per_kw_month"][t] * m - ai["opex_usd_per_it_mw_year"] * m / 12 - landlord
            ebitda += ai_ebitda
        ai_grid = ai["pue"] * ai["block_it_mw"] * started[t] if ai is not None else 0.0
        for k, tier in enumerate(tiers):
            f = tier["hours_fraction"]
            resale = tier.get("resale_usd_per_mwh", 0.0)
            const += resale * f * hours * grid
            if ai is not None:  # resale of what the leased halls do not draw
                ebitda[col["AI", t]] -= resale * f * hours * ai["pue"]
            for g, _, _ in fleets:
                margin = f * (hashprice[t] * th[g] / 1000 * days - hours * tier["price_usd_per_mwh"][t] - opex * m / 12)
                mining_ebitda[col["M", g, k, t]] += margin
                ebitda[col["M", g, k, t]] += margin - resale * f * hours
        capex = np.zeros(nv)
        for g, _, model in fleets:
            if model is not None:
                capex[col["B", g, t]] = th[g] * model["price_usd_per_th"][t]
            row = np.zeros(nv)  # fleet balance
            row[col["F", g, t]], row[col["B", g, t]], row[col["R", g, t]] = 1, -1, 1
            if t:
                row[col["F", g, t - 1]] = -1
            a_eq.append(row)
            b_eq.append(max_mw if (g == "installed" and t == 0) else 0.0)
            for k in range(len(tiers)):
                row = np.zeros(nv)
                row[col["M", g, k, t]], row[col["F", g, t]] = 1, -1
                a_ub.append(row)
                b_ub.append(0.0)
        row = np.zeros(nv)
        for g, _, _ in fleets:
            row[col["F", g, t]] = 1
        a_ub.append(row)
        b_ub.append(rack)
        for k in range(len(tiers)):
            row = np.zeros(nv)
            for g, _, _ in fleets:
                row[col["M", g, k, t]] = 1
            a_ub.append(row)
            b_ub.append(grid - ai_grid)
        # cash[t] = cash[t-1] + EBITDA - AI capex - ASIC capex + prepayments - credits - dividend
        row = -ebitda + capex
        row[col["C", t]] += 1
        row[col["D", t]] += 1
        if t:
            row[col["C", t - 1]] -= 1
        a_eq.append(row)
        b_eq.append(const + (fin["initial_cash_usd"] if t == 0 else 0.0) - capex_ai[t] + prepay_in[t] - credit[t])
        bounds[col["C", t]] = (0, None)  # min cash 0
        objective[col["D", t]] += df[t]
        if t == n - 1:
            objective[col["C", t]] += df[t]
            objective += df[t] * fin["terminal"]["mining_ebitda_multiple"] * 12 / m * mining_ebitda
            objective += df[t] * fin["terminal"].get("ai_ebitda_multiple", 0.0) * 12 / m * ai_ebitda
    res = linprog(-objective, A_ub=np.array(a_ub), b_ub=b_ub, A_eq=np.array(a_eq), b_eq=b_eq, bounds=bounds, method="highs")
    if res.status == 2:
        return None
    assert res.status == 0, res.message
    return -res.fun


@pytest.mark.parametrize("seed", range(24))
def test_mining_levers_match_an_independent_lp(seed: int) -> None:
    raw = random_instance(seed)
    result = solve(instance_from_dict(raw), SolveOptions(mip_gap=1e-9, sensitivities=False))
    expected = lp_optimum(raw)
    if expected is None:
        assert result.status is Status.INFEASIBLE
        return
    assert result.status is Status.OPTIMAL
    assert result.objective_usd == pytest.approx(expected, rel=1e-7, abs=1e-2)


def test_the_random_instances_use_every_lever() -> None:
    """The sample is not degenerate: most instances are feasible, and the plans buy
    machines, retire some, leave tiers unmined and resell."""
    bought = retired = curtailed = resold = feasible = 0
    for seed in range(24):
        result = solve(instance_from_dict(random_instance(seed)), SolveOptions(mip_gap=1e-9, sensitivities=False))
        if not result.has_plan:
            continue
        feasible += 1
        bought += result.fleets["bought_mw"].sum() > 0
        retired += result.fleets["retired_mw"].sum() > 0
        curtailed += (result.allocation.filter(like="curtailed_mw").fillna(0).to_numpy() > 0).any()
        resold += result.finance["resale_usd"].sum() > 0
    assert feasible >= 16 and min(bought, retired, curtailed, resold) >= 3, (feasible, bought, retired, curtailed, resold)


@pytest.mark.parametrize("seed", range(100, 124))
def test_tenant_contracts_and_resale_with_halls_match_an_independent_lp(seed: int) -> None:
    # the same site with an AI section and a random retrofit schedule held fixed:
    # capex spread over the lead, prepayments and their credits (overflowing into the
    # last period), pre-leased halls, landlord power on tiers, resale around the halls
    raw = random_instance(seed, with_ai=True)
    raw["finance"]["initial_cash_usd"] = 100e6  # enough to pay most schedules
    rng = random.Random(seed)
    n = raw["horizon"]["periods"]
    labels = [p for p in instance_from_dict(raw).period_labels]
    schedule = {}
    for _ in range(rng.randint(1, 2)):
        t0 = rng.randrange(n)
        schedule[t0] = schedule.get(t0, 0) + 1
    fixed = {("A", labels[t]): b for t, b in schedule.items()}
    result = solve(instance_from_dict(raw), SolveOptions(mip_gap=1e-9, sensitivities=False, fixed_starts=fixed))
    expected = lp_optimum(raw, schedule)
    if expected is None:
        assert result.status is Status.INFEASIBLE
        return
    assert result.status is Status.OPTIMAL
    assert result.objective_usd == pytest.approx(expected, rel=1e-7, abs=1e-2)
