"""``allocate validate INSTANCE``: list every problem of an instance (exit 2) or summarize it (exit 0)."""

from __future__ import annotations

import sys

import click

from cli.common import EXIT_INPUT, locate_in_workbook
from instances import InputError, load_instance
from optimizer.backend.numerics import range_issues


@click.command("validate")
@click.argument("instance", type=click.Path())
def validate_cmd(instance) -> None:
    """Check INSTANCE and list every problem found (exit 2) or summarize it (exit 0)."""
    try:
        inst = load_instance(instance)
        out_of_range = range_issues(inst)
        if out_of_range:
            raise InputError(locate_in_workbook(instance, out_of_range))
    except InputError as exc:
        for line in exc.lines():
            click.echo(f"error: {line}", err=True)
        sys.exit(EXIT_INPUT)
    for w in inst.warnings:
        click.echo(f"warning: {w}", err=True)
    sites = inst.sites
    grid = inst.site_period["grid_mw"].groupby(level="site").max()
    click.echo(f"{inst.name}: valid")
    click.echo(f"  horizon   {len(inst.periods)} periods of {inst.period_months} months, {inst.period_labels[0]} .. {inst.period_labels[-1]}")
    click.echo(f"  sites     {len(sites)} ({int(sites['mines'].sum())} mining, {int(sites['retrofittable'].sum())} retrofittable), peak grid {grid.sum():,.0f} MW")
    click.echo(f"  debt      {len(inst.facility_names)} facilities" + (f": {', '.join(inst.facility_names)}" if inst.facility_names else ""))
    click.echo(f"  scenarios {len(inst.scenarios)}" + (f": {', '.join(inst.scenario_names)}" if inst.is_stochastic else ""))
