"""``allocate baselines [INSTANCE]``: the optimized plan beside the plans simple rules make.

Rows: keep mining, convert early, greedy by payback (``--payback-years``), the user's
plan (``--starts FILE``) and, with scenarios, the plan made for the mean scenario;
each priced with its retrofit schedule fixed and everything else optimized
(``optimizer.analyses.baselines``, docs/baselines.md). ``allocate solve --baselines`` prints the
same section after the report (:func:`print_baselines`).

Exit codes: 0 the optimum was found (whatever the rules give), 1 no optimum plan,
2 bad usage or input.
"""

from __future__ import annotations

import sys

import click
from rich import box
from rich.console import Console
from rich.table import Table

from cli.common import check_mip_gap
from optimizer import DEFAULT_MIP_GAP, SolveOptions
from optimizer.reports.formatting import money

MAX_SCENARIO_COLUMNS = 6  # more scenarios: the per-scenario figures are in --json only


def _pct(x) -> str:
    return "-" if x is None else f"{x:.1f}%"


def _schedule_text(row: dict) -> str:
    parts = [f"{s['site']} {s['start']} x{s['blocks']}" for s in row["schedule"]]
    return ", ".join(parts) or "no retrofit"


def print_baselines(data: dict, console: Console | None = None) -> None:
    """The Baselines section from :meth:`optimizer.analyses.baselines.Baselines.to_json`: one row
    per plan (NPV, gap to the optimum, peak debt, lowest cash), then each rule's
    schedule and, for a schedule without a plan, where it first breaks."""
    c = console or Console()
    t = Table(title="Baselines: the optimum against simple rules (expected NPV)", title_justify="left",
              box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for col in ("plan", "NPV", "gap", "gap %", "peak debt", "low cash", "halls"):
        t.add_column(col, justify="left" if col == "plan" else "right", no_wrap=True)
    opt = data["optimum_usd"]
    t.add_row("optimum", money(opt), "-" if opt is None else money(0.0), "-" if opt is None else "0.0%",
              money(data.get("optimum_peak_debt_usd")), money(data.get("optimum_lowest_cash_usd")), "")
    for r in data["baselines"]:
        if r["feasible"]:
            t.add_row(r["label"], money(r["npv_usd"]), money(r["gap_usd"]), _pct(r["gap_pct"]),
                      money(r["peak_debt_usd"]), money(r["lowest_cash_usd"]), str(r["blocks"]))
        else:
            t.add_row(r["label"], r["status"], "-", "-", "-", "-", str(r["blocks"]))
    c.print(t)
    _print_scenarios(data, c)
    for r in data["baselines"]:
        solves = f"  ({r['solves']} LP solves to build)" if r["name"] in ("convert_early", "greedy_payback") else ""
        c.print(f"{r['label']}: {_schedule_text(r)}{solves}", markup=False, highlight=False, soft_wrap=True)
        if not r["feasible"]:
            c.print(f"  no plan: {r['reason']}", markup=False, highlight=False, soft_wrap=True)
    for note in data.get("notes", []):
        c.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)


def _print_scenarios(data: dict, c: Console) -> None:
    """NPV of every plan in each scenario (a few scenarios; all of them in --json)."""
    sc = data.get("optimum_scenarios") or {}
    if not sc:
        return
    if len(sc) > MAX_SCENARIO_COLUMNS:
        c.print(f"NPV per scenario: {len(sc)} scenarios, see --json", highlight=False)
        return
    t = Table(title="NPV per scenario", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    t.add_column("plan", no_wrap=True)
    for w in sc:
        t.add_column(w, justify="right", no_wrap=True)
    t.add_row("optimum", *(money(f["npv_usd"]) for f in sc.values()))
    for r in data["baselines"]:
        figs = r.get("scenarios") or {}
        t.add_row(r["label"], *(money(figs[w]["npv_usd"]) if w in figs else "-" for w in sc))
    c.print(t)


@click.command("baselines")
@click.argument("instance", required=False, type=click.Path())
@click.option("--payback-years", type=click.FloatRange(min=0, min_open=True), default=6.0, show_default=True,
              help="Greedy by payback: sites whose payback is under this many years.")
@click.option("--starts", "starts_file", type=click.Path(dir_okay=False), help="Add your own retrofit schedule as a row (CSV site,start,blocks or JSON).")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a field by dotted path first (repeatable).")
@click.option("--mip-gap", type=float, callback=check_mip_gap, default=DEFAULT_MIP_GAP, show_default=True, help="Relative MIP gap of the optimum.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Solver time limit per solve, in seconds.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def baselines_cmd(instance, payback_years, starts_file, sets, mip_gap, time_limit, as_json) -> None:
    """The optimized plan beside keep mining, convert early and greedy by payback (and your plan)."""
    from cli.common import fail_input, load, parse_set
    from instances import InputError
    from instances.schedule import read_schedule
    from optimizer.analyses.baselines import baselines
    from optimizer.runs.output import dumps

    inst = load(instance, parse_set(sets))
    schedule = None
    if starts_file:
        try:
            schedule = read_schedule(starts_file, inst)
        except InputError as exc:
            fail_input(f"--starts {exc}")
    show = sys.stderr.isatty() and not as_json
    step = (lambda name: click.echo(f"  pricing {name} ...", err=True)) if show else None
    out = baselines(inst, SolveOptions(mip_gap=mip_gap, time_limit=time_limit), payback_years=payback_years,
                    user_schedule=schedule, on_step=step)
    data = out.to_json()
    if as_json:
        click.echo(dumps(data), nl=False)
    else:
        Console(soft_wrap=False).print(f"[bold]baselines[/bold]  {inst.name}: optimum {out.optimum_status}", highlight=False)
        print_baselines(data, Console(soft_wrap=False))
    if out.optimum_usd is None:
        if not as_json:
            click.echo(f"no plan: {out.optimum_reason}", err=True)
        sys.exit(1)
