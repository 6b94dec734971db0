"""Why is there no plan? The smallest relaxation that makes an infeasible instance feasible.

``explain_infeasibility(instance)`` builds the normal model (``models.build_model``),
replaces the constraints a finance team can negotiate by elastic copies with
nonnegative slack variables, and minimizes the slack alone (the NPV plays no part:
the relaxation is chosen first, lexicographically). Relaxed, in model money:

======================  ===============================================  ===========================
constraint              relaxed copy                                     amount reported
======================  ===============================================  ===========================
``min_cash``            ``cash[t] + s_floor[t] + s_gap[t] >= min_cash``  cash below the minimum
``capex_budget``        ``capex[t] <= budget[t] + s[t]``                 capex over the budget
``total_capex_budget``  ``sum(capex[t]) <= total budget + s``            capex over the budget
``leverage``            ``debt[t] - ratio*12/m*EBITDA[t] <= s[t]``       debt over the covenant
``debt_limit``          ``balance[f,t] <= limit[f] + s[f,t]``            balance over the limit
``advance_rate``        ``balance[f,t] <= rate*capex_cum[t] + s[f,t]``   balance over the advance
``maturity``            ``balance[f,t] <= s[f,t]`` (bound 0 lifted)      balance left after maturity
======================  ===============================================  ===========================

The names are those of the evaluator's constraint families (``optimizer.evaluator``).

Every slack costs 1 per USD except ``s_gap``: cash below zero (or below a negative
minimum), money that does not exist. It costs ``GAP_PENALTY`` per USD, so that a
loan that cannot be repaid at maturity is reported as such ("Loan still owes $25.8M
after its maturity") rather than as cash going negative to repay it, and a funding
need is met first by the facilities' limits. Cash between the minimum and zero is
plain ``s_floor`` (a lower minimum). Both are reported together, as the amount by
which cash falls below the minimum.

Retrofit starts stay integer (with ``fixed_starts`` they stay fixed); every scenario
gets its own slacks, summed without weights (each scenario must be feasible).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from pyomo.environ import Constraint, NonNegativeReals, Objective, Var, minimize

from instances import Instance
from models import MONEY_SCALE, build_model
from models.variants import CONSTRAINT_FAMILIES, fix_starts, relaxed_upper
from optimizer.backend.highs_direct import status_name
from optimizer.backend.interrupt import interruptible
from optimizer.backend.options import highs_of, highs_options, pyomo_highs
from optimizer.backend.numerics import range_issues
from optimizer.reports.formatting import money

GAP_PENALTY = 10.0  # per USD of cash below zero, against 1 for every other relaxation
MIN_REPORTED_USD = 1.0  # slacks below one dollar are solver noise
MAX_PERIODS_LISTED = 6  # periods listed in one sentence before "and N more"
DEFAULT_TIME_LIMIT = 60.0  # seconds for the relaxed solve when the caller sets none

# constraint -> (model component, sense): the elastic copies are built generically from
# the model's own constraint data, so they follow any change to the rules
RELAXED = {
    CONSTRAINT_FAMILIES[component][0]: (component, "upper")
    for component in ("capex_budget_limit", "total_capex_budget_limit", "leverage_limit", "debt_limit", "debt_advance_limit")
}


class Relaxation(NamedTuple):
    """One relaxed constraint: by how much (USD) it must give way, where and when."""

    constraint: str  # min_cash, capex_budget, total_capex_budget, leverage, debt_limit, advance_rate, maturity
    scenario: str
    period: str | None  # None for the total capex budget
    name: str | None  # the facility for debt_limit, advance_rate and maturity
    amount_usd: float


@dataclass
class Explanation:
    """The smallest relaxation found (``items``), or why none was (``found`` False)."""

    found: bool
    items: list[Relaxation] = field(default_factory=list)
    reason: str = ""
    total_usd: float = 0.0
    stochastic: bool = False
    bounds: dict = field(default_factory=dict)  # (constraint, scenario, name) -> nominal value in USD or ratio
    periods: list[str] = field(default_factory=list)  # the horizon's labels, to merge runs of periods
    proven: bool = True  # False: the relaxed solve stopped early (time limit); maybe not the smallest

    def lines(self) -> list[str]:
        """Plain sentences, one per relaxed constraint (and scenario, facility)."""
        if not self.found:
            return [self.reason]
        if not self.items:
            return ["no relaxation of the minimum cash, capex budgets, leverage covenant or debt terms helps: "
                    "the conflict lies elsewhere"]
        groups: dict[tuple, list[Relaxation]] = {}
        for item in self.items:
            groups.setdefault((item.constraint, item.scenario, item.name), []).append(item)
        out = []
        for (constraint, scenario, name), items in groups.items():
            text = _sentence(constraint, name, items, self.bounds.get((constraint, scenario, name)), self.periods)
            out.append(f"In scenario {scenario}, {text}" if self.stochastic else text[0].upper() + text[1:])
        if not self.proven:
            out.append("(the relaxed solve stopped early: a smaller relaxation may exist)")
        return out

    def to_json(self) -> list[dict]:
        return [item._asdict() for item in self.items]


def explain_infeasibility(instance: Instance, time_limit: float | None = None, fixed_starts: dict | None = None) -> Explanation:
    """Solve the elastic model; never raises (an explanation is a courtesy).

    ``time_limit`` bounds the relaxed solve (``DEFAULT_TIME_LIMIT`` when None): after
    an infeasible verdict the user is not kept waiting indefinitely for the why."""
    try:
        return _explain(instance, time_limit, fixed_starts)
    except KeyboardInterrupt:
        return Explanation(found=False, reason="no explanation: interrupted")
    except Exception as exc:  # noqa: BLE001 - report, do not crash the report of an infeasible solve
        return Explanation(found=False, reason=f"no explanation: the relaxed model failed ({exc.__class__.__name__}: {exc})")


def _explain(instance: Instance, time_limit: float | None, fixed_starts: dict | None) -> Explanation:
    out_of_range = range_issues(instance)
    if out_of_range:
        return Explanation(found=False, reason=f"no explanation: {out_of_range[0]}")
    m = build_model(instance)
    d = m.data
    if fixed_starts is not None:
        fix_starts(m, fixed_starts)
    for obj in list(m.component_objects(Objective, active=True)):
        obj.deactivate()
    slacks: dict[str, tuple[Var, float]] = {}  # name -> (slack var, penalty)

    # minimum cash: a slack down to zero (a lower minimum), then a costly one below zero
    m.cash_floor.deactivate()
    m.x_cash_floor = Var(m.W, m.T, domain=NonNegativeReals, bounds=lambda m, w, t: (0, max(d.min_cash[w], 0.0)))
    m.x_cash_gap = Var(m.W, m.T, domain=NonNegativeReals)
    m.x_cash_floor_relaxed = Constraint(
        m.W, m.T, rule=lambda m, w, t: m.cash[w, t] + m.x_cash_floor[w, t] + m.x_cash_gap[w, t] >= d.min_cash[w]
    )
    slacks["min_cash_floor"] = (m.x_cash_floor, 1.0)
    slacks["min_cash_gap"] = (m.x_cash_gap, GAP_PENALTY)

    # upper limits: body <= upper + s
    for name, (component, _sense) in RELAXED.items():
        comp = getattr(m, component, None)
        if comp is None:
            continue
        keys = [k for k, c in comp.items() if c.active and c.has_ub()]
        if not keys:
            continue
        comp.deactivate()
        var = Var(keys, domain=NonNegativeReals)
        m.add_component(f"x_{name}", var)
        m.add_component(
            f"x_{name}_relaxed",
            Constraint(keys, rule=lambda m, *k, comp=comp, var=var: relaxed_upper(comp, var, k)),
        )
        slacks[name] = (var, 1.0)

    # maturities: balance[f,t] is bounded to 0 from the maturity on; lift the bound
    matured = [(w, f, t) for (w, f, t), is_matured in d.matured.items() if is_matured]
    if matured:
        for key in matured:
            m.balance[key].setub(None)
        m.x_maturity = Var(matured, domain=NonNegativeReals)
        m.x_maturity_relaxed = Constraint(matured, rule=lambda m, w, f, t: m.balance[w, f, t] <= m.x_maturity[w, f, t])
        slacks["maturity"] = (m.x_maturity, 1.0)

    m.x_total_slack = Objective(
        expr=sum(penalty * sum(var.values()) for var, penalty in slacks.values()), sense=minimize
    )
    solver = pyomo_highs()
    with interruptible(lambda: highs_of(solver)) as interrupt:
        res = solver.solve(
            m,
            time_limit=DEFAULT_TIME_LIMIT if time_limit is None else time_limit,
            rel_gap=1e-9,
            load_solutions=False,
            raise_exception_on_nonoptimal_result=False,
            solver_options=highs_options(),
        )
    if interrupt.requested:
        return Explanation(found=False, reason="no explanation: interrupted")
    if res.incumbent_objective is None:
        status = status_name(highs_of(solver))
        return Explanation(found=False, reason=f"no explanation: the relaxed model found no plan either ({status})")
    res.solution_loader.load_vars()

    items: list[Relaxation] = []
    period_order = {t: i for i, t in enumerate(d.T)}

    def amount(v) -> float:
        return (v.value or 0.0) * MONEY_SCALE

    for w in d.W:
        for t in d.T:
            usd = amount(m.x_cash_floor[w, t]) + amount(m.x_cash_gap[w, t])
            if usd >= MIN_REPORTED_USD:
                items.append(Relaxation("min_cash", w, t, None, usd))
    for name in RELAXED:
        var = getattr(m, f"x_{name}", None)
        for key, v in (var.items() if var is not None else ()):
            usd = amount(v)
            if usd < MIN_REPORTED_USD:
                continue
            key = key if isinstance(key, tuple) else (key,)
            w = key[0]
            t = next((k for k in key[1:] if k in period_order), None)
            f = next((k for k in key[1:] if k in d.F), None) if name in ("debt_limit", "advance_rate") else None
            items.append(Relaxation(name, w, t, f, usd))
    if matured:
        for (w, f, t), v in m.x_maturity.items():
            usd = amount(v)
            if usd >= MIN_REPORTED_USD:
                items.append(Relaxation("maturity", w, t, f, usd))

    order = list(RELAXED) + ["min_cash", "maturity"]
    items.sort(key=lambda r: (d.W.index(r.scenario), order.index(r.constraint), r.name or "", period_order.get(r.period, -1)))
    return Explanation(
        found=True,
        items=items,
        total_usd=sum(r.amount_usd for r in items),
        stochastic=instance.is_stochastic,
        bounds=_bounds(instance, d),
        periods=list(d.T),
        proven=str(highs_of(solver).getModelStatus()).endswith("kOptimal"),
    )


def _bounds(instance: Instance, d) -> dict:
    """Nominal values quoted in the sentences (USD, or a ratio for the covenant)."""
    out: dict = {}
    for w in d.W:
        out[("min_cash", w, None)] = d.min_cash[w] * MONEY_SCALE
        if w in d.total_capex_budget:
            out[("total_capex_budget", w, None)] = d.total_capex_budget[w] * MONEY_SCALE
        if w in d.max_debt_to_ebitda:
            out[("leverage", w, None)] = d.max_debt_to_ebitda[w]
        for f in d.F:
            out[("debt_limit", w, f)] = d.limit[w, f] * MONEY_SCALE
            if (w, f) in d.advance_rate:
                out[("advance_rate", w, f)] = d.advance_rate[w, f]
            first = next((t for t in d.T if d.matured.get((w, f, t))), None)
            if first is not None:
                out[("maturity", w, f)] = first
    return out


def _runs(items: list[Relaxation], periods: list[str]) -> list[str]:
    """'$10.0M in 2026-01', merging consecutive periods that show the same figure:
    '$20.0M in 2027-04 to 2027-06'."""
    index = {t: i for i, t in enumerate(periods)}
    runs: list[list[Relaxation]] = []
    for r in items:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and money(last.amount_usd) == money(r.amount_usd)
            and r.period in index
            and last.period in index
            and index[r.period] == index[last.period] + 1
        ):
            runs[-1].append(r)
        else:
            runs.append([r])
    return [
        f"{money(run[0].amount_usd)} in {run[0].period}" + (f" to {run[-1].period}" if len(run) > 1 else "")
        for run in runs
    ]


def _by(items: list[Relaxation], periods: list[str]) -> str:
    """' by $10.0M in 2026-01', or ' by up to $10.0M ($10.0M in 2026-01, $8.6M in 2026-04, ...)'."""
    runs = _runs(items, periods)
    if len(runs) == 1:
        return f" by {runs[0]}"
    top = max(r.amount_usd for r in items)
    listed = ", ".join(runs[:MAX_PERIODS_LISTED])
    more = f" and {len(runs) - MAX_PERIODS_LISTED} more" if len(runs) > MAX_PERIODS_LISTED else ""
    return f" by up to {money(top)} ({listed}{more})"


def _sentence(constraint: str, name: str | None, items: list[Relaxation], bound, periods: list[str]) -> str:
    by = _by(items, periods)
    if constraint == "min_cash":
        if not by.startswith(" by up to"):
            return f"cash falls {by[4:].replace(' in ', ' below the minimum of ' + money(bound or 0.0) + ' in ', 1)}"
        return f"cash falls below the minimum of {money(bound or 0.0)}{by}"
    if constraint == "capex_budget":
        return f"AI capex exceeds the per-period budget{by}"
    if constraint == "total_capex_budget":
        return f"AI capex exceeds the total budget of {money(bound or 0.0)} by {money(items[0].amount_usd)}"
    if constraint == "leverage":
        ratio = f"{bound:g}x" if bound is not None else "the ratio times"
        return f"total debt exceeds the leverage covenant ({ratio} annualized EBITDA){by}"
    if constraint == "debt_limit":
        return f'facility "{name}" exceeds its limit of {money(bound or 0.0)}{by}'
    if constraint == "advance_rate":
        rate = f"{bound:.0%} of AI capex spent" if bound is not None else "its advance rate"
        return f'facility "{name}" exceeds its advance ({rate}){by}'
    if constraint == "maturity":
        due = f" ({bound})" if bound else ""
        if not by.startswith(" by up to"):
            return f'facility "{name}" still owes {by[4:]}, after its maturity{due}'
        return f'facility "{name}" still owes money after its maturity{due}:{by[3:]}'
    return f"{constraint} relaxed{by}"


def explanation_json(explanation: Explanation) -> list[dict]:
    """Why no plan exists, for ``--json`` and ``summary.json``: one object per relaxed
    constraint and period, ``{constraint, scenario, period, name, amount_usd, text}``
    (``name`` is the facility, ``text`` the sentence of its group); an empty list when
    no relaxation could be computed."""
    if not explanation.found:
        return []
    return [dict(item, text=text) for item, text in zip(explanation.to_json(), _item_texts(explanation))]


def _item_texts(explanation: Explanation) -> list[str]:
    """The sentence that covers each item (items of a group share their sentence)."""
    keys = list(dict.fromkeys((i.constraint, i.scenario, i.name) for i in explanation.items))
    lines = explanation.lines()
    by_key = dict(zip(keys, lines))
    return [by_key[(i.constraint, i.scenario, i.name)] for i in explanation.items]
