"""``allocate solve [INSTANCE]``: solve and report the plan; ``--starts FILE`` values a
given retrofit schedule against the optimum (``optimizer.analyses.starts``).

Exit codes: 0 a plan was found, 1 no plan, 2 bad input or usage.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console

from cli import report
from cli.common import check_mip_gap, check_out_dir, fail_input, load, parse_set, price_sets
from instances import InputError, Instance
from instances.schedule import read_schedule
from optimizer import DEFAULT_MIP_GAP, SolveOptions, Status, solve
from optimizer.analyses.explain import explain_infeasibility
from optimizer.analyses.starts import compare_schedule
from optimizer.runs.folder import write_result
from optimizer.runs.output import OutputError, dumps


@click.command("solve")
@click.argument("instance", required=False, type=click.Path())
@click.option("--out", "out_dir", type=click.Path(), help="Write CSV/JSON results into this folder.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the report.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Solver time limit in seconds.")
@click.option("--mip-gap", type=float, callback=check_mip_gap, default=DEFAULT_MIP_GAP, show_default=True, help="Relative MIP gap.")
@click.option("--threads", type=click.IntRange(min=1), help="Solver threads.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a field by dotted path (repeatable).")
@click.option("--prices", "prices_file", type=click.Path(dir_okay=False), help="Replace series by the columns of a CSV or a workbook sheet, book.xlsx#Sheet (period + one column per dotted path), before --set.")
@click.option("--force", is_flag=True, help="Replace an existing --out folder (a previous run or not), once the new one is complete.")
@click.option("--log", is_flag=True, help="Stream the HiGHS log to stderr.")
@click.option("--quiet", is_flag=True, help="No live progress line on stderr (shown only on a terminal, after 1 s).")
@click.option("--starts", "starts_file", type=click.Path(dir_okay=False), help="Fix the retrofit schedule (CSV site,start,blocks or JSON) and compare with the optimum.")
@click.option("--method", type=click.Choice(["ef", "ph"]), default="ef", show_default=True, help="ef: extensive form (one MIP); ph: progressive hedging over MPI (mpiexec -n K allocate solve ... --method ph; docs/uncertainty.md).")
@click.option("--value-of-information", "value_of_information", is_flag=True, help="Also report EVPI and VSS in USD (solves each scenario alone and the mean scenario).")
@click.option("--verify", is_flag=True, help="Also re-solve the MIP with presolve off from the plan and compare objective and bound (docs/reliability.md).")
@click.option("--no-check", "no_check", is_flag=True, help="Skip the check of HiGHS's answer (the LP at the plan's schedule, presolve off).")
@click.option("--baselines", "with_baselines", is_flag=True, help="Also price simple rules (keep mining, convert early, greedy by payback) against the plan (allocate baselines).")
def solve_cmd(instance, out_dir, as_json, time_limit, mip_gap, threads, sets, force, log, starts_file, quiet=False, method="ef", value_of_information=False, prices_file=None, verify=False, no_check=False, with_baselines=False) -> None:
    """Solve INSTANCE (default: the embedded Bitdeer-like portfolio) and report the plan."""
    inst = load(instance, price_sets(instance, prices_file) + parse_set(sets))
    check_out_dir(out_dir, force)
    if starts_file:
        solve_with_starts(inst, starts_file, SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, log=log), out_dir, as_json, force)
    show_progress = not quiet and not log and sys.stderr.isatty()
    if method == "ph":  # every MPI rank runs this command; rank 0 reports (optimizer/ph.py)
        from optimizer.ph import PHInputError, PHUnavailable, cli_solve

        try:
            result = cli_solve(inst, time_limit=time_limit, mip_gap=mip_gap, log=log)
        except (PHUnavailable, PHInputError) as exc:
            fail_input(str(exc))
        if result is None:
            return
    else:
        result = solve(inst, SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, log=log, progress=show_progress, check=not no_check, verify=verify))
    voi = None
    if value_of_information and result.has_plan:
        from optimizer.analyses.value_of_information import value_of_information as compute_voi

        voi = compute_voi(inst, SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads), stochastic=result if method == "ef" else None)
    base = None
    if with_baselines and result.has_plan and method == "ef":
        from optimizer.analyses.baselines import baselines

        base = baselines(inst, SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads), optimum=result).to_json()
    # no plan exists: solve again with elastic limits and say what would have to give
    explanation = explain_infeasibility(inst, time_limit=time_limit) if result.status is Status.INFEASIBLE else None
    if out_dir:
        try:
            write_result(result, out_dir, force=force, explanation=explanation, baselines=base)
        except OutputError as exc:
            fail_input(str(exc))
    if as_json:
        click.echo(dumps(dict(report.result_json(result, explanation), **({"value_of_information": voi.to_json()} if voi else {}), **({"baselines": base} if base else {}))), nl=False)
    else:
        report.print_report(result, Console(soft_wrap=False))
        report.print_value_of_information(voi, Console(soft_wrap=False))
        if base:
            from cli.baselines_cmd import print_baselines

            print_baselines(base, Console(soft_wrap=False))
        report.print_explanation(explanation, Console(soft_wrap=False))
    if not result.has_plan:
        if not as_json:
            click.echo(f"no plan: {result.reason}", err=True)
        sys.exit(result.status.exit_code)


def solve_with_starts(inst: Instance, starts_file: str, options: SolveOptions, out_dir=None, as_json=False, force=False) -> None:
    """The ``solve --starts`` command body (prints, writes, exits)."""
    try:
        schedule = read_schedule(starts_file, inst)
    except InputError as exc:
        fail_input(f"--starts {exc}")
    cmp = compare_schedule(inst, schedule, options)
    fixed = cmp.fixed
    if out_dir and fixed is not None:
        try:
            write_result(fixed, out_dir, force=force)
        except OutputError as exc:
            fail_input(str(exc))
    has_plan = fixed is not None and fixed.has_plan
    if as_json:
        out = report.result_json(fixed) if fixed is not None else {"instance": inst.name, "status": "infeasible"}
        out["starts_comparison"] = cmp.to_json()
        click.echo(dumps(out), nl=False)
    else:
        console = Console(soft_wrap=False)
        if fixed is not None:
            report.print_report(fixed, console)
        click.echo("")
        click.echo(f"Given schedule ({starts_file}): " + (", ".join(f"{s} {t} x{b}" for (s, t), b in schedule.items()) or "no retrofit"))
        money = report.money
        if has_plan:
            click.echo(f"  NPV with this schedule   {money(cmp.schedule_npv_usd)}  ({cmp.schedule_npv_usd:,.0f} USD)")
        else:
            click.echo("  NPV with this schedule   - (no plan)")
        if cmp.optimum_usd is not None:
            click.echo(f"  free optimum             {money(cmp.optimum_usd)}  ({cmp.optimum_usd:,.0f} USD)")
        else:
            click.echo(f"  free optimum             - ({cmp.free.status.value}: {cmp.free.reason})")
        if cmp.gap_usd is not None:
            click.echo(f"  left on the table        {money(cmp.gap_usd)}  ({cmp.gap_usd:,.0f} USD)")
        diag = cmp.diagnosis
        if diag is not None:
            click.echo(f"the schedule cannot be carried out: first breaks in {diag[0]}, constraint {diag[1]}: {diag[2]}", err=True)
        elif not has_plan:
            click.echo(f"no plan: {fixed.reason}", err=True)
    sys.exit(0 if has_plan else 1)
