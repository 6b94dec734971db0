"""Retrofits: block starts, construction, online capacity and AI capex (SPEC section 3).

Notation: ``start[s,t]`` integer blocks started in period t, ``started[s,t]`` the
running total, ``lead = ai.lead_periods``, ``B = ai.block_it_mw``,
``K[w,s] = capex_usd_per_it_mw * B`` the cost of one block.
"""

from __future__ import annotations

from pyomo.environ import Constraint

from models.components.common import data, is_last, prev


def start_of(m, s: str, t: str):
    """``start[s,t]``, or 0 where no block may start (before ``earliest_start``)."""
    return m.start[s, t] if (s, t) in m.start_index else 0


def started_of(m, s: str, t: str | None):
    """``started[s,t]``; 0 before the horizon."""
    return m.started[s, t] if t is not None else 0


def started_balance_rule(m, s, t):
    """``started[s,t] = started[s,t-1] + start[s,t]`` (blocks started so far)."""
    return m.started[s, t] == started_of(m, s, prev(m, t)) + start_of(m, s, t)


def online(m, s: str, t: str):
    """``online[s,t] = sum(start[s,tau] for tau <= t - lead) = started[s, t - lead]``."""
    return started_of(m, s, prev(m, t, data(m).lead[s]))


def block_spend(m, w: str, s: str, t: str):
    """Capex of site s paid in period t (model money).

    Each block's cost K is spread evenly over ``t0 .. t0+lead-1`` (all in t0 when
    lead = 0), so for t before the last period:
    ``spend[s,t] = K / lead * (started[s,t] - started[s,t-lead])``.
    Spend that would fall after the horizon is charged in the last period, which
    therefore pays whatever is still owed on every started block:
    ``spend[s,N-1] = K * started[s,N-1] - K / lead * sum(started[s,N-2-k] for k < lead)``.
    """
    d = data(m)
    cost = d.block_cost[w, s]
    lead = d.lead[s]
    if lead == 0:
        return cost * (started_of(m, s, t) - started_of(m, s, prev(m, t)))
    if not is_last(m, t):
        return cost / lead * (started_of(m, s, t) - started_of(m, s, prev(m, t, lead)))
    paid_before = sum(started_of(m, s, prev(m, t, 1 + k)) for k in range(lead))
    return cost * started_of(m, s, t) - cost / lead * paid_before


def capex_rule(m, w, t):
    """``capex[w,t] = sum(spend[s,t] for s)``: AI capex paid in period t."""
    return sum(block_spend(m, w, s, t) for s in m.SA)


def building_spend(m, w: str, t: str):
    """``capex[w,t]`` before the last period, written over the integer starts:
    ``sum(K / lead * sum(start[s,tau] for t-lead < tau <= t) for s)`` (lead 0: ``K * start[s,t]``).

    Equal to ``capex_rule`` there (``started[t] - started[t-lead]`` is that window sum),
    but HiGHS then reads the budget row as a knapsack in integer columns and can
    round it into bounds and cover cuts on ``start`` (docs/model.md, "Strengthening").
    """
    d = data(m)
    i = m.t_index[t]
    terms = []
    for s in m.SA:
        lead = max(d.lead[s], 1)
        per_period = d.block_cost[w, s] / lead
        for k in range(lead):
            if i - k >= 0 and (s, m.T_list[i - k]) in m.start_index:
                terms.append(per_period * m.start[s, m.T_list[i - k]])
    return sum(terms)


def capex_budget_limit_rule(m, w, t):
    """``capex[w,t] <= finance.capex_budget_usd[t]``.

    Before the last period ``capex[w,t]`` is written as ``building_spend`` (the same
    amount over the integer starts); the last period, which also pays what is owed
    after the horizon, keeps ``capex_rule``.
    """
    d = data(m)
    if (w, t) not in d.capex_budget:
        return Constraint.Skip
    spend = m.capex[w, t] if is_last(m, t) else building_spend(m, w, t)
    if isinstance(spend, (int, float)):  # no block can be paying in period t: the row as built
        spend = m.capex[w, t]
    return spend <= d.capex_budget[w, t]


def total_capex_budget_limit_rule(m, w):
    """``sum(capex[w,t] for t) <= finance.total_capex_budget_usd``."""
    d = data(m)
    if w not in d.total_capex_budget:
        return Constraint.Skip
    return sum(m.capex[w, t] for t in m.T) <= d.total_capex_budget[w]
