"""``allocate`` command line: the click group and its commands, nothing else.

Each command lives in its own ``cli/*_cmd.py`` (options, printing, exit code); what
they share is in ``cli/common.py``. Nothing imports this module but the console
script (``cli/entry.py``).

Commands are loaded when they are run, not when the group is: a command module
imports what it needs (pandas, Pyomo, HiGHS, matplotlib: ~1 s), so ``allocate
--version`` and ``allocate --help`` import none of it, and ``allocate validate``
does not pay for the solver's modules. ``COMMANDS`` names each command's module
and its one-line help (``tests/cli/test_entry.py`` checks that the line is the
command's own).

Exit codes: 0 a plan was found (or the check passed), 1 no plan, 2 bad input or usage.
"""

from __future__ import annotations

import importlib
import sys

import click

# Exit code of a Ctrl-C while a command's modules load (the shell's code for SIGINT, as cli.entry)
EXIT_INTERRUPTED = 130

# name -> (module, attribute, one-line help shown by ``allocate --help``)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "solve": ("cli.solve_cmd", "solve_cmd", "Solve INSTANCE (default: the embedded Bitdeer-like portfolio) and report the plan."),
    "validate": ("cli.validate_cmd", "validate_cmd", "Check INSTANCE and list every problem found (exit 2) or summarize it (exit 0)."),
    "example": ("cli.example_cmd", "example_cmd", "Print the embedded default instance as JSON (a starting point for your own)."),
    "evaluate": ("cli.evaluate_cmd", "evaluate_cmd", "Recompute the NPV of PLAN (a plan.json) on INSTANCE and check every constraint."),
    "plot": ("cli.report_cmd", "plot_cmd", "Redraw the charts (PNG) of the run folder RUN_DIR from its CSV tables."),
    "report": ("cli.report_cmd", "report_cmd", "Write one self-contained HTML report (summary, charts, tables) of the run folder RUN_DIR."),
    "scenarios": ("cli.scenarios_cmd", "scenarios_cmd", "Write INSTANCE with N hashprice scenarios (docs/uncertainty.md)."),
    "sweep": ("cli.sweep_cmd", "sweep_cmd", "Solve INSTANCE (default: the embedded portfolio) over a grid of values."),
    "compare": ("cli.compare_cmd", "compare_cmd", "Compare two run folders written by ``allocate solve --out`` (changes are B - A)."),
    "breakeven": ("cli.breakeven_cmd", "breakeven_cmd", "Find the values of PATH at which retrofit decisions change (first start and blocks of SITE, or of every retrofit site), in PATH's own unit."),
    "why": ("cli.why_cmd", "why_cmd", "Why each site gets the AI halls it gets: unit economics and value to the plan."),
    "baselines": ("cli.baselines_cmd", "baselines_cmd", "The optimized plan beside keep mining, convert early and greedy by payback (and your plan)."),
    "template": ("cli.template_cmd", "template_cmd", "Write an empty instance workbook BOOK (.xlsx) to fill in."),
    "convert": ("cli.convert_cmd", "convert_cmd", "Convert instance SOURCE to TARGET: JSON to workbook (.xlsx) or back."),
    "series": ("cli.series_cmd", "series_cmd", "Print the series at PATH of INSTANCE (default: the embedded portfolio), one line per period."),
}


def load_command(name: str) -> click.Command:
    """Import the module of command ``name`` and return its click command.

    A Ctrl-C while the module (and through it Pyomo, pandas, HiGHS) loads ends with
    one line and exit code 130, as it does while the group loads (``cli/entry.py``).
    """
    module, attribute, _help = COMMANDS[name]
    try:
        return getattr(importlib.import_module(module), attribute)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(EXIT_INTERRUPTED)


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use (see the module docstring)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(load_command(cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help`` from ``COMMANDS``, without importing a command."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in COMMANDS:
                text = click.utils.make_default_short_help(COMMANDS[name][2], limit)
            else:
                text = self.commands[name].get_short_help_str(limit)
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="allocate")
def main() -> None:
    """Decide which mining sites to retrofit for AI hosting, when, and how to fund it."""


if __name__ == "__main__":  # pragma: no cover
    main()
