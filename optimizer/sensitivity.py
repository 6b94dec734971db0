"""Marginal values of a plan, in USD, as a CFO reads them.

With the retrofit starts fixed at the plan's values, the rest of the model (mining,
leasing, debt, cash, dividends) is a linear program. Its duals say what one more
unit of a limit is worth to the objective (the NPV, probability-weighted over
scenarios; risk-adjusted when ``risk`` is set), at the margin and with the retrofit
schedule held as it is:

=================  ==========================  ===================================
kind               name, period                value_usd
=================  ==========================  ===================================
grid_mw            site, period or ``all``     USD per extra grid MW at the site in
                                               that period (``all``: in every period);
                                               at a site with price tiers, the sum over
                                               its tiers' grid rows (the resale the
                                               extra MW would earn undrawn is not in it)
capex_budget       ``per_period``, period or   USD per extra USD of the per-period
                   ``all``                     AI capex budget (``all``: every period)
total_capex_budget ``total``, ``all``          USD per extra USD of the total budget
debt_limit         facility, ``all``           USD per extra USD of the facility's
                                               limit (in every period)
min_cash           ``min_cash``, ``all``       USD per USD *lower* minimum cash
=================  ==========================  ===================================

Each value is the sum of the duals of the rows it moves (over periods and scenarios
as stated: the objective already weighs scenarios by probability), converted from
the model's units (money in millions, ``models.MONEY_SCALE``; grid rows in MW). For
a maximization, the dual of a row is the change of the objective per unit its
right-hand side rises, so a lower minimum cash is worth minus the ``cash_floor`` duals.

With the schedule held, capex is fixed, so a capex budget is worth nothing at the
margin even where it binds (``binding`` says so): its value lies in allowing a
different schedule, which ``allocate breakeven`` and ``allocate sweep`` measure.
A value is exact for small moves within the basis's stability range; a degenerate
LP may have several duals, of which HiGHS returns one.
"""

from __future__ import annotations

import pandas as pd

from models import MONEY_SCALE
from optimizer.backend.highs_direct import DirectHighs
from optimizer.backend.options import highs_options as seeded

ALL = "all"
COLUMNS = ["kind", "name", "period", "value_usd", "per", "binding"]
BINDING_TOL = 1e-7  # model units (MW, or millions of USD)


def starts_of(model) -> dict[tuple[str, str], int]:
    """The plan's retrofit starts, rounded to whole blocks."""
    return {k: int(round(v.value or 0.0)) for k, v in model.start.items()}


def lp_duals(model, starts: dict | None = None, highs_options: dict | None = None):
    """Solve ``model`` as an LP with ``start`` fixed (at ``starts``, default its values)
    and return ``(objective in model units, {constraint data: dual}, {constraint
    data: slack})``. The model's fixings and values are restored afterwards.
    RuntimeError when the LP has no optimal solution."""
    starts = starts if starts is not None else starts_of(model)
    saved = {k: (v.fixed, v.value) for k, v in model.start.items()}
    try:
        for k, v in model.start.items():
            v.fix(starts.get(k, 0))
        solver = DirectHighs()
        report = solver.solve(model, options=seeded(solve_relaxation=True, **(highs_options or {})))
        if report.model_status != "kOptimal":
            raise RuntimeError(f"the LP with the retrofit starts fixed is not optimal ({report.model_status})")
        return report.objective, solver.row_duals(), solver.row_slacks()
    finally:
        for k, v in model.start.items():
            fixed, value = saved[k]
            v.set_value(value, skip_validation=True)
            if fixed:
                v.fix()
            else:
                v.unfix()


def sensitivities(result, highs_options: dict | None = None) -> pd.DataFrame:
    """The marginal values of a solved :class:`optimizer.solve.Result` (see the module
    doc): a DataFrame with columns ``kind, name, period, value_usd, per, binding``."""
    model = result.model
    _, duals, slack = lp_duals(model, highs_options=highs_options)
    return sensitivity_table(model, duals, slack, result.instance.period_labels)


def _comp(model, name: str):
    return getattr(model, name, None)


