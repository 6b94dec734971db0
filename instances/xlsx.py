"""Instance workbooks: an Excel book (the layout of ``instances.sheets``) <-> the raw
JSON instance of ../shared/SPEC.md.

    raw = read_workbook("book.xlsx")          # the dict a JSON instance file holds
    write_workbook(raw, "book.xlsx")          # the reverse (CSV series become Series columns)
    template("book.xlsx")                     # an empty workbook to fill

Reading checks the workbook's form (sheets, headers, cell types, Series columns) and
names the sheet and cell of every problem (``Sites!D7: grid_mw must be a number >= 0
or the name of a Series column, got "n/a"``). The instance itself is then validated
as JSON is (``instances.load``); :func:`locate` turns the JSON paths of those
problems back into cells with the map :func:`read_workbook_cells` returns.

Files are written to a temporary file in the target's folder and renamed, so a
failed write never leaves a half-written workbook.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from instances.calendar import month_label, parse_month, periods_table
from instances.errors import InputError, Issue
from instances.schema import read_object
from instances.series import Horizon, describe, resolve_series
from instances.sheets import (
    FIELD_SHEETS,
    GROWTH_KEYS,
    GROWTH_UNITS,
    MEANING_HEADER,
    NOTE_PREFIX,
    ORDER,
    README_LINES,
    README_SHEET,
    SERIES_SHEET,
    SHEETS,
    TABLES,
    Column,
    Sheet,
)

NAMED_ITEMS = {("sites",): "sites", ("scenarios",): "scenarios", ("finance", "debt"): "finance.debt", ("markets", "asic_models"): "markets.asic_models"}
FORMULA_HINT = "open and save it in Excel or LibreOffice, or type the value"
STEP = re.compile(r"^\s*([^:;]+?)\s*:\s*([^:;]+?)\s*$")


# --------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class Place:
    """Where a JSON path came from: a cell (``Sites!D7``) and the field's name there."""

    cell: str
    label: str


def cell_ref(sheet: str, coordinate: str) -> str:
    """``Sheet!A1``; a sheet name with spaces or punctuation is quoted as Excel does."""
    name = sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) else "'" + sheet.replace("'", "''") + "'"
    return f"{name}!{coordinate}"


def growth_header(key: str, part: str) -> str:
    """The column of one part of a series field's growth form: ``grid_mw.start``;
    beside a column named ``value`` plain ``start``, ``annual_growth``, ``steps``."""
    return part if key == "value" else f"{key}.{part}"


def header_key(text: Any) -> str:
    """A header cell's field key: the text without its ``[unit]``."""
    return re.sub(r"\s*\[[^\]]*\]\s*$", "", str(text)).strip()


def number_text(value: float) -> str:
    """A float as the shortest text that reads back exactly (``repr``)."""
    return repr(float(value)) if isinstance(value, float) else str(value)


class _Book:
    """The two views of a workbook openpyxl gives: cached values, and formulas (to
    tell a formula without a saved value from an empty cell)."""

    def __init__(self, path: Path):
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        self.path = path
        try:
            self.values = openpyxl.load_workbook(path, data_only=True)
            self.formulas = openpyxl.load_workbook(path, data_only=False)
        except FileNotFoundError:
            raise InputError(Issue(str(path), "file not found")) from None
        except IsADirectoryError:
            raise InputError(Issue(str(path), "is a folder, not a workbook")) from None
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
            raise InputError(Issue(str(path), f"cannot read as an Excel workbook (.xlsx): {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": "))) from None

    def sheet(self, name: str):
        """The sheet named ``name`` (case and spaces ignored), or None."""
        want = name.replace(" ", "").lower()
        for ws in self.values.worksheets:
            if ws.title.replace(" ", "").lower() == want:
                return ws
        return None


@dataclass
class _Reader:
    """State of one read: the issues found and the map of JSON paths to cells."""

    book: _Book
    issues: list[Issue] = field(default_factory=list)
    places: dict[str, Place] = field(default_factory=dict)
    series: dict[str, int] | None = None  # Series column names, read when first named
    series_sheet: Any = None
    horizon: Horizon | None = None

    def filled(self, ws, cell) -> bool:
        """Whether a cell holds anything: a value, or a formula (saved or not)."""
        if cell.value is not None and not (isinstance(cell.value, str) and not cell.value.strip()):
            return True
        return self.book.formulas[ws.title][cell.coordinate].data_type == "f"

    def fail(self, sheet: str, coordinate: str, message: str) -> None:
        self.issues.append(Issue(cell_ref(sheet, coordinate), message))

    def value(self, ws, cell, label: str) -> Any:
        """A cell's value: text stripped (empty text is None), a date as itself; a
        formula without a saved value or an Excel error is reported, and is None."""
        v = cell.value
        if v is None:
            formula = self.book.formulas[ws.title][cell.coordinate]
            if formula.data_type == "f" or (isinstance(formula.value, str) and formula.value.startswith("=")):
                self.fail(ws.title, cell.coordinate, f"{label} is a formula without a saved value: {FORMULA_HINT}")
            return None
        if cell.data_type == "e":
            self.fail(ws.title, cell.coordinate, f"{label} holds the Excel error {v}")
            return None
        if isinstance(v, str):
            v = v.strip()
            return v or None
        if isinstance(v, float) and not math.isfinite(v):
            self.fail(ws.title, cell.coordinate, f"{label} must be finite, got {v}")
            return None
        return v


# --------------------------------------------------------------------------- reading


def read_workbook(path: str | Path) -> dict:
    """The raw instance (the dict of a JSON instance file) an instance workbook holds.

    InputError naming sheet and cell of every problem of form found."""
    return read_workbook_cells(path)[0]


def read_workbook_cells(path: str | Path) -> tuple[dict, dict[str, Place]]:
    """The raw instance and, for every JSON path read, the cell it came from."""
    book = _Book(Path(path))
    r = _Reader(book)
    missing = [s.name for s in FIELD_SHEETS + TABLES if s.required and book.sheet(s.name) is None]
    if missing:
        have = ", ".join(ws.title for ws in book.values.worksheets)
        raise InputError([Issue(str(path), f'no sheet "{name}" (the workbook has {have}; "allocate template" writes every sheet)') for name in missing])
    raw: dict[str, Any] = {}
    _read_fields(r, raw, SHEETS["Horizon"])
    r.horizon = _horizon(r, raw)
    _read_fields(r, raw, SHEETS["Markets"])
    _read_fields(r, raw, SHEETS["Finance"])
    _read_sites(r, raw)
    _read_list(r, raw, SHEETS["ASICModels"], ("markets", "asic_models"))
    _read_list(r, raw, SHEETS["Debt"], ("finance", "debt"))
    _read_scenarios(r, raw)
    if r.issues:
        raise InputError(list(dict.fromkeys(r.issues)))
    return raw, r.places


def _horizon(r: _Reader, raw: dict) -> Horizon | None:
    """The horizon the Series sheet is aligned with; its problems named by cell."""
    issues: list[Issue] = []
    clean = read_object(raw.get("horizon", {}), "horizon", "horizon", None, issues)
    if issues:
        r.issues.extend(locate(issues, r.places))
        return None
    table = periods_table(clean["start"], clean["periods"], clean["period_months"])
    return Horizon(tuple(table.index), table["start_month"].to_numpy(), clean["period_months"], None)


def _headers(r: _Reader, ws, sheet: Sheet) -> dict[int, str]:
    """Column index -> key of the sheet's header row; unknown headers reported."""
    known = set()
    if sheet.layout == "fields":
        known.update(("field", "value", "region") + GROWTH_KEYS)
    else:
        for c in sheet.columns:
            known.add(c.key)
            if c.kind == "series" or c.key == "value":
                known.update(growth_header(c.key, g) for g in GROWTH_KEYS)
    out: dict[int, str] = {}
    for cell in next(ws.iter_rows(min_row=1, max_row=1), ()):
        text = cell.value
        if text is None or (isinstance(text, str) and not text.strip()) or str(text).strip().startswith(NOTE_PREFIX):
            continue
        key = header_key(text)
        if key not in known:
            r.fail(ws.title, cell.coordinate, f'unknown column "{key}"{_closest(key, known)}')
            continue
        if key in out.values():
            r.fail(ws.title, cell.coordinate, f'column "{key}" appears twice')
            continue
        out[cell.column] = key
    return out


def _closest(word: str, options) -> str:
    match = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.5)
    return f' (did you mean "{match[0]}"?)' if match else ""


def _rows(r: _Reader, ws, headers: dict[int, str]):
    """Each row with any value: (row number, {key: cell}) over the known columns."""
    for row in ws.iter_rows(min_row=2):
        cells = {headers[c.column]: c for c in row if c.column in headers}
        if any(r.filled(ws, c) for c in cells.values()):
            yield row[0].row, cells


def _convert(r: _Reader, ws, cell, col: Column, label: str) -> Any:
    """A cell's value as the JSON of its column's kind; problems reported, None."""
    v = r.value(ws, cell, label)
    if v is None:
        return None
    where = (ws.title, cell.coordinate)
    kind = col.kind
    rule = f" {col.rule}" if col.rule else ""
    if kind in ("number", "integer"):
        if isinstance(v, bool) or isinstance(v, dt.datetime):
            r.fail(*where, f"{label} must be a{'n integer' if kind == 'integer' else ' number'}{rule}, got {_shown(v)}")
            return None
        if isinstance(v, str):
            number = number_in_text(v)
            if number is None:
                r.fail(*where, f"{label} must be a{'n integer' if kind == 'integer' else ' number'}{rule}, got {_shown(v)}")
                return None
            v = number
        if kind == "integer" and float(v).is_integer():
            return int(v)
        return v
    if kind == "bool":
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.lower() in ("true", "false"):
            return v.lower() == "true"
        if isinstance(v, (int, float)) and v in (0, 1):  # a boolean some spreadsheets store as 1 / 0
            return bool(v)
        r.fail(*where, f"{label} must be TRUE or FALSE, got {_shown(v)}")
        return None
    if kind in ("string", "site"):
        if isinstance(v, bool) or isinstance(v, dt.datetime):
            r.fail(*where, f"{label} must be text, got {_shown(v)}")
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v)
    if kind == "date":
        if isinstance(v, (dt.datetime, dt.date)):
            return f"{v.year:04d}-{v.month:02d}"
        return v  # text as typed: the validation names a malformed month
    if kind == "series":
        return _series_cell(r, ws, cell, v, label, rule)
    if kind == "any":
        return _any_cell(r, ws, cell, v, label)
    raise AssertionError(kind)


