"""One-scenario instances cut from a stochastic one, from the resolved tables (no JSON
round trip): a scenario alone (:func:`restrict_to_scenario`, used by the
progressive-hedging scenario creator and the wait-and-see solves) and the
expected-value instance (:func:`expected_value_instance`, every number the
probability-weighted mean ``sum_w p_w x_w``).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from instances.instance import Instance

EXPECTED = "expected"
# tables of Instance that carry a scenario index level
SCENARIO_TABLES = (
    "scenarios", "site_params", "site_period", "period_data", "demand", "facilities", "facility_period",
    "site_params_v2", "power_tiers", "asic_models", "asic_model_period",
)


def _rows_of(table: pd.DataFrame, w: str) -> pd.DataFrame:
    mask = table.index.get_level_values("scenario") == w
    return table[mask]


def restrict_to_scenario(instance: Instance, w: str, probability: float = 1.0, keep_risk: bool = True) -> Instance:
    """The instance with only scenario ``w`` (named ``w``, of ``probability``).

    Every table keeps its scenario level, so a model built from it is indexed by the
    real scenario name. ``keep_risk=False`` drops the CVaR extension.
    """
    if w not in instance.scenario_names:
        raise KeyError(f"no scenario named {w!r}")
    tables = {name: _rows_of(getattr(instance, name), w).copy() for name in SCENARIO_TABLES}
    tables["scenarios"]["probability"] = float(probability)
    return dataclasses.replace(instance, risk=instance.risk if keep_risk else None, **tables)


def _weighted(table: pd.DataFrame, p: pd.Series, name: str, drop_missing: bool = False) -> pd.DataFrame:
    """Probability-weighted mean of every column over the scenario level.

    Numbers: the weighted mean; NaN (no limit) in any scenario gives NaN. Booleans:
    True when scenarios of probability >= 1/2 say True. A row missing in some
    scenario is NaN (``drop_missing``: dropped).
    """
    keys = [n for n in table.index.names if n != "scenario"]
    if table.empty:
        out = table.iloc[0:0].copy()
        return out
    out_cols = {}
    for col in table.columns:
        wide = table[col].unstack("scenario") if keys else table[col].to_frame().T
        wide = wide.reindex(columns=p.index)
        weights = p.to_numpy(dtype=float)
        values = wide.to_numpy()
        is_bool = table[col].dtype == bool
        if is_bool:
            truth = np.where(pd.isna(values), False, values).astype(bool)
            share = truth.astype(float) @ weights
            out_cols[col] = share >= 0.5 - 1e-12
        else:
            numbers = values.astype(float)
            mean = numbers @ weights  # NaN anywhere -> NaN
            out_cols[col] = mean
    index = wide.index if keys else pd.Index([name], name="scenario")
    out = pd.DataFrame(out_cols, index=index)
    if keys:  # unstack sorts the rows: back to the instance's order (sites as listed)
        order = table.index.droplevel("scenario").unique()
        out = out.reindex(order)
    if drop_missing:
        out = out.dropna()
    if keys:
        out = pd.concat({name: out}, names=["scenario"])
        out.index = out.index.set_names(["scenario"] + keys)
    for col in table.columns:
        if table[col].dtype == bool:
            out[col] = out[col].astype(bool)
    return out


def expected_value_instance(instance: Instance, name: str = EXPECTED) -> Instance:
    """The expected-value instance: one scenario, every number the probability-weighted mean.

    Means are taken table entry by table entry on the resolved instance (hashprice,
    power prices, leases, grid MW, capex, discount factors, overhead, cash, debt
    terms, ...). A limit absent (no limit) in any scenario is absent in the mean
    scenario; a yes/no field (``power_pass_through``, a facility's draw window)
    takes the answer of scenarios holding at least half the probability; an AI
    demand limit missing in some scenario is dropped. Every scenario must have the
    same debt facilities.
    """
    p = instance.scenarios["probability"].astype(float)
    fac_sets = {w: set(_rows_of(instance.facilities, w).index.get_level_values("facility")) for w in instance.scenario_names}
    if len({frozenset(s) for s in fac_sets.values()}) > 1:
        raise ValueError("the expected-value problem needs the same debt facilities in every scenario")
    tier_counts = {len(_rows_of(instance.power_tiers, w).index.droplevel("period").unique()) for w in instance.scenario_names}
    if len(tier_counts) > 1:
        raise ValueError("the expected-value problem needs the same price tiers at every site in every scenario")
    tables = {}
    for t in SCENARIO_TABLES:
        table = getattr(instance, t)
        if t == "scenarios":
            mean = _weighted(table, p, name)
            mean["probability"] = 1.0
            tables[t] = mean
        else:
            tables[t] = _weighted(table, p, name, drop_missing=(t == "demand"))
    v2 = tables["site_params_v2"]
    if len(v2):
        # whole periods; a site is tiered in the mean when it is in any scenario
        # (its mean resale is then above 0, or it has several tiers)
        v2["prepayment_credit_periods"] = v2["prepayment_credit_periods"].round().astype(int)
        v2["tiered"] = _rows_of(instance.site_params_v2, instance.scenario_names[0])["tiered"].to_numpy() | (
            v2.index.get_level_values("site").map(instance.site_params_v2["tiered"].groupby(level="site").any()).to_numpy(dtype=bool)
        )
    return dataclasses.replace(instance, **tables)
