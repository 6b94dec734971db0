"""Objective: equity value (SPEC section 5), probability-weighted over scenarios.

``NPV[w] = sum(df_t * dividend[t]) + df_{N-1} * (cash[N-1] - sum(balance[f,N-1]) + TV)``
``TV = mining_multiple * 12/m * (mining EBITDA)_{N-1} + ai_multiple * 12/m * (AI EBITDA)_{N-1}``
"""

from __future__ import annotations

from models.components.common import data


def terminal_value_rule(m, w):
    """``TV[w]``: segment EBITDA of the last period, annualized, times its multiple."""
    d = data(m)
    last = m.T_list[-1]
    annual = 12.0 / d.months
    return (
        d.mining_multiple[w] * annual * m.mining_ebitda[w, last]
        + d.ai_multiple[w] * annual * m.ai_ebitda[w, last]
    )


def scenario_npv_rule(m, w):
    """``NPV[w]`` as above (model money)."""
    d = data(m)
    last = m.T_list[-1]
    dividends = sum(d.discount[w, t] * m.dividend[w, t] for t in m.T)
    debt = sum(m.balance[w, f, last] for f in m.F)
    return dividends + d.discount[w, last] * (m.cash[w, last] - debt + m.terminal_value[w])


def expected_npv_rule(m):
    """``sum(probability[w] * NPV[w] for w)``: the objective, maximized."""
    d = data(m)
    return sum(d.probability[w] * m.scenario_npv[w] for w in m.W)


def cvar_shortfall_floor_rule(m, w):
    """``shortfall[w] >= var_level - NPV[w]`` (Rockafellar-Uryasev linearization)."""
    return m.cvar_shortfall[w] >= m.var_level - m.scenario_npv[w]


def cvar_rule(m):
    """``CVaR_alpha = var_level - 1/(1-alpha) * sum(p[w] * shortfall[w])``.

    At the optimum ``var_level`` is the alpha-quantile (value at risk) of the NPV
    distribution from below, and CVaR the mean of the worst ``1 - alpha`` share.
    """
    d = data(m)
    alpha = d.risk["cvar_alpha"]
    return m.var_level - sum(d.probability[w] * m.cvar_shortfall[w] for w in m.W) / (1.0 - alpha)


def risk_adjusted_npv_rule(m):
    """``(1 - weight) * E[NPV] + weight * CVaR_alpha[NPV]``: the objective with ``risk`` set."""
    d = data(m)
    weight = d.risk["weight"]
    expected = sum(d.probability[w] * m.scenario_npv[w] for w in m.W)
    return (1.0 - weight) * expected + weight * m.cvar