NUMBER_TEXT = re.compile(r"[-+]?(\d{1,3}(,\d{3})+|\d*)(\.\d+)?(e[-+]?\d+)?", re.IGNORECASE)


def number_in_text(text: str) -> float | None:
    """The number a text cell holds (``"1,000,000"``, ``"0.05"``, ``"1e6"``), or None."""
    text = text.strip()
    if not text or not NUMBER_TEXT.fullmatch(text) or not any(ch.isdigit() for ch in text):
        return None
    return float(text.replace(",", ""))


def _shown(v: Any) -> str:
    if isinstance(v, dt.datetime):
        return v.strftime('"%Y-%m-%d"')
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return describe(v)


def _series_cell(r: _Reader, ws, cell, v: Any, label: str, rule: str) -> Any:
    """A series cell: a number, or the name of a Series column (its N values)."""
    if isinstance(v, bool) or isinstance(v, dt.datetime):
        r.fail(ws.title, cell.coordinate, f"{label} must be a number{rule} or the name of a Series column, got {_shown(v)}")
        return None
    if isinstance(v, (int, float)):
        return v
    columns = _series_columns(r)
    if v in columns:
        return _series_values(r, v, ws.title, cell.coordinate, label)
    number = number_in_text(v)
    if number is not None:
        return number
    hint = _closest(v, columns)
    r.fail(ws.title, cell.coordinate, f"{label} must be a number{rule} or the name of a Series column, got {_shown(v)}{hint}")
    return None


def _any_cell(r: _Reader, ws, cell, v: Any, label: str) -> Any:
    """A scenario value: a number, TRUE/FALSE, a Series column, JSON text or text."""
    if isinstance(v, (bool, int, float)):
        return v
    if isinstance(v, (dt.datetime, dt.date)):
        return f"{v.year:04d}-{v.month:02d}"
    columns = _series_columns(r)
    if v in columns:
        return _series_values(r, v, ws.title, cell.coordinate, label)
    if v[:1] in "{[":
        try:
            return json.loads(v)
        except json.JSONDecodeError as exc:
            r.fail(ws.title, cell.coordinate, f"{label} starts like JSON but is not: {exc.msg} at character {exc.pos + 1}")
            return None
    return v


@dataclass
class _SeriesSheet:
    ws: Any
    columns: dict[str, int]  # name -> column index
    rows: dict[str, int]  # period label -> row number


def _series_columns(r: _Reader) -> dict[str, int]:
    """The Series sheet's column names (read once); {} without the sheet."""
    if r.series is None:
        ws = r.book.sheet(SERIES_SHEET)
        r.series = {}
        if ws is not None:
            r.series_sheet = _read_series_sheet(r, ws)
            r.series = dict(r.series_sheet.columns) if r.series_sheet else {}
    return r.series


