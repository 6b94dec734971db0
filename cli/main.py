"""``allocate`` command line: parse options, call the layers below, format, exit.

Exit codes: 0 a plan was found (or the check passed), 1 no plan, 2 bad input or usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console

from cli import report
from instances import InputError, Instance, default_instance_dict, load_default, load_instance
from optimizer import DEFAULT_MIP_GAP, SolveOptions, Status, solve
from optimizer.explain import explain_infeasibility
from optimizer.numerics import range_issues
from optimizer.output import OutputError, check_target, dumps, write_csv, write_run

EXIT_INPUT = 2


def fail_input(message: str) -> None:
    """One line on stderr, exit code 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_INPUT)


def check_out_dir(out_dir: str | None, force: bool) -> None:
    """Before a solve: an ``--out`` folder that cannot take a run exits 2 with one line."""
    if out_dir:
        try:
            check_target(out_dir, force)
        except OutputError as exc:
            fail_input(str(exc))


def parse_set(values: tuple[str, ...]) -> list[tuple[str, object]]:
    """``PATH=VALUE`` pairs; VALUE is JSON (a bare word is taken as a string)."""
    out = []
    for item in values:
        if "=" not in item:
            fail_input(f'--set {item}: expected PATH=VALUE')
        path, text = item.split("=", 1)
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        out.append((path.strip(), value))
    return out


def load(path: str | None, overrides: list[tuple[str, object]] | None = None) -> Instance:
    """The instance at ``path``, or the embedded default; input errors exit 2."""
    try:
        inst = load_default(overrides) if path is None else load_instance(path, overrides)
        out_of_range = range_issues(inst)  # numbers HiGHS cannot be trusted with
        if out_of_range:
            raise InputError(out_of_range)
        return inst
    except InputError as exc:
        fail_input(str(exc))
        raise  # unreachable


def price_sets(instance: str | None, prices_file: str | None) -> list[tuple[str, object]]:
    """``--prices FILE.csv``: the overrides its columns stand for (``instances.prices``),
    applied before ``--set``; input errors exit 2."""
    if not prices_file:
        return []
    from instances import read_json
    from instances.prices import price_overrides

    try:
        return price_overrides(prices_file, default_instance_dict() if instance is None else read_json(instance))
    except InputError as exc:
        fail_input(str(exc))
        raise  # unreachable


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="allocate")
def main() -> None:
    """Decide which mining sites to retrofit for AI hosting, when, and how to fund it."""


@main.command("solve")
@click.argument("instance", required=False, type=click.Path())
@click.option("--out", "out_dir", type=click.Path(), help="Write CSV/JSON results into this folder.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the report.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Solver time limit in seconds.")
@click.option("--mip-gap", type=click.FloatRange(min=0), default=DEFAULT_MIP_GAP, show_default=True, help="Relative MIP gap.")
@click.option("--threads", type=click.IntRange(min=1), help="Solver threads.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a field by dotted path (repeatable).")
@click.option("--prices", "prices_file", type=click.Path(dir_okay=False), help="Replace series by the columns of a CSV (period + one column per dotted path), before --set.")
@click.option("--force", is_flag=True, help="Replace an --out folder that does not hold a previous run.")
@click.option("--log", is_flag=True, help="Stream the HiGHS log to stderr.")
@click.option("--quiet", is_flag=True, help="No live progress line on stderr (shown only on a terminal, after 1 s).")
@click.option("--starts", "starts_file", type=click.Path(dir_okay=False), help="Fix the retrofit schedule (CSV site,start,blocks or JSON) and compare with the optimum.")
@click.option("--method", type=click.Choice(["ef", "ph"]), default="ef", show_default=True, help="ef: extensive form (one MIP); ph: progressive hedging over MPI (mpiexec -n K allocate solve ... --method ph; docs/uncertainty.md).")
@click.option("--value-of-information", "value_of_information", is_flag=True, help="Also report EVPI and VSS in USD (solves each scenario alone and the mean scenario).")
def solve_cmd(instance, out_dir, as_json, time_limit, mip_gap, threads, sets, force, log, starts_file, quiet=False, method="ef", value_of_information=False, prices_file=None) -> None:
    """Solve INSTANCE (default: the embedded Bitdeer-like portfolio) and report the plan."""
    inst = load(instance, price_sets(instance, prices_file) + parse_set(sets))
    check_out_dir(out_dir, force)
    if starts_file:
        from cli.starts import solve_with_starts

        solve_with_starts(inst, starts_file, SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, log=log), out_dir, as_json, force)
    show_progress = not quiet and not log and sys.stderr.isatty()
    if method == "ph":  # every MPI rank runs this command; rank 0 reports (optimizer/ph.py)
        from optimizer.ph import cli_solve

        result = cli_solve(inst, time_limit=time_limit, mip_gap=mip_gap, log=log)
        if result is None:
            return
    else:
        result = solve(inst, SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, log=log, progress=show_progress))
    voi = None
    if value_of_information and result.has_plan:
        from optimizer.value_of_information import value_of_information as compute_voi

        voi = compute_voi(inst, SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads), stochastic=result if method == "ef" else None)
    # no plan exists: solve again with elastic limits and say what would have to give
    explanation = explain_infeasibility(inst, time_limit=time_limit) if result.status is Status.INFEASIBLE else None
    if out_dir:
        try:
            write_result(result, out_dir, force=force, explanation=explanation)
        except OutputError as exc:
            fail_input(str(exc))
    if as_json:
        click.echo(dumps(dict(report.result_json(result, explanation), **({"value_of_information": voi.to_json()} if voi else {}))), nl=False)
    else:
        report.print_report(result, Console(soft_wrap=False))
        report.print_value_of_information(voi, Console(soft_wrap=False))
        report.print_explanation(explanation, Console(soft_wrap=False))
    if not result.has_plan:
        if not as_json:
            click.echo(f"no plan: {result.reason}", err=True)
        sys.exit(result.status.exit_code)


