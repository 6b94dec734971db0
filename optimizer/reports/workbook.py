"""The plan as an Excel workbook a finance team can hand around (``plan.xlsx``).

    from optimizer.reports.workbook import write_workbook
    write_workbook(result, "plan.xlsx")

Sheets, each table an Excel table (autofilter, banded rows), header rows frozen:

- ``Summary``: section | item | value: status, NPV, bound, gap, key figures, NPV
  by scenario, the NPV decomposition, the covenant, the run's overrides and warnings
- ``Assumptions``: the inputs the plan rests on (``tables.assumption_rows``: SPEC
  version, horizon, discount rate, cash, covenant, terminal multiples, facilities,
  hashprice as given) and the run's overrides, beside the resolved hashprice path
- ``Retrofits``: the retrofit schedule (one row per site and start period)
- ``Allocation``: two tables side by side, each under a title row: average MW per
  calendar year (site x measure rows, one column per year; expected over
  scenarios) and the per-period allocation table (as ``allocation.csv``)
- ``Finance``: per (scenario, period) with per-facility draw/repay/balance columns
- ``Sensitivities``: only when the result carries a ``sensitivities`` DataFrame
- ``Inputs``: the resolved instance tables side by side, each under a title row:
  periods, sites, site_period, period_data, facilities, scenarios, site_params

Column names are those of the CSV files (see ``optimizer.results``). Money is in
USD with thousands separators, period labels are real dates (first day of the month,
shown ``yyyy-mm``), rates and gaps are percentages. Single-table sheets have their
header in row 1; ``Allocation`` and ``Inputs`` have titles in row 1, headers in row 2.
"""

from __future__ import annotations

import io
import math
import os
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.reports.charts import (expected, fleet_by_year, flexibility_by_year, is_v2, label_date, period_labels,
                                     tables_from_result, yearly_mw)
from optimizer.reports.tables import assumption_rows, covenant_rows, decomposition_figures, hashprice_path

MONEY = '"$"#,##0;[Red]-"$"#,##0'
PRICE = '"$"#,##0.00;[Red]-"$"#,##0.00'
PERCENT = "0.00%"
GAP = "0.0000%"
MW = "#,##0.0"
FACTOR = "0.0000"
INTEGER = "#,##0"
FLOAT = "#,##0.00"
DATE = "yyyy-mm"
SECONDS = '0.00" s"'

PERCENT_COLUMNS = {"rate_annual", "upfront_fee", "advance_rate_on_ai_capex", "discount_rate_annual"}
FACTOR_COLUMNS = {"probability", "discount_factor"}
DATE_COLUMNS = {"period", "start", "online"}
_LABEL = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
HEADER_FILL = "DDEBF7"
#: Tables longer than this are left out of the workbook (a one-row note says where
#: the rows are): a worksheet of hundreds of thousands of rows is slow to write
#: (openpyxl builds every cell in memory) and no one reads it in Excel; the CSV
#: files of the run hold every row.
MAX_TABLE_ROWS = 100_000
TABLE_STYLE = "TableStyleLight9"


# --------------------------------------------------------------------------- figures


