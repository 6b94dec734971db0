"""``allocate evaluate INSTANCE PLAN``: recompute a plan's NPV and check every constraint.

Exit codes: 0 the plan is feasible, 1 it breaks at least one constraint, 2 bad input
(one line on stderr).
"""

from __future__ import annotations

import json
import sys

import click

from cli.common import fail_input as _fail, parse_set, price_sets
from instances import InputError, load_instance
from optimizer.evaluator import evaluate
from optimizer.reports.formatting import exact_usd
from optimizer.runs.folder import evaluation_json, write_evaluation
from optimizer.runs.output import OutputError, dumps

EXIT_VIOLATIONS = 1
SHOWN = 20  # violations listed in the text report


def _read_plan(path: str) -> dict:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except FileNotFoundError:
        _fail(f"{path}: file not found")
    except IsADirectoryError:
        _fail(f"{path}: is a folder, not a plan file")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{path}: cannot read: {exc}")
    try:
        plan = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
    return plan


@click.command("evaluate")
@click.argument("instance", type=click.Path())
@click.argument("plan", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the report.")
@click.option("--out", "out_dir", type=click.Path(), help="Write the recomputed tables and violations into this folder.")
@click.option("--force", is_flag=True, help="Replace an existing --out folder (a previous run or not), once the new one is complete.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a field by dotted path (repeatable).")
@click.option("--prices", "prices_file", type=click.Path(dir_okay=False), help="Replace series by the columns of a CSV (period + one column per dotted path), before --set.")
def evaluate_cmd(instance, plan, as_json, out_dir, force, sets=(), prices_file=None) -> None:
    """Recompute the NPV of PLAN (a plan.json) on INSTANCE and check every constraint.

    Exit 0 when the plan is feasible, 1 when it breaks a constraint, 2 on bad input.
    """
    try:
        inst = load_instance(instance, price_sets(instance, prices_file) + parse_set(sets))
    except InputError as exc:
        _fail(str(exc))
    raw = _read_plan(plan)
    try:
        ev = evaluate(inst, raw)
    except InputError as exc:
        _fail(f"{plan}: {exc}")
    if out_dir:
        try:
            write_evaluation(ev, out_dir, force)
        except OutputError as exc:
            _fail(str(exc))
    if as_json:
        click.echo(dumps(evaluation_json(ev)), nl=False)
    else:
        click.echo(f"{inst.name}: plan {plan}")
        for w in inst.warnings + ev.warnings:  # the instance's own first (a flat --set, a negative price)
            click.echo(f"warning: {w}")
        click.echo(f"NPV        {exact_usd(ev.objective_usd)}  ({ev.objective_usd:,.2f} USD)")
        if inst.is_stochastic:
            for w, row in ev.scenario_npv.iterrows():
                click.echo(f"  {w:<12} p={row.probability:.3f}  {exact_usd(row.npv_usd)}")
        if ev.feasible:
            click.echo("feasible   yes: every constraint holds")
        else:
            n = len(ev.violations)
            counts = ev.violations["constraint"].value_counts()
            summary = ", ".join(f"{k} x{v}" for k, v in counts.items())
            click.echo(f"feasible   NO: {n} violation{'s' if n != 1 else ''} ({summary})")
            for row in ev.violations.head(SHOWN).itertuples(index=False):
                where = " ".join(x for x in (row.scenario, row.entity, row.period) if x)
                click.echo(f"  {row.constraint:<18} {where:<28} {row.amount:,.6g} {row.unit}: {row.detail}")
            if n > SHOWN:
                click.echo(f"  ... and {n - SHOWN} more (--json or --out for all)")
    sys.exit(0 if ev.feasible else EXIT_VIOLATIONS)
