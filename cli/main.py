"""``allocate`` command line: the click group and its commands, nothing else.

Each command lives in its own ``cli/*_cmd.py`` (options, printing, exit code); what
they share is in ``cli/common.py``. Nothing imports this module but the console
script (``cli/entry.py``).

Exit codes: 0 a plan was found (or the check passed), 1 no plan, 2 bad input or usage.
"""

from __future__ import annotations

import click

from cli.baselines_cmd import baselines_cmd
from cli.breakeven_cmd import breakeven_cmd
from cli.compare_cmd import compare_cmd
from cli.convert_cmd import convert_cmd
from cli.evaluate_cmd import evaluate_cmd
from cli.example_cmd import example_cmd
from cli.report_cmd import plot_cmd, report_cmd
from cli.scenarios_cmd import scenarios_cmd
from cli.series_cmd import series_cmd
from cli.solve_cmd import solve_cmd
from cli.sweep_cmd import sweep_cmd
from cli.template_cmd import template_cmd
from cli.validate_cmd import validate_cmd
from cli.why_cmd import why_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="allocate")
def main() -> None:
    """Decide which mining sites to retrofit for AI hosting, when, and how to fund it."""


# the order of ``allocate --help`` is click's (alphabetical); registration order is kept as before
for command in (solve_cmd, validate_cmd, example_cmd, evaluate_cmd, plot_cmd, report_cmd, scenarios_cmd, sweep_cmd, compare_cmd, breakeven_cmd, why_cmd, baselines_cmd, template_cmd, convert_cmd, series_cmd):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
