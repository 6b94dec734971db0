"""The Pyomo formulation of SPEC sections 3-6: declarations only.

Every set, variable, expression and constraint is declared here and points at a
rule in ``models/components``; the rule's docstring holds its formula. Components
are indexed by scenario, site, facility and period names, so a printed constraint
reads like the SPEC: ``grid_limit[base,Rockdale,2027-04]``.

Naming scheme
-------------
- variables: SPEC nouns (``start``, ``started``, ``mine``, ``ai``, ``draw``,
  ``repay``, ``balance``, ``cash``, ``dividend``) plus ``capex_cum``;
- expressions: what they measure (``capex``, ``ebitda``, ``interest``, ...);
- constraints: ``<quantity>_balance`` for stock-flow equalities, ``<quantity>_limit``
  for upper limits, ``<quantity>_floor`` for lower limits.

Money inside the model is in millions of USD (``models.data.MONEY_SCALE``).
"""

from __future__ import annotations

from pyomo.environ import (
    ConcreteModel,
    Constraint,
    Expression,
    NonNegativeIntegers,
    NonNegativeReals,
    Objective,
    Reals,
    Set,
    Var,
    maximize,
)

from instances import Instance
from models.components import finance, objective, operations, retrofits
from models.data import ModelData, prepare


def build_model(data: ModelData | Instance) -> ConcreteModel:
    """Build the model from plain data (or an instance); reads no files."""
    d = data if isinstance(data, ModelData) else prepare(data)
    m = ConcreteModel(name="allocate")
    m.data = d
    m.T_list = list(d.T)
    m.t_index = {t: i for i, t in enumerate(d.T)}

    # ---- sets -------------------------------------------------------------
    m.W = Set(initialize=d.W, ordered=True, doc="scenarios")
    m.S = Set(initialize=d.S, ordered=True, doc="sites")
    m.SM = Set(initialize=d.mining_sites, ordered=True, doc="sites that mine")
    m.SA = Set(initialize=d.retrofit_sites, ordered=True, doc="sites that can be retrofitted")
    m.SM_set, m.SA_set = set(d.mining_sites), set(d.retrofit_sites)
    m.T = Set(initialize=d.T, ordered=True, doc="periods")
    m.F = Set(initialize=d.F, ordered=True, doc="debt facilities")
    m.R = Set(initialize=d.R, ordered=True, doc="regions with an AI demand limit")
    start_pairs = [(s, t) for s in d.retrofit_sites for i, t in enumerate(d.T) if i >= d.earliest_t[s]]
    m.start_index = Set(initialize=start_pairs, dimen=2, ordered=True, doc="(site, period) where a block may start")

    # ---- retrofit decisions (here-and-now, shared by every scenario) -------
    m.start = Var(m.start_index, domain=NonNegativeIntegers, bounds=lambda m, s, t: (0, d.max_blocks[s]))
    m.started = Var(m.SA, m.T, domain=NonNegativeReals, bounds=lambda m, s, t: (0, d.max_blocks[s]))
    m.started_balance = Constraint(m.SA, m.T, rule=retrofits.started_balance_rule)

    # ---- operations (per scenario) -----------------------------------------
    m.mine = Var(m.W, m.SM, m.T, domain=NonNegativeReals, bounds=lambda m, w, s, t: (0, d.mining_max_mw[w, s]))
    m.ai = Var(m.W, m.SA, m.T, domain=NonNegativeReals, bounds=lambda m, w, s, t: (0, d.block_it_mw[s] * d.max_blocks[s]))
    m.grid_limit = Constraint(m.W, m.S, m.T, rule=operations.grid_limit_rule)
    m.ai_online_limit = Constraint(m.W, m.SA, m.T, rule=operations.ai_online_limit_rule)
    m.demand_limit = Constraint(m.W, m.R, m.T, rule=operations.demand_limit_rule)
    m.mining_ebitda = Expression(m.W, m.T, rule=operations.mining_ebitda_rule)
    m.ai_ebitda = Expression(m.W, m.T, rule=operations.ai_ebitda_rule)
    m.ebitda = Expression(m.W, m.T, rule=operations.ebitda_rule)

    # ---- capex and budgets ---------------------------------------------------
    m.capex = Expression(m.W, m.T, rule=retrofits.capex_rule)
    m.capex_budget_limit = Constraint(m.W, m.T, rule=retrofits.capex_budget_limit_rule)
    m.total_capex_budget_limit = Constraint(m.W, rule=retrofits.total_capex_budget_limit_rule)

    # ---- debt -----------------------------------------------------------------
    m.draw = Var(m.W, m.F, m.T, domain=NonNegativeReals, bounds=lambda m, w, f, t: (0, None if d.can_draw[w, f, t] else 0))
    m.repay = Var(m.W, m.F, m.T, domain=NonNegativeReals)
    m.balance = Var(m.W, m.F, m.T, domain=NonNegativeReals, bounds=lambda m, w, f, t: (0, 0 if d.matured[w, f, t] else None))
    m.debt_balance = Constraint(m.W, m.F, m.T, rule=finance.debt_balance_rule)
    m.debt_limit = Constraint(m.W, m.F, m.T, rule=finance.debt_limit_rule)
    if d.has_advance:
        m.capex_cum = Var(m.W, m.T, domain=Reals)
        m.capex_cum_balance = Constraint(m.W, m.T, rule=finance.capex_cum_balance_rule)
        m.debt_advance_limit = Constraint(m.W, m.F, m.T, rule=finance.debt_advance_limit_rule)
    m.interest = Expression(m.W, m.T, rule=finance.interest_rule)
    m.fees = Expression(m.W, m.T, rule=finance.fees_rule)

    # ---- cash, dividends, covenants ------------------------------------------
    m.cash = Var(m.W, m.T, domain=Reals)
    m.dividend = Var(m.W, m.T, domain=NonNegativeReals)
    if d.leverage_breach_cost:  # extension: the excess over the covenant and its price
        m.leverage_excess = Var(m.W, m.T, domain=NonNegativeReals, bounds=finance.leverage_excess_bounds)
        m.breach_cost = Expression(m.W, m.T, rule=finance.leverage_breach_cost_rule)
    m.cash_balance = Constraint(m.W, m.T, rule=finance.cash_balance_rule)
    m.cash_floor = Constraint(m.W, m.T, rule=finance.cash_floor_rule)
    if d.leverage_breach_cost:  # extension: a covenant breached at a price (docs/model.md)
        m.leverage_limit = Constraint(m.W, m.T, rule=finance.leverage_limit_priced_rule)
    else:
        m.leverage_limit = Constraint(m.W, m.T, rule=finance.leverage_limit_rule)

    # ---- objective --------------------------------------------------------------
    m.terminal_value = Expression(m.W, rule=objective.terminal_value_rule)
    m.scenario_npv = Expression(m.W, rule=objective.scenario_npv_rule)
    if d.risk is None:
        m.npv = Objective(rule=objective.expected_npv_rule, sense=maximize)
    else:  # extension: CVaR risk aversion (docs/model.md)
        m.var_level = Var(domain=Reals)
        m.cvar_shortfall = Var(m.W, domain=NonNegativeReals)
        m.cvar_shortfall_floor = Constraint(m.W, rule=objective.cvar_shortfall_floor_rule)
        m.cvar = Expression(rule=objective.cvar_rule)
        m.npv = Objective(rule=objective.risk_adjusted_npv_rule, sense=maximize)
    return m
