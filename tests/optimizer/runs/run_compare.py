"""Compare two ``--out`` run folders.

Every file of a run but ``timings.json`` (seconds per step) depends on the instance
alone, so two runs of one instance must hold the same bytes in all of them, the
workbook included (its document dates and zip entry times are fixed).
"""

from __future__ import annotations

from pathlib import Path

TIMING_FILE = "timings.json"


def files(run: Path) -> list[str]:
    return sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.is_file())


def differences(a: Path, b: Path) -> list[str]:
    """Files that differ between runs ``a`` and ``b``, ``timings.json`` aside."""
    names_a, names_b = files(a), files(b)
    if names_a != names_b:
        return [f"file lists differ: {sorted(set(names_a) ^ set(names_b))}"]
    return [name for name in names_a if name != TIMING_FILE and (a / name).read_bytes() != (b / name).read_bytes()]
