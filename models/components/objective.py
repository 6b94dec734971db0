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
