"""Live solve progress on the terminal, parsed from the HiGHS log stream.

``solve(instance, SolveOptions(progress=True))`` hands a :class:`LiveProgress` to the
solver as one of its log streams. After the first second of solving, one line on
standard error shows the elapsed time, the best plan so far, the bound and the gap,
refreshed a few times a second; it disappears when the solve ends. Nothing is
shown when standard error is not a terminal (a pipe, a file, CI).

The parsing is usable on its own: :class:`HighsLogParser` is a text stream that
reads HiGHS's log and calls back with a :class:`SolveProgress` on every change::

    parser = HighsLogParser(callback=print)
    SolverFactory("highs").solve(model, tee=[parser])

Pyomo captures the process's standard error (file descriptor 2) while HiGHS runs,
so the live line is written to a copy of descriptor 2 taken before the solve starts.
"""

from __future__ import annotations

import io
import math
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, replace
from typing import Callable

from models import MONEY_SCALE

# a HiGHS MIP log row: optional source letter, nodes, queue, leaves, explored %,
# best bound, best solution, gap, cuts, in LP, conflicts, LP iterations, time
_TIME = re.compile(r"^(\d+(?:\.\d+)?)s$")
_NUMBER = re.compile(r"^[-+]?(?:inf|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)$", re.IGNORECASE)


@dataclass(frozen=True)
class SolveProgress:
    """What is known of a running solve (money in USD; None: not known yet)."""

    phase: str = "starting"
    best_usd: float | None = None
    bound_usd: float | None = None
    gap: float | None = None  # relative, 0.0123 = 1.23%
    nodes: int | None = None
    solver_seconds: float | None = None


def _number(token: str) -> float | None:
    if not _NUMBER.match(token):
        return None
    value = float(token)
    return value if math.isfinite(value) else None


def parse_mip_row(line: str, scale: float = MONEY_SCALE) -> dict | None:
    """The figures of one HiGHS branch-and-bound log row, or None when it is not one.

    Returns best_usd, bound_usd, gap (fraction; None when infinite), nodes and
    solver_seconds; objective values are multiplied by ``scale`` (the model's money unit).
    """
    tokens = line.split()
    if len(tokens) < 10 or not _TIME.match(tokens[-1]):
        return None
    if not tokens[0].isdigit():  # a source letter (H, T, L, ...) leads improving rows
        tokens = tokens[1:]
    pct = next((k for k, t in enumerate(tokens) if t.endswith("%") and k >= 3), None)
    if pct is None or pct + 3 >= len(tokens) or not tokens[0].isdigit():
        return None
    bound_tok, best_tok, gap_tok = tokens[pct + 1], tokens[pct + 2], tokens[pct + 3]
    if not (_NUMBER.match(bound_tok) and _NUMBER.match(best_tok)):
        return None
    bound, best = _number(bound_tok), _number(best_tok)
    gap = None
    if gap_tok.endswith("%"):
        try:
            gap = float(gap_tok[:-1]) / 100.0
        except ValueError:
            gap = None
    return {
        "best_usd": best * scale if best is not None else None,
        "bound_usd": bound * scale if bound is not None else None,
        "gap": gap,
        "nodes": int(tokens[0]),
        "solver_seconds": float(_TIME.match(tokens[-1]).group(1)),
    }


class HighsLogParser(io.TextIOBase):
    """A writable text stream that follows HiGHS's log and keeps a :class:`SolveProgress`."""

    def __init__(self, callback: Callable[[SolveProgress], None] | None = None, scale: float = MONEY_SCALE):
        super().__init__()
        self.callback = callback
        self.scale = scale
        self.state = SolveProgress()
        self._partial = ""
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            lines = (self._partial + text).split("\n")
            self._partial = lines.pop()
            for line in lines:
                self._line(line)
        return len(text)

    def flush(self) -> None:
        pass

    def _line(self, line: str) -> None:
        state = self.state
        row = parse_mip_row(line, self.scale)
        if row is not None:
            state = SolveProgress(phase="branch and bound", **row)
            if row["best_usd"] is None and self.state.best_usd is not None:
                state = replace(state, best_usd=self.state.best_usd)
        elif line.startswith("Presolving model"):
            state = replace(state, phase="presolve")
        elif line.startswith("Solving MIP model") or line.startswith("Solving LP"):
            state = replace(state, phase="solving")
        elif line.startswith("Solving report") or line.startswith("Model status"):
            state = replace(state, phase="finishing")
        if state != self.state:
            self.state = state
            if self.callback is not None:
                self.callback(state)


