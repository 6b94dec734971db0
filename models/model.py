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
from models.components import finance, fleets, objective, operations, retrofits
from models.data import INSTALLED, ModelData, prepare


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
    # sites mining with the v1 column ``mine`` (all of them for a v1 instance); the
    # others mine per fleet and price tier (``mine_tier``, SPEC v2)
    m.tier_mining_set = set(d.tier_mining_sites)
    m.SM1 = Set(initialize=[s for s in d.mining_sites if s not in m.tier_mining_set], ordered=True, doc="sites that mine with one column per period")
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
    m.mine = Var(m.W, m.SM1, m.T, domain=NonNegativeReals, bounds=lambda m, w, s, t: (0, d.mining_max_mw[w, s]))
    m.ai = Var(m.W, m.SA, m.T, domain=NonNegativeReals, bounds=lambda m, w, s, t: (0, d.block_it_mw[s] * d.max_blocks[s]))
    if d.has_tier_mining or d.has_fleets:
        _declare_fleets_and_tiers(m, d)
    m.grid_limit = Constraint(m.W, m.S, m.T, rule=operations.grid_limit_rule)
    if d.has_tier_mining:
        m.grid_tier_limit = Constraint(m.grid_tier_index, rule=operations.grid_tier_limit_rule)
    if d.has_fleets:
        m.fleet_balance = Constraint(m.fleet_index, rule=fleets.fleet_balance_rule)
        m.rack_limit = Constraint(m.W, m.SF, m.T, rule=fleets.rack_limit_rule)
        m.mine_fleet_limit = Constraint(m.mine_tier_index, rule=fleets.mine_fleet_limit_rule)
    m.ai_online_limit = Constraint(m.W, m.SA, m.T, rule=operations.ai_online_limit_rule)
    m.demand_limit = Constraint(m.W, m.R, m.T, rule=operations.demand_limit_rule)
    m.mining_ebitda = Expression(m.W, m.T, rule=operations.mining_ebitda_rule)
    m.ai_ebitda = Expression(m.W, m.T, rule=operations.ai_ebitda_rule)
    if d.has_resale:
        m.resale = Expression(m.W, m.T, rule=operations.resale_rule)
    m.ebitda = Expression(m.W, m.T, rule=operations.ebitda_rule)

    # ---- capex and budgets ---------------------------------------------------
    m.capex = Expression(m.W, m.T, rule=retrofits.capex_rule)
    m.capex_budget_limit = Constraint(m.W, m.T, rule=retrofits.capex_budget_limit_rule)
    m.total_capex_budget_limit = Constraint(m.W, rule=retrofits.total_capex_budget_limit_rule)
    if d.has_fleets:
        m.asic_capex = Expression(m.W, m.T, rule=fleets.asic_capex_rule)
    if d.has_prepayments:
        m.prepayments = Expression(m.W, m.T, rule=finance.prepayments_rule)
        m.credits = Expression(m.W, m.T, rule=finance.credits_rule)

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


def _declare_fleets_and_tiers(m, d: ModelData) -> None:
    """SPEC v2 section 8-9 sets and variables: fleets, buys, retirements, mining per tier.

    ``mine_tier[w,s,g,t,k]`` exists for every site mining per tier, fleet g (only
    ``installed`` without ASIC models) and tier k of the site in scenario w. Without
    ASIC models it is bounded by ``mining.max_mw`` (the installed fleet never
    changes); with them by the fleet (``mine_fleet_limit``).
    """
    fleet_names = d.fleets or [INSTALLED]
    m.fleets_of = {s: fleet_names for s in d.tier_mining_sites}
    m.SF = Set(initialize=d.tier_mining_sites, ordered=True, doc="sites mining per fleet and tier")
    mine_cells = [
        (w, s, g, t, k) for w in d.W for s in d.tier_mining_sites for g in fleet_names for t in d.T for k in d.tiers[w, s]
    ]
    # (s, g, k) per scenario: what one period's mining EBITDA sums over
    m.tier_cells = {w: [(s, g, k) for s in d.tier_mining_sites for g in fleet_names for k in d.tiers[w, s]] for w in d.W}
    m.mine_tier_index = Set(initialize=mine_cells, dimen=5, ordered=True, doc="(scenario, site, fleet, period, tier)")
    m.grid_tier_index = Set(
        initialize=[(w, s, t, k) for w in d.W for s in d.tier_mining_sites for t in d.T for k in d.tiers[w, s]],
        dimen=4,
        ordered=True,
        doc="(scenario, site, period, tier) of sites mining per tier",
    )
    if d.has_fleets:
        upper = lambda m, w, s, g, t, k: (0, d.rack_mw[w, s])  # noqa: E731
    else:
        upper = lambda m, w, s, g, t, k: (0, d.mining_max_mw[w, s])  # noqa: E731
    m.mine_tier = Var(m.mine_tier_index, domain=NonNegativeReals, bounds=upper)
    if not d.has_fleets:
        return
    fleet_cells = [(w, s, g, t) for w in d.W for s in d.tier_mining_sites for g in fleet_names for t in d.T]
    m.fleet_index = Set(initialize=fleet_cells, dimen=4, ordered=True, doc="(scenario, site, fleet, period)")
    m.buy_index = Set(initialize=d.buy_index, dimen=4, ordered=True, doc="(scenario, site, model, period) where the model can be bought")
    m.buy_by_wt = {}
    for key in d.buy_index:
        m.buy_by_wt.setdefault((key[0], key[3]), []).append(key)
    m.fleet = Var(m.fleet_index, domain=NonNegativeReals, bounds=lambda m, w, s, g, t: (0, d.rack_mw[w, s]))
    m.buy = Var(m.buy_index, domain=NonNegativeReals, bounds=lambda m, w, s, g, t: (0, d.rack_mw[w, s]))
    m.retire = Var(m.fleet_index, domain=NonNegativeReals, bounds=lambda m, w, s, g, t: (0, d.rack_mw[w, s]))
