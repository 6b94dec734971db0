"""Plan evaluator: recompute every money line of a plan and check every SPEC constraint.

Written from SPEC.md alone, with pandas and numpy: it imports neither Pyomo, nor the
model (``models``), nor the optimizer's results code, so that it can check the
optimizer instead of repeating it. It reads the resolved instance tables of the
``instances`` layer (series already resolved per period) and a plan in the
``plan.json`` format::

    {"starts":     [{"site", "period", "blocks"}, ...],
     "operations": [{"scenario", "site", "period", "mine_mw", "ai_it_mw"}, ...],
     "dividends":  [{"scenario", "period", "dividend_usd"}, ...],
     "debt":       [{"scenario", "facility", "period", "draw_usd", "repay_usd"}, ...]}

A missing entry means 0. ``scenario`` may be left out when the instance has a single
scenario. A plan that cannot be read (unknown site, period, scenario or facility, a
value that is not a finite number, a duplicated entry) raises
:class:`~instances.InputError` with one line naming the field. A plan that can be
read but breaks a constraint is *evaluated*: its money lines and NPV are computed as
written and every broken constraint is listed in ``Evaluation.violations``.

Constraint families (the ``constraint`` column of ``violations``):

=====================  ===========  =====================================================
family                 entity       rule (SPEC)
=====================  ===========  =====================================================
``start_window``       site         blocks start only at retrofittable sites, from
                                    ``ai.earliest_start`` on
``start_integer``      site         ``start[s,t]`` is an integer
``max_blocks``         site         ``started[s,t] <= ai.max_blocks``
``grid_limit``         site         ``mine + ai.pue * block_it_mw * started <= grid_mw``
``mine_max``           site         ``mine <= mining.max_mw`` (0 at a site without mining)
``ai_online``          site         ``ai <= block_it_mw * online``
``demand``             region       ``sum(ai in region) <= ai_demand_it_mw``
``capex_budget``       (none)       ``capex_t <= capex_budget_usd_t``
``total_capex_budget`` (none)       ``sum(capex_t) <= total_capex_budget_usd`` (reported at
                                    the first period where the running total exceeds it)
``debt_limit``         facility     ``balance <= limit_usd``
``draw_window``        facility     no draw outside ``[draw_from, draw_until]``
``maturity``           facility     ``balance = 0`` from the period ``maturity`` selects
``advance_rate``       facility     ``balance <= advance_rate * AI capex spent so far``
``nonnegativity``      site/fac.    starts, mine, ai, draws, repays, dividends and balances
                                    are >= 0
``min_cash``           (none)       ``cash_t >= min_cash_usd``
``leverage``           (none)       ``total debt_t <= max_debt_to_ebitda * EBITDA_t * 12/m``
                                    (not checked where ``finance.leverage_breach_cost``
                                    prices a breach: the excess is paid in cash instead)
=====================  ===========  =====================================================

Tolerance: a row is a violation when it is broken by more than
``abs_tol + rel_tol * scale`` (``rel_tol`` 1e-6), ``abs_tol`` being 1e-3 USD for money
rows and 1e-6 for MW and block rows. ``scale`` is the largest magnitude among the
terms of the row and, for money rows, also the largest money figure of the scenario
(cash flow, balance or cash): the optimizer works in millions of USD, so its plans
carry a few cents of round-off (a draw of -0.10 USD on a USD 12M plan), which is not a
violation; one dollar short on a plan whose figures are all near USD 1,000 is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from instances import Instance, InputError
from instances.errors import Issue

HOURS_PER_MONTH = 730.0
DAYS_PER_MONTH = 365.0 / 12.0

REL_TOL = 1e-6
ABS_TOL_USD = 1e-3
ABS_TOL_MW = 1e-6

FAMILIES = (
    "start_window",
    "start_integer",
    "max_blocks",
    "grid_limit",
    "mine_max",
    "ai_online",
    "demand",
    "capex_budget",
    "total_capex_budget",
    "debt_limit",
    "draw_window",
    "maturity",
    "advance_rate",
    "nonnegativity",
    "min_cash",
    "leverage",
)
VIOLATION_COLUMNS = ["constraint", "entity", "period", "scenario", "amount", "unit", "detail"]

PLAN_SECTIONS = {
    "starts": ("site", "period", "blocks"),
    "operations": ("scenario", "site", "period", "mine_mw", "ai_it_mw"),
    "dividends": ("scenario", "period", "dividend_usd"),
    "debt": ("scenario", "facility", "period", "draw_usd", "repay_usd"),
}
PLAN_FORMAT = "allocate-plan/1"


@dataclass
class Evaluation:
    """What :func:`evaluate` finds.

    - ``objective_usd``: probability-weighted NPV of the plan (SPEC 5-6), as written,
      whether or not it is feasible (with the ``risk`` extension set:
      ``(1 - weight) * E[NPV] + weight * CVaR_alpha[NPV]``, what the optimizer maximizes);
    - ``expected_npv_usd``: the probability-weighted NPV in every case;
    - ``scenario_npv`` index scenario: probability, terminal_value_usd, npv_usd;
    - ``feasible``: no violation;
    - ``violations``: one row per broken constraint (see the module docstring);
    - ``allocation`` index (scenario, site, period): the solver's allocation columns
      (MW split, hashrate and every money line);
    - ``finance`` index (scenario, period): EBITDA by segment, overhead, capex,
      interest, fees, draws, repays, debt, cash, dividend, discount factor and the
      per-facility draw/repay/balance columns;
    - ``debt`` index (scenario, facility, period): draw, repay, balance, interest, fee;
    - ``capex`` index (scenario, site, period): AI capex paid.
    """

    instance: Instance
    objective_usd: float
    expected_npv_usd: float
    scenario_npv: pd.DataFrame
    violations: pd.DataFrame
    allocation: pd.DataFrame
    finance: pd.DataFrame
    debt: pd.DataFrame
    capex: pd.DataFrame
    starts: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return len(self.violations) == 0

    def families(self) -> set[str]:
        """The constraint families broken by the plan."""
        return set(self.violations["constraint"]) if len(self.violations) else set()

    def violation_records(self) -> list[dict]:
        """Violations as plain dicts (JSON-ready)."""
        out = []
        for row in self.violations.itertuples(index=False):
            out.append(
                {
                    "constraint": row.constraint,
                    "entity": row.entity or None,
                    "period": row.period or None,
                    "scenario": row.scenario or None,
                    "amount": float(row.amount),
                    "unit": row.unit,
                    "detail": row.detail,
                }
            )
        return out


# --------------------------------------------------------------------------------------
# reading the plan
# --------------------------------------------------------------------------------------


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise InputError(Issue(where, f"must be a finite number, got {value!r}"))
    return float(value)


def _name(value, where: str, known: dict[str, int], what: str) -> int:
    if not isinstance(value, str):
        raise InputError(Issue(where, f"must be a {what} name, got {value!r}"))
    if value not in known:
        import difflib

        match = difflib.get_close_matches(value, list(known), n=1, cutoff=0.5)
        hint = f' (did you mean "{match[0]}"?)' if match else ""
        raise InputError(Issue(where, f'unknown {what} "{value}"{hint}'))
    return known[value]


@dataclass
class _Plan:
    start: np.ndarray  # (S, T)
    mine: np.ndarray  # (W, S, T)
    ai: np.ndarray  # (W, S, T)
    dividend: np.ndarray  # (W, T)
    draw: np.ndarray  # (W, F, T)
    repay: np.ndarray  # (W, F, T)
    warnings: list[str]


def read_plan(instance: Instance, plan) -> _Plan:
    """Check the shape of a plan and put its decisions into arrays (0 where absent)."""
    if not isinstance(plan, dict):
        raise InputError(Issue("plan", f"must be a JSON object, got {type(plan).__name__}"))
    W, S, T, F = instance.scenario_names, instance.site_names, instance.period_labels, instance.facility_names
    iw = {w: i for i, w in enumerate(W)}
    is_ = {s: i for i, s in enumerate(S)}
    it = {t: i for i, t in enumerate(T)}
    if_ = {f: i for i, f in enumerate(F)}
    warnings: list[str] = []
    known = set(PLAN_SECTIONS) | {"format", "instance", "periods", "scenarios"}
    for key in plan:
        if key not in known:
            raise InputError(Issue(f"plan.{key}", f"unknown key (expected one of {', '.join(sorted(known))})"))
    if "format" in plan and plan["format"] != PLAN_FORMAT:
        raise InputError(Issue("plan.format", f'must be "{PLAN_FORMAT}", got {plan["format"]!r}'))
    if "periods" in plan and plan["periods"] != T:
        raise InputError(Issue("plan.periods", f"do not match the instance's periods ({T[0]} .. {T[-1]}, {len(T)} periods)"))
    if "scenarios" in plan and plan["scenarios"] != W:
        raise InputError(Issue("plan.scenarios", f"do not match the instance's scenarios ({', '.join(W)})"))
    if "instance" in plan and plan["instance"] != instance.name:
        warnings.append(f'plan was written for instance "{plan["instance"]}", evaluated on "{instance.name}"')

    nw, ns, nt, nf = len(W), len(S), len(T), len(F)
    out = _Plan(
        start=np.zeros((ns, nt)),
        mine=np.zeros((nw, ns, nt)),
        ai=np.zeros((nw, ns, nt)),
        dividend=np.zeros((nw, nt)),
        draw=np.zeros((nw, nf, nt)),
        repay=np.zeros((nw, nf, nt)),
        warnings=warnings,
    )

    def entries(section: str) -> list:
        rows = plan.get(section, [])
        if rows is None:
            return []
        if not isinstance(rows, list):
            raise InputError(Issue(f"plan.{section}", f"must be a list, got {type(rows).__name__}"))
        return rows

    def scenario_of(row: dict, where: str) -> int:
        if "scenario" not in row or row["scenario"] is None:
            if nw == 1:
                return 0
            raise InputError(Issue(f"{where}.scenario", "required: the instance has several scenarios"))
        return _name(row["scenario"], f"{where}.scenario", iw, "scenario")

    def check_keys(row, where: str, allowed: tuple[str, ...]) -> None:
        if not isinstance(row, dict):
            raise InputError(Issue(where, f"must be an object, got {row!r}"))
        for key in row:
            if key not in allowed:
                raise InputError(Issue(f"{where}.{key}", f"unknown key (expected {', '.join(allowed)})"))

    seen: set = set()

    def once(key: tuple, where: str) -> None:
        if key in seen:
            raise InputError(Issue(where, "duplicate entry (same " + "/".join(str(k) for k in key[1:]) + ")"))
        seen.add(key)

    for i, row in enumerate(entries("starts")):
        where = f"plan.starts[{i}]"
        check_keys(row, where, PLAN_SECTIONS["starts"])
        for key in ("site", "period", "blocks"):
            if key not in row:
                raise InputError(Issue(f"{where}.{key}", "required field is missing"))
        s = _name(row["site"], f"{where}.site", is_, "site")
        t = _name(row["period"], f"{where}.period", it, "period")
        once(("starts", S[s], T[t]), where)
        out.start[s, t] = _number(row["blocks"], f"{where}.blocks")

    for i, row in enumerate(entries("operations")):
        where = f"plan.operations[{i}]"
        check_keys(row, where, PLAN_SECTIONS["operations"])
        for key in ("site", "period"):
            if key not in row:
                raise InputError(Issue(f"{where}.{key}", "required field is missing"))
        w = scenario_of(row, where)
        s = _name(row["site"], f"{where}.site", is_, "site")
        t = _name(row["period"], f"{where}.period", it, "period")
        once(("operations", W[w], S[s], T[t]), where)
        out.mine[w, s, t] = _number(row.get("mine_mw", 0.0), f"{where}.mine_mw")
        out.ai[w, s, t] = _number(row.get("ai_it_mw", 0.0), f"{where}.ai_it_mw")

    for i, row in enumerate(entries("dividends")):
        where = f"plan.dividends[{i}]"
        check_keys(row, where, PLAN_SECTIONS["dividends"])
        if "period" not in row:
            raise InputError(Issue(f"{where}.period", "required field is missing"))
        w = scenario_of(row, where)
        t = _name(row["period"], f"{where}.period", it, "period")
        once(("dividends", W[w], T[t]), where)
        out.dividend[w, t] = _number(row.get("dividend_usd", 0.0), f"{where}.dividend_usd")

    for i, row in enumerate(entries("debt")):
        where = f"plan.debt[{i}]"
        check_keys(row, where, PLAN_SECTIONS["debt"])
        for key in ("facility", "period"):
            if key not in row:
                raise InputError(Issue(f"{where}.{key}", "required field is missing"))
        w = scenario_of(row, where)
        f = _name(row["facility"], f"{where}.facility", if_, "facility")
        t = _name(row["period"], f"{where}.period", it, "period")
        once(("debt", W[w], F[f], T[t]), where)
        out.draw[w, f, t] = _number(row.get("draw_usd", 0.0), f"{where}.draw_usd")
        out.repay[w, f, t] = _number(row.get("repay_usd", 0.0), f"{where}.repay_usd")
    return out


def starts_plan(schedule: dict[tuple[str, str], float]) -> dict:
    """A plan holding only a retrofit schedule ``{(site, period): blocks}``."""
    return {"starts": [{"site": s, "period": t, "blocks": b} for (s, t), b in schedule.items() if b]}


def cvar(scenario_npv: pd.DataFrame, alpha: float) -> float:
    """Mean NPV over the worst ``1 - alpha`` of probability (lower-tail CVaR)."""
    rows = sorted(zip(scenario_npv["npv_usd"], scenario_npv["probability"]))
    mass, left, total = 1.0 - alpha, 1.0 - alpha, 0.0
    for npv, prob in rows:
        take = min(prob, left)
        total += take * npv
        left -= take
        if left <= 0:
            break
    return total / mass


# --------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------


class _Violations:
    def __init__(self, rel_tol: float, abs_usd: float, abs_mw: float):
        self.rows: list[dict] = []
        self.rel_tol, self.abs_usd, self.abs_mw = rel_tol, abs_usd, abs_mw
        self.money_scale = 0.0  # the scenario's largest money figure (see evaluate)

    def check(self, constraint, entity, period, scenario, excess, scale, unit, detail) -> None:
        """Record a violation when ``excess`` (how far the rule is broken) beats the tolerance."""
        abs_tol = self.abs_usd if unit == "USD" else self.abs_mw
        if unit == "USD":
            scale = max(abs(scale), self.money_scale)
        if excess > abs_tol + self.rel_tol * abs(scale):
            self.rows.append(
                {
                    "constraint": constraint,
                    "entity": entity,
                    "period": period,
                    "scenario": scenario,
                    "amount": float(excess),
                    "unit": unit,
                    "detail": detail,
                }
            )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=VIOLATION_COLUMNS)


def _usd(x: float) -> str:
    return f"{x:,.2f} USD"


def leverage_breach_cost(sc: pd.Series, ebitda: np.ndarray, debt: np.ndarray, months: int) -> np.ndarray | None:
    """Extension (docs/model.md): the breach cost paid each period, USD,
    ``leverage_breach_cost * max(0, debt_t - max_debt_to_ebitda * EBITDA_t * 12/m)``;
    None when the scenario's covenant is hard or absent."""
    rate = float(sc.get("leverage_breach_cost", np.nan))
    ratio = float(sc["max_debt_to_ebitda"])
    if np.isnan(rate) or np.isnan(ratio):
        return None
    return rate * np.maximum(debt - ratio * ebitda * 12.0 / months, 0.0)


