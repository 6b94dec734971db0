"""Mining fleets and ASIC purchases (SPEC v2 section 8).

Fleets at mining site s: ``g = installed`` (the v1 fleet, ``mining.max_mw`` of grid MW
at the start) and one per ASIC model of ``markets.asic_models``. Per scenario w:
``buy[w,s,g,t]`` grid MW of model g installed in period t (only where the model is
available), ``retire[w,s,g,t]`` grid MW of fleet g removed for good (no salvage),
``fleet[w,s,g,t]`` grid MW of fleet g installed at the end of period t.
``mine_tier[w,s,g,t,k]`` is the grid MW of fleet g mined in price tier k
(``models.components.operations``). Money in model units (``MONEY_SCALE``).
"""

from __future__ import annotations

from models.components.common import data, prev


def buy_of(m, w: str, s: str, g: str, t: str):
    """``buy[w,s,g,t]``; 0 where model g cannot be bought (or g is the installed fleet)."""
    return m.buy[w, s, g, t] if (w, s, g, t) in m.buy_index else 0


def fleet_balance_rule(m, w, s, g, t):
    """``fleet[s,g,t] = fleet[s,g,t-1] + buy[s,g,t] - retire[s,g,t]``, with
    ``fleet[s,installed,-1] = mining.max_mw`` and ``fleet[s,model,-1] = 0``."""
    p = prev(m, t)
    d = data(m)
    if p is not None:
        opening = m.fleet[w, s, g, p]
    else:
        opening = d.installed_mw[w, s] if g == d.fleets[0] else 0.0
    return m.fleet[w, s, g, t] == opening + buy_of(m, w, s, g, t) - m.retire[w, s, g, t]


def rack_limit_rule(m, w, s, t):
    """``sum(fleet[s,g,t] for g) <= rack_mw[s]`` (``mining.rack_mw``, default ``max_mw``)."""
    return sum(m.fleet[w, s, g, t] for g in data(m).fleets) <= data(m).rack_mw[w, s]


def mine_fleet_limit_rule(m, w, s, g, t, k):
    """``mine[s,g,t,k] <= fleet[s,g,t]``: a fleet mines at most what is installed, in every tier."""
    return m.mine_tier[w, s, g, t, k] <= m.fleet[w, s, g, t]


def asic_capex_rule(m, w, t):
    """``asic_capex[t] = sum(buy[s,g,t] * 1e6 / mining.pue / efficiency_g * price_usd_per_th[g,t])``.

    Paid in period t, in the cash recursion only: it is not AI capex (no
    ``capex_budget_usd``, ``total_capex_budget_usd`` or ``advance_rate_on_ai_capex``)
    and not EBITDA. ``asic_cost`` holds ``th_per_grid_mw_g * price`` per grid MW.
    """
    d = data(m)
    return sum(d.asic_cost[key] * m.buy[key] for key in m.buy_by_wt.get((w, t), ()))