def _read_series_sheet(r: _Reader, ws) -> _SeriesSheet | None:
    header = next(ws.iter_rows(min_row=1, max_row=1), ())
    columns: dict[str, int] = {}
    period_col = None
    for cell in header:
        v = r.value(ws, cell, "header")
        if v is None or str(v).startswith(NOTE_PREFIX):
            continue
        name = str(v).strip()
        if name == "period" and period_col is None:
            period_col = cell.column
            continue
        if name in columns:
            r.fail(ws.title, cell.coordinate, f'column "{name}" appears twice')
            continue
        columns[name] = cell.column
    if period_col is None:
        r.fail(ws.title, "A1", 'no "period" column (the first column holds the periods, "YYYY-MM")')
        return None
    rows: dict[str, int] = {}
    for row in ws.iter_rows(min_row=2, min_col=period_col, max_col=period_col):
        cell = row[0]
        v = r.value(ws, cell, "period")
        if v is None:
            continue
        label = f"{v.year:04d}-{v.month:02d}" if isinstance(v, (dt.datetime, dt.date)) else str(v)
        try:
            label = month_label(parse_month(label))
        except ValueError:
            r.fail(ws.title, cell.coordinate, f'period must be a "YYYY-MM" month, got {_shown(v)}')
            continue
        if label in rows:
            r.fail(ws.title, cell.coordinate, f"period {label} appears twice")
            continue
        rows[label] = cell.row
    return _SeriesSheet(ws, columns, rows)


def _series_values(r: _Reader, name: str, sheet: str, coordinate: str, label: str) -> list[float] | None:
    """The N values of Series column ``name`` over the horizon; problems by cell."""
    s = r.series_sheet
    if s is None or r.horizon is None:
        return None
    from openpyxl.utils import get_column_letter

    col = s.columns[name]
    letter = get_column_letter(col)
    missing = [p for p in r.horizon.labels if p not in s.rows]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        r.fail(s.ws.title, f"{letter}1", f'column "{name}" (named by {cell_ref(sheet, coordinate)}) does not cover the horizon: no row for period {missing[0]}{more}')
        return None
    out = []
    for p in r.horizon.labels:
        cell = s.ws.cell(row=s.rows[p], column=col)
        v = r.value(s.ws, cell, f'Series column "{name}"')
        if v is None:
            if not any(i.path == cell_ref(s.ws.title, cell.coordinate) for i in r.issues):
                r.fail(s.ws.title, cell.coordinate, f'column "{name}" (named by {cell_ref(sheet, coordinate)}) does not cover the horizon: no value for period {p}')
            return None
        if isinstance(v, str):
            try:
                v = float(v)
            except ValueError:
                pass
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            r.fail(s.ws.title, cell.coordinate, f'column "{name}" period {p} must be a number, got {_shown(v)}')
            return None
        out.append(float(v))
    return out


def _growth(r: _Reader, ws, cells: dict, key: str, label: str, path: str) -> dict | None:
    """The growth form in a row's ``start`` / ``annual_growth`` / ``steps`` cells of
    series field ``key``; None when all three are empty."""
    out: dict[str, Any] = {}
    present = False
    number = Column("start", "number", ())
    for part in GROWTH_KEYS:
        cell = cells.get(growth_header(key, part))
        if cell is None:
            continue
        r.places[f"{path}.{part}"] = Place(cell_ref(ws.title, cell.coordinate), f"{label}.{part}")
        present = present or r.filled(ws, cell)
        if part == "steps":
            v = r.value(ws, cell, f"{label}.steps")
            steps = _steps(r, ws, cell, v, label) if v is not None else None
            if steps is not None:
                out["steps"] = steps
        else:
            v = _convert(r, ws, cell, number, f"{label}.{part}")
            if v is not None:
                out[part] = v
    return out if present else None


def _steps(r: _Reader, ws, cell, v: Any, label: str) -> list[dict] | None:
    """``2028-04:0.5; 2032-04:0.5`` -> ``[{"from": "2028-04", "factor": 0.5}, ...]``."""
    if isinstance(v, (dt.datetime, dt.date, bool, int, float)):
        r.fail(ws.title, cell.coordinate, f'{label}.steps must be written "YYYY-MM:factor; YYYY-MM:factor", got {_shown(v)}')
        return None
    steps = []
    for part in [p for p in str(v).split(";") if p.strip()]:
        m = STEP.match(part)
        factor = None
        if m:
            try:
                factor = float(m.group(2))
            except ValueError:
                factor = None
        if not m or factor is None:
            r.fail(ws.title, cell.coordinate, f'{label}.steps must be written "YYYY-MM:factor; YYYY-MM:factor", got {_shown(part.strip())}')
            return None
        steps.append({"from": m.group(1), "factor": int(factor) if factor.is_integer() and "." not in m.group(2) and "e" not in m.group(2).lower() else factor})
    return steps


def _field_value(r: _Reader, ws, cells: dict, col: Column, value_key: str, label: str, path: str) -> Any:
    """The value of ``col`` in a row: its own cell, or (series) the growth form beside it."""
    cell = cells.get(value_key)
    value = None
    if cell is not None:
        r.places[path] = Place(cell_ref(ws.title, cell.coordinate), label)
        value = _convert(r, ws, cell, col, label)
    if col.kind in ("series", "any"):
        growth = _growth(r, ws, cells, value_key, label, path)
        if growth is not None:
            if cell is not None and r.filled(ws, cell):
                r.fail(ws.title, cell.coordinate, f"{label}: give a value or a growth form ({', '.join(growth_header(value_key, g) for g in GROWTH_KEYS)}), not both")
                return None
            return growth
    return value


def _set(raw: dict, path: tuple[str, ...], value: Any) -> None:
    node = raw
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


FIELD_ROOTS = {"Horizon": ("horizon", "name", "description"), "Markets": ("markets", "scenario_model"), "Finance": ("finance", "risk")}


