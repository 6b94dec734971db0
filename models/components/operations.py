"""Operations: mining, leasing, grid and demand limits, EBITDA (SPEC sections 3-4, 9).

``mine[w,s,t]`` grid MW drawn by mining, ``ai[w,s,t]`` IT MW leased. With SPEC v2
fleets or price tiers, a site mines per fleet g and tier k instead:
``mine_tier[w,s,g,t,k]`` (the site has no ``mine`` column then).
"""

from __future__ import annotations

from pyomo.environ import Constraint

from models.components.common import data
from models.components.retrofits import online


def grid_limit_rule(m, w, s, t):
    """``mine[s,t] + ai.pue * block_it_mw * started[s,t] <= grid_mw[s,t]``.

    Blocks leave mining at their start: under construction or online, they hold
    their grid MW. A site mining per tier has this limit in every tier instead
    (``grid_tier_limit_rule``).
    """
    d = data(m)
    if s in m.tier_mining_set:
        return Constraint.Skip
    terms = []
    if s in m.SM_set:
        terms.append(m.mine[w, s, t])
    if s in m.SA_set:
        terms.append(d.ai_pue[w, s] * d.block_it_mw[s] * m.started[s, t])
    if not terms:
        return Constraint.Skip
    return sum(terms) <= d.grid_mw[w, s, t]


def ai_online_limit_rule(m, w, s, t):
    """``ai[s,t] <= block_it_mw * online[s,t]``: only finished blocks are leased.

    With ``ai.leased_on_completion`` (SPEC 10) every online block is leased in full:
    ``ai[s,t] = block_it_mw * online[s,t]``.
    """
    if (w, s) in data(m).leased_on_completion:
        return m.ai[w, s, t] == data(m).block_it_mw[s] * online(m, s, t)
    return m.ai[w, s, t] <= data(m).block_it_mw[s] * online(m, s, t)


def demand_limit_rule(m, w, r, t):
    """``sum(ai[s,t] for s in region r) <= ai_demand_it_mw[r,t]``."""
    sites = [s for s in data(m).region_sites.get(r, []) if s in m.SA_set]
    if not sites:
        return Constraint.Skip
    return sum(m.ai[w, s, t] for s in sites) <= data(m).demand[w, r, t]


def mining_ebitda_rule(m, w, t):
    """``(mining revenue - mining cost)[t] = sum(margin_mine[s,t] * mine[s,t] for s)``.

    Sites mining per fleet and tier add ``sum(tier_margin[s,g,t,k] * mine[s,g,t,k])``
    with ``tier_margin = f_k * (hashprice * th_g / 1000 * days - hours * price_k -
    opex * m/12)`` (SPEC 8-9). ASIC capex and resale are not in it.
    """
    d = data(m)
    total = sum(d.mining_margin[w, s, t] * m.mine[w, s, t] for s in m.SM1)
    if d.has_tier_mining:
        total = total + sum(d.tier_margin[w, s, g, t, k] * m.mine_tier[w, s, g, t, k] for s, g, k in m.tier_cells[w])
    return total


def ai_ebitda_rule(m, w, t):
    """``(AI revenue - AI cost)[t] = sum(margin_ai[s,t] * ai[s,t] for s)``."""
    d = data(m)
    return sum(d.ai_margin[w, s, t] * m.ai[w, s, t] for s in m.SA)


def ebitda_rule(m, w, t):
    """``EBITDA[t] = mining revenue - mining cost + AI revenue - AI cost - overhead[t]``,
    plus ``resale[t]`` when some site resells undrawn power (SPEC 9)."""
    if data(m).has_resale:
        return m.mining_ebitda[w, t] + m.ai_ebitda[w, t] + m.resale[w, t] - data(m).overhead[w, t]
    return m.mining_ebitda[w, t] + m.ai_ebitda[w, t] - data(m).overhead[w, t]


# --------------------------------------------------------------------------- SPEC v2


def grid_tier_limit_rule(m, w, s, t, k):
    """``sum(mine[s,g,t,k] for g) + ai.pue * block_it_mw * started[s,t] <= grid_mw[s,t]``:
    the grid limit in every price tier k (SPEC 9), for sites mining per tier."""
    d = data(m)
    terms = [m.mine_tier[w, s, g, t, k] for g in m.fleets_of[s]]
    if s in m.SA_set:
        terms.append(d.ai_pue[w, s] * d.block_it_mw[s] * m.started[s, t])
    return sum(terms) <= d.grid_mw[w, s, t]


def resale_rule(m, w, t):
    """``resale[t] = sum(resale_k * h_k * (grid_mw[s,t] - sum(mine[s,g,t,k] for g) - ai.pue * ai[s,t]) for s, k)``.

    What the grid MW not drawn in each tier earns (SPEC 9); ``resale_rate[s,t,k] =
    resale_k * f_k * hours``. Part of EBITDA (so of the covenant), of neither
    segment's EBITDA (so of no terminal value). ``ai`` is the IT MW leased: a block
    under construction or unleased draws nothing.
    """
    d = data(m)
    terms = []
    for s in d.resale_sites.get(w, ()):
        for k in d.tiers[w, s]:
            rate = d.resale_rate[w, s, t, k]
            if rate == 0:
                continue
            terms.append(rate * d.grid_mw[w, s, t])
            if s in m.tier_mining_set:
                terms.extend(-rate * m.mine_tier[w, s, g, t, k] for g in m.fleets_of[s])
            if s in m.SA_set:
                terms.append(-rate * d.ai_pue[w, s] * m.ai[w, s, t])
    return sum(terms)
