"""The console script's start-up: a Ctrl-C while the libraries load (``cli/entry.py``)."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A Ctrl-C delivered while ``cli.main`` (and through it Pyomo, pandas, HiGHS) is being
# imported: the import machinery raises KeyboardInterrupt for that module, as Python's
# SIGINT handler would at any point of the import.
INTERRUPTED_IMPORT = """
import importlib.abc, sys
class CtrlC(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "cli.main":
            raise KeyboardInterrupt
        return None
sys.meta_path.insert(0, CtrlC())
sys.argv = ["allocate", "--help"]
from cli.entry import main
main()
"""


def test_ctrl_c_during_start_up_is_one_line_and_exit_130() -> None:
    proc = subprocess.run([sys.executable, "-c", INTERRUPTED_IMPORT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130
    assert proc.stderr == "interrupted\n"
    assert proc.stdout == ""


def test_entry_runs_the_command_line() -> None:
    proc = subprocess.run([sys.executable, "-c", "import sys; sys.argv=['allocate','--version']; from cli.entry import main; main()"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    # the installed package's version (pyproject.toml), as the last word of the line
    assert proc.stdout.split() == ["allocate,", "version", version("allocate")]
    assert proc.stderr == ""


# What ``allocate --version`` / ``--help`` leave unimported (the command modules load on use).
HEAVY = ("pyomo", "pandas", "highspy", "matplotlib", "models", "optimizer")
IMPORTED_BY = """
import sys
sys.argv = ["allocate", {arg!r}]
from cli.entry import main
try:
    main()
except SystemExit:
    pass
print(sorted({{name.split(".")[0] for name in sys.modules}}))
"""


def test_version_and_help_import_no_command_module() -> None:
    for arg in ("--version", "--help"):
        proc = subprocess.run([sys.executable, "-c", IMPORTED_BY.format(arg=arg)], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        loaded = set(eval(proc.stdout.strip().splitlines()[-1]))
        assert loaded.isdisjoint(HEAVY), (arg, loaded & set(HEAVY))


def test_the_command_table_names_each_command_and_its_own_help_line() -> None:
    from cli.main import COMMANDS, load_command

    for name, (_module, _attribute, short) in COMMANDS.items():
        command = load_command(name)
        assert command.name == name
        assert " ".join(command.help.split("\n\n")[0].split()) == short  # as click shows it: one line


# A Ctrl-C while a command's module (Pyomo, pandas, HiGHS) is being imported on first use.
INTERRUPTED_COMMAND_IMPORT = INTERRUPTED_IMPORT.replace('"cli.main"', '"cli.validate_cmd"').replace('"--help"', '"validate"')


def test_ctrl_c_while_a_command_loads_is_one_line_and_exit_130() -> None:
    proc = subprocess.run([sys.executable, "-c", INTERRUPTED_COMMAND_IMPORT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130
    assert proc.stderr == "interrupted\n"
    assert proc.stdout == ""
