"""``--prices FILE.csv``: replace series of an instance by the columns of a CSV (or of
a workbook sheet: ``--prices book.xlsx#Prices``, the first sheet without ``#Prices``).

The CSV has a ``period`` column of ``"YYYY-MM"`` labels and one column per series
to replace, named by its dotted path (the paths of ``--set``)::

    period,markets.hashprice_usd_per_ph_day,sites.Rockdale.power_price_usd_per_mwh
    2026-01,52.1,41.0
    2026-04,49.8,43.5

Every period of the instance's horizon must have a row (extra rows, for months
outside the horizon, are ignored; rows may come in any order). Each named series is
replaced in full by the column's values, one per period: a list of N numbers, the
series form of SPEC section 2. Only series fields may be named (a number field such
as ``finance.discount_rate_annual`` is not a price: use ``--set``).

    from instances.prices import price_overrides
    overrides = price_overrides("prices.csv", raw)   # [(path, [v0, ..., vN-1]), ...]
    raw2 = apply_overrides(raw, overrides)
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from instances.calendar import parse_month
from instances.errors import InputError, Issue
from instances.overrides import INDEXED_LISTS, NAMED_LISTS, set_path
from instances.schema import MAP_ITEMS, SCHEMAS, read_object
from instances.calendar import periods_table, month_label
from instances.load import is_workbook
from instances.xlsx import cell_ref


def horizon_labels(raw: dict, where: str = "horizon") -> list[str]:
    """The period labels of an instance dict; InputError when its horizon is invalid."""
    issues: list[Issue] = []
    clean = read_object(raw.get("horizon"), "horizon", "horizon", None, issues) if isinstance(raw, dict) and "horizon" in raw else None
    if issues:
        raise InputError(issues)
    if not clean or clean.get("start") is None or clean.get("periods") is None or clean.get("period_months") is None:
        raise InputError(Issue(where, "the instance has no valid horizon to align the prices with"))
    table = periods_table(clean["start"], clean["periods"], clean["period_months"])
    return [month_label(int(m)) for m in table["start_month"]]


def field_unit(path: str) -> str:
    """Unit of the schema field a dotted path ends on (``USD per PH/s per day``); "" when
    the field has none or the path is unknown."""
    parts = path.split(".")
    schema, i, unit = "instance", 0, ""
    while i < len(parts):
        field = SCHEMAS.get(schema, {}).get(parts[i])
        if field is None:
            return ""
        if field.kind == "list" and parts[i] in NAMED_LISTS:
            schema, i = field.schema, i + 2
            continue
        if field.kind == "map":
            return MAP_ITEMS[field.schema].unit if i + 2 == len(parts) else field.unit
        if field.kind == "object" and i < len(parts) - 1:
            schema, i = field.schema, i + 1
            continue
        unit = field.unit
        break
    return unit


def field_kind(path: str) -> str | None:
    """Kind of the schema field a dotted path ends on (``series``, ``number``, ...),
    skipping the names of sites, facilities and scenarios; None when unknown."""
    parts = path.split(".")
    schema = "instance"
    i = 0
    while i < len(parts):
        fields = SCHEMAS.get(schema, {})
        field = fields.get(parts[i])
        if field is None:
            return None
        last = i == len(parts) - 1
        if field.kind == "list" and (parts[i] in NAMED_LISTS or (parts[i] in INDEXED_LISTS and not last)):
            schema, i = field.schema, i + 2
            if i >= len(parts):
                return None
            continue
        if field.kind == "map":
            if last:
                return "map"
            return MAP_ITEMS[field.schema].kind if i + 2 == len(parts) else None
        if field.kind == "object" and not last:
            schema, i = field.schema, i + 1
            continue
        return field.kind if last else None
    return None


def split_source(source: str | Path) -> tuple[Path, str | None]:
    """``book.xlsx#Prices`` -> (book.xlsx, "Prices"); ``book.xlsx`` -> (book.xlsx, None)
    (the first sheet); a CSV file -> (file, None)."""
    text = str(source)
    if "#" in text:
        file, sheet = text.rsplit("#", 1)
        if is_workbook(file):
            return Path(file), sheet
    return Path(text), None


@dataclass(frozen=True)
class PriceTable:
    """A prices table as text cells, and how to name its rows and cells in errors."""

    table: pd.DataFrame  # every cell a string, "" when empty
    where: str  # the file (CSV) or book#sheet
    sheet: str | None = None  # the sheet's name for a workbook
    letters: tuple[str, ...] = ()  # each column's letter in the sheet

    def line(self, k: int, column: str = "period") -> tuple[str, str]:
        """(issue path, message prefix) of data row ``k`` (0-based) in ``column``."""
        if self.sheet is None:
            return self.where, f"line {k + 2}: "
        letter = self.letters[list(self.table.columns).index(column)]
        return cell_ref(self.sheet, f"{letter}{k + 2}"), ""


def read_price_table(source: str | Path) -> PriceTable:
    """A prices CSV, or a workbook sheet (``book.xlsx#Sheet``, the first sheet without
    ``#Sheet``), as text cells; InputError naming the file (and sheet) when unreadable."""
    file, sheet = split_source(source)
    if is_workbook(file):
        from instances.xlsx import sheet_text

        name, headers, letters, rows = sheet_text(file, sheet)
        table = pd.DataFrame(rows, columns=headers, dtype=str) if rows else pd.DataFrame(columns=headers, dtype=str)
        return PriceTable(table, f"{file}#{name}", name, tuple(letters))
    where = str(file)
    try:
        table = pd.read_csv(file, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError(Issue(where, "file not found")) from None
    except IsADirectoryError:
        raise InputError(Issue(where, "is a folder, not a CSV file")) from None
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(Issue(where, f"cannot read: {str(exc).splitlines()[0]}")) from None
    return PriceTable(table, where)


def price_overrides(csv_path: str | Path, instance_raw: dict) -> list[tuple[str, list[float]]]:
    """The overrides a prices CSV (or workbook sheet, ``book.xlsx#Sheet``) stands for:
    ``[(dotted path, N values)]`` in column order, values aligned to the instance's
    periods. InputError naming the file, the column and the period (or line, or the
    sheet's cell) of the first problem."""
    prices = read_price_table(csv_path)
    table, where = prices.table, prices.where
    columns = [str(c).strip() for c in table.columns]
    table.columns = columns
    prices = PriceTable(table, prices.where, prices.sheet, prices.letters)
    if "period" not in columns:
        raise InputError(Issue(where, 'has no "period" column (one "YYYY-MM" label per row)'))
    paths = [c for c in columns if c != "period"]
    if not paths:
        raise InputError(Issue(where, "has no price column besides period (name each column by a dotted path)"))
    if len(set(columns)) != len(columns):
        dup = next(c for c in columns if columns.count(c) > 1)
        raise InputError(Issue(where, f'column "{dup}" appears twice'))
    probe = copy.deepcopy(instance_raw)
    for path in paths:
        if not path or path.startswith("Unnamed:"):
            raise InputError(Issue(where, "a column has no name (name each column by a dotted path)"))
        try:
            set_path(probe, path, 0.0, where=f"{where}: column {path}")
        except InputError as exc:
            raise InputError([Issue(i.path, i.message) for i in exc.issues]) from None
        kind = field_kind(path)
        if kind != "series":
            raise InputError(Issue(f"{where}: column {path}", f"is not a series (a {kind or 'non-price'} field): use --set for it"))

    labels = horizon_labels(instance_raw)
    rows: dict[str, int] = {}
    for k, label in enumerate(table["period"].str.strip()):
        at, prefix = prices.line(k)
        try:
            parse_month(label)
        except ValueError:
            raise InputError(Issue(at, f'{prefix}period must be a "YYYY-MM" month, got "{label}"')) from None
        if label in rows:
            raise InputError(Issue(at, f"{prefix}period {label} appears twice"))
        rows[label] = k
    missing = [p for p in labels if p not in rows]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise InputError(Issue(where, f"has no row for period {missing[0]}{more}: every period of the horizon needs one"))

    out: list[tuple[str, list[float]]] = []
    for path in paths:
        cells = table[path].str.strip()
        values = []
        for label in labels:
            text = cells.iloc[rows[label]]
            at = f"{where}: column {path}" if prices.sheet is None else prices.line(rows[label], path)[0]
            try:
                v = float(text)
            except ValueError:
                shown = f'"{text}"' if text else "an empty cell"
                raise InputError(Issue(at, f"period {label}: not a number: {shown}" if prices.sheet is None else f"{path} period {label}: not a number: {shown}")) from None
            if not math.isfinite(v):
                raise InputError(Issue(at, f"period {label}: must be finite, got {text}"))
            values.append(v)
        out.append((path, values))
    return out
