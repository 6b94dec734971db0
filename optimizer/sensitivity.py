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


def lp_duals(model, starts: dict | None = None, highs_options: dict | None = None, then=None):
    """Solve ``model`` as an LP with ``start`` fixed (at ``starts``, default its values)
    and return ``(objective in model units, {constraint data: dual}, {constraint
    data: slack})``. The model's fixings and values are restored afterwards.
    ``then(solver)``, when given, runs with the solved LP still loaded (re-solves).
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
        out = report.objective, solver.row_duals(), solver.row_slacks()
        if then is not None:
            then(solver)
        return out
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
    checks: dict = {}

    def check(solver) -> None:  # the headline values, re-solved while the LP is loaded
        table = sensitivity_table(model, solver.row_duals(), solver.row_slacks(), result.instance.period_labels)
        checks["table"] = checked_values(table, solver, model, result.instance.period_labels)

    lp_duals(model, highs_options=highs_options, then=check)
    return checks["table"]


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


#: a period carries a whole-horizon value when its share of the value is at least this
CARRY_SHARE = 0.01


def carrying_periods(table: pd.DataFrame, kind: str, name: str) -> list[str] | None:
    """The periods whose per-period marginal value makes up the row ``(kind, name, all)``:
    those with at least ``CARRY_SHARE`` of the summed absolute value, in period order;
    None when the table has no per-period rows for it (a limit that is the same in every
    period, such as a facility's limit)."""
    rows = table[(table["kind"] == kind) & (table["name"] == name) & (table["period"] != ALL)]
    if not len(rows):
        return None
    size = rows["value_usd"].abs()
    total = float(size.sum())
    if total <= 0:
        return []
    return rows.loc[size >= CARRY_SHARE * total, "period"].tolist()


def periods_label(periods: list[str] | None, all_periods: list[str]) -> str:
    """Words for the periods that carry a value: ``2027-01 only``, ``2027-01 to 2027-10``
    (consecutive), ``2027-01, 2028-04 and 3 more``, or ``every period``."""
    if periods is None or list(periods) == list(all_periods):
        return "every period"
    if not periods:
        return "no period"
    if len(periods) == 1:
        return f"{periods[0]} only"
    pos = [all_periods.index(p) for p in periods]
    if pos == list(range(pos[0], pos[0] + len(pos))):
        return f"{periods[0]} to {periods[-1]}"
    shown = ", ".join(periods[:2])
    return f"{shown} and {len(periods) - 2} more" if len(periods) > 2 else " and ".join(periods)


# ---- each headline value checked by a re-solve of the change it names ---------------

#: a dual and its re-solve that differ by more than this share: the re-solved value is shown
RESOLVE_TOLERANCE = 0.05
#: the step of a money limit in a re-solve: one model unit (``MONEY_SCALE`` USD), per USD after
MONEY_STEP = 1.0
#: the rows each kind moves, and whether a unit more of the limit lowers the row's lower bound
MOVES = {
    "grid_mw": ("grid_limit", False),
    "capex_budget": ("capex_budget_limit", False),
    "total_capex_budget": ("total_capex_budget_limit", False),
    "debt_limit": ("debt_limit", False),
    "min_cash": ("cash_floor", True),
}
CHECK_COLUMNS = ["periods", "dual_usd", "resolved_usd", "shown_usd", "source", "holds_for"]


def _moved_rows(model, kind: str, name: str, periods: list[str] | None) -> list:
    """The constraint data a unit more of ``(kind, name)`` moves, in the periods named
    (for a grid MW: the site's grid row, or its grid row in every price tier, SPEC 9)."""
    names = [MOVES[kind][0]] + (["grid_tier_limit"] if kind == "grid_mw" else [])
    out = []
    for component_name in names:
        component = getattr(model, component_name, None)
        if component is None:
            continue
        for index, con in component.items():
            index = index if isinstance(index, tuple) else (index,)
            if kind in ("grid_mw", "debt_limit") and index[1] != name:
                continue
            period = index[2] if kind == "grid_mw" else index[-1]
            if periods is not None and kind in ("grid_mw", "capex_budget") and period not in periods:
                continue
            out.append(con)
    return out


def resale_shifts(model, name: str, periods: list[str] | None) -> list[tuple]:
    """What one more grid MW at site ``name`` moves besides its grid rows, when the site
    resells undrawn power (SPEC 9): resale ``rate[s,t,k] * grid_mw[s,t]`` is a constant of
    EBITDA, so the bounds of the cash row of period t move by ``rate`` and the covenant's
    upper bound by ``ratio * 12/m * rate`` (see :func:`resale_grid_items`).
    [(constraint, lower shift, upper shift)] in model units."""
    d = getattr(model, "data", None)
    if d is None or not getattr(d, "has_resale", False):
        return []
    cash = _comp(model, "cash_balance")
    lev = _comp(model, "leverage_limit")
    moves: dict = {}
    for (w, s, t, _k), rate in d.resale_rate.items():
        if s != name or (periods is not None and t not in periods):
            continue
        if cash is not None and (w, t) in cash:
            lo, up = moves.get(cash[w, t], (0.0, 0.0))
            moves[cash[w, t]] = (lo + rate, up + rate)
        ratio = d.max_debt_to_ebitda.get(w)
        if lev is not None and ratio is not None and (w, t) in lev:
            lo, up = moves.get(lev[w, t], (0.0, 0.0))
            moves[lev[w, t]] = (lo, up + ratio * 12.0 / d.months * rate)
    return [(con, lo, up) for con, (lo, up) in moves.items()]


def resolve_change(solver, rows: list, step: float, lower: bool, base: float, shifts: list[tuple] = ()) -> float | None:
    """The LP's objective change from ``base`` (model units) when each row's limit moves
    by ``step`` (its upper bound up, or with ``lower`` its lower bound down) and each
    ``(row, lower shift, upper shift)`` of ``shifts`` moves by its shifts, re-solved from
    the current basis; the bounds are put back afterwards (the next re-solve starts
    from this basis). None when the re-solve is not optimal."""
    from optimizer.backend.highs_direct import status_name

    highs = solver.highs
    position = {con: i for i, con in enumerate(solver.rows)}
    moves: dict[int, list[float]] = {}
    for c in rows:
        if c in position:
            moves.setdefault(position[c], [0.0, 0.0])[0 if lower else 1] += -step if lower else step
    if not moves:
        return None
    for c, lo_shift, up_shift in shifts:
        if c in position:
            move = moves.setdefault(position[c], [0.0, 0.0])
            move[0] += lo_shift
            move[1] += up_shift
    lp = highs.getLp()
    lo, up = list(lp.row_lower_), list(lp.row_upper_)
    for i, (dlo, dup) in moves.items():
        new_lo = lo[i] + dlo if lo[i] > -1e30 else lo[i]
        new_up = up[i] + dup if up[i] < 1e30 else up[i]
        if lower and lo[i] <= -1e30 and dlo:  # a row without a lower bound: move its upper one
            new_up = up[i] - dlo
        highs.changeRowBounds(i, new_lo, new_up)
    try:
        highs.run()
        moved = highs.getInfo().objective_function_value if status_name(highs) == "kOptimal" else None
    finally:
        for i in moves:
            highs.changeRowBounds(i, lo[i], up[i])
    return None if moved is None else moved - base


def plan_ranges(solver) -> tuple | None:
    """(row_value, ranging) of the loaded LP's optimum, from HiGHS ranging; None when
    HiGHS gives none. Read before any re-solve moves the basis."""
    highs = solver.highs
    try:
        _status, ranging = highs.getRanging()
    except Exception:  # no basis, no ranging
        return None
    if not getattr(ranging, "valid", False):
        return None
    return list(highs.getSolution().row_value), ranging


def row_range(solver, ranges: tuple | None, rows: list, lower: bool) -> float | None:
    """How far the moved rows' limit can go in the named direction before the basis (and
    so the dual) changes: the smallest distance over ``rows`` (row units: MW, or model
    money; inf when unbounded); None without ranging."""
    if ranges is None:
        return None
    row_value, ranging = ranges
    position = {con: i for i, con in enumerate(solver.rows)}
    values = []
    for con in rows:
        i = position.get(con)
        if i is None:
            continue
        if lower:
            values.append(row_value[i] - ranging.row_bound_dn.value_[i])
        else:
            values.append(ranging.row_bound_up.value_[i] - row_value[i])
    if not values:
        return None
    finite = [v for v in values if v == v and abs(v) < 1e30]
    return max(min(finite), 0.0) if finite else float("inf")


def checked_values(table: pd.DataFrame, solver, model, periods: list[str], n: int = 8) -> pd.DataFrame:
    """``table`` with the headline rows (:func:`top`) checked: each one's change (one
    more MW, or one more USD measured on a step of ``MONEY_STEP`` model units) applied
    to the loaded LP, schedule held, and re-solved. Columns added: ``periods`` (the
    periods moved, :func:`periods_label`), ``dual_usd``, ``resolved_usd``, ``shown_usd``
    (the dual, or the re-solve where they differ by more than ``RESOLVE_TOLERANCE``),
    ``source`` (``dual`` or ``re-solve``) and ``holds_for`` (how far the limit can move
    before the dual changes: MW or USD; HiGHS ranging)."""
    out = table.copy()
    for col in CHECK_COLUMNS:
        out[col] = None
    ranges = plan_ranges(solver)
    base = solver.highs.getInfo().objective_function_value
    for i in top(table, n).index:
        kind, name, dual = out.at[i, "kind"], out.at[i, "name"], float(out.at[i, "value_usd"])
        if kind not in MOVES:
            continue
        carrying = carrying_periods(table, kind, name)
        moved = carrying if carrying else None
        rows = _moved_rows(model, kind, name, moved)
        lower = MOVES[kind][1]
        money = kind != "grid_mw"
        step = MONEY_STEP if money else 1.0
        shifts = resale_shifts(model, name, moved) if kind == "grid_mw" else []
        delta = resolve_change(solver, rows, step, lower, base, shifts)
        resolved = None if delta is None else (delta / step if money else delta * MONEY_SCALE)
        holds = row_range(solver, ranges, rows, lower)
        agree = resolved is None or abs(resolved - dual) <= RESOLVE_TOLERANCE * max(abs(dual), abs(resolved))
        out.at[i, "periods"] = periods_label(moved, periods)
        out.at[i, "dual_usd"] = dual
        out.at[i, "resolved_usd"] = resolved
        out.at[i, "shown_usd"] = dual if agree else resolved
        out.at[i, "source"] = "dual" if agree else "re-solve"
        out.at[i, "holds_for"] = None if holds is None else (holds * MONEY_SCALE if money else holds)
    for col in ("dual_usd", "resolved_usd", "shown_usd", "holds_for"):  # numbers (NaN: not checked)
        out[col] = pd.to_numeric(out[col]).astype(float)
    return out
