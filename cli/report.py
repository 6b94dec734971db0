"""Terminal report and ``--json`` shape of a solve: printing only; the figures come from
``optimizer.reports.tables``."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from optimizer import Result
from optimizer.analyses.explain import Explanation, explanation_json
from optimizer.reports.formatting import money
from optimizer.reports.tables import PERCENTILES, npv_distribution, totals, yearly_split


def result_json(result: Result, explanation: Explanation | None = None) -> dict:
    """The ``--json`` object: status, objective, bound, gap, periods, retrofits, ...
    and, for an infeasible instance, ``explanation`` (see :func:`explanation_json`)."""
    out = result.summary()
    if explanation is not None:
        out["explanation"] = explanation_json(explanation)
    out["timings"] = result.timing_figures()
    out["solve_seconds"] = round(result.solve_seconds, 4)
    if result.verification is not None:
        out["verification"] = result.verification.to_json(with_seconds=True)
    out["retrofits"] = []
    if result.retrofits is not None:
        out["retrofits"] = [
            {
                "site": r.site,
                "start": r.start,
                "blocks": int(r.blocks),
                "it_mw": float(r.it_mw),
                "online": r.online if isinstance(r.online, str) else None,
                "capex_usd": float(r.capex_usd),
            }
            for r in result.retrofits.itertuples()
        ]
    if result.scenario_npv is not None:
        out["scenario_npv_usd"] = {w: float(v) for w, v in result.scenario_npv["npv_usd"].items()}
        dist = npv_distribution(result.scenario_npv)
        if dist is not None:
            out["npv_distribution_usd"] = dist
    if result.finance is not None:
        out["totals"] = totals(result)
    return out


def print_report(result: Result, console: Console | None = None) -> None:
    """The human-readable solve report."""
    c = console or Console()
    inst = result.instance
    c.print(f"[bold]allocate[/bold]  {inst.name}: {len(inst.sites)} sites, {len(inst.periods)} periods of {inst.period_months} months from {inst.period_labels[0]}"
            + (f", {len(inst.scenarios)} scenarios" if inst.is_stochastic else ""))
    c.print(f"status     [bold]{result.status.value}[/bold] ({result.reason})")
    v = result.verification
    if v is not None and v.status != "verified" and result.has_plan:
        c.print(f"check      {v.status}: {v.reason}")
    for w in result.warnings + inst.warnings:
        c.print(f"[yellow]warning[/yellow]    {w}")
    if not result.has_plan:
        return
    gap = f"{result.mip_gap:.2e}" if result.mip_gap is not None else "-"
    c.print(f"NPV        [bold]{money(result.objective_usd)}[/bold]  (bound {money(result.bound_usd)}, gap {gap}, solved in {result.solve_seconds:.2f} s)")

    if inst.is_stochastic and len(result.scenario_npv) <= MAX_SCENARIO_ROWS:
        t = Table(title="NPV by scenario", title_justify="left")
        for col in ("scenario", "probability", "NPV"):
            t.add_column(col, justify="right" if col != "scenario" else "left")
        for w, row in result.scenario_npv.iterrows():
            t.add_row(w, f"{row.probability:.3f}", money(row.npv_usd))
        c.print(t)
    print_npv_distribution(result, c)
    print_npv_decomposition(result, c)
    print_covenant(result, c)

    t = Table(title="Retrofit schedule", title_justify="left")
    for col in ("site", "start", "blocks", "IT MW", "online", "capex"):
        t.add_column(col, justify="left" if col in ("site", "start", "online") else "right")
    if len(result.retrofits) == 0:
        c.print("Retrofit schedule: none (every site keeps mining)")
    else:
        for r in result.retrofits.itertuples():
            t.add_row(r.site, r.start, str(r.blocks), f"{r.it_mw:,.0f}", r.online or "after horizon", money(r.capex_usd))
        c.print(t)

    split = yearly_split(result)
    t = Table(title="Average MW per year", title_justify="left")
    for col in ("year", "mining", "AI IT", "AI grid", "construction", "idle"):
        t.add_column(col, justify="right")
    for year, row in split.iterrows():
        t.add_row(year, *(f"{row[c_]:,.0f}" for c_ in ("mine_mw", "ai_it_mw", "ai_grid_mw", "construction_mw", "idle_mw")))
    c.print(t)

    tot = totals(result)
    t = Table(title="Financing (expected over the horizon)", title_justify="left")
    t.add_column("item")
    t.add_column("USD", justify="right")
    for label, key in (
        ("EBITDA", "ebitda_usd"),
        ("AI capex", "capex_usd"),
        ("debt drawn", "draws_usd"),
        ("interest", "interest_usd"),
        ("dividends", "dividends_usd"),
        ("peak debt", "peak_debt_usd"),
        ("lowest cash", "min_cash_usd"),
    ):
        t.add_row(label, money(tot[key]))
    c.print(t)
    print_sensitivities(result, c)


SENSITIVITY_LABELS = {
    "grid_mw": ("one more grid MW at {name}, {periods}", "per MW"),
    "capex_budget": ("one more $ of capex budget, {periods}", "per $"),
    "total_capex_budget": ("one more $ of total capex budget", "per $"),
    "debt_limit": ("one more $ of {name} limit", "per $"),
    "min_cash": ("a $ lower minimum cash", "per $"),
}


def print_sensitivities(result: Result, console: Console | None = None, n: int = 8) -> None:
    """The largest marginal values of the plan (``optimizer.sensitivity``), schedule held."""
    from optimizer.sensitivity import carrying_periods, periods_label, top

    table = getattr(result, "sensitivities", None)
    if table is None:
        return
    c = console or Console()
    best = top(table, n)
    if not len(best):
        c.print("Marginal values: none (no limit binds at the plan)")
        return
    checked = "source" in best.columns
    t = Table(title="Marginal values (NPV change, retrofit schedule held)", title_justify="left")
    t.add_column("marginal change")
    t.add_column("NPV", justify="right")
    t.add_column("", justify="left")
    if checked:
        t.add_column("holds for", justify="right")
    notes = []
    for row in best.itertuples():
        label, per = SENSITIVITY_LABELS.get(row.kind, (f"{row.kind} {{name}}", f"per {row.per}"))
        shown = row.shown_usd if checked and pd.notna(row.shown_usd) else row.value_usd
        value = money(shown) if row.per == "MW" else f"{shown:+.4f}"
        periods = periods_label(carrying_periods(table, row.kind, row.name), result.instance.period_labels)
        cells = [label.format(name=row.name, periods=periods), value, per]
        if checked:
            if row.source == "re-solve":
                cells[1] += " *"
                notes.append(f"* {label.format(name=row.name, periods=periods)}: {_check_text(row)}")
            cells.append(_holds_text(row))
        t.add_row(*cells)
    c.print(t)
    if checked:
        c.print("each value re-solved with its change (schedule held); * the re-solved value, the LP dual being off by more than 5%",
                markup=False, highlight=False, soft_wrap=True)
        for line in notes:
            c.print(line, markup=False, highlight=False, soft_wrap=True)


def _check_text(row) -> str:
    """``agrees`` or ``re-solved (dual said ...)`` for a checked marginal value."""
    if row.source is None or pd.isna(row.resolved_usd):
        return "not re-solved"
    if row.source == "dual":
        return "agrees"
    dual = money(row.dual_usd) if row.per == "MW" else f"{row.dual_usd:+.4f}"
    return f"re-solved value (the dual said {dual})"


def _holds_text(row) -> str:
    """How far the limit can move before the marginal value changes (HiGHS ranging)."""
    holds = row.holds_for
    if holds is None or pd.isna(holds):
        return "-"
    if holds == float("inf"):
        return "any amount"
    return f"{holds + 0.0:,.0f} MW" if row.per == "MW" else money(holds + 0.0)


def print_explanation(explanation: Explanation | None, console: Console | None = None) -> None:
    """After an infeasible status: the smallest relaxation that would give a plan."""
    if explanation is None:
        return
    c = console or Console()
    if not explanation.found:
        c.print(f"why        {explanation.reason}", markup=False, highlight=False, soft_wrap=True)
        return
    c.print("why        the smallest relaxation that gives a plan:", markup=False, highlight=False, soft_wrap=True)
    for line in explanation.lines():
        c.print(f"           - {line}", markup=False, highlight=False, soft_wrap=True)


def print_npv_decomposition(result: Result, console: Console | None = None) -> None:
    """Where the NPV comes from: PV of dividends, of final cash less debt, of terminal value."""
    from optimizer.reports.tables import npv_decomposition_rows

    rows = npv_decomposition_rows(result.summary().get("npv_decomposition")) if result.has_plan else []
    if not rows:
        return
    c = console or Console()
    t = Table(title="NPV decomposition (present values)", title_justify="left")
    for col in ("term", "USD", "share"):
        t.add_column(col, justify="left" if col == "term" else "right")
    for label, value, share in rows:
        t.add_row(label, money(value), "" if share is None else f"{share:.1%}")
    c.print(t)


def print_covenant(result: Result, console: Console | None = None) -> None:
    """The leverage covenant's tightest period and every priced breach."""
    cov = result.summary().get("covenant") if result.has_plan else None
    if cov is None:
        return
    c = console or Console()
    where = cov["min_headroom_period"] + (f" ({cov['min_headroom_scenario']})" if result.instance.is_stochastic else "")
    c.print(f"covenant   smallest headroom {money(cov['min_headroom_usd'])} in {where}, allowed debt {money(cov['allowed_debt_usd'])}")
    if cov.get("warning"):
        c.print(f"[yellow]warning[/yellow]    {cov['warning']}")
    if cov["breaches"]:
        t = Table(title="Covenant breaches (finance.leverage_breach_cost)", title_justify="left")
        for col in ("period", "scenario", "excess debt", "cost"):
            t.add_column(col, justify="left" if col in ("period", "scenario") else "right")
        for b in cov["breaches"]:
            t.add_row(b["period"], b["scenario"], money(b["excess_usd"]), money(b["cost_usd"]))
        c.print(t)


