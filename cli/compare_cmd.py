"""``allocate compare RUN_A RUN_B [--json]``: what changed between two solve runs.

RUN_A and RUN_B are folders written by ``allocate solve --out``. Shows the NPV
change, the retrofit schedules side by side (blocks added, removed, moved earlier or
later), the MW split per site and year, the financing (draws, peak debt, dividends;
per facility by name), the inputs that differ, in full, and the NPV bridge: the
change split by input, each applied alone to A and re-solved, the interaction the
remainder (``optimizer.runs.compare``). Changes read B minus A.

Exit codes: 0 compared, 2 a folder is not a readable run.
"""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.common import EXIT_INPUT, check_mip_gap
from optimizer import DEFAULT_MIP_GAP, SolveOptions
from optimizer.runs.compare import compare_runs
from optimizer.runs.folder import RunError
from optimizer.reports.formatting import money
from optimizer.runs.output import dumps

MW_TOL = 0.05  # MW: smaller changes are not listed


def _short_floats(v):
    """Floats to 10 significant digits (``40.17370261``, not ``40.17370260506213``);
    ``--json`` has them exactly."""
    if isinstance(v, float):
        return float(f"{v:.10g}")
    if isinstance(v, list):
        return [_short_floats(x) for x in v]
    if isinstance(v, dict):
        return {k: _short_floats(x) for k, x in v.items()}
    return v


def _value(v) -> str:
    """An input in full (a whole growth series, every entry of a list), as JSON."""
    if v is None:
        return "-"
    return escape(v if isinstance(v, str) else json.dumps(_short_floats(v)))


def _signed_money(usd) -> str:
    if usd is None:
        return "-"
    return ("+" if usd > 0 else "") + money(usd) if abs(usd) >= 0.5 else "0"


def print_comparison(report: dict, console: Console | None = None) -> None:
    c = console or Console()
    c.print(f"[bold]compare[/bold]  A = {report['a']}   B = {report['b']}", highlight=False)
    st = report["status"]
    if st["a"] != st["b"]:
        c.print(f"status     A {st['a']}, B {st['b']}")
    n = report["npv"]
    pct = f" ({n['change_pct']:+.2f}%)" if n["change_pct"] is not None else ""
    c.print(f"NPV        A {money(n['a_usd'])}   B {money(n['b_usd'])}   change [bold]{_signed_money(n['change_usd'])}[/bold]{pct}")

    t = Table(title="Inputs that differ", title_justify="left")
    for col in ("path", "A", "B"):
        t.add_column(col, overflow="fold")
    for row in report["inputs"]:
        t.add_row(row["path"], _value(row["a"]), _value(row["b"]))
    c.print(t if report["inputs"] else "Inputs that differ: none")

    t = Table(title="Retrofit schedule", title_justify="left")
    for col in ("site", "A", "B", "what moved"):
        t.add_column(col, overflow="fold")
    for row in report["retrofits"]:
        t.add_row(row["site"], row["a"], row["b"], row["summary"])
    c.print(t if report["retrofits"] else "Retrofit schedule: no retrofit in either run")

    moved = [r for r in report["mw"] if abs(r["mine_mw_change"]) > MW_TOL or abs(r["ai_it_mw_change"]) > MW_TOL]
    t = Table(title="Average MW per site and year (rows that changed)", title_justify="left")
    for col in ("site", "year", "mining A", "mining B", "change", "AI IT A", "AI IT B", "change"):
        t.add_column(col, justify="left" if col in ("site", "year") else "right")
    for r in moved:
        t.add_row(
            r["site"], r["year"],
            f"{r['mine_mw_a']:,.1f}", f"{r['mine_mw_b']:,.1f}", f"{r['mine_mw_change']:+,.1f}",
            f"{r['ai_it_mw_a']:,.1f}", f"{r['ai_it_mw_b']:,.1f}", f"{r['ai_it_mw_change']:+,.1f}",
        )
    c.print(t if moved else "Average MW per site and year: no change")

    t = Table(title="Financing (expected over the horizon)", title_justify="left")
    for col in ("item", "A", "B", "change"):
        t.add_column(col, justify="left" if col == "item" else "right")
    for r in report["financing"]:
        # a facility's rows carry its name (rich would read "[revolver]" as markup)
        item = f"{r['figure']}  {r['facility']}" if r.get("facility") else r["item"]
        t.add_row(escape(item), money(r["a"]), money(r["b"]), _signed_money(r["change"]))
    c.print(t if report["financing"] else "Financing: no plan in either run")
    print_bridge(report.get("npv_bridge"), c)


def print_bridge(bridge: dict | None, c: Console) -> None:
    """The NPV change by input: each alone on A, then the interaction (the remainder)."""
    if bridge is None:
        return
    if "skipped" in bridge:
        c.print(f"NPV bridge: not computed ({bridge['skipped']})", highlight=False)
        return
    t = Table(title="NPV bridge: each changed input applied alone to A and re-solved", title_justify="left")
    t.add_column("input", overflow="fold")
    t.add_column("NPV change", justify="right")
    t.add_column("note", overflow="fold")
    for step in bridge["steps"]:
        t.add_row(escape(step["path"]), _signed_money(step["effect_usd"]), escape(step["reason"]))
    note = "" if bridge["complete"] else "includes the inputs without an effect of their own"
    t.add_row("interaction (the rest: inputs together, solver gap)", _signed_money(bridge["interaction_usd"]), note)
    t.add_row("[bold]total (B - A)[/bold]", f"[bold]{_signed_money(bridge['total_usd'])}[/bold]", "")
    c.print(t)


@click.command("compare")
@click.argument("run_a", type=click.Path())
@click.argument("run_b", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the report.")
@click.option("--bridge/--no-bridge", default=True, show_default=True, help="Split the NPV change by input: one solve of A per changed input (at most 12).")
@click.option("--mip-gap", type=float, callback=check_mip_gap, default=DEFAULT_MIP_GAP, show_default=True, help="Relative MIP gap of the bridge's solves.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Solver time limit per bridge solve, in seconds.")
def compare_cmd(run_a, run_b, as_json, bridge=True, mip_gap=DEFAULT_MIP_GAP, time_limit=None) -> None:
    """Compare two run folders written by ``allocate solve --out`` (changes are B - A)."""
    options = SolveOptions(mip_gap=mip_gap, time_limit=time_limit) if bridge else None
    try:
        report = compare_runs(run_a, run_b, bridge=options)
    except RunError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    if as_json:
        click.echo(dumps(report), nl=False)
    else:
        print_comparison(report, Console(soft_wrap=False))