def evaluate(
    instance: Instance,
    plan: dict,
    rel_tol: float = REL_TOL,
    abs_tol_usd: float = ABS_TOL_USD,
    abs_tol_mw: float = ABS_TOL_MW,
) -> Evaluation:
    """Recompute every money line and the NPV of ``plan`` and check every constraint."""
    p = read_plan(instance, plan)
    W, S, T, F = instance.scenario_names, instance.site_names, instance.period_labels, instance.facility_names
    nw, ns, nt, nf = len(W), len(S), len(T), len(F)
    months = float(instance.period_months)
    hours = HOURS_PER_MONTH * months  # SPEC 1: 730 h per month
    days = DAYS_PER_MONTH * months  # SPEC 1: 365/12 days per month
    sites = instance.sites
    scen = instance.scenarios
    v = _Violations(rel_tol, abs_tol_usd, abs_tol_mw)

    # ---- site structure (shared by every scenario) --------------------------------
    retro = sites["retrofittable"].to_numpy(dtype=bool)
    block = np.where(retro, sites["block_it_mw"].to_numpy(dtype=float), 0.0)
    max_blocks = sites["max_blocks"].to_numpy(dtype=float)
    lead = sites["lead_periods"].to_numpy(dtype=int)
    earliest = sites["earliest_t"].to_numpy(dtype=int)
    mines = sites["mines"].to_numpy(dtype=bool)

    start = p.start
    started = np.cumsum(start, axis=1)
    online = np.zeros_like(started)
    for i in range(ns):
        L = lead[i]
        if L < nt:
            online[i, L:] = started[i, : nt - L]

    for i, s in enumerate(S):
        for t in range(nt):
            b = start[i, t]
            if b < 0:
                v.check("nonnegativity", s, T[t], "", -b, 0.0, "blocks", f"start[{s},{T[t]}] = {b:g} blocks < 0")
            frac = abs(b - round(b))
            v.check("start_integer", s, T[t], "", frac, 0.0, "blocks", f"start[{s},{T[t]}] = {b:g} is not a whole number of blocks")
            if b != 0 and (not retro[i] or t < earliest[i]):
                why = "the site cannot be retrofitted" if not retro[i] else f"before ai.earliest_start ({T[earliest[i]]})"
                v.check("start_window", s, T[t], "", abs(b), 0.0, "blocks", f"start[{s},{T[t]}] = {b:g}: {why}")
        if retro[i]:
            excess = started[i] - max_blocks[i]
            bad = np.nonzero(excess > abs_tol_mw)[0]
            if bad.size:
                t = int(bad[0])
                v.check("max_blocks", s, T[t], "", float(excess.max()), 0.0, "blocks",
                        f"{started[i].max():g} blocks started, the site holds {max_blocks[i]:g}")

    # ---- per-scenario money and constraints ------------------------------------
    sp = instance.site_params.sort_index()
    spp = instance.site_period.sort_index()
    pdat = instance.period_data.sort_index()
    fpt = instance.facility_period.sort_index()
    alloc_frames, fin_frames, debt_frames, capex_frames, npv_rows = [], [], [], [], []
    for iw, w in enumerate(W):
        sc = scen.loc[w]
        par = sp.loc[w].reindex(S)
        per = spp.loc[w]
        grid = np.array([per.loc[s]["grid_mw"].reindex(T).to_numpy(dtype=float) for s in S])
        price = np.array([per.loc[s]["power_price_usd_per_mwh"].reindex(T).to_numpy(dtype=float) for s in S])
        lease = np.array([per.loc[s]["lease_usd_per_kw_month"].reindex(T).to_numpy(dtype=float) for s in S])
        pw = pdat.loc[w].reindex(T)
        hashprice = pw["hashprice_usd_per_ph_day"].to_numpy(dtype=float)
        overhead = pw["overhead_usd"].to_numpy(dtype=float)
        budget = pw["capex_budget_usd"].to_numpy(dtype=float)
        rate = float(sc["discount_rate_annual"])
        # SPEC 1: cash flows at period end, df_t = (1 + r) ** (-(t + 1) * m / 12)
        df = (1.0 + rate) ** (-(np.arange(nt) + 1) * months / 12.0)

        mine, ai = p.mine[iw], p.ai[iw]
        eff = par["efficiency_j_per_th"].to_numpy(dtype=float)
        mpue = par["mining_pue"].to_numpy(dtype=float)
        # TH/s per grid MW: mine * 1e6 / pue / efficiency (W / (J/TH) = TH/s); none without mining
        th_per_mw = np.where(mines, 1e6 / np.where(mines, mpue * eff, 1.0), 0.0)
        mopex = par["mining_opex_usd_per_mw_year"].to_numpy(dtype=float)
        mmax = np.where(mines, par["mining_max_mw"].to_numpy(dtype=float), 0.0)
        apue = par["ai_pue"].to_numpy(dtype=float)
        aopex = par["ai_opex_usd_per_it_mw_year"].to_numpy(dtype=float)
        landlord = ~par["power_pass_through"].to_numpy(dtype=bool)
        capex_per_mw = par["capex_usd_per_it_mw"].to_numpy(dtype=float)

        # SPEC 3 money lines, per (site, period)
        hashrate_th = mine * th_per_mw[:, None]
        mining_revenue = hashprice[None, :] * hashrate_th / 1000.0 * days
        mining_power = mine * hours * price
        mining_opex = mine * mopex[:, None] * months / 12.0
        mining_cost = mining_power + mining_opex
        ai_revenue = ai * 1000.0 * lease * months
        ai_opex = ai * aopex[:, None] * months / 12.0
        ai_power = np.where(landlord[:, None], ai * apue[:, None] * hours * price, 0.0)
        ai_cost = ai_opex + ai_power
        mining_ebitda = (mining_revenue - mining_cost).sum(axis=0)
        ai_ebitda = (ai_revenue - ai_cost).sum(axis=0)
        ebitda = mining_ebitda + ai_ebitda - overhead

        # SPEC 3 capex: a block's cost spread evenly over t .. t+lead-1, overflow into N-1
        capex_site = np.zeros((ns, nt))
        for i in range(ns):
            cost = capex_per_mw[i] * block[i]
            for t in range(nt):
                b = start[i, t]
                if b == 0:
                    continue
                if lead[i] == 0:
                    capex_site[i, t] += b * cost
                else:
                    for j in range(t, t + lead[i]):
                        capex_site[i, min(j, nt - 1)] += b * cost / lead[i]
        capex = capex_site.sum(axis=0)

        # SPEC 5 debt
        draw, repay = p.draw[iw], p.repay[iw]
        fac = instance.facilities.sort_index().loc[w].reindex(F) if nf else None
        balance = np.zeros((nf, nt))
        opening = np.zeros((nf, nt))
        interest_f = np.zeros((nf, nt))
        fee_f = np.zeros((nf, nt))
        for k, f in enumerate(F):
            init = float(fac.at[f, "initial_balance_usd"])
            bal = init + np.cumsum(draw[k] - repay[k])
            balance[k] = bal
            opening[k] = np.concatenate([[init], bal[:-1]])
            interest_f[k] = float(fac.at[f, "rate_annual"]) * months / 12.0 * opening[k]
            fee_f[k] = float(fac.at[f, "upfront_fee"]) * draw[k]
        interest = interest_f.sum(axis=0)
        fees = fee_f.sum(axis=0)
        draws = draw.sum(axis=0)
        repays = repay.sum(axis=0)
        debt_total = balance.sum(axis=0)

        dividend = p.dividend[iw]
        breach = leverage_breach_cost(sc, ebitda, debt_total, months)
        flow = ebitda - capex - interest - fees + draws - repays - dividend - (0.0 if breach is None else breach)
        cash = float(sc["initial_cash_usd"]) + np.cumsum(flow)

        # SPEC 5 objective
        last = nt - 1
        tv = 12.0 / months * (float(sc["mining_ebitda_multiple"]) * mining_ebitda[last] + float(sc["ai_ebitda_multiple"]) * ai_ebitda[last])
        npv = float((df * dividend).sum() + df[last] * (cash[last] - debt_total[last] + tv))
        npv_rows.append({"scenario": w, "probability": float(sc["probability"]), "terminal_value_usd": float(tv), "npv_usd": npv})

        # money rows are judged relative to the scenario's largest money figure: a solver
        # working in millions of USD leaves cents of noise on a plan of hundreds of millions
        v.money_scale = float(np.max(np.abs(np.concatenate([
            [float(sc["initial_cash_usd"]), float(sc["min_cash_usd"])],
            mining_revenue.sum(axis=0), mining_cost.sum(axis=0), ai_revenue.sum(axis=0), ai_cost.sum(axis=0),
            overhead, capex, interest, fees, draws, repays, dividend, cash, balance.reshape(-1),
        ]))))

        # ---- operations constraints --------------------------------------------
        for i, s in enumerate(S):
            for t in range(nt):
                label = T[t]
                if mine[i, t] < 0:
                    v.check("nonnegativity", s, label, w, -mine[i, t], 0.0, "MW", f"mine[{s},{label}] = {mine[i, t]:g} MW < 0")
                if ai[i, t] < 0:
                    v.check("nonnegativity", s, label, w, -ai[i, t], 0.0, "MW", f"ai[{s},{label}] = {ai[i, t]:g} MW < 0")
                reserved = apue[i] * block[i] * started[i, t]
                lhs = mine[i, t] + reserved
                v.check("grid_limit", s, label, w, lhs - grid[i, t], max(abs(lhs), grid[i, t]), "MW",
                        f"mine {mine[i, t]:g} + AI blocks {reserved:g} = {lhs:g} MW > grid {grid[i, t]:g} MW")
                v.check("mine_max", s, label, w, mine[i, t] - mmax[i], max(abs(mine[i, t]), mmax[i]), "MW",
                        f"mine {mine[i, t]:g} MW > mining.max_mw {mmax[i]:g}" + ("" if mines[i] else " (the site has no mining)"))
                cap = block[i] * online[i, t]
                v.check("ai_online", s, label, w, ai[i, t] - cap, max(abs(ai[i, t]), abs(cap)), "MW",
                        f"ai {ai[i, t]:g} IT MW > {cap:g} IT MW online")
        if len(instance.demand):
            dem = instance.demand["ai_demand_it_mw"]
            regions = sites["region"].to_numpy()
            for r in dict.fromkeys(dem.index.get_level_values("region")):
                if (w, r, T[0]) not in dem.index:
                    continue
                mask = regions == r
                for t in range(nt):
                    limit = float(dem.loc[(w, r, T[t])])
                    leased = float(ai[mask, t].sum())
                    v.check("demand", r, T[t], w, leased - limit, max(abs(leased), limit), "MW",
                            f"{leased:g} IT MW leased in region {r} > demand {limit:g}")

        # ---- capex budgets ------------------------------------------------------
        for t in range(nt):
            if not np.isnan(budget[t]):
                v.check("capex_budget", "", T[t], w, capex[t] - budget[t], max(abs(capex[t]), budget[t]), "USD",
                        f"capex {_usd(capex[t])} > budget {_usd(budget[t])}")
        total = float(sc["total_capex_budget_usd"])
        if not np.isnan(total):
            run = np.cumsum(capex)
            over = np.nonzero(run - total > abs_tol_usd + rel_tol * np.maximum(np.abs(run), total))[0]
            if over.size:
                t = int(over[0])
                v.check("total_capex_budget", "", T[t], w, run[-1] - total, max(abs(run[-1]), total), "USD",
                        f"capex over the horizon {_usd(run[-1])} > total budget {_usd(total)} (exceeded from {T[t]})")

        # ---- debt ---------------------------------------------------------------------
        capex_cum = np.cumsum(capex)
        for k, f in enumerate(F):
            limit = float(fac.at[f, "limit_usd"])
            adv = float(fac.at[f, "advance_rate_on_ai_capex"])
            fp = fpt.loc[(w, f)].reindex(T)
            can_draw = fp["can_draw"].to_numpy(dtype=bool)
            matured = fp["matured"].to_numpy(dtype=bool)
            for t in range(nt):
                label, bal = T[t], balance[k, t]
                scale = max(abs(bal), abs(opening[k, t]), abs(draw[k, t]), abs(repay[k, t]))
                if draw[k, t] < 0:
                    v.check("nonnegativity", f, label, w, -draw[k, t], 0.0, "USD", f"draw {_usd(draw[k, t])} < 0")
                if repay[k, t] < 0:
                    v.check("nonnegativity", f, label, w, -repay[k, t], 0.0, "USD", f"repay {_usd(repay[k, t])} < 0")
                if bal < 0:
                    v.check("nonnegativity", f, label, w, -bal, scale, "USD", f"balance {_usd(bal)} < 0 (repaid more than owed)")
                v.check("debt_limit", f, label, w, bal - limit, max(scale, limit), "USD", f"balance {_usd(bal)} > limit {_usd(limit)}")
                if not can_draw[t]:
                    v.check("draw_window", f, label, w, draw[k, t], 0.0, "USD", f"draw {_usd(draw[k, t])} outside the draw window")
                if matured[t]:
                    v.check("maturity", f, label, w, abs(bal), scale, "USD", f"balance {_usd(bal)} after maturity (must be 0)")
                if not np.isnan(adv):
                    cap = adv * capex_cum[t]
                    v.check("advance_rate", f, label, w, bal - cap, max(scale, abs(cap)), "USD",
                            f"balance {_usd(bal)} > {adv:g} x AI capex so far {_usd(capex_cum[t])} = {_usd(cap)}")

        # ---- cash, dividends, leverage ---------------------------------------------
        min_cash = float(sc["min_cash_usd"])
        ratio = float(sc["max_debt_to_ebitda"])
        opening_cash = np.concatenate([[float(sc["initial_cash_usd"])], cash[:-1]])
        for t in range(nt):
            label = T[t]
            if dividend[t] < 0:
                v.check("nonnegativity", "", label, w, -dividend[t], 0.0, "USD", f"dividend {_usd(dividend[t])} < 0")
            terms = (opening_cash[t], ebitda[t], capex[t], interest[t], fees[t], draws[t], repays[t], dividend[t], cash[t], min_cash)
            scale = max(abs(x) for x in terms)
            v.check("min_cash", "", label, w, min_cash - cash[t], scale, "USD", f"cash {_usd(cash[t])} < minimum {_usd(min_cash)}")
            if not np.isnan(ratio) and breach is None:
                cap = ratio * ebitda[t] * 12.0 / months
                gross = max(abs(debt_total[t]), ratio * 12.0 / months * max(
                    np.abs(mining_revenue[:, t]).sum() + np.abs(mining_cost[:, t]).sum()
                    + np.abs(ai_revenue[:, t]).sum() + np.abs(ai_cost[:, t]).sum() + abs(overhead[t]), abs(ebitda[t])))
                v.check("leverage", "", label, w, debt_total[t] - cap, gross, "USD",
                        f"debt {_usd(debt_total[t])} > {ratio:g} x annualized EBITDA {_usd(ebitda[t] * 12.0 / months)} = {_usd(cap)}")

        # ---- tables --------------------------------------------------------------------
        idx = pd.MultiIndex.from_product([[w], S, T], names=["scenario", "site", "period"])
        flat = lambda a: np.asarray(a, dtype=float).reshape(-1)  # noqa: E731  (site-major, like idx)
        block_mw = np.repeat(block, nt)
        a = pd.DataFrame(index=idx)
        a["grid_mw"] = flat(grid)
        a["mine_mw"] = flat(mine)
        a["ai_it_mw"] = flat(ai)
        a["ai_grid_mw"] = flat(ai * apue[:, None])
        a["blocks_started"] = flat(started)
        a["blocks_online"] = flat(online)
        a["construction_mw"] = flat(apue[:, None] * block[:, None] * (started - online))
        a["reserved_ai_grid_mw"] = flat(apue[:, None] * block[:, None] * started)
        a["unleased_it_mw"] = block_mw * flat(online) - flat(ai)
        a["idle_mw"] = a["grid_mw"] - a["mine_mw"] - a["reserved_ai_grid_mw"]
        a["hashrate_ph_s"] = flat(hashrate_th) / 1000.0
        a["mining_revenue_usd"] = flat(mining_revenue)
        a["mining_power_usd"] = flat(mining_power)
        a["mining_opex_usd"] = flat(mining_opex)
        a["mining_cost_usd"] = flat(mining_cost)
        a["ai_revenue_usd"] = flat(ai_revenue)
        a["ai_opex_usd"] = flat(ai_opex)
        a["ai_power_usd"] = flat(ai_power)
        a["ai_cost_usd"] = flat(ai_cost)
        a["site_ebitda_usd"] = a["mining_revenue_usd"] - a["mining_cost_usd"] + a["ai_revenue_usd"] - a["ai_cost_usd"]
        alloc_frames.append(a)
        capex_frames.append(pd.DataFrame({"capex_usd": flat(capex_site)}, index=idx))

        pidx = pd.MultiIndex.from_product([[w], T], names=["scenario", "period"])
        fin = pd.DataFrame(index=pidx)
        fin["mining_ebitda_usd"] = mining_ebitda
        fin["ai_ebitda_usd"] = ai_ebitda
        fin["overhead_usd"] = overhead
        fin["ebitda_usd"] = ebitda
        fin["capex_usd"] = capex
        fin["interest_usd"] = interest
        fin["fees_usd"] = fees
        fin["draws_usd"] = draws
        fin["repays_usd"] = repays
        fin["debt_usd"] = debt_total
        fin["cash_usd"] = cash
        fin["dividend_usd"] = dividend
        fin["discount_factor"] = df
        if breach is not None:
            fin["breach_cost_usd"] = breach
        for k, f in enumerate(F):
            fin[f"draw_usd[{f}]"] = draw[k]
            fin[f"repay_usd[{f}]"] = repay[k]
            fin[f"balance_usd[{f}]"] = balance[k]
        fin_frames.append(fin)
        if nf:
            didx = pd.MultiIndex.from_product([[w], F, T], names=["scenario", "facility", "period"])
            debt_frames.append(
                pd.DataFrame(
                    {
                        "draw_usd": flat(draw),
                        "repay_usd": flat(repay),
                        "balance_usd": flat(balance),
                        "interest_usd": flat(interest_f),
                        "fee_usd": flat(fee_f),
                    },
                    index=didx,
                )
            )

    scenario_npv = pd.DataFrame(npv_rows).set_index("scenario")
    expected = float((scenario_npv["probability"] * scenario_npv["npv_usd"]).sum())
    objective = expected
    risk = getattr(instance, "risk", None)
    if risk:  # extension: (1 - weight) * E[NPV] + weight * CVaR_alpha[NPV]
        objective = (1.0 - risk["weight"]) * expected + risk["weight"] * cvar(scenario_npv, risk["cvar_alpha"])
    debt_cols = ["draw_usd", "repay_usd", "balance_usd", "interest_usd", "fee_usd"]
    debt = pd.concat(debt_frames) if debt_frames else pd.DataFrame(
        columns=debt_cols, index=pd.MultiIndex.from_tuples([], names=["scenario", "facility", "period"])
    )
    starts = pd.DataFrame(
        [{"site": s, "period": T[t], "blocks": float(start[i, t])} for i, s in enumerate(S) for t in range(nt) if start[i, t] != 0],
        columns=["site", "period", "blocks"],
    )
    return Evaluation(
        instance=instance,
        objective_usd=objective,
        expected_npv_usd=expected,
        scenario_npv=scenario_npv,
        violations=v.frame(),
        allocation=pd.concat(alloc_frames),
        finance=pd.concat(fin_frames),
        debt=debt,
        capex=pd.concat(capex_frames),
        starts=starts,
        warnings=p.warnings,
    )
