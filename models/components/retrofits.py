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


def capex_budget_limit_rule(m, w, t):
    """``capex[w,t] <= finance.capex_budget_usd[t]``."""
    d = data(m)
    if (w, t) not in d.capex_budget:
        return Constraint.Skip
    return m.capex[w, t] <= d.capex_budget[w, t]


def total_capex_budget_limit_rule(m, w):
    """``sum(capex[w,t] for t) <= finance.total_capex_budget_usd``."""
    d = data(m)
    if w not in d.total_capex_budget:
        return Constraint.Skip
    return sum(m.capex[w, t] for t in m.T) <= d.total_capex_budget[w]
