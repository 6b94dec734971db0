"""``allocate breakeven INSTANCE --param PATH [--site NAME] [--low X --high Y]``.

Finds, by bisection on solves, the value of PATH at which NAME's first retrofit start
changes (appears, disappears or moves), and shows the bracket and the plans at both
ends (``optimizer.analyses.breakeven``); then every decision that moves in the
bracket (first start and blocks of NAME, or of every retrofit site without
``--site``), each stated in PATH's own unit. A PATH holding a series is scaled: the
values are factors on the whole series (1 = as in the instance), shown with the
first period's value they give (``25.6 USD per PH/s per day in 2027-01 (x0.8 the series)``).

Exit codes: 0 a change was bracketed, 1 nothing changes in the bracket (the first
start of NAME, or with no --site any decision), 2 bad usage or input.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from cli.common import check_mip_gap, base_instance, fail_input as _fail, fixed_overrides
from instances import InputError
from optimizer import SolveOptions
from optimizer.analyses.breakeven import DEFAULT_GAP, breakeven
from optimizer.reports.formatting import money
from optimizer.runs.output import dumps

def _fmt(x: float, mode: str) -> str:
    return f"x{x:.6g}" if mode == "scale" else f"{x:.6g}"


def in_unit(be, x: float) -> str:
    """A parameter value in its own unit; a scaled series shows the first period's
    value and the factor: ``25.6 USD per PH/s per day in 2027-01 (x0.8 the series)``."""
    unit = f" {be.unit}" if be.unit else ""
    if be.mode == "scale" and be.base_first_value is not None:
        return f"{be.in_unit(x):.6g}{unit} in {be.first_period} (x{x:.6g} the series)"
    return f"{x:.6g}{unit}"


def print_decisions(be, c: Console) -> None:
    """Every decision that moves in the bracket: where, in the parameter's unit."""
    if not be.decisions:
        c.print("no retrofit decision moves in the bracket", highlight=False)
        return
    t = Table(title=f"Decisions that move with {be.path}", title_justify="left")
    for col in ("site", "decision", "changes between", "and", "below", "above"):
        t.add_column(col, overflow="fold")
    for d in be.decisions:
        t.add_row(d.site, d.kind.replace("_", " "), in_unit(be, d.low.value), in_unit(be, d.high.value), d.low.answer(d.site, d.kind), d.high.answer(d.site, d.kind))
    c.print(t)


def print_breakeven(be, console: Console | None = None) -> None:
    c = console or Console()
    what = f"{be.path} (scale factor on the series)" if be.mode == "scale" else be.path
    if be.site is None:
        c.print(f"[bold]breakeven[/bold]  {what}, every retrofit site: {len(be.probes)} solves", highlight=False)
        print_decisions(be, c)
        return
    c.print(f"[bold]breakeven[/bold]  {what}, site {be.site}: {len(be.probes)} solves", highlight=False)
    if be.found:
        c.print(
            f"{be.site}'s first retrofit start changes between [bold]{_fmt(be.low.value, be.mode)}[/bold] ({be.low.describe()}) "
            f"and [bold]{_fmt(be.high.value, be.mode)}[/bold] ({be.high.describe()})",
            highlight=False,
        )
    else:
        c.print(f"no change in [{_fmt(be.low.value, be.mode)}, {_fmt(be.high.value, be.mode)}]: {be.low.describe()} at both ends", highlight=False)
    t = Table(title="Plans at the ends of the bracket", title_justify="left")
    for col in ("value", "status", "NPV", f"{be.site} first start", f"{be.site} blocks", "retrofits"):
        t.add_column(col, overflow="fold")
    for p in (be.low, be.high):
        t.add_row(_fmt(p.value, be.mode), p.status, money(p.npv_usd), p.first_start or "-", str(p.site_blocks), p.retrofits or p.reason)
    c.print(t)
    print_decisions(be, c)


@click.command("breakeven")
@click.argument("instance", required=False, type=click.Path())
@click.option("--param", "path", required=True, metavar="PATH", help="Dotted path of a number, or of a series (then scaled).")
@click.option("--site", help="The site whose first start and blocks are watched (default: every site with an ai object).")
@click.option("--low", type=float, help="Low end (default 0.5 x the base value; for a series the factor 0.5).")
@click.option("--high", type=float, help="High end (default 1.5 x the base value; for a series the factor 1.5).")
@click.option("--tol", type=click.FloatRange(min=0, min_open=True), help="Close the bracket to this width (default 1e-3 of the range).")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a field by dotted path first (repeatable).")
@click.option("--prices", "prices_file", type=click.Path(dir_okay=False), help="Replace series by the columns of a CSV or a workbook sheet (book.xlsx#Sheet) first (before --set).")
@click.option("--mip-gap", type=float, callback=check_mip_gap, default=DEFAULT_GAP, show_default=True, help="Relative MIP gap of each solve.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Solver time limit per solve, in seconds.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the report.")
def breakeven_cmd(instance, path, site, low, high, tol, sets, prices_file, mip_gap, time_limit, as_json) -> None:
    """Find the values of PATH at which retrofit decisions change (first start and blocks
    of SITE, or of every retrofit site), in PATH's own unit."""
    raw, base_dir = base_instance(instance)
    fixed = fixed_overrides(raw, prices_file, sets, base_dir)
    try:
        be = breakeven(raw, path, site, low, high, base_dir=base_dir, fixed=fixed, options=SolveOptions(mip_gap=mip_gap, time_limit=time_limit), tol=tol)
    except InputError as exc:
        _fail(str(exc))
    if as_json:
        click.echo(dumps(be.to_json()), nl=False)
    else:
        print_breakeven(be, Console(soft_wrap=False))
    sys.exit(0 if be.found else 1)
