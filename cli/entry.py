"""The ``allocate`` console script.

Loading Pyomo, pandas and HiGHS takes about a second; a Ctrl-C in that second would
otherwise end in a traceback from whichever import was running. Here it ends with one
line and exit code 130 (the shell's code for SIGINT), like a Ctrl-C anywhere else
outside a solve.
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130


def main() -> None:
    try:
        from cli.main import main as allocate
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    allocate()
