"""``allocate plot RUN_DIR`` and ``allocate report RUN_DIR``: charts and an HTML report
from a finished run folder (``solve --out``), without solving again.

Exit codes: 0 done, 1 the run holds no plan (nothing to plot), 2 not a run folder
or the output cannot be written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import EXIT_INPUT, EXIT_NO_PLAN


def _tables(run_dir: str) -> dict:
    from optimizer.runs.folder import RunFolderError, load_tables

    try:
        return load_tables(run_dir)
    except RunFolderError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    except (OSError, ValueError, KeyError) as exc:
        click.echo(f"error: {run_dir}: cannot read the run folder: {exc}", err=True)
        sys.exit(EXIT_INPUT)


@click.command("plot")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False),
              help="Folder for the PNG files (default: RUN_DIR/charts).")
def plot_cmd(run_dir, out_dir) -> None:
    """Redraw the charts (PNG) of the run folder RUN_DIR from its CSV tables."""
    from optimizer.reports.charts import draw_charts, has_plan

    tables = _tables(run_dir)
    if not has_plan(tables):
        click.echo(f"no plan in {run_dir} (status {tables['summary'].get('status')}): nothing to plot", err=True)
        sys.exit(EXIT_NO_PLAN)
    folder = Path(out_dir) if out_dir else Path(run_dir) / "charts"
    try:
        paths = draw_charts(tables, folder)
    except OSError as exc:
        click.echo(f"error: cannot write {folder}: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    for path in paths:
        click.echo(str(path))


@click.command("report")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False),
              help="HTML file to write (default: RUN_DIR/report.html).")
def report_cmd(run_dir, out_file) -> None:
    """Write one self-contained HTML report (summary, charts, tables) of the run folder RUN_DIR."""
    from optimizer.reports.html import write_html

    tables = _tables(run_dir)
    path = Path(out_file) if out_file else Path(run_dir) / "report.html"
    try:
        write_html(tables, path)
    except OSError as exc:
        click.echo(f"error: cannot write {path}: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(str(path))