def write_result(result, out_dir: str, force: bool = False, explanation=None) -> Path:
    """The run folder: allocation.csv, retrofits.csv, finance.csv, debt.csv, fleets.csv (SPEC v2
    instances), summary.json, plan.json,
    plan.xlsx (``optimizer.workbook``) and charts/*.png (``optimizer.charts``). Every file but
    timings.json holds the same bytes in two runs of one instance."""
    summary = result.summary()
    if explanation is not None:
        summary["explanation"] = report.explanation_json(explanation)
    writers = {"summary.json": lambda p: p.write_text(dumps(summary)), "timings.json": lambda p: p.write_text(dumps(result.timing_figures()))}
    if result.has_plan:
        writers.update(
            {
                "allocation.csv": lambda p: write_csv(result.allocation, p),
                "retrofits.csv": lambda p: write_csv(result.retrofits.set_index("site"), p),
                "finance.csv": lambda p: write_csv(result.finance, p),
                "debt.csv": lambda p: write_csv(result.debt, p),
                "scenarios.csv": lambda p: write_csv(result.scenario_npv, p),
                "plan.json": lambda p: p.write_text(dumps(result.plan)),
            }
        )
        if getattr(result, "fleets", None) is not None:  # SPEC v2 instances only
            writers["fleets.csv"] = lambda p: write_csv(result.fleets, p)
        if getattr(result, "sensitivities", None) is not None:
            writers["sensitivities.csv"] = lambda p: write_csv(result.sensitivities.set_index("kind"), p)
        from optimizer.charts import draw_charts, tables_from_result
        from optimizer.workbook import write_workbook

        writers["plan.xlsx"] = lambda p: write_workbook(result, p)
        writers["charts"] = lambda p: draw_charts(tables_from_result(result), p)  # charts/*.png
    writers["instance.json"] = lambda p: p.write_text(dumps(result.instance.raw))
    return write_run(out_dir, writers, force=force)


@main.command("validate")
@click.argument("instance", type=click.Path())
def validate_cmd(instance) -> None:
    """Check INSTANCE and list every problem found (exit 2) or summarize it (exit 0)."""
    try:
        inst = load_instance(instance)
        out_of_range = range_issues(inst)
        if out_of_range:
            raise InputError(out_of_range)
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
        parts.append(f"{len(inst.asic_model_names)} ASIC models ({', '.join(inst.asic_model_names)})")
    tiered = sorted(set(v2.index[v2["tiered"].to_numpy(dtype=bool)].get_level_values("site")), key=inst.site_names.index)
    if tiered:
        parts.append(f"tiered power prices at {len(tiered)} sites ({', '.join(tiered)})")
    prepaid = sorted(set(v2.index[(v2["prepayment_usd_per_it_mw"] > 0).to_numpy()].get_level_values("site")), key=inst.site_names.index)
    if prepaid:
        parts.append(f"tenant prepayments at {', '.join(prepaid)}")
    leased = sorted(set(v2.index[v2["leased_on_completion"].to_numpy(dtype=bool)].get_level_values("site")), key=inst.site_names.index)
    if leased:
        parts.append(f"pre-leased halls at {', '.join(leased)}")
    return "; ".join(parts)


@main.command("example")
def example_cmd() -> None:
    """Print the embedded default instance as JSON (a starting point for your own)."""
    click.echo(json.dumps(default_instance_dict(), indent=2))


from cli.evaluate_cmd import evaluate_cmd
main.add_command(evaluate_cmd)

from cli.report_cmd import plot_cmd, report_cmd
main.add_command(plot_cmd)
main.add_command(report_cmd)

from cli.scenarios_cmd import scenarios_cmd
main.add_command(scenarios_cmd)

from cli.sweep_cmd import sweep_cmd
main.add_command(sweep_cmd)

from cli.compare_cmd import compare_cmd
main.add_command(compare_cmd)

from cli.breakeven_cmd import breakeven_cmd
main.add_command(breakeven_cmd)

from cli.why_cmd import why_cmd
main.add_command(why_cmd)


if __name__ == "__main__":  # pragma: no cover
    main()