def key_figures(tables: dict) -> list[tuple[str, str, object, str]]:
    """(section, item, value, kind) rows of the Summary: kind is usd, pct, mw, int, s or text.

    Works from the run tables (``optimizer.runs.folder.load_tables`` or
    ``tables_from_result``); the HTML report shows the same rows.
    """
    s = tables["summary"]
    rows: list[tuple[str, str, object, str]] = [
        ("run", "instance", s.get("instance"), "text"),
        ("run", "status", s.get("status"), "text"),
        ("run", "reason", s.get("reason"), "text"),
        ("run", "NPV (objective, expected)", s.get("objective_usd"), "usd"),
        ("run", "bound", s.get("bound_usd"), "usd"),
        ("run", "MIP gap", s.get("mip_gap"), "pct"),
    ]
    periods = s.get("periods") or []
    if periods:
        rows.append(("run", "horizon", f"{periods[0]} .. {periods[-1]} ({len(periods)} periods)", "text"))
    scenarios = s.get("scenarios") or []
    rows.append(("run", "scenarios", len(scenarios), "int"))
    if tables.get("finance") is not None and tables.get("allocation") is not None:
        rows += _plan_figures(tables)
    rows += decomposition_figures(s) + covenant_rows(s)  # empty without a plan / a covenant
    sc = tables.get("scenarios")
    if sc is not None and len(sc) > 1:
        for w, r in sc.iterrows():
            rows.append(("scenario NPV", f"{w} (probability {r['probability']:.3g})", float(r["npv_usd"]), "usd"))
    for path, value in overrides(s):
        rows.append(("override", path, value if isinstance(value, (int, float, str)) else str(value), "text"))
    for w in s.get("warnings") or []:
        rows.append(("warning", "warning", str(w), "text"))
    return rows


def _plan_figures(tables: dict) -> list[tuple[str, str, object, str]]:
    f = expected(tables["finance"], tables)
    raw = tables["finance"]
    a = expected(tables["allocation"], tables)
    last = period_labels(tables)[-1]
    r = tables.get("retrofits")
    stochastic = len(raw.index.get_level_values("scenario").unique()) > 1
    any_sc = " (any scenario)" if stochastic else ""
    rows = [
        ("plan", "EBITDA, whole horizon", float(f["ebitda_usd"].sum()), "usd"),
        ("plan", "mining EBITDA", float(f["mining_ebitda_usd"].sum()), "usd"),
        ("plan", "AI hosting EBITDA", float(f["ai_ebitda_usd"].sum()), "usd"),
        ("plan", "overhead", float(f["overhead_usd"].sum()), "usd"),
        ("plan", "AI capex", float(f["capex_usd"].sum()), "usd"),
        ("plan", "debt drawn", float(f["draws_usd"].sum()), "usd"),
        ("plan", "debt repaid", float(f["repays_usd"].sum()), "usd"),
        ("plan", "interest", float(f["interest_usd"].sum()), "usd"),
        ("plan", "fees", float(f["fees_usd"].sum()), "usd"),
        ("plan", "dividends", float(f["dividend_usd"].sum()), "usd"),
        ("plan", "peak debt" + any_sc, float(raw["debt_usd"].max()), "usd"),
        ("plan", "lowest cash" + any_sc, float(raw["cash_usd"].min()), "usd"),
        ("plan", f"debt at end ({last})", float(f.loc[last, "debt_usd"]), "usd"),
        ("plan", "retrofit starts", int(len(r)) if r is not None else 0, "int"),
        ("plan", "AI IT MW retrofitted", float(r["it_mw"].sum()) if r is not None and len(r) else 0.0, "mw"),
        ("plan", f"AI IT MW leased at end ({last})", float(a.xs(last, level="period")["ai_it_mw"].sum()), "mw"),
        ("plan", f"mining MW at end ({last})", float(a.xs(last, level="period")["mine_mw"].sum()), "mw"),
    ]
    return rows


def overrides(summary: dict) -> list[tuple[str, object]]:
    """The run's ``--set`` overrides as (path, value), whatever shape the summary holds them in."""
    raw = summary.get("overrides")
    if not raw:
        return []
    if isinstance(raw, dict):
        return [(str(k), v) for k, v in raw.items()]
    out = []
    for item in raw:
        if isinstance(item, dict):
            out.append((str(item.get("path", "")), item.get("value")))
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            out.append((str(item[0]), item[1]))
        else:
            text = str(item)
            path, _, value = text.partition("=")
            out.append((path, value))
    return out


# --------------------------------------------------------------------------- formats


