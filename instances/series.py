"""Series: every time-varying number of the SPEC (section 2), resolved to one value per period.

Forms accepted:

- a number: the same value in every period;
- a list of exactly N numbers;
- ``{"start": v0, "annual_growth": g, "steps": [{"from": "YYYY-MM", "factor": f}]}``:
  ``v_t = v0 * (1 + g) ** (t * m / 12) * prod(f for steps with from <= start month of t)``;
- ``{"csv": "file.csv", "column": "name"}``: a CSV beside the instance with a ``period``
  column of ``"YYYY-MM"`` labels covering every period.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from instances.calendar import parse_month
from instances.errors import Issue, closest

GROWTH_KEYS = ("start", "annual_growth", "steps")
CSV_KEYS = ("csv", "column")


@dataclass(frozen=True)
class Horizon:
    """What series resolution needs to know about time."""

    labels: tuple[str, ...]
    starts: np.ndarray  # start month number of each period
    period_months: int
    base_dir: Path | None  # folder of the instance file, for CSV paths

    @property
    def periods(self) -> int:
        return len(self.labels)


def is_number(value: object) -> bool:
    """A JSON number (not a bool), finite (an integer beyond the float range is not)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def describe(value: object) -> str:
    """Short text for a bad value in an error message, written as in the JSON file
    (``"text"``, ``true``, ``null``, ``NaN``, ``Infinity``), on one line."""
    try:
        text = json.dumps(value, allow_nan=True, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def resolve_series(value: object, path: str, horizon: Horizon | None, issues: list[Issue]) -> np.ndarray | None:
    """Resolve one series to an array of N floats; append problems to ``issues``.

    Returns None when the series cannot be resolved. With ``horizon`` None (the
    horizon itself is invalid) only the form is checked, so that ``validate`` still
    reports every malformed series; the result is then None.
    """
    n = horizon.periods if horizon is not None else None
    if is_number(value):
        return np.full(n, float(value)) if n is not None else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        issues.append(Issue(path, f"must be a finite number, got {describe(value)}"))
        return None
    if isinstance(value, list):
        bad = [i for i, v in enumerate(value) if not is_number(v)]
        if n is not None and len(value) != n:
            issues.append(Issue(path, f"a list series needs exactly {n} values (one per period), got {len(value)}"))
            return None
        if bad:
            issues.append(Issue(f"{path}[{bad[0]}]", f"must be a finite number, got {describe(value[bad[0]])}"))
            return None
        return np.asarray(value, dtype=float) if n is not None else None
    if isinstance(value, dict):
        if "csv" in value or "column" in value:
            return _resolve_csv(value, path, horizon, issues)
        return _resolve_growth(value, path, horizon, issues)
    numbers = f"a list of {n} numbers" if n is not None else "a list of numbers"
    issues.append(
        Issue(path, f"must be a number, {numbers}, a growth object or a csv reference, got {describe(value)}")
    )
    return None


def series_values(value: object) -> list[float]:
    """The numbers written in a series without resolving it (a number or a list of
    numbers; else nothing): for range checks when the horizon is unknown."""
    if is_number(value):
        return [float(value)]
    if isinstance(value, list) and all(is_number(v) for v in value):
        return [float(v) for v in value]
    return []


def _unknown_keys(value: dict, allowed: tuple[str, ...], path: str, issues: list[Issue]) -> bool:
    ok = True
    for key in value:
        if key not in allowed:
            issues.append(Issue(f"{path}.{key}", f"unknown key{closest(key, allowed)}"))
            ok = False
    return ok


def _resolve_growth(value: dict, path: str, horizon: Horizon | None, issues: list[Issue]) -> np.ndarray | None:
    if not _unknown_keys(value, GROWTH_KEYS, path, issues):
        return None
    if "start" not in value:
        issues.append(Issue(f"{path}.start", "required in a growth series"))
        return None
    v0, growth = value["start"], value.get("annual_growth", 0.0)
    ok = True
    if not is_number(v0):
        issues.append(Issue(f"{path}.start", f"must be a finite number, got {describe(v0)}"))
        ok = False
    if not is_number(growth) or growth <= -1:
        issues.append(Issue(f"{path}.annual_growth", f"must be a finite number > -1, got {describe(growth)}"))
        ok = False
    steps = value.get("steps", [])
    if not isinstance(steps, list):
        issues.append(Issue(f"{path}.steps", f"must be a list of {{from, factor}} objects, got {describe(steps)}"))
        return None
    factor = np.ones(horizon.periods) if horizon is not None else None
    for i, step in enumerate(steps):
        where = f"{path}.steps[{i}]"
        if not isinstance(step, dict):
            issues.append(Issue(where, f'must be an object {{"from": "YYYY-MM", "factor": f}}, got {describe(step)}'))
            ok = False
            continue
        if not _unknown_keys(step, ("from", "factor"), where, issues):
            ok = False
            continue
        for key in ("from", "factor"):
            if key not in step:
                issues.append(Issue(f"{where}.{key}", "required in a step"))
                ok = False
        if "from" not in step or "factor" not in step:
            continue
        try:
            month = parse_month(step["from"])
        except ValueError as exc:
            issues.append(Issue(f"{where}.from", str(exc)))
            ok = False
            continue
        f = step["factor"]
        if not is_number(f) or f < 0:
            issues.append(Issue(f"{where}.factor", f"must be a finite number >= 0, got {describe(f)}"))
            ok = False
            continue
        # the step applies to every period whose start month is at or after `from`
        if factor is not None:
            factor = np.where(horizon.starts >= month, factor * float(f), factor)
    if not ok or horizon is None:
        return None
    t = np.arange(horizon.periods)
    with np.errstate(over="ignore", invalid="ignore"):  # reported below, not as a numpy warning
        out = float(v0) * (1.0 + float(growth)) ** (t * horizon.period_months / 12.0) * factor
    bad = np.nonzero(~np.isfinite(out))[0]
    if bad.size:
        issues.append(Issue(path, f"grows beyond the float range (to {out[bad[0]]}) in {horizon.labels[bad[0]]}"))
        return None
    return out


def _resolve_csv(value: dict, path: str, horizon: Horizon | None, issues: list[Issue]) -> np.ndarray | None:
    if not _unknown_keys(value, CSV_KEYS, path, issues):
        return None
    name, column = value.get("csv"), value.get("column")
    if not isinstance(name, str) or not name:
        issues.append(Issue(f"{path}.csv", f"must be a file name, got {describe(name)}"))
        return None
    if not isinstance(column, str) or not column:
        issues.append(Issue(f"{path}.column", f"must be a column name, got {describe(column)}"))
        return None
    if horizon is None:  # the horizon is invalid: the periods to look for are unknown
        return None
    file = Path(name) if horizon.base_dir is None else horizon.base_dir / name
    try:
        table = pd.read_csv(file, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        issues.append(Issue(f"{path}.csv", f'file "{file}" not found'))
        return None
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        issues.append(Issue(f"{path}.csv", f'cannot read "{file}": {str(exc).splitlines()[0]}'))
        return None
    table.columns = [str(c).strip() for c in table.columns]
    if "period" not in table.columns:
        issues.append(Issue(f"{path}.csv", f'"{file}" has no "period" column'))
        return None
    if column not in table.columns:
        options = [c for c in table.columns if c != "period"]
        issues.append(Issue(f"{path}.column", f'"{file}" has no column "{column}"{closest(column, options)}'))
        return None
    labels = table["period"].str.strip()
    rows: dict[str, str] = {}
    for k, (label, cell) in enumerate(zip(labels, table[column].str.strip())):
        line = k + 2  # line 1 is the header
        try:
            parse_month(label)
        except ValueError:
            issues.append(Issue(f"{path}.csv", f'"{file}" line {line}: period must be a "YYYY-MM" month, got {describe(label)}'))
            return None
        if label in rows:
            issues.append(Issue(f"{path}.csv", f'"{file}" line {line}: period {label} appears twice'))
            return None
        rows[label] = cell
    missing = [p for p in horizon.labels if p not in rows]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        issues.append(Issue(f"{path}.csv", f'"{file}" has no row for period {missing[0]}{more}'))
        return None
    out = np.empty(horizon.periods)
    for i, label in enumerate(horizon.labels):
        try:
            out[i] = float(rows[label])
        except ValueError:
            issues.append(Issue(f"{path}.csv", f'"{file}" column "{column}" period {label}: not a number: {describe(rows[label])}'))
            return None
        if not math.isfinite(out[i]):
            issues.append(Issue(f"{path}.csv", f'"{file}" column "{column}" period {label}: must be finite, got {rows[label]}'))
            return None
    return out
