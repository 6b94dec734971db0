"""Ctrl-C during a HiGHS solve: stop cleanly and keep the incumbent.

Left alone, a SIGINT during ``Highs.run()`` raises KeyboardInterrupt inside a HiGHS
callback; HiGHS then aborts with ``kSolveError`` and the best plan found so far is
lost. :func:`interruptible` installs, for the duration of a solve, a SIGINT handler
that asks HiGHS to stop at its next interrupt check (``Highs.cancelSolve``, which the
pyomo interface wires to the simplex, IPM and MIP interrupt callbacks): HiGHS ends
with ``kInterrupt`` and keeps its incumbent, which :func:`optimizer.backend.status.classify`
reports as ``feasible`` (reason "interrupted ...") or ``no_solution``.

A Ctrl-C that arrives before HiGHS exists (while pyomo translates the model) raises
KeyboardInterrupt as usual; a second Ctrl-C also does, for a user who wants out now.
Outside the main thread signals cannot be handled and nothing is installed.
"""

from __future__ import annotations

import logging
import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterator


# pyomo logs a warning for the (expected) kInterrupt status; the status line says it all
PYOMO_HIGHS_LOGGER = "pyomo.contrib.solver.solvers.highs"


def _not_interrupt_warning(record: logging.LogRecord) -> bool:
    return "kInterrupt" not in record.getMessage()


class Interrupt:
    """What happened during the solve: ``requested`` is True after a Ctrl-C."""

    def __init__(self) -> None:
        self.requested = False


@contextmanager
def interruptible(get_highs: Callable[[], object | None]) -> Iterator[Interrupt]:
    """Route SIGINT to ``get_highs().cancelSolve()`` while the block runs."""
    state = Interrupt()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def handler(signum, frame):
        highs = get_highs()
        if state.requested or highs is None or not hasattr(highs, "cancelSolve"):
            state.requested = True
            raise KeyboardInterrupt
        state.requested = True
        highs.cancelSolve()

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except (ValueError, OSError):  # not the main interpreter thread, or no signals here
        yield state
        return
    logger = logging.getLogger(PYOMO_HIGHS_LOGGER)
    logger.addFilter(_not_interrupt_warning)
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)
        logger.removeFilter(_not_interrupt_warning)
