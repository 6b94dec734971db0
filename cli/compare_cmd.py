"""``allocate compare RUN_A RUN_B [--json]``: what changed between two solve runs.

RUN_A and RUN_B are folders written by ``allocate solve --out``. Shows the NPV
change, the retrofit schedules side by side (blocks added, removed, moved earlier or
later), the MW split per site and year, the financing (draws, peak debt, dividends)
and the inputs that differ (``optimizer.runs.compare``). Changes read B minus A.

Exit codes: 0 compared, 2 a folder is not a readable run.
"""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from cli.common import EXIT_INPUT
from optimizer.runs.compare import RunError, compare_runs
from optimizer.reports.formatting import money
from optimizer.runs.output import dumps

MW_TOL = 0.05  # MW: smaller changes are not listed


def _value(v, width: int = 48) -> str:
    if v is None:
        return "-"
    text = v if isinstance(v, str) else json.dumps(v)
    return text if len(text) <= width else text[: width - 3] + "..."


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
        t.add_row(r["item"], money(r["a"]), money(r["b"]), _signed_money(r["change"]))
    c.print(t if report["financing"] else "Financing: no plan in either run")


@click.command("compare")
@click.argument("run_a", type=click.Path())
@click.argument("run_b", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the report.")
def compare_cmd(run_a, run_b, as_json) -> None:
    """Compare two run folders written by ``allocate solve --out`` (changes are B - A)."""
    try:
        report = compare_runs(run_a, run_b)
    except RunError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    if as_json:
        click.echo(dumps(report), nl=False)
    else:
        print_comparison(report, Console(soft_wrap=False))
