"""``allocate why [INSTANCE] [--site NAME ...]``: why each site gets the halls it gets.

Solves INSTANCE, then for every site that can take AI blocks shows its unit economics
(mining and hosting margins per grid MW-year, capex per grid MW, payback) and what it
is worth to the plan: the NPV lost if it could not be retrofitted (sites the plan
builds at), and the NPV given up to put one more hall there (sites with room for one).
Each value is a full re-solve (``optimizer.analyses.site_value``).

Exit codes: 0 a plan was found, 1 no plan (nothing to explain), 2 bad usage or input.
"""

from __future__ import annotations

import math
import sys

import click
from rich import box
from rich.console import Console
from rich.table import Table

from cli.common import check_mip_gap, check_out_dir, fail_input, load, parse_set, price_sets
from optimizer import DEFAULT_MIP_GAP, SolveOptions, solve
from optimizer.analyses.site_value import retrofit_sites, site_values
from optimizer.reports.formatting import money
from optimizer.runs.folder import write_site_values
from optimizer.runs.output import OutputError, dumps


def _years(x) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1f} y"


def print_site_values(result, table, mip_gap: float, console: Console | None = None) -> None:
    """The plan's NPV, one row per site, then the notes and how to read the values."""
    c = console or Console()
    c.print(f"[bold]why[/bold]  {result.instance.name}: NPV {money(result.objective_usd)} ({result.status.value})", highlight=False)
    if table.empty:
        c.print("no site can host AI halls: every site keeps its power for mining", highlight=False)
        return
    t = Table(title="Sites that can host AI halls (mine/yr, AI/yr, capex: per grid MW)", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for col in ("site", "halls", "mine/yr", "AI/yr", "capex", "payback", "halls worth", "+1 hall"):
        t.add_column(col, justify="left" if col == "site" else "right", no_wrap=True)
    notes = []
    for r in table.itertuples():
        t.add_row(
            r.site,
            str(r.blocks),
            money(r.mining_usd_per_grid_mw_year),
            money(r.ai_usd_per_grid_mw_year),
            money(r.capex_usd_per_grid_mw),
            _years(r.payback_years),
            money(r.halls_value_usd),
            money(r.one_more_block_usd),
        )
        if isinstance(r.note, str) and r.note:
            notes.append(f"{r.site}: {r.note}")
    c.print(t)
    for line in notes:
        c.print(line, highlight=False)
    noise = mip_gap * abs(result.objective_usd or 0.0)
    c.print(
        "mine/yr, AI/yr: the margin a grid MW earns a year hashing (when that pays) or leased; "
        "payback = capex / (AI - mine), in years. halls worth: NPV lost if the site could not be retrofitted; "
        "+1 hall: NPV change with one more block there; everything else re-optimised. "
        f"Solved to a gap of {mip_gap:g}: values within about {money(noise)} of zero are not "
        "distinguishable from it.",
        highlight=False,
    )


@click.command("why")
@click.argument("instance", required=False, type=click.Path())
@click.option("--site", "sites", multiple=True, help="Explain this site only (repeatable; default: every site that can host halls).")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a field by dotted path first (repeatable).")
@click.option("--prices", "prices_file", type=click.Path(dir_okay=False), help="Replace series by the columns of a CSV (period + one column per dotted path), before --set.")
@click.option("--mip-gap", type=float, callback=check_mip_gap, default=DEFAULT_MIP_GAP, show_default=True, help="Relative MIP gap of every solve.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Solver time limit per solve, in seconds.")
@click.option("--out", "out_dir", type=click.Path(), help="Write site_values.csv and summary.json into this folder.")
@click.option("--force", is_flag=True, help="Replace an existing --out folder (a previous run or not), once the new one is complete.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the report.")
def why_cmd(instance, sites, sets, mip_gap, time_limit, out_dir, force, as_json, prices_file=None) -> None:
    """Why each site gets the AI halls it gets: unit economics and value to the plan."""
    inst = load(instance, price_sets(instance, prices_file) + parse_set(sets))
    known = retrofit_sites(inst)
    for s in sites:
        if s not in known:
            fail_input(f"--site {s}: not a site that can host AI halls (those are: {', '.join(known) or 'none'})")
    check_out_dir(out_dir, force)
    options = SolveOptions(mip_gap=mip_gap, time_limit=time_limit)
    result = solve(inst, options)
    if not result.has_plan:
        click.echo(f"no plan: {result.reason}", err=True)
        sys.exit(result.status.exit_code)
    chosen = list(sites) or None
    show = sys.stderr.isatty() and not as_json
    table = site_values(result, options, sites=chosen, on_site=(lambda s: click.echo(f"  re-solving for {s} ...", err=True)) if show else None)
    summary = {"instance": inst.name, "status": result.status.value, "objective_usd": result.objective_usd, "mip_gap": mip_gap, "sites": table.to_dict(orient="records")}
    if out_dir:
        try:
            write_site_values(summary, table, out_dir, force=force)
        except OutputError as exc:
            fail_input(str(exc))
    if as_json:
        click.echo(dumps(summary), nl=False)
    else:
        print_site_values(result, table, mip_gap, Console(soft_wrap=False))

