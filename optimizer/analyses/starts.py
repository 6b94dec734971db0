"""``allocate solve INSTANCE --starts FILE``: value a given retrofit schedule.

The schedule (``instances.schedule``) is fixed and only operations and financing are
optimized; the free optimum is solved too, and the report shows both NPVs and the
value the schedule leaves on the table. A schedule that cannot be carried out gets
the first period that breaks and the constraint (``optimizer.analyses.diagnose``).
Exit codes: 0 the schedule has a plan, 1 it has none, 2 bad input.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import click
from rich.console import Console

from instances import InputError, Instance
from instances.schedule import read_schedule
from optimizer import SolveOptions, solve
from optimizer.analyses.diagnose import first_violation, structural_violation

EXIT_INPUT = 2


def compare_schedule(inst: Instance, schedule: dict, options: SolveOptions) -> dict:
    """Solve free and with ``schedule`` fixed; what the report needs.

    Keys: free (Result), fixed (Result or None when the schedule is structurally
    impossible), schedule_npv_usd, optimum_usd, gap_usd, diagnosis ((period,
    constraint, detail) or None).
    """
    free = solve(inst, replace(options, fixed_starts=None))
    diagnosis = structural_violation(inst, schedule)
    fixed = None
    if diagnosis is None:
        fixed = solve(inst, replace(options, fixed_starts=schedule))
        if not fixed.has_plan and fixed.status.value == "infeasible":
            diagnosis = first_violation(inst, schedule)
    npv = fixed.objective_usd if fixed is not None and fixed.has_plan else None
    best = free.objective_usd if free.has_plan else None
    return {
        "free": free,
        "fixed": fixed,
        "schedule_npv_usd": npv,
        "optimum_usd": best,
        "gap_usd": best - npv if best is not None and npv is not None else None,
        "diagnosis": diagnosis,
    }


def comparison_json(schedule: dict, cmp: dict) -> dict:
    diag = cmp["diagnosis"]
    fixed = cmp["fixed"]
    return {
        "schedule": [{"site": s, "start": t, "blocks": int(b)} for (s, t), b in schedule.items()],
        "status": fixed.status.value if fixed is not None else "infeasible",
        "schedule_npv_usd": cmp["schedule_npv_usd"],
        "optimum_usd": cmp["optimum_usd"],
        "optimum_status": cmp["free"].status.value,
        "gap_usd": cmp["gap_usd"],
        "first_violation": None if diag is None else {"period": diag[0], "constraint": diag[1], "detail": diag[2]},
    }


def solve_with_starts(inst: Instance, starts_file: str, options: SolveOptions, out_dir=None, as_json=False, force=False) -> None:
    """The ``solve --starts`` command body (prints, writes, exits)."""
    from cli import report
    from cli.main import fail_input, write_result
    from optimizer.runs.output import OutputError, dumps

    try:
        schedule = read_schedule(starts_file, inst)
    except InputError as exc:
        fail_input(f"--starts {exc}")
    cmp = compare_schedule(inst, schedule, options)
    fixed = cmp["fixed"]
    if out_dir and fixed is not None:
        try:
            write_result(fixed, out_dir, force=force)
        except OutputError as exc:
            fail_input(str(exc))
    has_plan = fixed is not None and fixed.has_plan
    if as_json:
        out = report.result_json(fixed) if fixed is not None else {"instance": inst.name, "status": "infeasible"}
        out["starts_comparison"] = comparison_json(schedule, cmp)
        click.echo(dumps(out), nl=False)
    else:
        console = Console(soft_wrap=False)
        if fixed is not None:
            report.print_report(fixed, console)
        click.echo("")
        click.echo(f"Given schedule ({starts_file}): " + (", ".join(f"{s} {t} x{b}" for (s, t), b in schedule.items()) or "no retrofit"))
        money = report.money
        if has_plan:
            click.echo(f"  NPV with this schedule   {money(cmp['schedule_npv_usd'])}  ({cmp['schedule_npv_usd']:,.0f} USD)")
        else:
            click.echo("  NPV with this schedule   - (no plan)")
        if cmp["optimum_usd"] is not None:
            click.echo(f"  free optimum             {money(cmp['optimum_usd'])}  ({cmp['optimum_usd']:,.0f} USD)")
        else:
            click.echo(f"  free optimum             - ({cmp['free'].status.value}: {cmp['free'].reason})")
        if cmp["gap_usd"] is not None:
            click.echo(f"  left on the table        {money(cmp['gap_usd'])}  ({cmp['gap_usd']:,.0f} USD)")
        diag = cmp["diagnosis"]
        if diag is not None:
            click.echo(f"the schedule cannot be carried out: first breaks in {diag[0]}, constraint {diag[1]}: {diag[2]}", err=True)
        elif not has_plan:
            click.echo(f"no plan: {fixed.reason}", err=True)
    sys.exit(0 if has_plan else 1)
