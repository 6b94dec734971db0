"""Variants of the model: the same rules with a schedule fixed, blocks required, or
constraints made elastic. Each takes a model built by ``models.build_model`` and
changes it in place (or builds one), so the variants follow any change to the rules.

- :func:`fix_starts`: ``start[s, t] = schedule[s, t]`` (0 where the schedule is silent);
- :func:`require_blocks`: ``started[s, T] >= blocks_s`` (at least that many blocks by the end);
- :func:`elastic_model`: every constraint of :data:`CONSTRAINT_FAMILIES` relaxed by a
  slack ``s >= 0`` (``body - s <= upper``, ``body + s >= lower``) and the objective
  replaced by ``min sum_k weight_k * s_k``, weight ``1 + (n - t) / n`` (earlier periods
  weigh more), the debt maturities too (``balance <= 0 + s``);
- :func:`relaxed_upper`: one constraint's ``body <= upper + s`` (the elastic copies of
  ``optimizer.analyses.explain``).

:data:`CONSTRAINT_FAMILIES` is the one map from model constraint to the family the
evaluator and the explanations name, with the unit of its slack.
"""

from __future__ import annotations

from pyomo.environ import ConstraintList, NonNegativeReals, Objective, Var, minimize

from instances import Instance
from models.data import prepare
from models.model import build_model

# model component -> (evaluator family, unit of the slack: "USD" in model money or "MW")
CONSTRAINT_FAMILIES = {
    "grid_limit": ("grid_limit", "MW"),
    "capex_budget_limit": ("capex_budget", "USD"),
    "total_capex_budget_limit": ("total_capex_budget", "USD"),
    "debt_limit": ("debt_limit", "USD"),
    "debt_advance_limit": ("advance_rate", "USD"),
    "cash_floor": ("min_cash", "USD"),
    "leverage_limit": ("leverage", "USD"),
}


def fix_starts(model, schedule: dict[tuple[str, str], int]) -> None:
    """Fix ``start`` to a given schedule (0 wherever the schedule says nothing).

    Raises ValueError naming a start the model cannot take (site not retrofittable,
    before its earliest start, or more blocks than it holds).
    """
    for key, blocks in schedule.items():
        if blocks and key not in model.start_index:
            raise ValueError(f"site {key[0]} cannot start a block in {key[1]} (not retrofittable there)")
    for key in model.start_index:
        blocks = int(schedule.get(key, 0))
        if blocks > model.start[key].ub:
            raise ValueError(f"site {key[0]} holds at most {int(model.start[key].ub)} blocks, got {blocks} in {key[1]}")
        model.start[key].fix(blocks)


def require_blocks(model, min_blocks: dict[str, int]) -> None:
    """``started[s, last period] >= blocks``: at least that many blocks at site s.

    Raises ValueError for a site that cannot take that many blocks.
    """
    last = model.T_list[-1]
    for site, blocks in min_blocks.items():
        if site not in model.SA_set or blocks > model.started[site, last].ub:
            raise ValueError(f"site {site} cannot hold {blocks} blocks")
        model.started[site, last].setlb(blocks)


def elastic_model(instance: Instance, fixed_starts: dict[tuple[str, str], int], model=None):
    """The model with the schedule fixed and every :data:`CONSTRAINT_FAMILIES` constraint relaxed.

    Returns ``(model, slacks)`` with ``slacks`` a list of
    ``(component name, index, slack variable)``.
    """
    m = model if model is not None else build_model(prepare(instance))
    fix_starts(m, fixed_starts)
    n = len(m.T_list)
    entries = []  # (component, index, sense, body, bound, weight)
    for name in CONSTRAINT_FAMILIES:
        comp = getattr(m, name, None)
        if comp is None:
            continue
        for idx, con in comp.items():
            if not con.active:
                continue
            t = idx[-1] if isinstance(idx, tuple) and idx and idx[-1] in m.t_index else None
            weight = 1.0 + (n - (m.t_index[t] if t is not None else n - 1)) / n
            if con.has_ub():
                entries.append((name, idx, "ub", con.body, con.upper, weight))
            if con.has_lb():
                entries.append((name, idx, "lb", con.body, con.lower, weight))
            con.deactivate()
    # maturity: balance has an upper bound of 0 in every matured period
    for (w, f, t), var in m.balance.items():
        if var.ub is not None and var.ub == 0:
            var.setub(None)
            entries.append(("maturity", (w, f, t), "ub", var, 0.0, 1.0 + (n - m.t_index[t]) / n))
    m.elastic_slack = Var(range(len(entries)), domain=NonNegativeReals)
    m.elastic = ConstraintList()
    slacks = []
    for k, (name, idx, sense, body, bound, _w) in enumerate(entries):
        s = m.elastic_slack[k]
        if sense == "ub":
            m.elastic.add(body - s <= bound)
        else:
            m.elastic.add(body + s >= bound)
        slacks.append((name, idx, s))
    m.npv.deactivate()
    m.elastic_objective = Objective(expr=sum(e[5] * m.elastic_slack[k] for k, e in enumerate(entries)), sense=minimize)
    return m, slacks


def relaxed_upper(comp, var, key):
    """``body <= upper + s`` for the constraint data of ``comp`` at ``key``."""
    key = key[0] if len(key) == 1 else key
    c = comp[key]
    if c.has_lb():  # a ranged constraint keeps its lower side
        return (c.lower, c.body - var[key], c.upper)
    return c.body - var[key] <= c.upper
