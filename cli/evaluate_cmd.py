"""``allocate evaluate INSTANCE PLAN``: recompute a plan's NPV and check every constraint.

Exit codes: 0 the plan is feasible, 1 it breaks at least one constraint, 2 bad input
(one line on stderr).
"""

from __future__ import annotations

import json
import sys

import click

from instances import InputError, load_instance
from optimizer.evaluator import evaluate

EXIT_VIOLATIONS = 1
EXIT_INPUT = 2
SHOWN = 20  # violations listed in the text report


def _money(usd: float) -> str:
    a = abs(usd)
    sign = "-" if usd < 0 else ""
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.3f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.3f}M"
    return f"{sign}${a:,.2f}"


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_INPUT)


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


def evaluation_json(ev) -> dict:
    """The ``--json`` object."""
    return {
        "instance": ev.instance.name,
        "objective_usd": ev.objective_usd,
        "expected_npv_usd": ev.expected_npv_usd,
        "feasible": ev.feasible,
        "scenario_npv_usd": {w: float(v) for w, v in ev.scenario_npv["npv_usd"].items()},
        "violations": ev.violation_records(),
        "warnings": list(ev.warnings),
    }


def _write(ev, out_dir: str, force: bool) -> None:
    from optimizer.output import OutputError, dumps, write_csv, write_run

    writers = {
        "summary.json": lambda p: p.write_text(dumps(evaluation_json(ev))),
        "allocation.csv": lambda p: write_csv(ev.allocation, p),
        "finance.csv": lambda p: write_csv(ev.finance, p),
        "debt.csv": lambda p: write_csv(ev.debt, p),
        "scenarios.csv": lambda p: write_csv(ev.scenario_npv, p),
        "violations.csv": lambda p: write_csv(ev.violations.set_index("constraint"), p),
    }
    if ev.instance.is_v2:  # SPEC v2: fleets (bought, retired, installed) and mining per fleet and tier
        writers["fleet.csv"] = lambda p: write_csv(ev.fleet, p)
        writers["mining.csv"] = lambda p: write_csv(ev.mining, p)
    try:
        write_run(out_dir, writers, force=force)
    except OutputError as exc:
        _fail(str(exc))


@click.command("evaluate")
@click.argument("instance", type=click.Path())
@click.argument("plan", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the report.")
@click.option("--out", "out_dir", type=click.Path(), help="Write the recomputed tables and violations into this folder.")
@click.option("--force", is_flag=True, help="Replace an --out folder that does not hold a previous run.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a field by dotted path (repeatable).")
def evaluate_cmd(instance, plan, as_json, out_dir, force, sets=()) -> None:
    """Recompute the NPV of PLAN (a plan.json) on INSTANCE and check every constraint.

    Exit 0 when the plan is feasible, 1 when it breaks a constraint, 2 on bad input.
    """
    try:
        from cli.main import parse_set  # here: cli.main imports this module

        inst = load_instance(instance, parse_set(sets))
    except InputError as exc:
        _fail(str(exc))
    raw = _read_plan(plan)
    try:
        ev = evaluate(inst, raw)
    except InputError as exc:
        _fail(f"{plan}: {exc}")
    if out_dir:
        _write(ev, out_dir, force)
    if as_json:
        from optimizer.output import dumps

        click.echo(dumps(evaluation_json(ev)), nl=False)
    else:
        click.echo(f"{inst.name}: plan {plan}")
        for w in ev.warnings:
            click.echo(f"warning: {w}")
        click.echo(f"NPV        {_money(ev.objective_usd)}  ({ev.objective_usd:,.2f} USD)")
        if inst.is_stochastic:
            for w, row in ev.scenario_npv.iterrows():
                click.echo(f"  {w:<12} p={row.probability:.3f}  {_money(row.npv_usd)}")
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