def column_format(name: str, values: pd.Series) -> str | None:
    """Number format of a column from its name (CSV naming) and dtype; None: general."""
    n = str(name)
    if n in DATE_COLUMNS or _is_labels(values):
        return DATE
    if pd.api.types.is_bool_dtype(values):
        return None
    if not pd.api.types.is_numeric_dtype(values):
        return None
    if "_usd_per_" in n:
        return PRICE
    if n.endswith("_usd") or "_usd[" in n:
        return MONEY
    if n in PERCENT_COLUMNS:
        return PERCENT
    if n in FACTOR_COLUMNS:
        return FACTOR
    if n.endswith("_mw") or "_mw[" in n:
        return MW
    if pd.api.types.is_integer_dtype(values):
        return INTEGER
    return FLOAT


def _is_labels(values: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    sample = values.dropna()
    return len(sample) > 0 and all(isinstance(v, str) and _LABEL.match(v) for v in sample.iloc[:50])


def _cell_value(value, fmt: str | None):
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if fmt == DATE and isinstance(value, str) and _LABEL.match(value):
        return label_date(value)
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _width(header: str, values: pd.Series, fmt: str | None) -> float:
    """Characters a column needs: header or widest formatted value, plus padding."""
    size = len(str(header))
    v = values.dropna()
    if len(v):
        if fmt == DATE:
            size = max(size, 7)
        elif fmt is not None and pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
            arr = np.abs(v.to_numpy(dtype=float))
            arr = arr[np.isfinite(arr)]
            big = float(arr.max()) if len(arr) else 0.0
            decimals = {MONEY: 0, PRICE: 2, PERCENT: 2, GAP: 4, MW: 1, FACTOR: 4, INTEGER: 0, FLOAT: 2}.get(fmt, 2)
            if fmt in (PERCENT, GAP):
                big *= 100
            text = f"{big:,.{decimals}f}"
            size = max(size, len(text) + (1 if (v < 0).any() else 0) + (1 if fmt in (MONEY, PRICE, PERCENT, GAP) else 0))
        else:
            size = max(size, int(v.astype(str).str.len().max()))
    return float(min(max(size + 3, 8), 60))


# --------------------------------------------------------------------------- writing

# openpyxl stamps the save time into docProps/core.xml and into every zip entry; both are
# pinned so that the workbook, like the CSV files, depends on the plan alone.
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
FIXED_DOC_TIME = "1980-01-01T00:00:00Z"
_DOC_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _without_dates(xlsx: bytes) -> bytes:
    """The same workbook with its document dates and zip entry times fixed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = _DOC_DATES.sub(rb"\g<1>" + FIXED_DOC_TIME.encode() + rb"\g<2>", data)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()



class _Book:
    """An openpyxl workbook with unique table names and the house style."""

    def __init__(self):
        from openpyxl import Workbook

        self.wb = Workbook()
        self.wb.remove(self.wb.active)
        self.wb.properties.creator = "allocate"
        self.names: set[str] = set()

    def sheet(self, title: str, header_rows: str = "1:1", fit_width: bool = False):
        """A new sheet set up for printing: landscape, header rows repeated on each page."""
        ws = self.wb.create_sheet(title)
        ws.page_setup.orientation = "landscape"
        ws.print_title_rows = header_rows
        if fit_width:
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
        return ws

    def table_name(self, wanted: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_]", "_", wanted)
        if not re.match(r"[A-Za-z_]", base):
            base = "t_" + base
        name, k = base, 2
        while name.lower() in self.names:
            name, k = f"{base}_{k}", k + 1
        self.names.add(name.lower())
        return name

    def put(self, ws, df: pd.DataFrame, row: int, col: int, name: str, title: str | None = None,
            formats: dict[str, str | None] | None = None) -> int:
        """Write ``df`` (flat columns) as an Excel table with its header at ``row``
        (title one row above when given); the number of columns used."""
        from openpyxl.styles import Border, Font, PatternFill, Side
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.table import Table, TableStyleInfo

        formats = dict(formats or {})
        columns = [str(c) for c in df.columns]
        if title:
            ws.cell(row=row - 1, column=col, value=title).font = Font(bold=True, size=12)
        bold, fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
        line = Border(bottom=Side(style="thin", color="8EA9DB"))
        fmts = []
        for j, c in enumerate(columns):
            cell = ws.cell(row=row, column=col + j, value=c)
            cell.font, cell.fill, cell.border = bold, fill, line
            fmt = formats[c] if c in formats else column_format(c, df[df.columns[j]])
            fmts.append(fmt)
            letter = get_column_letter(col + j)
            ws.column_dimensions[letter].width = _width(c, df[df.columns[j]], fmt)
        for i, values in enumerate(df.itertuples(index=False, name=None), start=1):
            for j, value in enumerate(values):
                v = _cell_value(value, fmts[j])
                if v is None:
                    continue
                cell = ws.cell(row=row + i, column=col + j, value=v)
                if fmts[j] is not None:
                    cell.number_format = fmts[j]
        last_row = row + max(len(df), 1)  # an Excel table needs a data row, even an empty one
        ref = f"{get_column_letter(col)}{row}:{get_column_letter(col + len(columns) - 1)}{last_row}"
        table = Table(displayName=self.table_name(name), ref=ref)
        table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
        ws.add_table(table)
        return len(columns)

    def put_row(self, ws, tables: list[tuple]) -> None:
        """Tables (name, title, df[, formats]) side by side: titles in row 1, headers in
        row 2, one empty column between."""
        col = 1
        for name, title, df, *formats in tables:
            col += self.put(ws, df, row=2, col=col, name=name, title=title, formats=formats[0] if formats else None) + 1
        ws.freeze_panes = "A3"

    def save(self, path: Path) -> None:
        """Write the workbook with fixed dates, so that one plan always gives the same bytes."""
        raw = io.BytesIO()
        self.wb.save(raw)
        path.write_bytes(_without_dates(raw.getvalue()))


def _flat(df: pd.DataFrame | None, columns: list[str] | None = None) -> pd.DataFrame:
    """Index levels as leading columns; an empty frame with ``columns`` when None."""
    if df is None:
        return pd.DataFrame(columns=columns or [])
    if isinstance(df.index, pd.RangeIndex) and df.index.name is None:
        out = df.copy()
    else:
        out = df.reset_index()
    out.columns = [str(c) for c in out.columns]
    return out


def bounded(df: pd.DataFrame, where: str) -> pd.DataFrame:
    """``df``, or a one-row note naming ``where`` the rows are when it has more than
    ``MAX_TABLE_ROWS`` rows."""
    if len(df) <= MAX_TABLE_ROWS:
        return df
    return pd.DataFrame({"note": [f"{len(df):,} rows, more than the workbook holds ({MAX_TABLE_ROWS:,}): see {where}"]})


def allocation_pivot(tables: dict) -> pd.DataFrame:
    """site x measure rows, one column per calendar year: average mining MW and AI IT MW."""
    y = yearly_mw(tables)
    years = list(dict.fromkeys(y.index.get_level_values("year")))
    rows = []
    for site in dict.fromkeys(y.index.get_level_values("site")):
        part = y.xs(site, level="site").reindex(years)
        for measure, col in (("mining MW", "mine_mw"), ("AI IT MW", "ai_it_mw")):
            rows.append({"site": site, "measure": measure, **{yr: float(part.at[yr, col]) for yr in years}})
    return pd.DataFrame(rows, columns=["site", "measure", *years])


def _summary_sheet(book: _Book, tables: dict) -> None:
    from openpyxl.styles import Alignment

    ws = book.sheet("Summary", fit_width=True)
    rows = key_figures(tables)
    df = pd.DataFrame([(s, i, v) for s, i, v, _ in rows], columns=["section", "item", "value"], dtype=object)
    book.put(ws, df, row=1, col=1, name="Summary", formats={"value": None})
    kind_format = {"usd": MONEY, "pct": GAP, "mw": '#,##0.0" MW"', "int": INTEGER, "s": SECONDS}
    right = Alignment(horizontal="right")
    ws.cell(row=1, column=3).alignment = right
    for k, (_s, _i, value, kind) in enumerate(rows, start=2):
        cell = ws.cell(row=k, column=3)
        cell.alignment = right
        if kind in kind_format and isinstance(value, (int, float)):
            cell.number_format = kind_format[kind]
    widths = [max(len(str(r[1])) for r in rows), max(len(_display(r[2], r[3])) for r in rows)]
    ws.column_dimensions["B"].width = min(max(widths[0] + 3, 10), 60)
    ws.column_dimensions["C"].width = min(max(widths[1] + 3, 12), 80)
    ws.freeze_panes = "A2"


def _assumptions_sheet(book: _Book, tables: dict) -> None:
    """``Assumptions``: the inputs the plan rests on (``tables.assumption_rows`` and the
    run's overrides) beside the resolved hashprice path, one row per period."""
    from openpyxl.styles import Alignment

    ws = book.sheet("Assumptions", header_rows="1:2", fit_width=True)
    rows = assumption_rows(tables["summary"], tables.get("instance"))
    rows += [("override", path, value if isinstance(value, (int, float, str)) else str(value), "text")
             for path, value in overrides(tables["summary"])]
    df = pd.DataFrame([(s, i, v) for s, i, v, _ in rows], columns=["section", "item", "value"], dtype=object)
    path = pd.DataFrame(hashprice_path(tables.get("instance")), columns=["period", "hashprice_usd_per_ph_day"])
    book.put_row(ws, [
        ("Assumptions", "Inputs the plan rests on", df, {"value": None}),
        ("HashpricePath", "Hashprice path (USD per PH/s per day)", path),
    ])
    kind_format = {"usd": MONEY, "pct": PERCENT, "int": INTEGER}
    for k, (_s, _i, value, kind) in enumerate(rows, start=3):
        cell = ws.cell(row=k, column=3)
        cell.alignment = Alignment(horizontal="right")
        if kind in kind_format and isinstance(value, (int, float)):
            cell.number_format = kind_format[kind]
    ws.column_dimensions["B"].width = min(max(len(str(r[1])) for r in rows) + 3, 60)
    ws.column_dimensions["C"].width = min(max(len(_display(r[2], r[3])) for r in rows) + 3, 80)


def _display(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == "usd" and isinstance(value, (int, float)):
        return f"${value:,.0f}"
    if kind == "pct" and isinstance(value, (int, float)):
        return f"{value:.4%}"
    return str(value)


def write_workbook(result, path: str | Path, baselines: dict | None = None) -> Path:
    """Write ``plan.xlsx`` for a solved :class:`Result` (a run without a plan gets Summary and Inputs);
    ``baselines`` (``optimizer.analyses.baselines.Baselines.to_json``) adds a Baselines sheet."""
    tables = tables_from_result(result)
    book = _Book()
    _summary_sheet(book, tables)
    _assumptions_sheet(book, tables)
    if baselines is not None:
        _baselines_sheet(book, baselines)
    if result.has_plan:
        ws = book.sheet("Retrofits", fit_width=True)
        book.put(ws, _flat(result.retrofits), row=1, col=1, name="Retrofits")
        ws.freeze_panes = "A2"

        ws = book.sheet("Allocation", header_rows="1:2")
        pivot = allocation_pivot(tables)
        book.put_row(ws, [
            ("AllocationByYear", "Average MW per year" + (" (expected over scenarios)" if len(result.instance.scenarios) > 1 else ""),
             pivot, {year: MW for year in pivot.columns[2:]}),
            ("AllocationByPeriod", "Per period (MW and USD)", bounded(_flat(result.allocation), "allocation.csv")),
        ])

        ws = book.sheet("Finance")
        book.put(ws, bounded(_flat(result.finance), "finance.csv"), row=1, col=1, name="Finance")
        ws.freeze_panes = "C2"
        _fleet_sheet(book, tables)

    sens = getattr(result, "sensitivities", None)
    if isinstance(sens, pd.DataFrame):
        ws = book.sheet("Sensitivities")
        per_unit = {c: "#,##0.0000" for c in ("value_usd", "dual_usd", "resolved_usd", "shown_usd")}  # USD per MW or per USD
        book.put(ws, _flat(sens), row=1, col=1, name="Sensitivities", formats={**per_unit, "holds_for": FLOAT})
        ws.freeze_panes = "A2"

    inst = result.instance
    ws = book.sheet("Inputs", header_rows="1:2")
    book.put_row(ws, [
        # start_month is the model's month counter: the period column already shows the date
        ("Input_periods", "periods", bounded(_flat(inst.periods).drop(columns=["start_month"], errors="ignore"), "instance.json")),
        ("Input_sites", "sites", bounded(_flat(inst.sites), "instance.json")),
        ("Input_site_period", "site_period", bounded(_flat(inst.site_period), "instance.json")),
        ("Input_period_data", "period_data", bounded(_flat(inst.period_data), "instance.json")),
        ("Input_facilities", "facilities", bounded(_flat(inst.facilities), "instance.json")),
        ("Input_scenarios", "scenarios", bounded(_flat(inst.scenarios), "instance.json")),
        ("Input_site_params", "site_params", bounded(_flat(inst.site_params), "instance.json")),
    ])
    return _save_atomic(book, Path(path))


def _fleet_sheet(book: _Book, tables: dict) -> None:
    """``Fleet`` (SPEC v2 runs only): the fleet per year (installed MW per fleet, average
    J/TH, bought, retired, ASIC capex), curtailment, resale and tenant cash per year
    (``charts.fleet_by_year``, ``charts.flexibility_by_year``) and the fleet table per period."""
    if not is_v2(tables):
        return
    ws = book.sheet("Fleet", header_rows="1:2")
    fleet = fleet_by_year(tables).reset_index()
    flex = flexibility_by_year(tables).reset_index()
    exp = " (expected over scenarios)" if len(tables["finance"].index.get_level_values("scenario").unique()) > 1 else ""
    book.put_row(ws, [
        ("FleetByYear", "Fleet per year" + exp, fleet, {"avg_j_per_th": FLOAT}),
        ("FlexibilityByYear", "Curtailment, resale and tenant cash per year" + exp, flex, {"curtailed_mwh": INTEGER}),
        ("FleetByPeriod", "Fleets per period (fleets.csv)", bounded(_flat(tables["fleets"]), "fleets.csv")),
    ])


def _baselines_sheet(book: _Book, baselines: dict) -> None:
    """``Baselines``: the optimum and each rule's plan (``optimizer.reports.tables.baseline_rows``)."""
    from optimizer.reports.tables import BASELINE_COLUMNS, baseline_rows

    ws = book.sheet("Baselines", fit_width=True)
    df = pd.DataFrame(baseline_rows(baselines), columns=BASELINE_COLUMNS)
    if not (df["scenario"] != "").any():
        df = df.drop(columns="scenario")
    for c in ("npv_usd", "gap_usd", "gap_pct", "peak_debt_usd", "lowest_cash_usd"):
        df[c] = pd.to_numeric(df[c]).astype(float)  # None (no plan) -> an empty cell
    df["gap_pct"] = df["gap_pct"] / 100.0  # shown as a percentage
    book.put(ws, df, row=1, col=1, name="Baselines", formats={"gap_pct": PERCENT, "blocks": INTEGER})
    ws.freeze_panes = "A2"


def _save_atomic(book: _Book, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        book.save(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
