"""Compare two ``--out`` run folders "apart from timing fields" (issue 4).

- ``summary.json``: equal once ``timings`` is dropped;
- ``*.xlsx``: equal cell by cell, except rows labelled as a time (the workbook
  records the solve time; its zip entries and document properties carry the
  creation date);
- every other file: byte-identical.
"""

from __future__ import annotations

import json
from pathlib import Path

TIMING_KEYS = ("timings", "solve_seconds")


def files(run: Path) -> list[str]:
    return sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.is_file())


def without_timings(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in TIMING_KEYS}


def xlsx_cells(path: Path) -> dict:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            values = [c.value for c in row]
            if any(isinstance(v, str) and "time" in v.lower() for v in values):
                continue
            for c in row:
                out[(ws.title, c.coordinate)] = c.value
    return out


def differences(a: Path, b: Path) -> list[str]:
    """Files that differ between runs ``a`` and ``b`` beyond timing fields."""
    names_a, names_b = files(a), files(b)
    if names_a != names_b:
        return [f"file lists differ: {sorted(set(names_a) ^ set(names_b))}"]
    out = []
    for name in names_a:
        pa, pb = a / name, b / name
        if name == "summary.json":
            same = without_timings(json.loads(pa.read_text())) == without_timings(json.loads(pb.read_text()))
        elif name.endswith(".xlsx"):
            same = xlsx_cells(pa) == xlsx_cells(pb)
        else:
            same = pa.read_bytes() == pb.read_bytes()
        if not same:
            out.append(name)
    return out