def _read_fields(r: _Reader, raw: dict, sheet: Sheet) -> None:
    """A field sheet: one row per field, value in column ``value``."""
    ws = r.book.sheet(sheet.name)
    if ws is None:
        return
    for root in FIELD_ROOTS[sheet.name]:
        r.places[root] = Place(cell_ref(ws.title, "A1"), root if root in ("name", "description") else "")
    headers = _headers(r, ws, sheet)
    for needed in ("field", "value"):
        if needed not in headers.values():
            r.fail(ws.title, "A1", f'no "{needed}" column (the header row holds field, value, start, annual_growth, steps)')
            return
    seen: dict[str, str] = {}
    for row, cells in _rows(r, ws, headers):
        name_cell = cells["field"]
        name = r.value(ws, name_cell, "field")
        if name is None:
            r.fail(ws.title, name_cell.coordinate, "a row with values needs a field name")
            continue
        key = header_key(name)
        col = sheet.column(key)
        if col is None:
            r.fail(ws.title, name_cell.coordinate, f'unknown field "{key}"{_closest(key, [c.key for c in sheet.columns])}')
            continue
        path, label = col.path, key
        if key == "ai_demand_it_mw":
            region_cell = cells.get("region")
            region = _convert(r, ws, region_cell, Column("region", "string", ()), "region") if region_cell is not None else None
            if region is None:
                if any(r.filled(ws, c) for k, c in cells.items() if k not in ("field", "region")):
                    r.fail(ws.title, name_cell.coordinate, "ai_demand_it_mw needs a region in column region")
                continue
            path, label = path + (region,), f"ai_demand_it_mw.{region}"
        dotted = ".".join(path)
        if dotted in seen:
            r.fail(ws.title, name_cell.coordinate, f"{label} is given twice (also in {seen[dotted]})")
            continue
        seen[dotted] = cell_ref(ws.title, name_cell.coordinate)
        value = _field_value(r, ws, cells, col, "value", label, dotted)
        if value is not None:
            _set(raw, path, value)


def _table_rows(r: _Reader, sheet: Sheet):
    """(ws, row number, cells) of each filled row of a table sheet; () without it."""
    ws = r.book.sheet(sheet.name)
    if ws is None:
        return None, []
    headers = _headers(r, ws, sheet)
    key = sheet.columns[0].key
    if key not in headers.values():
        r.fail(ws.title, "A1", f'no "{key}" column')
        return ws, []
    return ws, list(_rows(r, ws, headers))


def _read_item(r: _Reader, ws, cells: dict, sheet: Sheet, path: str, skip: int = 1) -> dict:
    """One table row as a JSON object (its first ``skip`` columns are keys, read by the caller)."""
    item: dict[str, Any] = {}
    for col in sheet.columns[skip:]:
        value = _field_value(r, ws, cells, col, col.key, col.key, f"{path}.{col.key}")
        if value is not None:
            _set(item, col.path, value)
    return item


def _read_sites(r: _Reader, raw: dict) -> None:
    sheet = SHEETS["Sites"]
    ws, rows = _table_rows(r, sheet)
    r.places["sites"] = Place(cell_ref(ws.title, "A1"), "")
    sites: list[dict] = []
    index: dict[str, int] = {}
    for row, cells in rows:
        i = len(sites)
        r.places[f"sites[{i}]"] = Place(cell_ref(ws.title, f"A{row}"), "")
        name_cell = cells["name"]
        r.places[f"sites[{i}].name"] = Place(cell_ref(ws.title, name_cell.coordinate), "name")
        name = _convert(r, ws, name_cell, sheet.columns[0], "name")
        site = {"name": name} if name is not None else {}
        site.update(_read_item(r, ws, cells, sheet, f"sites[{i}]"))
        sites.append(site)
        if name is not None and name not in index:
            index[name] = i
    raw["sites"] = sites
    for sub, key in (("Mining", "mining"), ("AI", "ai")):
        sheet = SHEETS[sub]
        ws, rows = _table_rows(r, sheet)
        seen: dict[str, str] = {}
        for row, cells in rows:
            i = _site_of(r, ws, cells, index, sites)
            if i is None:
                continue
            name = sites[i]["name"]
            if name in seen:
                r.fail(ws.title, cells["site"].coordinate, f'site "{name}" has a second row (the first is {seen[name]})')
                continue
            seen[name] = cell_ref(ws.title, f"A{row}")
            path = f"sites[{i}].{key}"
            r.places[path] = Place(cell_ref(ws.title, f"A{row}"), "")
            sites[i][key] = _read_item(r, ws, cells, sheet, path)
    sheet = SHEETS["PowerTiers"]
    ws, rows = _table_rows(r, sheet)
    for row, cells in rows:
        i = _site_of(r, ws, cells, index, sites)
        if i is None:
            continue
        tiers = sites[i].setdefault("power_price_tiers", [])
        path = f"sites[{i}].power_price_tiers"
        r.places.setdefault(path, Place(cell_ref(ws.title, f"A{row}"), "power_price_tiers"))
        r.places[f"{path}[{len(tiers)}]"] = Place(cell_ref(ws.title, f"A{row}"), f"tier {len(tiers) + 1}:")
        tiers.append(_read_item(r, ws, cells, sheet, f"{path}[{len(tiers)}]"))


def _site_of(r: _Reader, ws, cells: dict, index: dict[str, int], sites: list[dict]) -> int | None:
    """The index of the site a Mining / AI / PowerTiers row names; problems reported."""
    cell = cells["site"]
    name = _convert(r, ws, cell, Column("site", "site", ()), "site")
    if name is None:
        r.fail(ws.title, cell.coordinate, "site is missing (a name from the Sites sheet)")
        return None
    if name not in index:
        r.fail(ws.title, cell.coordinate, f'site "{name}" is not on the Sites sheet{_closest(name, index)}')
        return None
    return index[name]


def _read_list(r: _Reader, raw: dict, sheet: Sheet, where: tuple[str, ...]) -> None:
    """ASICModels, Debt: one named object per row, into ``raw[where]``."""
    ws, rows = _table_rows(r, sheet)
    if ws is None:
        return
    dotted = ".".join(where)
    r.places[dotted] = Place(cell_ref(ws.title, "A1"), where[-1])
    items = []
    for row, cells in rows:
        path = f"{dotted}[{len(items)}]"
        r.places[path] = Place(cell_ref(ws.title, f"A{row}"), "")
        item = _read_item(r, ws, cells, sheet, path, skip=0)
        items.append(item)
    if items:
        _set(raw, where, items)


