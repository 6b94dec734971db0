"""A retrofit schedule read from a file (``allocate solve --starts FILE``).

Accepted forms:

- CSV with a header holding ``site``, ``start`` (or ``period``) and ``blocks``; other
  columns are ignored, so the ``retrofits.csv`` of a previous run can be given back;
- JSON: a list of ``{"site", "start" | "period", "blocks"}`` objects, or an object
  with a ``starts`` list of the same (a ``plan.json`` written by ``solve --out``).

``start`` is a period label ``"YYYY-MM"``; like every date of the SPEC, a month that
is not a period start selects the first period starting at or after it (a date
after the horizon is an error). Rows with 0 blocks are ignored; the same site and
period twice is an error. Whether the schedule can be built (retrofittable site, no
start before ``ai.earliest_start``, at most ``ai.max_blocks``) is not checked here:
that is the solver's and the diagnosis' job.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from instances.calendar import parse_month, select_period
from instances.errors import InputError, Issue
from instances.instance import Instance
from instances.load import read_text

Schedule = dict[tuple[str, str], int]


def _blocks(value, where: str) -> int:
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            raise InputError(Issue(where, f'blocks must be a whole number >= 0, got "{value}"')) from None
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(Issue(where, f"blocks must be a whole number >= 0, got {value!r}"))
    else:
        number = float(value)
    if not math.isfinite(number) or number < 0 or number != int(number):
        raise InputError(Issue(where, f"blocks must be a whole number >= 0, got {value!r}"))
    return int(number)


def _period(value, where: str, instance: Instance | None) -> str:
    if not isinstance(value, str):
        raise InputError(Issue(where, f'start must be a period "YYYY-MM", got {value!r}'))
    text = value.strip()
    try:
        month = parse_month(text)
    except ValueError as exc:
        raise InputError(Issue(where, f"start {exc}")) from None
    if instance is None:
        return text
    labels = instance.period_labels
    if text in labels:
        return text
    sel = select_period(instance.periods["start_month"].to_numpy(), month)
    if sel is None:
        raise InputError(Issue(where, f"start {text} is after the horizon ({labels[0]} .. {labels[-1]})"))
    return labels[sel]


def _site(value, where: str, instance: Instance | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(Issue(where, f"site must be a site name, got {value!r}"))
    name = value.strip()
    if instance is not None and name not in instance.site_names:
        import difflib

        match = difflib.get_close_matches(name, instance.site_names, n=1, cutoff=0.5)
        hint = f' (did you mean "{match[0]}"?)' if match else ""
        raise InputError(Issue(where, f'unknown site "{name}"{hint}'))
    return name


def schedule_from_rows(
    rows: list, source: str, instance: Instance | None = None, numbers: list[int] | None = None, label: str = "entry"
) -> Schedule:
    """Rows of ``{site, start|period, blocks}`` -> ``{(site, period): blocks}``.

    ``numbers`` are the row numbers shown in messages (default: list positions from 0).
    """
    out: Schedule = {}
    where_seen: dict[tuple[str, str], str] = {}
    for i, row in enumerate(rows):
        where = f"{source} {label} {numbers[i] if numbers else i}"
        if not isinstance(row, dict):
            raise InputError(Issue(where, f"must be an object with site, start and blocks, got {row!r}"))
        start_key = "start" if "start" in row else "period"
        for key in ("site", start_key, "blocks"):
            if key not in row or row[key] is None or (isinstance(row[key], str) and not row[key].strip()):
                name = "start" if key in ("start", "period") else key
                raise InputError(Issue(where, f"{name} is missing"))
        site = _site(row["site"], where, instance)
        period = _period(row[start_key], where, instance)
        blocks = _blocks(row["blocks"], where)
        key = (site, period)
        if key in where_seen:
            raise InputError(Issue(where, f"site {site} starts in {period} twice (also at {where_seen[key]})"))
        where_seen[key] = where
        if blocks:
            out[key] = blocks
    return out


def read_schedule(path: str | Path, instance: Instance | None = None) -> Schedule:
    """Read a schedule file (CSV or JSON, see the module docstring)."""
    path = Path(path)
    text = read_text(path, "a schedule file")
    source = path.name
    stripped = text.lstrip()
    if path.suffix.lower() == ".json" or stripped.startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(Issue(source, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")) from None
        if isinstance(data, dict):
            if "starts" not in data:
                raise InputError(Issue(source, 'a JSON object must hold a "starts" list (plan.json)'))
            data = data["starts"]
        if not isinstance(data, list):
            raise InputError(Issue(source, "must hold a list of {site, start, blocks} objects"))
        return schedule_from_rows(data, source, instance)
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise InputError(Issue(source, "empty file: expected a header site,start,blocks"))
    reader.fieldnames = [(f or "").strip() for f in reader.fieldnames]
    missing = [c for c in ("site", "blocks") if c not in reader.fieldnames]
    if "start" not in reader.fieldnames and "period" not in reader.fieldnames:
        missing.insert(1, "start")
    if missing:
        raise InputError(Issue(source, f"header needs columns site,start,blocks; missing {', '.join(missing)}"))
    rows, numbers = [], []
    for row in reader:
        if None in row:  # more fields than the header
            raise InputError(Issue(f"{source} line {reader.line_num}", "more fields than the header"))
        rows.append(row)
        numbers.append(reader.line_num)
    return schedule_from_rows(rows, source, instance, numbers=numbers, label="line")
