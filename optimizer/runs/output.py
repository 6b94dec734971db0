"""Write a run folder atomically: every file or none.

The folder is assembled under a temporary name beside the target and renamed into
place; a previous run in the target is swapped out only once the new one is
complete (in one atomic exchange on Linux), so an interrupted run leaves either the
old folder or the new one.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Callable

import pandas as pd

RUN_MARKER = "summary.json"  # a folder holding this file is a previous run
# Test seam (fault injection): when this variable names a step of ``write_run``, the
# process kills itself with SIGKILL at that step, so a test can reach every outcome of
# an interrupted write (see ``write_step``).
TEST_KILL_ENV = "ALLOCATE_TEST_KILL_AT"
# test seam: set (to anything) to take the path of systems without an atomic folder exchange
TEST_NO_EXCHANGE_ENV = "ALLOCATE_TEST_NO_EXCHANGE"


class OutputError(Exception):
    """The output folder cannot be written (exists and is not a run, not writable...)."""


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def clean_json(value):
    """NaN/inf -> None, numpy scalars -> Python: JSON that every reader accepts."""
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value) -> str:
    return json.dumps(clean_json(value), indent=1, default=_json_default, allow_nan=False) + "\n"


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """CSV with fixed float formatting so two runs give byte-identical files."""
    table.to_csv(path, float_format="%.6f", lineterminator="\n")


def write_step(step: str) -> None:
    """Mark a step of ``write_run``; a test seam, a no-op unless ``ALLOCATE_TEST_KILL_AT``
    equals ``step``, in which case the process dies at once (SIGKILL: no cleanup runs).

    Steps, in order: ``file:<name>`` after each file is written in the scratch folder,
    ``moved-old`` after a previous run was moved aside (only where the two folders cannot
    be exchanged atomically, see :func:`exchange`), ``renamed`` after the new folder
    took the target's name (before the previous run is deleted).
    """
    if os.environ.get(TEST_KILL_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def check_target(out_dir: str | Path, force: bool = False) -> Path:
    """``out_dir`` as a Path when a run may be written there, else OutputError: it is
    a file, or a non-empty folder (a previous run or anything else) and ``force`` is
    not given: a run folder is never replaced without asking. The CLI calls this
    before solving, so that a long solve is not lost."""
    target = Path(out_dir)
    if target.exists():
        if not target.is_dir():
            raise OutputError(f"--out {target}: exists and is not a folder")
        if force or not any(target.iterdir()):
            return target
        if (target / RUN_MARKER).exists():
            raise OutputError(f"--out {target}: holds a previous run; use --force to replace it (once the new run is complete) or choose another folder")
        raise OutputError(f"--out {target}: folder exists and does not hold a previous run; use --force to replace it")
    return target


def exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``): a reader, or a
    kill, sees the old ``b`` or the new one, never no ``b``. False where the system or
    the file system has no such call (the caller then renames in two steps)."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def write_run(out_dir: str | Path, writers: dict[str, Callable[[Path], None]], force: bool = False) -> Path:
    """Create ``out_dir`` holding the files produced by ``writers`` (name -> fn(path)).

    Refuses (OutputError) to replace an existing non-empty folder, a previous run or
    not, unless ``force``; with ``force`` the old folder stays in place until the new
    one is complete, whatever the new run's outcome (an infeasible run replaces a
    feasible one: the user asked for this folder to hold this run).
    """
    target = check_target(out_dir, force)
    parent = target.parent if str(target.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    except OSError as exc:
        raise OutputError(f"--out {target}: cannot create: {exc.strerror or exc}") from None
    try:
        for name, write in writers.items():
            write(tmp / name)
            write_step(f"file:{name}")
        old = None
        if target.exists() and not os.environ.get(TEST_NO_EXCHANGE_ENV) and exchange(tmp, target):
            old = tmp  # it holds the previous run now: the folder was never absent
            write_step("renamed")
        elif target.exists():  # no atomic exchange here: move the old run aside first
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=parent))
            os.rmdir(old)
            os.replace(target, old)
            write_step("moved-old")
            os.replace(tmp, target)
            write_step("renamed")
        else:
            os.replace(tmp, target)
            write_step("renamed")
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"--out {target}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
