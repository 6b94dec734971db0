"""Terminal report and JSON shape of a solve: formatting only, no model logic."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from optimizer import Result


def money(usd: float | None) -> str:
    """USD as a short figure a CFO reads: $1.23B, $45.6M, $789k."""
    if usd is None or pd.isna(usd):
        return "-"
    a = abs(usd)
    sign = "-" if usd < 0 else ""
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.2f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.1f}M"
    if a >= 1e3:
        return f"{sign}${a / 1e3:,.0f}k"
    return f"{sign}${a:,.0f}"


def result_json(result: Result) -> dict:
    """The ``--json`` object: status, objective, bound, gap, periods, retrofits, ..."""
    out = result.summary()
    out["solve_seconds"] = round(result.solve_seconds, 4)
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
    if result.finance is not None:
        out["totals"] = totals(result)
    return out


def totals(result: Result) -> dict:
    """Headline figures (expected over scenarios)."""
    f = result.finance
    p = result.instance.scenarios["probability"]
    w = f.index.get_level_values("scenario").map(p).to_numpy()

    def expect(col: str) -> float:
        return float((f[col] * w).sum())

    alloc = result.allocation
    last = result.instance.period_labels[-1]
    ai_end = alloc.xs(last, level="period")["ai_it_mw"].groupby(level="scenario").sum()
    return {
        "ebitda_usd": expect("ebitda_usd"),
        "capex_usd": expect("capex_usd"),
        "dividends_usd": expect("dividend_usd"),
        "draws_usd": expect("draws_usd"),
        "interest_usd": expect("interest_usd"),
        "peak_debt_usd": float(f["debt_usd"].max()),
        "min_cash_usd": float(f["cash_usd"].min()),
        "ai_it_mw_at_end": float((ai_end * p.reindex(ai_end.index)).sum()),
    }


def yearly_split(result: Result) -> pd.DataFrame:
    """Average MW per calendar year: mining, AI (IT and grid), construction, idle (expected)."""
    a = result.allocation
    p = result.instance.scenarios["probability"]
    cols = ["mine_mw", "ai_it_mw", "ai_grid_mw", "construction_mw", "idle_mw"]
    weighted = a[cols].mul(a.index.get_level_values("scenario").map(p).to_numpy(), axis=0)
    per_period = weighted.groupby(level="period", sort=False).sum()
    years = per_period.index.str[:4]
    return per_period.groupby(years).mean()


def print_report(result: Result, console: Console | None = None) -> None:
    """The human-readable solve report."""
    c = console or Console()
    inst = result.instance
    c.print(f"[bold]allocate[/bold]  {inst.name}: {len(inst.sites)} sites, {len(inst.periods)} periods of {inst.period_months} months from {inst.period_labels[0]}"
            + (f", {len(inst.scenarios)} scenarios" if inst.is_stochastic else ""))
    c.print(f"status     [bold]{result.status.value}[/bold] ({result.reason})")
    for w in result.warnings + inst.warnings:
        c.print(f"[yellow]warning[/yellow]    {w}")
    if not result.has_plan:
        return
    gap = f"{result.mip_gap:.2e}" if result.mip_gap is not None else "-"
    c.print(f"NPV        [bold]{money(result.objective_usd)}[/bold]  (bound {money(result.bound_usd)}, gap {gap}, solved in {result.solve_seconds:.2f} s)")

    if inst.is_stochastic:
        t = Table(title="NPV by scenario", title_justify="left")
        for col in ("scenario", "probability", "NPV"):
            t.add_column(col, justify="right" if col != "scenario" else "left")
        for w, row in result.scenario_npv.iterrows():
            t.add_row(w, f"{row.probability:.3f}", money(row.npv_usd))
        c.print(t)

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