def _read_scenarios(r: _Reader, raw: dict) -> None:
    """Scenarios: one row per field a scenario sets; rows of a scenario share its name."""
    sheet = SHEETS["Scenarios"]
    ws, rows = _table_rows(r, sheet)
    if ws is None:
        return
    r.places["scenarios"] = Place(cell_ref(ws.title, "B1"), "")
    order: list[str] = []
    found: dict[str, dict] = {}
    first_prob: dict[str, str] = {}
    for row, cells in rows:
        name = _convert(r, ws, cells["scenario"], sheet.columns[0], "scenario")
        if name is None:
            r.fail(ws.title, cells["scenario"].coordinate, "scenario name is missing")
            continue
        if name not in found:
            i = len(order)
            order.append(name)
            found[name] = {"name": name}
            r.places[f"scenarios[{i}]"] = Place(cell_ref(ws.title, f"A{row}"), f'scenario "{name}"')
            r.places[f"scenarios[{i}].name"] = Place(cell_ref(ws.title, f"A{row}"), f'scenario "{name}"')
            if "probability" in cells:  # where a missing probability is asked for
                r.places[f"scenarios[{i}].probability"] = Place(cell_ref(ws.title, cells["probability"].coordinate), f'scenario "{name}" probability')
        i = order.index(name)
        scen = found[name]
        if "probability" in cells:
            p = _convert(r, ws, cells["probability"], sheet.columns[1], "probability")
            if p is not None:
                if "probability" in scen and scen["probability"] != p:
                    r.fail(ws.title, cells["probability"].coordinate, f'scenario "{name}" has probability {scen["probability"]:g} in {first_prob[name]} and {p:g} here')
                elif "probability" not in scen:
                    scen["probability"] = p
                    first_prob[name] = cell_ref(ws.title, cells["probability"].coordinate)
                    r.places[f"scenarios[{i}].probability"] = Place(first_prob[name], f'scenario "{name}" probability')
        path_cell = cells.get("path")
        target = _convert(r, ws, path_cell, sheet.columns[2], "path") if path_cell is not None else None
        sets = scen.setdefault("set", {})
        if target is None:
            value_cell = cells.get("value")
            if value_cell is not None and r.value(ws, value_cell, "value") is not None:
                r.fail(ws.title, value_cell.coordinate, "a value needs the path of the field it sets (column path)")
            continue
        if target in sets:
            r.fail(ws.title, path_cell.coordinate, f'scenario "{name}" sets {target} twice')
            continue
        label = f'scenario "{name}": {target}'
        where = f"scenarios[{i}].set.{target}"
        before = len(r.issues)
        value = _field_value(r, ws, cells, sheet.columns[3], "value", label, where)
        if where in r.places:
            r.places[f"scenarios[{i}]@{_indexed(raw, target)}"] = r.places[where]
        if value is None:
            if len(r.issues) == before:
                r.fail(ws.title, cells.get("value", path_cell).coordinate, f"{label}: the value is missing")
            continue
        sets[target] = value
    if order:
        raw["scenarios"] = [found[n] for n in order]


def _indexed(raw: dict, dotted: str) -> str:
    """``sites.Rockdale.grid_mw`` -> ``sites[0].grid_mw``: a dotted path (named items)
    as the JSON path the validation reports, with the indices of ``raw``."""
    parts = dotted.split(".")
    out: list[str] = []
    node: Any = raw
    chain: tuple = ()  # the keys walked since the root; inside an item, never a named list
    i = 0
    while i < len(parts):
        key = parts[i]
        chain = chain + (key,)
        items = node.get(key) if isinstance(node, dict) else None
        if chain in NAMED_ITEMS and isinstance(items, list) and i + 1 < len(parts):
            k = next((j for j, it in enumerate(items) if isinstance(it, dict) and it.get("name") == parts[i + 1]), None)
            if k is None:
                return ".".join(out + parts[i:])
            out.append(f"{key}[{k}]")
            node, chain, i = items[k], (None,), i + 2
            continue
        out.append(key)
        node = items
        i += 1
    return ".".join(out)


def sheet_text(path: str | Path, sheet: str | None = None) -> tuple[str, list[str], list[str], list[list[str]]]:
    """A plain sheet (``--prices book.xlsx#Sheet``; the first sheet when ``sheet`` is
    None) as text: (sheet name, headers, column letters, rows). Numbers are written
    exactly, dates as ``YYYY-MM``, empty cells as ``""``; a formula without a saved
    value or an Excel error is an InputError naming its cell."""
    book = _Book(Path(path))
    if sheet is None:
        ws = book.values.worksheets[0]
    else:
        ws = book.sheet(sheet)
        if ws is None:
            have = ", ".join(w.title for w in book.values.worksheets)
            raise InputError(Issue(f"{path}#{sheet}", f'no sheet "{sheet}" (the workbook has {have})'))
    r = _Reader(book)

    def text(cell) -> str:
        v = r.value(ws, cell, "the cell")
        if r.issues:
            raise InputError(r.issues[0])
        if v is None:
            return ""
        if isinstance(v, (dt.datetime, dt.date)):
            return f"{v.year:04d}-{v.month:02d}"
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, float):
            return number_text(v)
        return str(v)

    from openpyxl.utils import get_column_letter

    rows = [[text(c) for c in row] for row in ws.iter_rows()]
    if not rows:
        raise InputError(Issue(f"{path}#{ws.title}", "the sheet is empty"))
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    body = [row for row in rows[1:] if any(row)]
    return ws.title, rows[0], [get_column_letter(j) for j in range(1, width + 1)], body


# --------------------------------------------------------------------------- locating


SCENARIO_ISSUE = re.compile(r"^scenarios\[(\d+)\] \((.*?)\): (.*)$")


def locate(issues: list[Issue], places: dict[str, Place], overridden: list[str] | tuple = ()) -> list[Issue]:
    """Issues of the instance validation with JSON paths turned into cells.

    A path is matched to the longest prefix read from a cell (``sites[3].grid_mw.steps[0]``
    -> the cell of ``sites[3].grid_mw.steps``); what the prefix leaves is kept in the
    field's name. Paths under ``overridden`` (``--set``) keep their JSON path: their
    value did not come from the workbook."""
    return [_locate_one(issue, places, list(overridden)) for issue in issues]


def _locate_one(issue: Issue, places: dict[str, Place], blocked: list[str]) -> Issue:
    path = issue.path
    m = SCENARIO_ISSUE.match(path)
    if m:
        i, name, inner = m.groups()
        found = _longest(f"scenarios[{i}]@{inner}", places, len(f"scenarios[{i}]@"))
        if found is None:
            place = places.get(f"scenarios[{i}]")
            if place is None:
                return issue
            return Issue(place.cell, _join(f'scenario "{name}": {inner}', issue.message))
        prefix, place = found
        rest = f"scenarios[{i}]@{inner}"[len(prefix):]
        return Issue(place.cell, _join(place.label + rest, issue.message))
    if any(path == b or path.startswith(b + ".") or path.startswith(b + "[") for b in blocked):
        return issue
    found = _longest(path, places, 0)
    if found is None:
        return issue
    prefix, place = found
    rest = path[len(prefix):]
    label = (place.label + rest) if place.label else rest.lstrip(".")
    return Issue(place.cell, _join(label, issue.message))


def _longest(path: str, places: dict[str, Place], floor: int) -> tuple[str, Place] | None:
    """The longest prefix of ``path`` (cut at ``.`` or ``[``) that has a place."""
    p = path
    while len(p) > floor:
        if p in places:
            return p, places[p]
        cut = max(p.rfind("."), p.rfind("["))
        if cut <= floor - 1 or cut < 0:
            break
        p = p[:cut]
    return None


def _join(label: str, message: str) -> str:
    """``grid_mw must be ...`` reads as a sentence; other messages after a colon."""
    label = label.strip()
    if not label:
        return message
    return f"{label} {message}" if message.startswith("must") else f"{label}: {message}"


