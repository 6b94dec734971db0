"""Value of information and of the stochastic solution (EVPI, VSS), in USD.

For a stochastic instance with scenarios w of probability p_w (maximization):

- **RP** (recourse problem): the stochastic optimum, ``max_x sum_w p_w NPV_w(x)``,
  retrofit starts ``x`` shared by every scenario (SPEC section 6);
- **WS** (wait and see): ``sum_w p_w max_x NPV_w(x)``, each scenario solved alone,
  as if its future were known before the retrofit starts are chosen;
- **EV**: the expected-value problem, one scenario whose every number is the
  probability-weighted mean of the scenarios' (see :func:`expected_value_instance`);
- **EEV**: the expected NPV of the EV plan: the EV problem's starts fixed in the
  stochastic problem, which then chooses operations and financing per scenario.

``EVPI = WS - RP >= 0`` is what perfect foresight would be worth; ``VSS = RP - EEV >= 0``
is what planning over the scenarios, rather than for the mean scenario, is worth.
When the EV plan is infeasible in some scenario (it cannot be funded, say), EEV does
not exist and VSS is reported as unavailable with the reason.

Every solve is a MIP solved to ``options.mip_gap``, so each figure is exact only
within that gap: ``summary["gap_usd"]`` bounds the error of EVPI and VSS.

An instance with ``risk`` is treated risk neutral here (EVPI and VSS are defined on
the expected NPV): its ``risk`` object is dropped for these solves.

The helpers :func:`restrict_to_scenario` and :func:`expected_value_instance` build
one-scenario instances from the resolved tables (no JSON round trip); the
progressive-hedging scenario creator (``optimizer.ph``) uses the first.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from instances import Instance
from optimizer.solve import Result, SolveOptions, solve

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


def starts_of(result: Result) -> dict[tuple[str, str], int]:
    """The retrofit schedule of a solved plan as {(site, period): blocks}."""
    return {(r.site, r.start): int(r.blocks) for r in result.retrofits.itertuples()}


@dataclass
class ValueOfInformation:
    """EVPI and VSS with the solves behind them (USD; None when not available)."""

    stochastic_usd: float | None = None  # RP
    wait_and_see_usd: float | None = None  # WS
    expected_value_usd: float | None = None  # EV problem's own objective
    eev_usd: float | None = None  # expected result of the EV plan
    evpi_usd: float | None = None
    vss_usd: float | None = None
    per_scenario_usd: dict[str, float] = field(default_factory=dict)  # each scenario alone
    ev_starts: dict[tuple[str, str], int] = field(default_factory=dict)
    gap_usd: float = 0.0  # sum of the absolute MIP gaps of the solves behind a figure
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "stochastic_usd": self.stochastic_usd,
            "wait_and_see_usd": self.wait_and_see_usd,
            "expected_value_usd": self.expected_value_usd,
            "eev_usd": self.eev_usd,
            "evpi_usd": self.evpi_usd,
            "vss_usd": self.vss_usd,
            "per_scenario_usd": dict(self.per_scenario_usd),
            "ev_starts": [{"site": s, "start": t, "blocks": b} for (s, t), b in sorted(self.ev_starts.items())],
            "gap_usd": self.gap_usd,
            "notes": list(self.notes),
        }


def plain_options(options: SolveOptions) -> SolveOptions:
    """Time limit, gap and threads of ``options``, nothing else: no live progress, no
    log and no post-solve extras (``sensitivities``, where the build has them)."""
    kw = dict(time_limit=options.time_limit, mip_gap=options.mip_gap, threads=options.threads)
    if "sensitivities" in {f.name for f in dataclasses.fields(SolveOptions)}:
        kw["sensitivities"] = False
    return SolveOptions(**kw)


def _abs_gap(result: Result) -> float:
    if result.objective_usd is None or result.bound_usd is None:
        return 0.0
    return abs(result.bound_usd - result.objective_usd)


def value_of_information(instance: Instance, options: SolveOptions | None = None, stochastic: Result | None = None) -> ValueOfInformation:
    """EVPI and VSS of ``instance`` (see the module docstring).

    ``stochastic`` may pass the stochastic optimum already computed (it is reused
    only when the instance is risk neutral and that solve found a plan).
    """
    options = options or SolveOptions()
    base = plain_options(options)
    voi = ValueOfInformation()
    neutral = dataclasses.replace(instance, risk=None)
    if instance.risk is not None:
        voi.notes.append("the instance has a risk setting; EVPI and VSS are computed on the expected NPV (risk neutral)")
        stochastic = None
    if stochastic is None or not stochastic.has_plan:
        stochastic = solve(neutral, base)
    if not stochastic.has_plan:
        voi.notes.append(f"the stochastic problem has no plan ({stochastic.status.value}: {stochastic.reason})")
        return voi
    rp = stochastic.objective_usd
    voi.stochastic_usd = rp
    gap_rp = _abs_gap(stochastic)

    # wait and see: each scenario alone, probability-weighted
    ws, gap_ws, ok = 0.0, 0.0, True
    for w in instance.scenario_names:
        p = float(instance.scenarios.at[w, "probability"])
        alone = solve(restrict_to_scenario(neutral, w), base)
        if not alone.has_plan:
            voi.notes.append(f"scenario {w} alone has no plan ({alone.status.value}); EVPI not available")
            ok = False
            break
        voi.per_scenario_usd[w] = alone.objective_usd
        ws += p * alone.objective_usd
        gap_ws += p * _abs_gap(alone)
    if ok:
        voi.wait_and_see_usd = ws
        voi.evpi_usd = ws - rp

    # expected value problem -> its starts -> fixed in the stochastic problem
    try:
        ev_instance = expected_value_instance(neutral)
    except ValueError as exc:
        voi.notes.append(f"VSS not available: {exc}")
        voi.gap_usd = gap_rp + gap_ws
        return voi
    ev = solve(ev_instance, base)
    if not ev.has_plan:
        voi.notes.append(f"the expected-value problem has no plan ({ev.status.value}: {ev.reason}); VSS not available")
        voi.gap_usd = gap_rp + gap_ws
        return voi
    voi.expected_value_usd = ev.objective_usd
    voi.ev_starts = starts_of(ev)
    eev = solve(neutral, dataclasses.replace(base, fixed_starts=dict(voi.ev_starts)))
    gap_eev = 0.0
    if eev.has_plan:
        voi.eev_usd = eev.objective_usd
        voi.vss_usd = rp - eev.objective_usd
        gap_eev = _abs_gap(eev) + _abs_gap(ev)
    else:
        voi.notes.append(
            "the plan made for the mean scenario is infeasible in at least one scenario "
            f"({eev.status.value}: {eev.reason}); VSS not available (no finite EEV)"
        )
    voi.gap_usd = gap_rp + max(gap_ws, gap_eev)
    return voi


def format_lines(voi: ValueOfInformation, money) -> list[str]:
    """Lines of the terminal report; ``money`` formats USD."""
    lines = [
        f"stochastic optimum (RP)      {money(voi.stochastic_usd)}",
        f"wait and see (WS)            {money(voi.wait_and_see_usd)}",
        f"EVPI = WS - RP               {money(voi.evpi_usd)}",
        f"mean-scenario plan (EEV)     {money(voi.eev_usd)}",
        f"VSS = RP - EEV               {money(voi.vss_usd)}",
    ]
    if voi.gap_usd > 0.5:
        lines.append(f"(each figure within {money(voi.gap_usd)} of exact: MIP gaps of the solves)")
    lines += [f"note: {n}" for n in voi.notes]
    return lines
