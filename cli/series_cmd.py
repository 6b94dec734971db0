"""``allocate series [INSTANCE] PATH``: the series at a dotted path, one value per period,
as the model reads it (after ``--prices`` and ``--set``, operators included).

Exit codes: 0 printed, 2 bad input (an unknown path, a field that is not set).
"""

from __future__ import annotations

import copy
from pathlib import Path

import click

from cli.common import fail_input, load, parse_set, price_sets
from instances import InputError, set_path
from instances.load import resolved_series
from instances.overrides import get_path
from optimizer.runs.output import dumps


def series_rows(raw: dict, path: str, base_dir: Path | None) -> list[float]:
    """The resolved values of ``path`` in ``raw``: InputError for a path the instance
    cannot hold (with the closest valid one) or a field that is not set."""
    set_path(copy.deepcopy(raw), path, 0)  # an unknown path fails here, with a hint
    if get_path(raw, path) is None:
        raise InputError(f"{path}: not set in this instance")
    return resolved_series(raw, path, base_dir)


@click.command("series")
@click.argument("args", nargs=-1, required=True, metavar="[INSTANCE] PATH")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a field by dotted path first (repeatable; operators *F and +D too).")
@click.option("--prices", "prices_file", type=click.Path(dir_okay=False), help="Replace series by the columns of a CSV (period + one column per dotted path), before --set.")
@click.option("--json", "as_json", is_flag=True, help="Print {path, periods, values} as JSON.")
def series_cmd(args, sets, prices_file, as_json) -> None:
    """Print the series at PATH of INSTANCE (default: the embedded portfolio), one line per period.

    \b
    allocate series markets.hashprice_usd_per_ph_day
    allocate series my.json sites.Rockdale.power_price_usd_per_mwh --set 'sites.Rockdale.power_price_usd_per_mwh=+7'
    """
    if len(args) > 2:
        fail_input("series takes [INSTANCE] PATH: at most two arguments")
    instance, path = (None, args[0]) if len(args) == 1 else args
    if instance is None and path.endswith(".json"):
        fail_input(f"series {path}: give the dotted PATH of a series after the instance (allocate series {path} markets.hashprice_usd_per_ph_day)")
    inst = load(instance, price_sets(instance, prices_file) + parse_set(sets))
    base_dir = None if instance is None else Path(instance).parent
    try:
        values = series_rows(inst.raw, path, base_dir)
    except InputError as exc:
        fail_input(str(exc))
    for w in inst.warnings:
        click.echo(f"warning: {w}", err=True)
    if as_json:
        click.echo(dumps({"path": path, "periods": inst.period_labels, "values": values}), nl=False)
        return
    if inst.is_stochastic:
        click.echo(f"# the base instance; scenarios {', '.join(inst.scenario_names)} may set {path} otherwise", err=True)
    click.echo(f"period,{path}")
    for label, value in zip(inst.period_labels, values):
        click.echo(f"{label},{value:.6g}")