def indexed_paths(raw: dict, dotted: list[str]) -> list[str]:
    """Dotted ``--set`` paths as the JSON paths of ``raw`` (for :func:`locate`)."""
    return [_indexed(raw, p) for p in dotted]


# --------------------------------------------------------------------------- writing


class _Bank:
    """The Series sheet being written: named columns of N values, each written once."""

    def __init__(self, raw: dict, base_dir: Path | None):
        self.raw = raw
        self.base_dir = base_dir
        self.columns: dict[str, list[float]] = {}
        self.by_source: dict[tuple, str] = {}
        self._horizon: Horizon | None = None

    @property
    def horizon(self) -> Horizon:
        if self._horizon is None:
            issues: list[Issue] = []
            clean = read_object(self.raw.get("horizon"), "horizon", "horizon", None, issues) if isinstance(self.raw.get("horizon"), dict) else None
            if issues or clean is None:
                raise InputError(issues or [Issue("horizon", "a list or CSV series needs a valid horizon to be written as a Series column")])
            table = periods_table(clean["start"], clean["periods"], clean["period_months"])
            self._horizon = Horizon(tuple(table.index), table["start_month"].to_numpy(), clean["period_months"], self.base_dir)
        return self._horizon

    def add(self, values: list[float], name: str, source: tuple | None = None) -> str:
        if source is not None and source in self.by_source:
            return self.by_source[source]
        unique, k = name, 2
        while unique in self.columns or unique == "period":
            unique, k = f"{name} ({k})", k + 1
        self.columns[unique] = [float(v) for v in values]
        if source is not None:
            self.by_source[source] = unique
        return unique


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_growth(v: Any) -> bool:
    return isinstance(v, dict) and "start" in v and set(v) <= set(GROWTH_KEYS)


def _series_out(value: Any, path: str, name: str, bank: _Bank) -> tuple[Any, dict[str, Any]]:
    """A JSON series as (cell value, growth cells): a number, a Series column name
    (lists and CSV references), or a growth form."""
    if _is_number(value):
        return value, {}
    if isinstance(value, list):
        issues: list[Issue] = []
        out = resolve_series(value, path, bank.horizon, issues)
        if issues:
            raise InputError(issues)
        return bank.add(list(out), name), {}
    if isinstance(value, dict) and "csv" in value:
        issues = []
        out = resolve_series(value, path, bank.horizon, issues)
        if issues:
            raise InputError(issues)
        file = Path(value["csv"]) if bank.base_dir is None else bank.base_dir / value["csv"]
        return bank.add(list(out), f"{Path(value['csv']).name}:{value['column']}", (str(file.resolve()), value["column"])), {}
    if _is_growth(value):
        steps = value.get("steps")
        if steps is not None and not (isinstance(steps, list) and all(isinstance(s, dict) and set(s) == {"from", "factor"} and isinstance(s["from"], str) and _is_number(s["factor"]) for s in steps)):
            raise InputError(Issue(f"{path}.steps", 'cannot be written to a workbook: must be a list of {"from": "YYYY-MM", "factor": f}'))
        cells = {"start": value["start"]}
        if "annual_growth" in value:
            cells["annual_growth"] = value["annual_growth"]
        if steps:
            cells["steps"] = "; ".join(f"{s['from']}:{number_text(s['factor'])}" for s in steps)
        return None, cells
    raise InputError(Issue(path, f"cannot be written to a workbook: not a series (a number, a list, a growth object or a csv reference), got {describe(value)}"))


def _scalar_out(col: Column, value: Any, path: str) -> Any:
    """A non-series value for a cell; InputError for one a cell cannot hold."""
    if col.kind == "bool" and isinstance(value, bool):
        return value
    if col.kind in ("number", "integer") and _is_number(value):
        return value
    if col.kind in ("string", "date", "site") and isinstance(value, str):
        return value
    raise InputError(Issue(path, f"cannot be written to a workbook: expected a {col.kind}, got {describe(value)}"))


def _check_keys(obj: Any, known: set[str], path: str) -> dict:
    """``obj`` as a dict whose keys are all ``known``; else InputError (nothing is dropped)."""
    if not isinstance(obj, dict):
        raise InputError(Issue(path or "(instance)", f"cannot be written to a workbook: must be an object, got {describe(obj)}"))
    for key in obj:
        if key not in known:
            raise InputError(Issue(f"{path}.{key}" if path else key, f"cannot be written to a workbook: unknown key{_closest(key, known)}"))
    return obj