MAX_SCENARIO_ROWS = 20  # more scenarios: the distribution only (every NPV is in --json and scenarios.csv)


def print_npv_distribution(result: Result, console: Console | None = None) -> None:
    """The distribution of scenario NPV (two scenarios or more)."""
    dist = npv_distribution(result.scenario_npv) if result.has_plan else None
    if dist is None:
        return
    c = console or Console()
    t = Table(title=f"NPV distribution over {len(result.scenario_npv)} scenarios (probability weighted)", title_justify="left")
    cols = ["min"] + [f"p{q}" for q in PERCENTILES] + ["max", "mean", "std"]
    for col in cols:
        t.add_column(col.upper() if col.startswith("p") else col, justify="right")
    t.add_row(*(money(dist[col]) for col in cols))
    c.print(t)
    if dist["prob_negative"] > 0:
        c.print(f"P(NPV < 0)  {dist['prob_negative']:.1%}")


def print_value_of_information(voi, console: Console | None = None) -> None:
    """EVPI and VSS (``--value-of-information``; ``optimizer.analyses.value_of_information``)."""
    if voi is None:
        return
    from optimizer.analyses.value_of_information import format_lines

    c = console or Console()
    c.print("[bold]Value of information[/bold]")
    for line in format_lines(voi, money):
        c.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
