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
from optimizer import DEFAULT_MIP_GAP, SolveOptions, solve
from optimizer.output import OutputError, dumps, write_csv, write_run

EXIT_INPUT = 2


def fail_input(message: str) -> None:
    """One line on stderr, exit code 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_INPUT)


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
        if path is None:
            return load_default(overrides)
        return load_instance(path, overrides)
    except InputError as exc:
        fail_input(str(exc))
        raise  # unreachable


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="allocate")
def main() -> None:
    """Decide which mining sites to retrofit for AI hosting, when, and how to fund it."""


@main.command("solve")
@click.argument("instance", required=False, type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write CSV/JSON results into this folder.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the report.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Solver time limit in seconds.")
@click.option("--mip-gap", type=click.FloatRange(min=0), default=DEFAULT_MIP_GAP, show_default=True, help="Relative MIP gap.")
@click.option("--threads", type=click.IntRange(min=1), help="Solver threads.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a field by dotted path (repeatable).")
@click.option("--force", is_flag=True, help="Replace an --out folder that does not hold a previous run.")
@click.option("--log", is_flag=True, help="Stream the HiGHS log to stderr.")
def solve_cmd(instance, out_dir, as_json, time_limit, mip_gap, threads, sets, force, log) -> None:
    """Solve INSTANCE (default: the embedded Bitdeer-like portfolio) and report the plan."""
    inst = load(instance, parse_set(sets))
    result = solve(inst, SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, log=log))
    if out_dir:
        try:
            write_result(result, out_dir, force=force)
        except OutputError as exc:
            fail_input(str(exc))
    if as_json:
        click.echo(dumps(report.result_json(result)), nl=False)
    else:
        report.print_report(result, Console(soft_wrap=False))
    if not result.has_plan:
        if not as_json:
            click.echo(f"no plan: {result.reason}", err=True)
        sys.exit(result.status.exit_code)


def write_result(result, out_dir: str, force: bool = False) -> Path:
    """The run folder: allocation.csv, retrofits.csv, finance.csv, debt.csv, summary.json, plan.json."""
    writers = {"summary.json": lambda p: p.write_text(dumps(result.summary()))}
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
    writers["instance.json"] = lambda p: p.write_text(dumps(result.instance.raw))
    return write_run(out_dir, writers, force=force)


@main.command("validate")
@click.argument("instance", type=click.Path(dir_okay=False))
def validate_cmd(instance) -> None:
    """Check INSTANCE and list every problem found (exit 2) or summarize it (exit 0)."""
    try:
        inst = load_instance(instance)
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


@main.command("example")
def example_cmd() -> None:
    """Print the embedded default instance as JSON (a starting point for your own)."""
    click.echo(json.dumps(default_instance_dict(), indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()
