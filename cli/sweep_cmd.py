"""``allocate sweep INSTANCE --vary PATH=START:STOP:STEP [--vary PATH=v1,v2,...]``.

Solves INSTANCE for every combination of the values (``optimizer.analyses.sweep``), shows one
row per case and writes them to ``sweep.csv`` in ``--out``. A case that fails (bad
input, no plan, solver failure) is a row with its reason.

Exit codes: 0 at least one case found a plan, 1 none did, 2 bad usage or input
(an unknown path, a malformed range, an unreadable file).
"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from cli.common import check_mip_gap, base_instance, check_out_dir, fail_input as _fail, fixed_overrides
from instances import InputError
from optimizer import DEFAULT_MIP_GAP, SolveOptions
from optimizer.reports.formatting import money
from optimizer.runs.folder import write_sweep
from optimizer.runs.output import OutputError
from optimizer.analyses.sweep import grid, parse_vary, run_sweep, check_paths

def _progress(total: int):
    """A rich progress bar with an ETA on stderr; None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def sweep_table(rows, paths: list[str]) -> Table:
    t = Table(title=f"Sweep: {len(rows)} cases", title_justify="left")
    t.add_column("case", justify="right")
    for p in paths:
        t.add_column(p, justify="right")
    for col in ("status", "NPV", "AI IT MW at end", "retrofits"):
        t.add_column(col, justify="right" if col in ("NPV", "AI IT MW at end") else "left")
    for d in rows.to_dict("records"):
        ok = d["npv_usd"] is not None and d["npv_usd"] == d["npv_usd"]  # not None, not NaN
        t.add_row(
            str(d["case"]),
            *(str(d[p]) for p in paths),
            d["status"],
            money(d["npv_usd"]) if ok else "-",
            f"{d['ai_it_mw_end']:,.1f}" if ok else "-",
            d["retrofits"] if ok else str(d["reason"] or ""),
        )
    return t


def flat_warnings(raw: dict, fixed: list, parsed, base_dir: str | None) -> None:
    """One stderr line per ``--vary`` whose values replace a time-varying series by a
    flat number (the first value stands for all)."""
    from instances.overrides import apply_overrides

    notes: list[str] = []
    try:
        fixed_raw = apply_overrides(raw, fixed, base_dir=base_dir)  # its warnings are out already
        apply_overrides(fixed_raw, [(v.path, v.values[0]) for v in parsed], base_dir=base_dir, warnings=notes)
    except InputError:
        return  # the case's row will carry the error
    for note in notes:
        click.echo(f"warning: --vary {note}", err=True)


@click.command("sweep")
@click.argument("instance", required=False, type=click.Path())
@click.option("--vary", "varies", multiple=True, required=True, metavar="PATH=START:STOP:STEP|PATH=v1,v2,...", help="A dotted path and its values (STOP included; *START:STOP:STEP scales, +START:STOP:STEP shifts the value there); repeat for a grid.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Local worker processes.")
@click.option("--scheduler", metavar="ADDRESS", help="Run the cases on this Dask distributed scheduler (needs allocate[dist]).")
@click.option("--out", "out_dir", type=click.Path(), help="Write sweep.csv (and summary.json) into this folder.")
@click.option("--force", is_flag=True, help="Replace an existing --out folder (a previous run or not), once the new one is complete.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a field by dotted path in every case (repeatable).")
@click.option("--prices", "prices_file", type=click.Path(dir_okay=False), help="Replace series by the columns of a CSV or a workbook sheet, book.xlsx#Sheet (period + one column per dotted path), before --set.")
@click.option("--mip-gap", type=float, callback=check_mip_gap, default=DEFAULT_MIP_GAP, show_default=True, help="Relative MIP gap of each case.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Solver time limit per case, in seconds.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def sweep_cmd(instance, varies, jobs, scheduler, out_dir, force, sets, prices_file, mip_gap, time_limit, quiet) -> None:
    """Solve INSTANCE (default: the embedded portfolio) over a grid of values.

    \b
    --vary markets.hashprice_usd_per_ph_day=30:60:5      a range, STOP included
    --vary sites.Rockdale.ai.max_blocks=2,4,6            a list (JSON values)
    --vary 'markets.hashprice_usd_per_ph_day=*0.6:1:0.1'  scale the series (growth and steps kept)
    --vary 'sites.Rockdale.power_price_usd_per_mwh=+0:20:5'  shift every period
    Two --vary make a grid (every combination, the first one outermost).
    A path that holds a series takes a number (the same in every period: a
    warning says so when it replaces a growing series), a list or any other
    series form, or an operator *F / +D (docs/instance-format.md, Overrides).
    """
    raw, base_dir = base_instance(instance)
    try:
        parsed = [parse_vary(v) for v in varies]
        cases = grid(parsed)
    except ValueError as exc:
        _fail(str(exc))
    try:
        check_paths(raw, [v.path for v in parsed])
    except InputError as exc:
        _fail(f"--vary: {exc}")
    fixed = fixed_overrides(raw, prices_file, sets, base_dir)
    flat_warnings(raw, fixed, parsed, base_dir)
    check_out_dir(out_dir, force)
    options = SolveOptions(mip_gap=mip_gap, time_limit=time_limit)
    bar = None if quiet else _progress(len(cases))
    try:
        if bar is not None:
            with bar:
                task = bar.add_task("sweep", total=len(cases))
                rows = run_sweep(raw, cases, base_dir, fixed, options, jobs=jobs, scheduler=scheduler, on_progress=lambda k: bar.advance(task, k))
        else:
            rows = run_sweep(raw, cases, base_dir, fixed, options, jobs=jobs, scheduler=scheduler)
    except RuntimeError as exc:  # no Dask, or the scheduler cannot be reached
        _fail(str(exc))
    except OSError as exc:
        _fail(f"--scheduler {scheduler}: {exc}")
    paths = [v.path for v in parsed]
    if out_dir:
        summary = {
            "command": "sweep",
            "instance": instance,
            "vary": {v.path: list(v.values) for v in parsed},
            "set": [[p, v] for p, v in fixed],
            "cases": len(rows),
            "status_counts": rows["status"].value_counts().to_dict(),
        }
        try:
            write_sweep(rows, summary, out_dir, force=force)
        except OutputError as exc:
            _fail(str(exc))
    Console(soft_wrap=False).print(sweep_table(rows, paths))
    ok = rows["npv_usd"].notna().any()
    sys.exit(0 if ok else 1)
