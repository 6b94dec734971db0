"""Plan evaluator: recompute every money line of a plan and check every SPEC constraint.

Written from SPEC.md (v2) alone, with pandas and numpy: it imports neither Pyomo, nor
the model (``models``), nor the optimizer's results code, so that it can check the
optimizer instead of repeating it. It reads the resolved instance tables of the
``instances`` layer (series already resolved per period; the v2 tables
``site_params_v2``, ``power_tiers``, ``asic_models``, ``asic_model_period``) and a plan
in the ``plan.json`` format::

    {"starts":     [{"site", "period", "blocks"}, ...],
     "operations": [{"scenario", "site", "period", "mine_mw", "ai_it_mw"}, ...],
     "mining":     [{"scenario", "site", "fleet", "tier", "period", "mine_mw"}, ...],
     "fleet":      [{"scenario", "site", "fleet", "period", "buy_mw", "retire_mw"}, ...],
     "dividends":  [{"scenario", "period", "dividend_usd"}, ...],
     "debt":       [{"scenario", "facility", "period", "draw_usd", "repay_usd"}, ...]}

A missing entry means 0. ``scenario`` may be left out when the instance has a single
scenario. ``mining`` and ``fleet`` are SPEC v2 (sections 8-9): ``fleet`` is
``"installed"`` (the site's own v1 fleet) or an ASIC model name, ``tier`` the 0-based
position in the site's ``power_price_tiers`` (a plain price is tier 0). When a
site-period has ``mining`` rows they are its mining decisions and
``operations.mine_mw`` is informational; when it has none, ``operations.mine_mw`` is
read as the installed fleet mining that MW in every tier (the v1 meaning). Without
``fleet`` rows nothing is bought or retired: the installed fleet stays at
``mining.max_mw``. A plan that cannot be read (unknown site, period, scenario,
facility or fleet, a tier out of range, a value that is not a finite number, a
duplicated entry) raises :class:`~instances.InputError` with one line naming the
field. A plan that can be read but breaks a constraint is *evaluated*: its money
lines and NPV are computed as written and every broken constraint is listed in
``Evaluation.violations``.

Constraint families (the ``constraint`` column of ``violations``):

========================  ===========  ==================================================
family                    entity       rule (SPEC)
========================  ===========  ==================================================
``start_window``          site         blocks start only at retrofittable sites, from
                                       ``ai.earliest_start`` on
``start_integer``         site         ``start[s,t]`` is an integer
``max_blocks``            site         ``started[s,t] <= ai.max_blocks``
``grid_limit``            site         in every price tier k: ``sum(mine[g,k] for g) +
                                       ai.pue * block_it_mw * started <= grid_mw``
``mine_max``              site         ``mine[installed,k] <= mining.max_mw`` while no
                                       installed MW is retired (0 at a site without
                                       mining)
``ai_online``             site         ``ai <= block_it_mw * online``
``demand``                region       ``sum(ai in region) <= ai_demand_it_mw``
``capex_budget``          (none)       AI ``capex_t <= capex_budget_usd_t``
``total_capex_budget``    (none)       ``sum(AI capex_t) <= total_capex_budget_usd``
                                       (reported at the first period where the running
                                       total exceeds it)
``debt_limit``            facility     ``balance <= limit_usd``
``draw_window``           facility     no draw outside ``[draw_from, draw_until]``
``maturity``              facility     ``balance = 0`` from the period ``maturity``
                                       selects
``advance_rate``          facility     ``balance <= advance_rate * AI capex spent so far``
``nonnegativity``         site/fac.    starts, mine (per fleet and tier), buy, retire,
                                       ai, draws, repays, dividends and balances are >= 0
``min_cash``              (none)       ``cash_t >= min_cash_usd``
``leverage``              (none)       ``total debt_t <= max_debt_to_ebitda * EBITDA_t *
                                       12/m``
``fleet_mine``            site         v2: ``mine[g,t,k] <= fleet[g,t]`` (a model's
                                       fleet, or the installed fleet once some of it
                                       is retired)
``fleet_stock``           site         v2: ``fleet[g,t] >= 0`` (no more retired than
                                       installed)
``rack_limit``            site         v2: ``sum(fleet[g,t] for g) <= mining.rack_mw``
``buy_window``            site         v2: a model is bought only at a mining site, in
                                       ``available_from .. available_until``; the
                                       installed fleet is never bought
``leased_on_completion``  site         v2: ``ai = block_it_mw * online`` when
                                       ``ai.leased_on_completion`` (the shortfall;
                                       leasing more is ``ai_online``)
========================  ===========  ==================================================

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

INSTALLED = "installed"  # SPEC 8: the fleet every mining site already has

V1_FAMILIES = (
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
# SPEC v2 (sections 8-10); grid_limit and nonnegativity also cover the v2 decisions
V2_FAMILIES = (
    "fleet_mine",
    "fleet_stock",
    "rack_limit",
    "buy_window",
    "leased_on_completion",
)
FAMILIES = V1_FAMILIES + V2_FAMILIES
VIOLATION_COLUMNS = ["constraint", "entity", "period", "scenario", "amount", "unit", "detail"]

PLAN_SECTIONS = {
    "starts": ("site", "period", "blocks"),
    "operations": ("scenario", "site", "period", "mine_mw", "ai_it_mw"),
    "mining": ("scenario", "site", "fleet", "tier", "period", "mine_mw"),
    "fleet": ("scenario", "site", "fleet", "period", "buy_mw", "retire_mw"),
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
      (MW split, hashrate and every money line; ``mine_mw`` and ``hashrate_ph_s``
      hours-weighted over the price tiers; for a v2 instance also
      ``resale_revenue_usd``, included in ``site_ebitda_usd``);
    - ``finance`` index (scenario, period): EBITDA by segment, overhead, capex (AI),
      interest, fees, draws, repays, debt, cash, dividend, discount factor and the
      per-facility draw/repay/balance columns; for a v2 instance also
      ``resale_revenue_usd``, ``asic_capex_usd``, ``prepayments_usd``, ``credits_usd``;
    - ``debt`` index (scenario, facility, period): draw, repay, balance, interest, fee;
    - ``capex`` index (scenario, site, period): AI capex paid (capex_usd), ASIC capex
      (asic_capex_usd), tenant prepayments received (prepayments_usd) and rent credits
      given back (credits_usd);
    - ``fleet`` index (scenario, site, fleet, period): buy_mw, retire_mw, fleet_mw
      (installed at the period's end), mine_mw (hours-weighted over the tiers),
      hashrate_ph_s (hours-weighted), asic_capex_usd;
    - ``mining`` index (scenario, site, fleet, tier, period): hours_fraction, mine_mw,
      curtailed_mw (fleet that could mine in the tier but does not), hashrate_ph_s,
      mining_revenue_usd, mining_power_usd, mining_opex_usd, mining_cost_usd.
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
    fleet: pd.DataFrame = field(default_factory=pd.DataFrame)
    mining: pd.DataFrame = field(default_factory=pd.DataFrame)
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


def _tier(value, where: str, count: int, site: str, scenario: str | None) -> int:
    """A 0-based tier index of ``site``, which has ``count`` tiers (SPEC 9)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)) or float(value) != int(value):
        raise InputError(Issue(where, f"must be a whole tier index, got {value!r}"))
    k = int(value)
    if not 0 <= k < count:
        within = f" in scenario {scenario}" if scenario else ""
        raise InputError(Issue(where, f"tier {k} is out of range: site {site} has {count} price tier(s){within} (0..{count - 1})"))
    return k