def sensitivity_table(model, duals: dict, slack: dict, periods: list[str]) -> pd.DataFrame:
    """Rows of marginal values from the duals of the model's rows."""
    rows: list[dict] = []

    def add(kind, name, period, value, per, binding):
        rows.append({"kind": kind, "name": name, "period": period, "value_usd": float(value), "per": per, "binding": bool(binding)})

    def collect(component, key_of):
        """{group key: [(period, dual, binding)]} over the component's rows."""
        out: dict = {}
        if component is None:
            return out
        for index, con in component.items():
            if con not in duals:
                continue
            group, period = key_of(index)
            out.setdefault(group, []).append((period, duals[con], slack.get(con, 1.0) <= BINDING_TOL))
        return out

    # grid MW: rows in MW, objective in millions of USD; a site mining per price tier
    # (SPEC v2) has one grid row per tier, all moved by one more grid MW
    grid = collect(_comp(model, "grid_limit"), lambda i: (i[1], i[2]))
    for site, items in collect(_comp(model, "grid_tier_limit"), lambda i: (i[1], i[2])).items():
        grid.setdefault(site, []).extend(items)
    for site, items in resale_grid_items(model, duals).items():
        grid.setdefault(site, []).extend(items)
    for site, items in grid.items():
        by_period = _by_period(items, periods)
        for t, (v, b) in by_period.items():
            add("grid_mw", site, t, v * MONEY_SCALE, "MW", b)
        add("grid_mw", site, ALL, sum(v for v, _ in by_period.values()) * MONEY_SCALE, "MW", any(b for _, b in by_period.values()))
    # money rows: model money on both sides, so a dual is USD per USD
    budget = collect(_comp(model, "capex_budget_limit"), lambda i: ("per_period", i[1]))
    for name, items in budget.items():
        by_period = _by_period(items, periods)
        for t, (v, b) in by_period.items():
            add("capex_budget", name, t, v, "USD", b)
        add("capex_budget", name, ALL, sum(v for v, _ in by_period.values()), "USD", any(b for _, b in by_period.values()))
    total = collect(_comp(model, "total_capex_budget_limit"), lambda i: ("total", ALL))
    for name, items in total.items():
        add("total_capex_budget", name, ALL, sum(v for _, v, _ in items), "USD", any(b for _, _, b in items))
    for facility, items in collect(_comp(model, "debt_limit"), lambda i: (i[1], i[2])).items():
        add("debt_limit", facility, ALL, sum(v for _, v, _ in items), "USD", any(b for _, _, b in items))
    for name, items in collect(_comp(model, "cash_floor"), lambda i: ("min_cash", i[1])).items():
        # cash >= min_cash: the dual is per USD *higher* floor; a lower floor is worth minus it
        add("min_cash", name, ALL, -sum(v for _, v, _ in items), "USD", any(b for _, _, b in items))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["value_usd"] = frame["value_usd"].where(frame["value_usd"].abs() > 1e-12, 0.0)
    return frame


def resale_grid_items(model, duals: dict) -> dict[str, list[tuple[str, float, bool]]]:
    """What one more grid MW earns through resale (SPEC 9), per site: [(period, value in
    model units, False)].

    Resale ``sum_k rate[s,t,k] * (grid_mw[s,t] - mine - ai.pue * ai)`` holds the grid MW
    as a constant inside EBITDA, so no grid row sees it: one more grid MW adds
    ``sum_k rate[s,t,k]`` to EBITDA of period t, which enters the cash recursion
    (``cash == ... + ebitda``: its bound moves by ``+rate``) and the covenant
    (``debt - ratio * 12/m * ebitda <= 0``: its bound moves by ``+ratio * 12/m * rate``).
    The marginal value is each row's dual times its bound's move.
    """
    d = getattr(model, "data", None)
    if d is None or not getattr(d, "has_resale", False):
        return {}
    cash = _comp(model, "cash_balance")
    lev = _comp(model, "leverage_limit")
    out: dict[str, list[tuple[str, float, bool]]] = {}
    for (w, s, t, _k), rate in d.resale_rate.items():
        value = rate * duals.get(cash[w, t], 0.0) if cash is not None and (w, t) in cash else 0.0
        ratio = d.max_debt_to_ebitda.get(w)
        if lev is not None and ratio is not None and (w, t) in lev:
            value += rate * ratio * 12.0 / d.months * duals.get(lev[w, t], 0.0)
        out.setdefault(s, []).append((t, value, False))
    return out


def _by_period(items, periods: list[str]) -> dict[str, tuple[float, bool]]:
    """Sum over scenarios per period, in period order."""
    acc: dict[str, tuple[float, bool]] = {}
    for t, v, b in items:
        old = acc.get(t, (0.0, False))
        acc[t] = (old[0] + v, old[1] or b)
    return {t: acc[t] for t in periods if t in acc}


def top(table: pd.DataFrame | None, n: int = 8) -> pd.DataFrame:
    """The headline marginal values: whole-horizon rows (``period == "all"``) with a
    non-zero value, largest first."""
    if table is None or not len(table):
        return pd.DataFrame(columns=COLUMNS)
    t = table[(table["period"] == ALL) & (table["value_usd"].abs() > 1e-9)]
    return t.reindex(t["value_usd"].abs().sort_values(ascending=False).index).head(n)
