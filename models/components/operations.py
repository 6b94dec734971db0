"""Operations: mining, leasing, grid and demand limits, EBITDA (SPEC sections 3-4).

``mine[w,s,t]`` grid MW drawn by mining, ``ai[w,s,t]`` IT MW leased.
"""

from __future__ import annotations

from pyomo.environ import Constraint

from models.components.common import data
from models.components.retrofits import online


def grid_limit_rule(m, w, s, t):
    """``mine[s,t] + ai.pue * block_it_mw * started[s,t] <= grid_mw[s,t]``.

    Blocks leave mining at their start: under construction or online, they hold
    their grid MW.
    """
    d = data(m)
    terms = []
    if s in m.SM_set:
        terms.append(m.mine[w, s, t])
    if s in m.SA_set:
        terms.append(d.ai_pue[w, s] * d.block_it_mw[s] * m.started[s, t])
    if not terms:
        return Constraint.Skip
    return sum(terms) <= d.grid_mw[w, s, t]


def ai_online_limit_rule(m, w, s, t):
    """``ai[s,t] <= block_it_mw * online[s,t]``: only finished blocks are leased."""
    return m.ai[w, s, t] <= data(m).block_it_mw[s] * online(m, s, t)


def demand_limit_rule(m, w, r, t):
    """``sum(ai[s,t] for s in region r) <= ai_demand_it_mw[r,t]``."""
    sites = [s for s in data(m).region_sites.get(r, []) if s in m.SA_set]
    if not sites:
        return Constraint.Skip
    return sum(m.ai[w, s, t] for s in sites) <= data(m).demand[w, r, t]


def mining_ebitda_rule(m, w, t):
    """``(mining revenue - mining cost)[t] = sum(margin_mine[s,t] * mine[s,t] for s)``."""
    d = data(m)
    return sum(d.mining_margin[w, s, t] * m.mine[w, s, t] for s in m.SM)


def ai_ebitda_rule(m, w, t):
    """``(AI revenue - AI cost)[t] = sum(margin_ai[s,t] * ai[s,t] for s)``."""
    d = data(m)
    return sum(d.ai_margin[w, s, t] * m.ai[w, s, t] for s in m.SA)


def ebitda_rule(m, w, t):
    """``EBITDA[t] = mining revenue - mining cost + AI revenue - AI cost - overhead[t]``."""
    return m.mining_ebitda[w, t] + m.ai_ebitda[w, t] - data(m).overhead[w, t]
