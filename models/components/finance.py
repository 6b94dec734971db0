"""Finance: debt facilities, interest, fees, cash and covenants (SPEC section 5).

Per scenario w, facility f and period t: ``draw``, ``repay``, ``balance``; per w, t:
``cash`` and ``dividend``. Money in model units (see ``models.data.MONEY_SCALE``).
"""

from __future__ import annotations

from pyomo.environ import Constraint

from models.components.common import data, is_last, prev
from models.components.retrofits import start_of, started_of


def opening_balance(m, w: str, f: str, t: str):
    """``balance[f,t-1]``, with ``balance[f,-1] = initial_balance_usd``."""
    p = prev(m, t)
    return m.balance[w, f, p] if p is not None else data(m).initial_balance[w, f]


def debt_balance_rule(m, w, f, t):
    """``balance[f,t] = balance[f,t-1] + draw[f,t] - repay[f,t]``."""
    return m.balance[w, f, t] == opening_balance(m, w, f, t) + m.draw[w, f, t] - m.repay[w, f, t]


def debt_limit_rule(m, w, f, t):
    """``balance[f,t] <= limit_usd``."""
    return m.balance[w, f, t] <= data(m).limit[w, f]


def debt_advance_limit_rule(m, w, f, t):
    """``balance[f,t] <= advance_rate_on_ai_capex * capex_cum[t]`` (construction loans)."""
    rate = data(m).advance_rate.get((w, f))
    if rate is None:
        return Constraint.Skip
    return m.balance[w, f, t] <= rate * m.capex_cum[w, t]


def capex_cum_balance_rule(m, w, t):
    """``capex_cum[t] = capex_cum[t-1] + capex[t]``: AI capex spent so far."""
    p = prev(m, t)
    return m.capex_cum[w, t] == (m.capex_cum[w, p] if p is not None else 0) + m.capex[w, t]


def interest_rule(m, w, t):
    """``interest[t] = sum(rate_annual * m/12 * balance[f,t-1] for f)``."""
    d = data(m)
    return sum(d.rate_per_period[w, f] * opening_balance(m, w, f, t) for f in m.F)


def fees_rule(m, w, t):
    """``fees[t] = sum(upfront_fee * draw[f,t] for f)``."""
    d = data(m)
    return sum(d.upfront_fee[w, f] * m.draw[w, f, t] for f in m.F)


def cash_balance_rule(m, w, t):
    """``cash[t] = cash[t-1] + EBITDA[t] - capex[t] - interest[t] - fees[t]
    + draws[t] - repays[t] - dividend[t] - breach_cost[t]``, with ``cash[-1] = initial_cash_usd``
    (``breach_cost`` only with ``finance.leverage_breach_cost``, else 0).

    With SPEC v2 levers the recursion also pays ASIC capex and takes in tenant
    prepayments less their credits: ``... - asic_capex[t] + prepayments[t] - credits[t]``
    (cash only: not EBITDA, not debt, not capex).
    """
    p = prev(m, t)
    opening = m.cash[w, p] if p is not None else data(m).initial_cash[w]
    draws = sum(m.draw[w, f, t] for f in m.F)
    repays = sum(m.repay[w, f, t] for f in m.F)
    return m.cash[w, t] == (
        opening
        + m.ebitda[w, t]
        - m.capex[w, t]
        - m.interest[w, t]
        - m.fees[w, t]
        + draws
        - repays
        - m.dividend[w, t]
        + v2_cash(m, w, t)
        - breach_cost(m, w, t)
    )


def v2_cash(m, w: str, t: str):
    """``- asic_capex[t] + prepayments[t] - credits[t]``: the SPEC v2 cash lines of period
    t, each only when the instance uses its lever (0 for a v1 instance)."""
    d = data(m)
    out = 0
    if d.has_fleets:
        out = out - m.asic_capex[w, t]
    if d.has_prepayments:
        out = out + m.prepayments[w, t] - m.credits[w, t]
    return out


def cash_floor_rule(m, w, t):
    """``cash[t] >= min_cash_usd``."""
    return m.cash[w, t] >= data(m).min_cash[w]


