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
    if inst.is_v2:  # SPEC v2 levers (a v1 instance prints what it always printed)
        click.echo(f"  v2        {v2_summary(inst)}")


def v2_summary(inst) -> str:
    """One line on the SPEC v2 levers an instance uses: ASIC models, tiered sites, tenant contracts."""
    v2 = inst.site_params_v2
    parts = []
    if inst.has_asic_models:
        parts.append(f"{len(inst.asic_model_names)} ASIC model{'s' if len(inst.asic_model_names) != 1 else ''} ({', '.join(inst.asic_model_names)})")
    tiered = sorted(set(v2.index[v2["tiered"].to_numpy(dtype=bool)].get_level_values("site")), key=inst.site_names.index)
    if tiered:
        parts.append(f"tiered power prices at {len(tiered)} site{'s' if len(tiered) != 1 else ''} ({', '.join(tiered)})")
    prepaid = sorted(set(v2.index[(v2["prepayment_usd_per_it_mw"] > 0).to_numpy()].get_level_values("site")), key=inst.site_names.index)
    if prepaid:
        parts.append(f"tenant prepayments at {', '.join(prepaid)}")
    leased = sorted(set(v2.index[v2["leased_on_completion"].to_numpy(dtype=bool)].get_level_values("site")), key=inst.site_names.index)
    if leased:
        parts.append(f"pre-leased halls at {', '.join(leased)}")
    return "; ".join(parts)