def _get(obj: dict, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


@dataclass
class _Out:
    """One sheet's rows to write: header texts, then rows of cell values, plus the
    comments of the header cells."""

    sheet: Sheet | None
    headers: list[str]
    comments: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _table_out(sheet: Sheet) -> _Out:
    headers, comments = [], []
    for col in sheet.columns:
        headers.append(col.header)
        comments.append(col.comment)
        if col.kind == "series" or col.key == "value":
            for part in GROWTH_KEYS:
                unit = col.unit if part == "start" else GROWTH_UNITS[part]
                headers.append(f"{growth_header(col.key, part)} [{unit}]" if unit else growth_header(col.key, part))
                comments.append(_growth_comment(col.key, part))
    return _Out(sheet, headers, comments)


def _growth_comment(key: str, part: str) -> str:
    return {
        "start": f"{key}: the value in the first period of a growth form (leave {key} empty).",
        "annual_growth": f"{key}: growth per year g of a growth form: start x (1+g)^years. Default 0.",
        "steps": f"{key}: steps of a growth form, 'YYYY-MM:factor; YYYY-MM:factor': from each month on, the value is multiplied by the factor (a halving is 0.5).",
    }[part]


def _row_cells(sheet: Sheet, item: dict, path: str, bank: _Bank, series_name: Callable[[Column], str], skip: int = 0) -> list[Any]:
    """One table row for ``item``; its first ``skip`` cells are left to the caller."""
    row: list[Any] = []
    for col in sheet.columns[skip:]:
        value = _get(item, col.path)
        if col.kind == "series":
            cell, growth = (None, {}) if value is None else _series_out(value, f"{path}.{col.key}", series_name(col), bank)
            row.append(cell)
            row.extend(growth.get(part) for part in GROWTH_KEYS)
        else:
            row.append(None if value is None else _scalar_out(col, value, f"{path}.{col.key}"))
    return row


def _known(sheet: Sheet, extra: tuple[str, ...] = ()) -> set[str]:
    return {c.path[0] for c in sheet.columns} | set(extra)


def _sheet_rows(raw: dict, base_dir: Path | None) -> tuple[dict[str, _Out], _Bank]:
    """Every sheet's rows for ``raw``; InputError for anything a workbook cannot hold."""
    bank = _Bank(raw, base_dir)
    top = {"name", "description", "horizon", "markets", "sites", "finance", "scenarios", "risk", "scenario_model"}
    _check_keys(raw, top, "")
    _check_keys(raw.get("horizon", {}), {"start", "periods", "period_months"}, "horizon")
    markets = _check_keys(raw.get("markets", {}), {"hashprice_usd_per_ph_day", "ai_demand_it_mw", "asic_models"}, "markets")
    finance = _check_keys(raw.get("finance", {}), {c.path[1] for c in SHEETS["Finance"].columns if c.path[0] == "finance"} | {"debt"}, "finance")
    _check_keys(finance.get("terminal", {}), {"mining_ebitda_multiple", "ai_ebitda_multiple"}, "finance.terminal")
    _check_keys(raw.get("risk", {}), {"cvar_alpha", "weight"}, "risk")
    _check_keys(raw.get("scenario_model", {}), {c.path[1] for c in SHEETS["Markets"].columns if c.path[0] == "scenario_model"}, "scenario_model")
    outs: dict[str, _Out] = {}
    for sheet in FIELD_SHEETS:
        region = sheet.name == "Markets"  # one ai_demand_it_mw row per region
        headers = ["field"] + (["region"] if region else []) + ["value", "start", f"annual_growth [{GROWTH_UNITS['annual_growth']}]", f"steps [{GROWTH_UNITS['steps']}]", MEANING_HEADER]
        comments = (
            ["field name [unit]; its comment gives the meaning and default"]
            + (["the region of an ai_demand_it_mw row"] if region else [])
            + ["the value: see the comment of the field name"]
            + [_growth_comment("value", part) for part in GROWTH_KEYS]
            + ["what the field means (a note: not read)"]
        )
        out = _Out(sheet, headers, comments)
        for col in sheet.columns:
            value = _get(raw, col.path)
            dotted = ".".join(col.path)
            if col.key == "ai_demand_it_mw":
                demand = value if value is not None else {}
                if not isinstance(demand, dict):
                    raise InputError(Issue(dotted, f"cannot be written to a workbook: must map regions to series, got {describe(demand)}"))
                entries = list(demand.items()) or [(None, None)]
                for region, series in entries:
                    cell, growth = (None, {}) if series is None else _series_out(series, f"{dotted}.{region}", f"markets.ai_demand_it_mw.{region}", bank)
                    out.rows.append([col, region, cell] + [growth.get(p) for p in GROWTH_KEYS] + [col.meaning])
                continue
            if col.kind == "series":
                cell, growth = (None, {}) if value is None else _series_out(value, dotted, dotted, bank)
            else:
                cell, growth = (None if value is None else _scalar_out(col, value, dotted)), {}
            row = [col] + ([None] if sheet.name == "Markets" else []) + [cell] + [growth.get(p) for p in GROWTH_KEYS] + [col.meaning]
            out.rows.append(row)
        outs[sheet.name] = out

    sites = raw.get("sites", [])
    if not isinstance(sites, list):
        raise InputError(Issue("sites", f"cannot be written to a workbook: must be a list, got {describe(sites)}"))
    for name in ("Sites", "Mining", "AI", "PowerTiers", "ASICModels", "Debt", "Scenarios"):
        outs[name] = _table_out(SHEETS[name])
    for i, site in enumerate(sites):
        path = f"sites[{i}]"
        _check_keys(site, _known(SHEETS["Sites"], ("mining", "ai", "power_price_tiers")), path)
        sname = site.get("name")
        label = str(sname) if sname is not None else str(i)
        outs["Sites"].rows.append(_row_cells(SHEETS["Sites"], site, path, bank, lambda c: f"sites.{label}.{c.key}"))
        for sheet_name, key in (("Mining", "mining"), ("AI", "ai")):
            if site.get(key) is not None:
                sub = _check_keys(site[key], _known(SHEETS[sheet_name]) - {"site"}, f"{path}.{key}")
                outs[sheet_name].rows.append([sname] + _row_cells(SHEETS[sheet_name], sub, f"{path}.{key}", bank, lambda c: f"sites.{label}.{key}.{c.key}", skip=1))
        tiers = site.get("power_price_tiers")
        if tiers is not None:
            if not isinstance(tiers, list):
                raise InputError(Issue(f"{path}.power_price_tiers", f"cannot be written to a workbook: must be a list, got {describe(tiers)}"))
            for k, tier in enumerate(tiers):
                tier = _check_keys(tier, _known(SHEETS["PowerTiers"]) - {"site"}, f"{path}.power_price_tiers[{k}]")
                outs["PowerTiers"].rows.append([sname] + _row_cells(SHEETS["PowerTiers"], tier, f"{path}.power_price_tiers[{k}]", bank, lambda c, k=k: f"sites.{label}.tier{k + 1}.{c.key}", skip=1))
    for sheet_name, items, where in (("ASICModels", markets.get("asic_models"), "markets.asic_models"), ("Debt", finance.get("debt"), "finance.debt")):
        if items is None:
            continue
        if not isinstance(items, list):
            raise InputError(Issue(where, f"cannot be written to a workbook: must be a list, got {describe(items)}"))
        for k, item in enumerate(items):
            item = _check_keys(item, _known(SHEETS[sheet_name]), f"{where}[{k}]")
            label = item.get("name", k)
            outs[sheet_name].rows.append(_row_cells(SHEETS[sheet_name], item, f"{where}[{k}]", bank, lambda c, label=label: f"{where}.{label}.{c.key}"))
    for k, scen in enumerate(raw.get("scenarios") or []):
        scen = _check_keys(scen, {"name", "probability", "set"}, f"scenarios[{k}]")
        sets = scen.get("set") or {}
        if not isinstance(sets, dict):
            raise InputError(Issue(f"scenarios[{k}].set", f"cannot be written to a workbook: must be an object, got {describe(sets)}"))
        head = [scen.get("name"), scen.get("probability")]
        if not sets:
            outs["Scenarios"].rows.append(head + [None] * 5)
        for target, value in sets.items():
            outs["Scenarios"].rows.append(head + [target] + _scenario_value(value, f"scenarios[{k}].set.{target}", f"scenarios.{scen.get('name')}.{target}", bank))
    return outs, bank


def _scenario_value(value: Any, path: str, name: str, bank: _Bank) -> list[Any]:
    """A scenario value's cells: value, start, annual_growth, steps."""
    if isinstance(value, bool) or (isinstance(value, str) and not value[:1] in "{["):
        return [value, None, None, None]
    if _is_number(value) or _is_growth(value) or (isinstance(value, dict) and "csv" in value) or (isinstance(value, list) and value and all(_is_number(v) for v in value)):
        cell, growth = _series_out(value, path, name, bank)
        return [cell] + [growth.get(p) for p in GROWTH_KEYS]
    return [json.dumps(value), None, None, None]


def write_workbook(raw: dict, path: str | Path, base_dir: str | Path | None = None) -> Path:
    """Write instance ``raw`` as a workbook at ``path`` (atomically). List series and
    CSV series (read from ``base_dir``, the JSON file's folder) become Series columns.
    InputError for a field a workbook cannot hold (nothing is dropped silently)."""
    outs, bank = _sheet_rows(raw, Path(base_dir) if base_dir is not None else None)
    labels = list(bank.horizon.labels) if bank.columns else _labels_or_none(raw)
    return replace_atomically(Path(path), lambda tmp: _save(outs, bank.columns, labels, tmp))


def template(path: str | Path) -> Path:
    """An empty instance workbook at ``path``: every sheet, header, comment and list."""
    return write_workbook({}, path)


def _labels_or_none(raw: dict) -> list[str]:
    try:
        h = raw["horizon"]
        table = periods_table(parse_month(h["start"]), int(h["periods"]), int(h.get("period_months", 3)))
        return list(table.index)
    except (KeyError, TypeError, ValueError):
        return []


def replace_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Run ``write`` on a temporary file beside ``path``, then rename it to ``path``:
    readers see the old file or the new one, never half of one."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(Issue(str(path), f'folder "{folder}" does not exist'))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is for the temporary file only
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


LIST_ROWS = 500  # rows that get data validation lists and text formats in a table sheet


def _save(outs: dict[str, _Out], series: dict[str, list[float]], labels: list[str], target: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    wb.active.title = README_SHEET
    for i, line in enumerate(README_LINES, start=1):
        wb.active.cell(row=i, column=1, value=line)
    wb.active["A1"].font = Font(bold=True, size=14)
    wb.active.column_dimensions["A"].width = 110

    def note(text: str) -> Comment:
        c = Comment(text, "allocate")
        c.width, c.height = 320, 40 + 16 * (len(text) // 40 + text.count("\n"))
        return c

    def put(ws, row: int, col: int, value: Any):
        cell = ws.cell(row=row, column=col)
        if isinstance(value, float) and float("%.16g" % value) != value:
            # openpyxl writes 16 significant digits; 17 keep every float exact
            cell.value = number_text(value)
            cell.data_type = "n"
        else:
            cell.value = value
        return cell

    site_list = f"{SHEETS['Sites'].name}!$A$2:$A${LIST_ROWS}"
    series_list = f"{SERIES_SHEET}!$B$1:$ZZ$1"
    for name in ORDER[1:]:
        ws = wb.create_sheet(name)
        if name == SERIES_SHEET:
            _save_series(ws, series, labels, bold, fill, put)
            continue
        out = outs[name]
        sheet = out.sheet
        for j, (text, comment) in enumerate(zip(out.headers, out.comments), start=1):
            cell = ws.cell(row=1, column=j, value=text)
            cell.font, cell.fill = bold, fill
            cell.comment = note(comment)
            ws.column_dimensions[get_column_letter(j)].width = max(12, min(40, len(text) + 2))
        ws.freeze_panes = "B2"
        lists: dict[str, DataValidation] = {}

        def validate(kind: str, coordinate: str) -> None:
            if kind not in lists:
                if kind == "bool":
                    dv = DataValidation(type="list", formula1='"TRUE,FALSE"', allow_blank=True)
                elif kind == "site":
                    dv = DataValidation(type="list", formula1=site_list, allow_blank=True, showErrorMessage=True, error="A name from the Sites sheet", errorTitle="site")
                elif kind == "period_months":
                    dv = DataValidation(type="list", formula1='"1,3,6,12"', allow_blank=True)
                elif kind == "region":
                    dv = DataValidation(type="list", formula1=f"{SHEETS['Sites'].name}!$B$2:$B${LIST_ROWS}", allow_blank=True, showErrorMessage=False)
                else:  # a series cell: the Series columns offered, any number accepted
                    dv = DataValidation(type="list", formula1=series_list, allow_blank=True, showErrorMessage=False)
                ws.add_data_validation(dv)
                lists[kind] = dv
            lists[kind].add(coordinate)

        if sheet.layout == "fields":
            ws.column_dimensions["A"].width = 44
            value_col = 3 if name == "Markets" else 2
            for i, row in enumerate(out.rows, start=2):
                col: Column = row[0]
                cell = ws.cell(row=i, column=1, value=col.header)
                cell.comment = note(col.comment)
                cell.font = bold
                for j, value in enumerate(row[1:], start=2):
                    c = put(ws, i, j, value)
                    if col.kind == "date" and j == value_col:
                        c.number_format = "@"
                vcell = ws.cell(row=i, column=value_col).coordinate
                if col.key == "period_months":
                    validate("period_months", vcell)
                elif col.kind == "series":
                    validate("series", vcell)
                if col.key == "ai_demand_it_mw":
                    validate("region", ws.cell(row=i, column=2).coordinate)
            ws.column_dimensions[get_column_letter(len(out.headers))].width = 80
            continue
        for i, row in enumerate(out.rows, start=2):
            for j, value in enumerate(row, start=1):
                put(ws, i, j, value)
        # lists and text formats on the column ranges, so that rows typed later get them
        j = 1
        for col in sheet.columns:
            letter = get_column_letter(j)
            span = f"{letter}2:{letter}{LIST_ROWS}"
            if col.kind in ("bool", "site"):
                validate(col.kind, span)
            elif col.kind == "series" or col.key == "value":
                validate("series", span)
            if col.kind == "date":
                for r in range(2, max(len(out.rows) + 2, 52)):
                    ws.cell(row=r, column=j).number_format = "@"
            if col.kind == "series" or col.key == "value":
                steps = get_column_letter(j + 3)
                for r in range(2, max(len(out.rows) + 2, 52)):
                    ws[f"{steps}{r}"].number_format = "@"
                j += 3
            j += 1
    wb.save(target)


def _save_series(ws, series: dict[str, list[float]], labels: list[str], bold, fill, put) -> None:
    from openpyxl.comments import Comment

    ws.cell(row=1, column=1, value="period").font = bold
    ws["A1"].fill = fill
    ws["A1"].comment = Comment('period: the horizon\'s months, "YYYY-MM" as text, one row each. Each other column is a named series: one number per period; a series cell elsewhere names the column.', "allocate")
    ws.freeze_panes = "B2"
    for i, label in enumerate(labels, start=2):
        ws.cell(row=i, column=1, value=label).number_format = "@"
    for j, (name, values) in enumerate(series.items(), start=2):
        cell = ws.cell(row=1, column=j, value=name)
        cell.font, cell.fill = bold, fill
        for i, v in enumerate(values, start=2):
            put(ws, i, j, v)
    ws.column_dimensions["A"].width = 12