def leverage_limit_rule(m, w, t):
    """``sum(balance[f,t] for f) <= max_debt_to_ebitda * EBITDA[t] * 12/m``.

    Applied at every period end whenever the covenant is given, also when the
    portfolio holds no debt (then it asks for EBITDA >= 0), as the SPEC states it.
    """
    d = data(m)
    ratio = d.max_debt_to_ebitda.get(w)
    if ratio is None:
        return Constraint.Skip
    debt = sum(m.balance[w, f, t] for f in m.F)
    return debt - ratio * (12.0 / d.months) * m.ebitda[w, t] <= 0


# --------------------------------------------------------------------------- SPEC v2 section 10


def prepayments_rule(m, w, t):
    """``prepayments[t] = sum(prepayment_usd_per_it_mw * block_it_mw * start[s,t] for s)``:
    the tenant pays in the period a block starts."""
    d = data(m)
    return sum(d.prepay_block[w, s] * start_of(m, s, t) for s in m.SA if (w, s) in d.prepay_block)


def site_credits(m, w: str, s: str, t: str):
    """Rent credits of site s in period t (model money), ``c = prepayment * B / P``.

    A block started in tau is credited c in each period ``tau+lead .. tau+lead+P-1``, so
    before the last period ``credit[s,t] = c * (started[s,t-lead] - started[s,t-lead-P])``.
    Credits falling after the horizon are charged in the last period, which pays all
    that is still owed on every started block:
    ``credit[s,N-1] = prepayment * B * started[s,N-1] - c * sum(started[s,u] for u in
    max(0, N-1-lead-P) .. N-2-lead)`` (the credits of periods 0..N-2, telescoped).
    """
    d = data(m)
    total = d.prepay_block[w, s]
    periods = d.credit_periods[w, s]
    lead = d.lead[s]
    per_period = total / periods
    if not is_last(m, t):
        return per_period * (started_of(m, s, prev(m, t, lead)) - started_of(m, s, prev(m, t, lead + periods)))
    n = len(m.T_list)
    paid = [m.started[s, m.T_list[u]] for u in range(max(0, n - 1 - lead - periods), n - 1 - lead)]
    return total * m.started[s, t] - per_period * sum(paid)


def credits_rule(m, w, t):
    """``credits[t] = sum(credit[s,t] for s)`` (``site_credits``): prepayments given back as rent credits."""
    d = data(m)
    return sum(site_credits(m, w, s, t) for s in m.SA if (w, s) in d.prepay_block)


# ---- extension: a covenant breached at a price (docs/model.md "Extensions") --------


def leverage_excess_bounds(m, w, t):
    """``leverage_excess[w,t] >= 0``; fixed at 0 in a scenario whose covenant is hard."""
    return (0, None if w in data(m).leverage_breach_cost else 0)


def leverage_limit_priced_rule(m, w, t):
    """``sum(balance[f,t] for f) - max_debt_to_ebitda * EBITDA[t] * 12/m <= leverage_excess[t]``.

    With ``finance.leverage_breach_cost`` the debt may exceed the covenant; the excess
    (USD, model money) is charged in the cash recursion (:func:`leverage_breach_cost_rule`).
    A scenario without the price keeps :func:`leverage_limit_rule`.
    """
    d = data(m)
    if w not in d.leverage_breach_cost:
        return leverage_limit_rule(m, w, t)
    debt = sum(m.balance[w, f, t] for f in m.F)
    return debt - d.max_debt_to_ebitda[w] * (12.0 / d.months) * m.ebitda[w, t] <= m.leverage_excess[w, t]


def leverage_breach_cost_rule(m, w, t):
    """``breach_cost[t] = leverage_breach_cost * leverage_excess[t]`` (model money per period).

    A fee, not an operating cost: it is paid from cash and left out of EBITDA, so the
    covenant it prices does not depend on itself."""
    rate = data(m).leverage_breach_cost.get(w)
    return 0.0 if rate is None else rate * m.leverage_excess[w, t]


def breach_cost(m, w, t):
    """The period's breach cost when the model prices the covenant, else 0."""
    return m.breach_cost[w, t] if hasattr(m, "breach_cost") else 0.0