def _money(usd: float | None) -> str:
    if usd is None:
        return "-"
    a, sign = abs(usd), "-" if usd < 0 else ""
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.3f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.2f}M"
    return f"{sign}${a:,.0f}"


def describe(state: SolveProgress, elapsed: float) -> str:
    """One status line, figures first: ``solving 12.3 s  best $3.95B  bound $4.70B  gap 19.07%  (branch and bound)``."""
    parts = [f"solving {elapsed:.1f} s"]
    if state.phase == "branch and bound" or state.best_usd is not None or state.bound_usd is not None:
        parts.append(f"best {_money(state.best_usd) if state.best_usd is not None else 'none yet'}")
        parts.append(f"bound {_money(state.bound_usd)}")
        parts.append(f"gap {state.gap:.2%}" if state.gap is not None else "gap -")
    parts.append(f"({state.phase})")
    return "  ".join(parts)


class LiveProgress(HighsLogParser):
    """HiGHS log stream that shows a live progress line on the terminal's standard error.

    ``start()`` before the solve (it takes the copy of standard error), ``stop()``
    after it (in a ``finally``). The line appears only once ``delay`` seconds have
    passed and only when standard error is a terminal.

    Time is read from ``clock`` (seconds; default ``time.monotonic``), a test seam: the
    line is shown by :meth:`tick`, called by a timer after ``delay`` seconds and on
    every log line, once ``clock() - start >= delay``; a test passes its own clock
    and tells "before the delay" from "after" without waiting.
    """

    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, delay: float = 1.0, file=None, refresh_per_second: float = 4.0,
                 clock: Callable[[], float] | None = None):
        super().__init__()
        if clock is not None:
            self.clock = clock
        self.delay = delay
        self.refresh = refresh_per_second
        self._file = file
        self._own_file = None
        self._console = None
        self._live = None
        self._timer: threading.Timer | None = None
        self._t0 = 0.0
        self._stopped = False
        self._show_lock = threading.Lock()

    def start(self) -> "LiveProgress":
        from rich.console import Console

        self._t0 = self.clock()
        out = self._file
        if out is None:
            try:
                self._own_file = out = os.fdopen(os.dup(sys.stderr.fileno()), "w", encoding="utf-8", errors="replace")
            except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
                out = None
        if out is not None:
            self._console = Console(file=out, highlight=False)
            if self._console.is_terminal:
                self._timer = threading.Timer(self.delay, self.tick)
                self._timer.daemon = True
                self._timer.start()
        return self

    @property
    def elapsed(self) -> float:
        return self.clock() - self._t0

    def write(self, text: str) -> int:
        written = super().write(text)
        self.tick()
        return written

    def tick(self) -> None:
        """Show the line if ``delay`` seconds have passed on ``clock`` (on a terminal only)."""
        if self._live is None and self._console is not None and self._console.is_terminal and self.elapsed >= self.delay:
            self._show()

    def __rich__(self):
        from rich.text import Text

        frames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
        spin = frames[int(self.elapsed * 10) % len(frames)]
        return Text(f"{spin} {describe(self.state, self.elapsed)}", style="cyan", no_wrap=True, overflow="ellipsis")

    def _show(self) -> None:
        from rich.live import Live

        with self._show_lock:
            if self._stopped or self._live is not None:
                return
            self._live = Live(self, console=self._console, refresh_per_second=self.refresh, transient=True,
                              redirect_stdout=False, redirect_stderr=False)
            self._live.start()

    @property
    def shown(self) -> bool:
        return self._live is not None

    def stop(self) -> None:
        with self._show_lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()
            if self._live is not None:
                self._live.stop()
        if self._own_file is not None:
            try:
                self._own_file.close()
            except OSError:
                pass
            self._own_file = None

    def __enter__(self) -> "LiveProgress":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
