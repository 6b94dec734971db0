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
