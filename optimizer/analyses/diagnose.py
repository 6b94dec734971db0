"""Why a fixed retrofit schedule cannot be carried out: the first period that breaks.

``first_violation(instance, fixed_starts)`` answers with ``(period, constraint,
detail)``, or None when the schedule can be operated and financed.

1. Rules that depend on the schedule alone are checked directly: a start at a site
   that cannot be retrofitted or before ``ai.earliest_start`` (``start_window``), more
   blocks than ``ai.max_blocks`` (``max_blocks``).
2. Otherwise the model is built with the schedule fixed and made *elastic*: each
   constraint that can make it infeasible (``grid_limit``, ``capex_budget_limit``,
   ``total_capex_budget_limit``, ``debt_limit``, ``debt_advance_limit``,
   ``cash_floor``, ``leverage_limit`` and the maturity bound on ``balance``) is
   deactivated and replaced by a copy with a nonnegative slack variable; the model
   then minimizes the slacks (a later slack costs slightly less than an earlier one,
   so a shortfall is not moved earlier than it must be). The earliest period with a
   positive slack, and its constraint, are reported.

Constraint names in the answer are the evaluator's families (``optimizer.evaluator``):
``grid_limit``, ``capex_budget``, ``total_capex_budget``, ``debt_limit``,
``advance_rate``, ``maturity``, ``min_cash``, ``leverage``, ``max_blocks``,
``start_window``.
"""

from __future__ import annotations

from instances import Instance
from models import MONEY_SCALE
from models.variants import CONSTRAINT_FAMILIES, elastic_model
from optimizer.backend.options import highs_options, pyomo_highs
from optimizer.reports.formatting import money

ELASTIC = CONSTRAINT_FAMILIES  # the constraints relaxed by elastic_model, with their family and unit
# at the same period, the first family in this order is named
PRIORITY = ["start_window", "max_blocks", "grid_limit", "capex_budget", "total_capex_budget", "maturity",
            "debt_limit", "advance_rate", "leverage", "min_cash"]
SLACK_TOL = 1e-6  # model units (MW, or millions of USD: 1 USD)


def _money(usd: float) -> str:
    return money(usd, precise=True)


def structural_violation(instance: Instance, fixed_starts: dict[tuple[str, str], int]) -> tuple[str, str, str] | None:
    """The first start the schedule itself forbids (no solve needed), or None."""
    labels = instance.period_labels
    sites = instance.sites
    found = []
    for (s, t), blocks in fixed_starts.items():
        if not blocks:
            continue
        if s not in sites.index or t not in labels:
            found.append((labels.index(t) if t in labels else len(labels), "start_window", f"{s} {t}: unknown site or period"))
            continue
        i = labels.index(t)
        if not sites.at[s, "retrofittable"]:
            found.append((i, "start_window", f"site {s} cannot be retrofitted, {blocks} block(s) start in {t}"))
        elif i < int(sites.at[s, "earliest_t"]):
            first = labels[int(sites.at[s, "earliest_t"])]
            found.append((i, "start_window", f"site {s}: {blocks} block(s) start in {t}, before ai.earliest_start ({first})"))
    for s in sites.index:
        if not sites.at[s, "retrofittable"]:
            continue
        total = 0
        for i, t in enumerate(labels):
            total += int(fixed_starts.get((s, t), 0))
            if total > int(sites.at[s, "max_blocks"]):
                found.append((i, "max_blocks", f"site {s}: {total} blocks started by {t}, it holds {int(sites.at[s, 'max_blocks'])}"))
                break
    if not found:
        return None
    found.sort(key=lambda x: (x[0], PRIORITY.index(x[1])))
    i, family, detail = found[0]
    return (labels[i] if i < len(labels) else "", family, detail)


def _solve_lp(m) -> bool:
    solver = pyomo_highs()
    res = solver.solve(
        m,
        load_solutions=False,
        raise_exception_on_nonoptimal_result=False,
        solver_options=highs_options(),
    )
    if res.incumbent_objective is None:
        return False
    res.solution_loader.load_vars()
    return True


def first_violation(instance: Instance, fixed_starts: dict[tuple[str, str], int]) -> tuple[str, str, str] | None:
    """``(period, constraint, detail)`` of the earliest break of the schedule, or None."""
    found = structural_violation(instance, fixed_starts)
    if found is not None:
        return found
    m, slacks = elastic_model(instance, fixed_starts)
    if not _solve_lp(m):  # pragma: no cover - the elastic model is always feasible
        return ("", "unknown", "the elastic model could not be solved")
    labels = instance.period_labels
    hits = []
    for name, idx, var in slacks:
        value = var.value or 0.0
        if value <= SLACK_TOL:
            continue
        family, unit = ELASTIC.get(name, ("maturity", "USD"))
        if name == "total_capex_budget_limit":
            w = idx
            run = 0.0
            limit = m.data.total_capex_budget[w]
            t_hit = labels[-1]
            for t in labels:
                run += m.capex[w, t]()
                if run > limit + SLACK_TOL:
                    t_hit = t
                    break
            period, detail = t_hit, f"scenario {w}: AI capex exceeds the total budget by {_money(value * MONEY_SCALE)} (from {t_hit})"
        else:
            period = idx[-1]
            where = ", ".join(str(x) for x in idx[:-1])
            if unit == "MW":
                amount = f"{value:,.3f} MW"
            else:
                amount = _money(value * MONEY_SCALE)
            detail = {
                "grid_limit": f"{where}: mining plus started AI blocks need {amount} more than the grid",
                "capex_budget": f"scenario {where}: AI capex exceeds the period budget by {amount}",
                "debt_limit": f"{where}: balance above the facility limit by {amount}",
                "advance_rate": f"{where}: balance above the advance rate on AI capex by {amount}",
                "min_cash": f"scenario {where}: cash short of the minimum by {amount}",
                "leverage": f"scenario {where}: debt above max_debt_to_ebitda x annualized EBITDA by {amount}",
                "maturity": f"{where}: {amount} still owed after maturity",
            }[family]
        hits.append((labels.index(period), PRIORITY.index(family), period, family, detail))
    if not hits:
        return None
    hits.sort()
    _, _, period, family, detail = hits[0]
    return period, family, detail