def fleet_names(instance: Instance) -> list[str]:
    """The fleets of every mining site (SPEC 8): ``installed``, then each ASIC model."""
    return [INSTALLED, *instance.asic_model_names]


def tier_counts(instance: Instance) -> dict[tuple[str, str], int]:
    """Number of price tiers of each (scenario, site) (SPEC 9; a plain price is 1 tier)."""
    tiers = instance.power_tiers
    if not len(tiers):
        return {(w, s): 1 for w in instance.scenario_names for s in instance.site_names}
    idx = tiers.index
    top = pd.Series(idx.get_level_values("tier"), index=idx.droplevel(["tier", "period"])).groupby(level=["scenario", "site"]).max()
    return {key: int(k) + 1 for key, k in top.items()}


@dataclass
class _Plan:
    start: np.ndarray  # (S, T)
    mine: np.ndarray  # (W, S, G, K, T): grid MW mined per fleet and tier
    ai: np.ndarray  # (W, S, T)
    dividend: np.ndarray  # (W, T)
    draw: np.ndarray  # (W, F, T)
    repay: np.ndarray  # (W, F, T)
    warnings: list[str]
    buy: np.ndarray  # (W, S, G, T)
    retire: np.ndarray  # (W, S, G, T)
    ops_mine: np.ndarray  # (W, S, T): operations.mine_mw as written
    ops_mine_given: np.ndarray  # (W, S, T) bool: an operations row gives mine_mw
    has_mining_rows: np.ndarray  # (W, S, T) bool: the site-period's mining is given per fleet and tier


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

    G = fleet_names(instance)
    ig = {g: i for i, g in enumerate(G)}
    ntiers = tier_counts(instance)
    nw, ns, nt, nf, ng = len(W), len(S), len(T), len(F), len(G)
    nk = max(ntiers.values(), default=1)
    out = _Plan(
        start=np.zeros((ns, nt)),
        mine=np.zeros((nw, ns, ng, nk, nt)),
        ai=np.zeros((nw, ns, nt)),
        dividend=np.zeros((nw, nt)),
        draw=np.zeros((nw, nf, nt)),
        repay=np.zeros((nw, nf, nt)),
        warnings=warnings,
        buy=np.zeros((nw, ns, ng, nt)),
        retire=np.zeros((nw, ns, ng, nt)),
        ops_mine=np.zeros((nw, ns, nt)),
        ops_mine_given=np.zeros((nw, ns, nt), dtype=bool),
        has_mining_rows=np.zeros((nw, ns, nt), dtype=bool),
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
        out.ops_mine[w, s, t] = _number(row.get("mine_mw", 0.0), f"{where}.mine_mw")
        out.ops_mine_given[w, s, t] = "mine_mw" in row
        out.ai[w, s, t] = _number(row.get("ai_it_mw", 0.0), f"{where}.ai_it_mw")

    for i, row in enumerate(entries("mining")):
        where = f"plan.mining[{i}]"
        check_keys(row, where, PLAN_SECTIONS["mining"])
        for key in ("site", "fleet", "tier", "period"):
            if key not in row:
                raise InputError(Issue(f"{where}.{key}", "required field is missing"))
        w = scenario_of(row, where)
        s = _name(row["site"], f"{where}.site", is_, "site")
        g = _name(row["fleet"], f"{where}.fleet", ig, "fleet")
        k = _tier(row["tier"], f"{where}.tier", ntiers.get((W[w], S[s]), 1), S[s], W[w] if nw > 1 else None)
        t = _name(row["period"], f"{where}.period", it, "period")
        once(("mining", W[w], S[s], G[g], k, T[t]), where)
        out.mine[w, s, g, k, t] = _number(row.get("mine_mw", 0.0), f"{where}.mine_mw")
        out.has_mining_rows[w, s, t] = True

    for i, row in enumerate(entries("fleet")):
        where = f"plan.fleet[{i}]"
        check_keys(row, where, PLAN_SECTIONS["fleet"])
        for key in ("site", "fleet", "period"):
            if key not in row:
                raise InputError(Issue(f"{where}.{key}", "required field is missing"))
        w = scenario_of(row, where)
        s = _name(row["site"], f"{where}.site", is_, "site")
        g = _name(row["fleet"], f"{where}.fleet", ig, "fleet")
        t = _name(row["period"], f"{where}.period", it, "period")
        once(("fleet", W[w], S[s], G[g], T[t]), where)
        out.buy[w, s, g, t] = _number(row.get("buy_mw", 0.0), f"{where}.buy_mw")
        out.retire[w, s, g, t] = _number(row.get("retire_mw", 0.0), f"{where}.retire_mw")

    # a site-period without mining rows: operations.mine_mw is the installed fleet
    # mining that MW in every tier of the site (the v1 meaning)
    for w in range(nw):
        for s in range(ns):
            count = ntiers.get((W[w], S[s]), 1)
            for t in np.nonzero(~out.has_mining_rows[w, s])[0]:
                out.mine[w, s, 0, :count, t] = out.ops_mine[w, s, t]

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


def _th_per_mw(mines: np.ndarray, mining_pue: np.ndarray, efficiency: np.ndarray) -> np.ndarray:
    """TH/s per grid MW of each (site, fleet): ``1e6 / mining.pue / efficiency_g``; 0 at a
    site without mining (it has no pue, and what it would mine earns nothing)."""
    safe = np.where(mines[:, None], mining_pue[:, None] * efficiency, 1.0)
    return np.where(mines[:, None], 1e6 / safe, 0.0)


def _model_arrays(instance: Instance, scenario: str, periods: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per ASIC model (SPEC 8), in ``asic_model_names`` order: efficiency (J/TH), price
    per period (USD per TH/s) and whether it can be bought in the period."""
    names = instance.asic_model_names
    if not names:
        return np.zeros(0), np.zeros((0, len(periods))), np.zeros((0, len(periods)), dtype=bool)
    models = instance.asic_models.loc[scenario].reindex(names)
    per = instance.asic_model_period.loc[scenario]
    price = np.array([per.loc[g]["price_usd_per_th"].reindex(periods).to_numpy(dtype=float) for g in names])
    available = np.array([per.loc[g]["available"].reindex(periods).to_numpy(dtype=bool) for g in names])
    return models["efficiency_j_per_th"].to_numpy(dtype=float), price, available


def _tier_arrays(
    tiers: pd.DataFrame, scenario: str, sites: list[str], periods: list[str], nk: int, flat_price: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hours fraction f_k, price_k and resale_k (USD/MWh) as (site, tier, period) arrays
    (SPEC 9); tiers a site does not have are 0. A site missing from the tier table (an
    instance whose tables were rebuilt without it) is one tier of fraction 1 at its
    ``site_period`` price ``flat_price`` (site, period), without resale: a v1 price."""
    frac = np.zeros((len(sites), nk, len(periods)))
    price = np.zeros_like(frac)
    resale = np.zeros_like(frac)
    table = tiers.loc[scenario] if scenario in tiers.index.get_level_values("scenario") else tiers.iloc[0:0].droplevel("scenario")
    present = set(table.index.get_level_values("site"))
    for i, s in enumerate(sites):
        if s not in present:
            frac[i, 0], price[i, 0] = 1.0, flat_price[i]
            continue
        for k, block in table.loc[s].groupby(level="tier"):
            block = block.droplevel("tier").reindex(periods)
            frac[i, k] = block["hours_fraction"].to_numpy(dtype=float)
            price[i, k] = block["price_usd_per_mwh"].to_numpy(dtype=float)
            resale[i, k] = block["resale_usd_per_mwh"].to_numpy(dtype=float)
    return frac, price, resale


def _site_v2_arrays(v2: pd.DataFrame, scenario: str, sites: list[str], mining_max_mw: np.ndarray) -> dict[str, np.ndarray]:
    """Per site (SPEC 8 and 10): rack_mw, prepayment_usd_per_it_mw, credit periods P and
    the leased_on_completion flag. A site missing from ``site_params_v2`` has the v1
    defaults (racks for ``mining.max_mw``, no tenant contract)."""
    rows = v2.loc[scenario].reindex(sites) if scenario in v2.index.get_level_values("scenario") else pd.DataFrame(index=sites, columns=v2.columns)
    missing = rows["rack_mw"].isna().to_numpy()
    return {
        "rack_mw": np.where(missing, mining_max_mw, rows["rack_mw"].fillna(0).to_numpy(dtype=float)),
        "prepayment_usd_per_it_mw": rows["prepayment_usd_per_it_mw"].fillna(0).to_numpy(dtype=float),
        "prepayment_credit_periods": rows["prepayment_credit_periods"].fillna(0).to_numpy(dtype=int),
        "leased_on_completion": rows["leased_on_completion"].fillna(False).to_numpy(dtype=bool),
    }


def spread_capex(cost_per_block_usd: np.ndarray, start: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """AI capex per (site, period), USD (SPEC 3): a block started in t costs
    ``capex_usd_per_it_mw * block_it_mw``, spread evenly over ``t .. t+lead-1`` (all in t
    when lead is 0); spend falling after the horizon is charged in the last period."""
    ns, nt = start.shape
    out = np.zeros((ns, nt))
    for i in range(ns):
        for t in np.nonzero(start[i])[0]:
            paid = start[i, t] * cost_per_block_usd[i]
            if lead[i] == 0:
                out[i, t] += paid
                continue
            for j in range(t, t + lead[i]):
                out[i, min(j, nt - 1)] += paid / lead[i]
    return out


def prepayment_credits(prepayment_per_block_usd: np.ndarray, credit_periods: np.ndarray, start: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """Rent credits per (site, period), USD (SPEC 10): a block started in tau is credited
    ``prepayment * block_it_mw / P`` in each period ``tau+lead .. tau+lead+P-1``; credits
    falling after the horizon are charged in the last period."""
    ns, nt = start.shape
    out = np.zeros((ns, nt))
    for i in range(ns):
        P = int(credit_periods[i])
        if P <= 0 or prepayment_per_block_usd[i] == 0:
            continue
        for tau in np.nonzero(start[i])[0]:
            each = start[i, tau] * prepayment_per_block_usd[i] / P
            for j in range(tau + lead[i], tau + lead[i] + P):
                out[i, min(j, nt - 1)] += each
    return out


def _check_mine(v: _Violations, site: str, label: str, scenario: str, fleet_name: str, tier: int, in_tier: str,
                mine_mw: float, fleet_mw: float, max_mw: float, mines: bool) -> None:
    """``mine[g,t,k] >= 0`` and ``mine[g,t,k] <= fleet[g,t]`` (SPEC 8-9). While the
    installed fleet is whole (``fleet = mining.max_mw``) the bound is v1's ``mine_max``;
    a model's fleet, or an installed fleet partly retired, is ``fleet_mine``. A negative
    fleet is ``fleet_stock``'s to report: here the bound is at least 0."""
    if mine_mw < 0:
        v.check("nonnegativity", site, label, scenario, -mine_mw, 0.0, "MW",
                f"mine[{site},{fleet_name},tier {tier},{label}] = {mine_mw:g} MW < 0")
    if fleet_name == INSTALLED and abs(fleet_mw - max_mw) <= v.abs_mw + v.rel_tol * abs(max_mw):
        v.check("mine_max", site, label, scenario, mine_mw - max_mw, max(abs(mine_mw), max_mw), "MW",
                f"{in_tier}mine {mine_mw:g} MW > mining.max_mw {max_mw:g}" + ("" if mines else " (the site has no mining)"))
        return
    bound = max(fleet_mw, 0.0)
    v.check("fleet_mine", site, label, scenario, mine_mw - bound, max(abs(mine_mw), bound), "MW",
            f"{in_tier}mine of fleet {fleet_name} {mine_mw:g} MW > its {bound:g} MW installed")


def _check_fleet(v: _Violations, site: str, scenario: str, periods: list[str], fleets: list[str], buy: np.ndarray,
                 retire: np.ndarray, fleet: np.ndarray, rack_mw: float, mines: bool, model_available: np.ndarray) -> None:
    """SPEC 8 rules of one site's fleets, arrays (fleet, period): buy and retire >= 0,
    ``fleet >= 0`` (fleet_stock), ``sum(fleet) <= rack_mw`` (rack_limit, at a mining
    site), and buys only of a model, at a mining site, in its window (buy_window)."""
    for t, label in enumerate(periods):
        for g, name in enumerate(fleets):
            if buy[g, t] < 0:
                v.check("nonnegativity", site, label, scenario, -buy[g, t], 0.0, "MW", f"buy[{site},{name},{label}] = {buy[g, t]:g} MW < 0")
            if retire[g, t] < 0:
                v.check("nonnegativity", site, label, scenario, -retire[g, t], 0.0, "MW", f"retire[{site},{name},{label}] = {retire[g, t]:g} MW < 0")
            scale = max(abs(fleet[g, t]), abs(buy[g, : t + 1]).sum(), abs(retire[g, : t + 1]).sum())
            v.check("fleet_stock", site, label, scenario, -fleet[g, t], scale, "MW",
                    f"fleet {name} {fleet[g, t]:g} MW < 0 (more retired than installed)")
            if buy[g, t] > 0:
                if g == 0:
                    why = f"the {INSTALLED} fleet cannot be bought"
                elif not mines:
                    why = "the site has no mining"
                elif not model_available[g - 1, t]:
                    why = "outside the model's available_from .. available_until"
                else:
                    continue
                v.check("buy_window", site, label, scenario, buy[g, t], 0.0, "MW", f"buy of {name} {buy[g, t]:g} MW: {why}")
        if mines:
            total = float(fleet[:, t].sum())
            v.check("rack_limit", site, label, scenario, total - rack_mw, max(abs(total), rack_mw), "MW",
                    f"fleets {total:g} MW installed > mining.rack_mw {rack_mw:g}")


def _fleet_table(scenario, sites, fleets, periods, buy, retire, fleet, mine, frac, th_per_mw, asic_capex_g) -> pd.DataFrame:
    """The ``fleet`` table of one scenario, index (scenario, site, fleet, period); mine
    and hashrate are hours-weighted over the tiers (``sum_k f_k * x_k``)."""
    idx = pd.MultiIndex.from_product([[scenario], sites, fleets, periods], names=["scenario", "site", "fleet", "period"])
    weighted = (mine * frac[:, None, :, :]).sum(axis=2)  # (S, G, T)
    return pd.DataFrame(
        {
            "buy_mw": buy.reshape(-1),
            "retire_mw": retire.reshape(-1),
            "fleet_mw": fleet.reshape(-1),
            "mine_mw": weighted.reshape(-1),
            "hashrate_ph_s": (weighted * th_per_mw[:, :, None] / 1000.0).reshape(-1),
            "asic_capex_usd": asic_capex_g.reshape(-1),
        },
        index=idx,
    )


def _mining_table(scenario, sites, fleets, periods, ntier, fleet, mine, frac, hashrate_gk, revenue_gk, power_gk, opex_gk) -> pd.DataFrame:
    """The ``mining`` table of one scenario, index (scenario, site, fleet, tier, period),
    the tiers each site has: MW mined, curtailed (``fleet - mine``: could mine, does not),
    TH/s while the tier lasts, and the mining money of the tier."""
    ns, ng, nk, nt = mine.shape
    idx = pd.MultiIndex.from_product([[scenario], sites, fleets, range(nk), periods], names=["scenario", "site", "fleet", "tier", "period"])
    shape = (ns, ng, nk, nt)
    table = pd.DataFrame(
        {
            "hours_fraction": np.broadcast_to(frac[:, None, :, :], shape).reshape(-1),
            "mine_mw": mine.reshape(-1),
            "curtailed_mw": (fleet[:, :, None, :] - mine).reshape(-1),
            "hashrate_ph_s": (hashrate_gk / 1000.0).reshape(-1),
            "mining_revenue_usd": revenue_gk.reshape(-1),
            "mining_power_usd": power_gk.reshape(-1),
            "mining_opex_usd": opex_gk.reshape(-1),
            "mining_cost_usd": (power_gk + opex_gk).reshape(-1),
        },
        index=idx,
    )
    has_tier = np.arange(nk)[None, :] < np.asarray(ntier)[:, None]  # (S, K)
    return table[np.broadcast_to(has_tier[:, None, :, None], shape).reshape(-1)]


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
    """Recompute every money line and the NPV of ``plan`` and check every constraint.

    ``plan`` is a dict in the ``plan.json`` format (v1, or v2 with ``mining`` and
    ``fleet`` rows: see the module docstring). Returns the :class:`Evaluation`: the
    objective in USD, the violations (empty when feasible) and the recomputed tables.
    Raises :class:`~instances.InputError` when the plan cannot be read."""
    p = read_plan(instance, plan)
    W, S, T, F = instance.scenario_names, instance.site_names, instance.period_labels, instance.facility_names
    ns, nt, nf = len(S), len(T), len(F)
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
            off_whole = abs(b - round(b))
            v.check("start_integer", s, T[t], "", off_whole, 0.0, "blocks", f"start[{s},{T[t]}] = {b:g} is not a whole number of blocks")
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
    v2par = instance.site_params_v2.sort_index()
    ntiers = tier_counts(instance)
    G = fleet_names(instance)
    warnings = list(p.warnings)
    # the v2 money lines are columns of the allocation and finance tables of a v2
    # instance only: on a v1 instance they are 0 whatever the plan (no model to buy, no
    # resale, no prepayment), and its tables stay those of v1
    v2_columns = instance.is_v2
    alloc_frames, fin_frames, debt_frames, capex_frames, fleet_frames, mining_frames, npv_rows = [], [], [], [], [], [], []
    for iw, w in enumerate(W):
        sc = scen.loc[w]
        par = sp.loc[w].reindex(S)
        per = spp.loc[w]
        grid = np.array([per.loc[s]["grid_mw"].reindex(T).to_numpy(dtype=float) for s in S])
        lease = np.array([per.loc[s]["lease_usd_per_kw_month"].reindex(T).to_numpy(dtype=float) for s in S])
        pw = pdat.loc[w].reindex(T)
        hashprice = pw["hashprice_usd_per_ph_day"].to_numpy(dtype=float)
        overhead = pw["overhead_usd"].to_numpy(dtype=float)
        budget = pw["capex_budget_usd"].to_numpy(dtype=float)
        rate = float(sc["discount_rate_annual"])
        # SPEC 1: cash flows at period end, df_t = (1 + r) ** (-(t + 1) * m / 12)
        df = (1.0 + rate) ** (-(np.arange(nt) + 1) * months / 12.0)

        ai = p.ai[iw]
        mine = p.mine[iw]  # (S, G, K, T)
        eff = par["efficiency_j_per_th"].to_numpy(dtype=float)
        mpue = par["mining_pue"].to_numpy(dtype=float)
        model_eff, model_price, model_available = _model_arrays(instance, w, T)
        # TH/s per grid MW of fleet g: 1e6 / pue / efficiency_g (W / (J/TH) = TH/s); none
        # without mining. Fleet 0 is the installed fleet, then one per ASIC model.
        th_per_mw = _th_per_mw(mines, mpue, np.concatenate([eff[:, None], np.broadcast_to(model_eff, (ns, len(model_eff)))], axis=1))
        mopex = par["mining_opex_usd_per_mw_year"].to_numpy(dtype=float)
        mmax = np.where(mines, par["mining_max_mw"].to_numpy(dtype=float), 0.0)
        apue = par["ai_pue"].to_numpy(dtype=float)
        aopex = par["ai_opex_usd_per_it_mw_year"].to_numpy(dtype=float)
        landlord = ~par["power_pass_through"].to_numpy(dtype=bool)
        capex_per_mw = par["capex_usd_per_it_mw"].to_numpy(dtype=float)
        v2 = _site_v2_arrays(v2par, w, S, mmax)
        rack = v2["rack_mw"]
        prepay_per_mw = v2["prepayment_usd_per_it_mw"]
        credit_periods = v2["prepayment_credit_periods"]
        leased_flag = v2["leased_on_completion"]
        # SPEC 9 tiers: f_k, price_k, resale_k per (site, tier, period); 0 beyond a site's tiers
        flat_price = np.array([per.loc[s]["power_price_usd_per_mwh"].reindex(T).to_numpy(dtype=float) for s in S])
        frac, tier_price, resale = _tier_arrays(instance.power_tiers, w, S, T, mine.shape[2], flat_price)
        ntier = np.array([ntiers.get((w, s), 1) for s in S])
        hours_k = frac * hours  # h_k = f_k * h
        days_k = frac * days  # days_k = f_k * days

        # SPEC 8-9 mining money, per (site, fleet, tier, period)
        hashrate_gk = mine * th_per_mw[:, :, None, None]  # TH/s while the tier's hours last
        revenue_gk = hashprice[None, None, None, :] * hashrate_gk / 1000.0 * days_k[:, None, :, :]
        power_gk = mine * hours_k[:, None, :, :] * tier_price[:, None, :, :]
        opex_gk = mine * mopex[:, None, None, None] * months / 12.0 * frac[:, None, :, :]
        mining_revenue = revenue_gk.sum(axis=(1, 2))
        mining_power = power_gk.sum(axis=(1, 2))
        mining_opex = opex_gk.sum(axis=(1, 2))
        mining_cost = mining_power + mining_opex
        mine_tier = mine.sum(axis=1)  # (S, K, T): grid MW mined in each tier, all fleets
        mine_avg = (mine * frac[:, None, :, :]).sum(axis=(1, 2))  # hours-weighted: sum f_k * mine
        hashrate_th = (hashrate_gk * frac[:, None, :, :]).sum(axis=(1, 2))
        # SPEC 3 and 9 AI money: the hall draws the same power in every tier
        ai_revenue = ai * 1000.0 * lease * months
        ai_opex = ai * aopex[:, None] * months / 12.0
        energy_usd_per_mw = (hours_k * tier_price).sum(axis=1)  # sum_k h_k * price_k, USD per MW
        ai_power = np.where(landlord[:, None], ai * apue[:, None] * energy_usd_per_mw, 0.0)
        ai_cost = ai_opex + ai_power
        # SPEC 9 resale: undrawn grid MW of each tier earn resale_k * h_k
        undrawn = grid[:, None, :] - mine_tier - (apue[:, None] * ai)[:, None, :]
        resale_site = (resale * hours_k * undrawn).sum(axis=1)
        mining_ebitda = (mining_revenue - mining_cost).sum(axis=0)
        ai_ebitda = (ai_revenue - ai_cost).sum(axis=0)
        resale_revenue = resale_site.sum(axis=0)
        ebitda = mining_ebitda + ai_ebitda + resale_revenue - overhead

        # SPEC 8 fleets: fleet[g,t] = fleet[g,t-1] + buy - retire, from max_mw (installed) and 0
        buy, retire = p.buy[iw], p.retire[iw]
        fleet0 = np.zeros(buy.shape[:2])
        fleet0[:, 0] = mmax
        fleet = fleet0[:, :, None] + np.cumsum(buy - retire, axis=2)
        # ASIC capex: buy * 1e6 / pue / eff_g * price_g,t (USD), paid in t; none for the installed fleet
        price_g = np.concatenate([np.zeros((1, nt)), model_price], axis=0)
        asic_capex_g = buy * th_per_mw[:, :, None] * price_g[None, :, :]
        asic_capex_site = asic_capex_g.sum(axis=1)
        asic_capex = asic_capex_site.sum(axis=0)

        # SPEC 3 capex: a block's cost spread evenly over t .. t+lead-1, overflow into N-1
        capex_site = spread_capex(capex_per_mw * block, start, lead)
        capex = capex_site.sum(axis=0)
        # SPEC 10 tenant prepayments (cash in at the start) and credits (P periods from online)
        prepay_site = (prepay_per_mw * block)[:, None] * start
        credits_site = prepayment_credits(prepay_per_mw * block, credit_periods, start, lead)
        prepayments = prepay_site.sum(axis=0)
        credits = credits_site.sum(axis=0)
        for i, s in enumerate(S):
            given = p.has_mining_rows[iw, i] & p.ops_mine_given[iw, i]
            off = np.nonzero(given & (np.abs(p.ops_mine[iw, i] - mine_avg[i]) > abs_tol_mw + rel_tol * np.abs(mine_avg[i])))[0]
            if off.size:
                t = int(off[0])
                warnings.append(
                    f"scenario {w}, site {s}, {T[t]}: operations.mine_mw {p.ops_mine[iw, i, t]:g} differs from the mining rows' "
                    f"sum(f_k * mine) {mine_avg[i, t]:g} MW (the mining rows count)"
                )

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
        # SPEC 5 and 8-10: ASIC capex is paid like AI capex; prepayments and credits are cash only
        breach = leverage_breach_cost(sc, ebitda, debt_total, months)  # extension: a priced covenant
        flow = ebitda - capex - asic_capex - interest - fees + draws - repays - dividend + prepayments - credits - (0.0 if breach is None else breach)
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
            resale_revenue, overhead, capex, asic_capex, prepayments, credits,
            interest, fees, draws, repays, dividend, cash, balance.reshape(-1),
        ]))))

        # ---- operations constraints --------------------------------------------
        for i, s in enumerate(S):
            for t in range(nt):
                label = T[t]
                if ai[i, t] < 0:
                    v.check("nonnegativity", s, label, w, -ai[i, t], 0.0, "MW", f"ai[{s},{label}] = {ai[i, t]:g} MW < 0")
                reserved = apue[i] * block[i] * started[i, t]
                for k in range(ntier[i]):
                    in_tier = f"tier {k}: " if ntier[i] > 1 else ""
                    lhs = mine_tier[i, k, t] + reserved
                    v.check("grid_limit", s, label, w, lhs - grid[i, t], max(abs(lhs), grid[i, t]), "MW",
                            f"{in_tier}mine {mine_tier[i, k, t]:g} + AI blocks {reserved:g} = {lhs:g} MW > grid {grid[i, t]:g} MW")
                    for g, fleet_name in enumerate(G):
                        _check_mine(v, s, label, w, fleet_name, k, in_tier, mine[i, g, k, t], fleet[i, g, t], mmax[i], bool(mines[i]))
                cap = block[i] * online[i, t]
                v.check("ai_online", s, label, w, ai[i, t] - cap, max(abs(ai[i, t]), abs(cap)), "MW",
                        f"ai {ai[i, t]:g} IT MW > {cap:g} IT MW online")
                if leased_flag[i]:
                    v.check("leased_on_completion", s, label, w, cap - ai[i, t], max(abs(ai[i, t]), abs(cap)), "MW",
                            f"ai {ai[i, t]:g} IT MW < {cap:g} IT MW online (ai.leased_on_completion: every online block is leased)")
            _check_fleet(v, s, w, T, G, buy[i], retire[i], fleet[i], rack[i], bool(mines[i]), model_available)
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
            terms = (opening_cash[t], ebitda[t], capex[t], asic_capex[t], interest[t], fees[t], draws[t], repays[t],
                     dividend[t], prepayments[t], credits[t], cash[t], min_cash)
            scale = max(abs(x) for x in terms)
            v.check("min_cash", "", label, w, min_cash - cash[t], scale, "USD", f"cash {_usd(cash[t])} < minimum {_usd(min_cash)}")
            if not np.isnan(ratio) and breach is None:
                cap = ratio * ebitda[t] * 12.0 / months
                gross = max(abs(debt_total[t]), ratio * 12.0 / months * max(
                    np.abs(mining_revenue[:, t]).sum() + np.abs(mining_cost[:, t]).sum()
                    + np.abs(ai_revenue[:, t]).sum() + np.abs(ai_cost[:, t]).sum() + np.abs(resale_site[:, t]).sum()
                    + abs(overhead[t]), abs(ebitda[t])))
                v.check("leverage", "", label, w, debt_total[t] - cap, gross, "USD",
                        f"debt {_usd(debt_total[t])} > {ratio:g} x annualized EBITDA {_usd(ebitda[t] * 12.0 / months)} = {_usd(cap)}")

        # ---- tables --------------------------------------------------------------------
        idx = pd.MultiIndex.from_product([[w], S, T], names=["scenario", "site", "period"])
        flat = lambda a: np.asarray(a, dtype=float).reshape(-1)  # noqa: E731  (site-major, like idx)
        block_mw = np.repeat(block, nt)
        a = pd.DataFrame(index=idx)
        a["grid_mw"] = flat(grid)
        a["mine_mw"] = flat(mine_avg)  # hours-weighted over the tiers: sum_g,k f_k * mine[g,k]
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
        if v2_columns:  # SPEC 9: resale is EBITDA of the site (of neither segment)
            a["resale_revenue_usd"] = flat(resale_site)
            a["site_ebitda_usd"] += a["resale_revenue_usd"]
        alloc_frames.append(a)
        capex_frames.append(pd.DataFrame({
            "capex_usd": flat(capex_site),
            "asic_capex_usd": flat(asic_capex_site),
            "prepayments_usd": flat(prepay_site),
            "credits_usd": flat(credits_site),
        }, index=idx))
        fleet_frames.append(_fleet_table(w, S, G, T, buy, retire, fleet, mine, frac, th_per_mw, asic_capex_g))
        mining_frames.append(_mining_table(w, S, G, T, ntier, fleet, mine, frac, hashrate_gk, revenue_gk, power_gk, opex_gk))

        pidx = pd.MultiIndex.from_product([[w], T], names=["scenario", "period"])
        fin = pd.DataFrame(index=pidx)
        fin["mining_ebitda_usd"] = mining_ebitda
        fin["ai_ebitda_usd"] = ai_ebitda
        if v2_columns:
            fin["resale_revenue_usd"] = resale_revenue
        fin["overhead_usd"] = overhead
        fin["ebitda_usd"] = ebitda
        fin["capex_usd"] = capex
        if v2_columns:
            fin["asic_capex_usd"] = asic_capex
        fin["interest_usd"] = interest
        fin["fees_usd"] = fees
        fin["draws_usd"] = draws
        fin["repays_usd"] = repays
        if v2_columns:
            fin["prepayments_usd"] = prepayments
            fin["credits_usd"] = credits
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
        fleet=pd.concat(fleet_frames),
        mining=pd.concat(mining_frames),
        warnings=warnings,
    )
