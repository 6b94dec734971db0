"""One self-contained HTML report of a run folder (``allocate report RUN_DIR``).

    from optimizer.runs.folder import write_report
    write_report("runs/base", "runs/base/report.html")

Everything is inside the file: CSS inline, charts as base64 PNG (``data:`` URIs), no
script, no font, image or style sheet fetched from anywhere, so it can be mailed or
archived as is. It shows the summary (status, NPV, key figures, overrides,
warnings), the NPV decomposition, the leverage covenant, for a run without a plan why
(the smallest relaxation that gives one), the assumptions (``tables.assumption_rows``
and the hashprice path), the four charts of ``optimizer.reports.charts`` and the main tables (retrofit
schedule, average MW per year, finance per period, debt facilities, NPV by scenario).
"""

from __future__ import annotations

import base64
import html
import os
import tempfile
from pathlib import Path

import pandas as pd

from optimizer.reports.charts import (CHARTS, V2_CHARTS, expected, fleet_by_year, flexibility_by_year, has_plan,
                                     is_v2, period_labels, render_charts)
from optimizer.reports.workbook import allocation_pivot, key_figures
from optimizer.reports.formatting import millions, money

CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --head:#eef4fb; --accent:#0072b2; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif;
       color: var(--ink); margin: 0; background: #f7f9fb; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 48px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
.sub { color: var(--muted); margin: 0 0 18px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-size: 13px; font-weight: 600;
         vertical-align: middle; margin-left: 8px; color: #fff; background: #52606d; }
.badge.optimal { background: #2f855a; } .badge.feasible { background: #b7791f; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; margin: 8px 0 4px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; background: #fbfdff; }
.card .k { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.card .v { font-size: 21px; font-weight: 650; margin-top: 3px; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 8px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { background: var(--head); text-align: left; font-weight: 600; position: sticky; top: 0; }
td.n, th.n { text-align: right; }
tr:nth-child(even) td { background: #fafcfe; }
.scroll { overflow-x: auto; max-width: 100%; }
figure { margin: 14px 0 22px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.note { color: var(--muted); font-size: 13px; }
.warn { color: #8a4b08; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@media print { body { background: #fff; } main { padding: 0; } h2 { break-after: avoid; } figure { break-inside: avoid; } }
"""

CAPTIONS = {
    "mw_by_site": "Grid MW per site each period: mining, AI hosting (grid MW of leased IT), capacity under construction "
                  "and idle; the line is the grid MW available.",
    "retrofit_schedule": "Each retrofit start: construction from the start period, AI IT online at the diamond.",
    "cash_and_debt": "Cash and debt at the end of each period; each facility's balance separately.",
    "ebitda_by_segment": "EBITDA per calendar year by segment; overhead shown as a cost.",
    "fleet": "Installed grid MW per fleet (year average) and the installed fleet's average J/TH at the ASIC "
             "(total watts over total TH/s).",
    "flexibility": "Per calendar year: power sold back and tenant prepayments (in), rent credits and ASIC capex (out); "
                   "the line is the MWh a fleet could have mined and did not (curtailed).",
}

FINANCE_COLUMNS = [
    ("mining_ebitda_usd", "mining EBITDA"),
    ("ai_ebitda_usd", "AI EBITDA"),
    ("overhead_usd", "overhead"),
    ("ebitda_usd", "EBITDA"),
    ("capex_usd", "AI capex"),
    ("draws_usd", "draws"),
    ("repays_usd", "repayments"),
    ("interest_usd", "interest"),
    ("debt_usd", "debt"),
    ("cash_usd", "cash"),
    ("dividend_usd", "dividend"),
]


def _fmt(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if kind == "usd":
        return f"${value:,.0f}" if abs(value) < 1e3 else f"{money(value)} <span class='note'>(${value:,.0f})</span>"
    if kind == "pct":
        return f"{value:.4%}"
    if kind == "mw":
        return f"{value:,.1f} MW"
    if kind == "s":
        return f"{value:,.2f} s"
    if kind == "int":
        return f"{int(value):,}"
    return html.escape(str(value))


def _table(headers: list[str], rows: list[list[str]], numeric: list[bool]) -> str:
    head = "".join(f"<th class='{'n' if n else ''}'>{html.escape(h)}</th>" for h, n in zip(headers, numeric))
    body = "".join(
        "<tr>" + "".join(f"<td class='{'n' if n else ''}'>{c}</td>" for c, n in zip(row, numeric)) + "</tr>" for row in rows
    )
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def _cards(tables: dict, figures: list) -> str:
    by_item = {item: (value, kind) for _s, item, value, kind in figures}
    s = tables["summary"]
    picks = [("NPV", s.get("objective_usd"), "usd")]
    for item, label in (("EBITDA, whole horizon", "EBITDA (horizon)"), ("AI capex", "AI capex"),
                        ("dividends", "dividends"), ("debt drawn", "debt drawn"), ("AI IT MW retrofitted", "AI IT MW built")):
        if item in by_item:
            picks.append((label, *by_item[item]))
    peak = next((k for k in by_item if k.startswith("peak debt")), None)
    if peak:
        picks.append(("peak debt", *by_item[peak]))
    cells = []
    for label, value, kind in picks:
        text = money(value) if kind == "usd" else f"{value:,.0f} MW" if kind == "mw" else str(value)
        cells.append(f"<div class='card'><div class='k'>{html.escape(label)}</div><div class='v'>{html.escape(text)}</div></div>")
    return f"<div class='cards'>{''.join(cells)}</div>"


def render_report(tables: dict, charts: dict[str, bytes] | None = None) -> str:
    """The report as one HTML string (charts drawn from ``tables`` unless given)."""
    s = tables["summary"]
    plan = has_plan(tables)
    charts = render_charts(tables) if charts is None and plan else (charts or {})
    figures = key_figures(tables)
    name = html.escape(str(s.get("instance", "")))
    status = html.escape(str(s.get("status", "")))
    periods = s.get("periods") or []
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>allocate plan report: {name}</title>",
        f"<style>{CSS}</style></head><body><main>",
        f"<h1>{name} <span class='badge {status}'>{status}</span></h1>",
        f"<p class='sub'>{html.escape(str(s.get('reason', '')))}"
        + (f" &middot; {len(periods)} periods, {html.escape(periods[0])} .. {html.escape(periods[-1])}" if periods else "")
        + (f" &middot; {len(s.get('scenarios') or [])} scenarios" if len(s.get("scenarios") or []) > 1 else "")
        + "</p>",
    ]
    if plan:
        parts.append(_cards(tables, figures))
    parts.append("<h2>Summary</h2>")
    rows = [[html.escape(sec), html.escape(item), _fmt(value, kind)] for sec, item, value, kind in figures
            if sec in ("run", "plan")]
    parts.append(_table(["section", "figure", "value"], rows, [False, False, True]))
    parts += _figure_section(figures, "NPV decomposition", "Where the NPV comes from (present values)")
    parts += _figure_section(figures, "covenant", "Leverage covenant")
    parts += _explanation_section(s.get("explanation"))
    parts += _assumptions_section(tables)
    parts += _baselines_section(s.get("baselines"))
    over = [(item, value) for sec, item, value, _k in figures if sec == "override"]
    if over:
        parts.append("<h2>Overrides of this run</h2>")
        parts.append(_table(["path", "value"], [[html.escape(p), html.escape(str(v))] for p, v in over], [False, False]))
    warns = [value for sec, _i, value, _k in figures if sec == "warning"]
    if warns:
        parts.append("<h2>Warnings</h2><ul>" + "".join(f"<li class='warn'>{html.escape(str(w))}</li>" for w in warns) + "</ul>")
    if not plan:
        parts.append("<p class='warn'>This run holds no plan: nothing to chart or tabulate.</p>")
    else:
        parts.append("<h2>Charts</h2>")
        for key, png in charts.items():
            b64 = base64.b64encode(png).decode("ascii")
            parts.append(f"<figure id='chart-{key}'><img alt='{html.escape({**CHARTS, **V2_CHARTS}[key])}' src='data:image/png;base64,{b64}'>"
                         f"<figcaption>{html.escape(CAPTIONS.get(key, ''))}</figcaption></figure>")
        parts += _plan_tables(tables)
        parts += _fleet_section(tables)
    parts.append("<footer>Written by <code>allocate report</code> from the run folder's CSV and JSON files; money in USD."
                 "</footer></main></body></html>")
    return "\n".join(parts) + "\n"


def _figure_section(figures: list, section: str, title: str) -> list[str]:
    """The rows of one section of ``key_figures`` as a two-column table; nothing when none."""
    rows = [[html.escape(item), _fmt(value, kind)] for sec, item, value, kind in figures if sec == section]
    return [f"<h2>{html.escape(title)}</h2>", _table(["figure", "value"], rows, [False, True])] if rows else []


def _explanation_section(explanation: list | None) -> list[str]:
    """For a run without a plan: what would have to give (``explanation`` of summary.json)."""
    if not explanation:
        return []
    lines = list(dict.fromkeys(str(item.get("text", "")) for item in explanation))
    return ["<h2>Why there is no plan: the smallest relaxation that gives one</h2>",
            "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"]


def _assumptions_section(tables: dict) -> list[str]:
    """The inputs the plan rests on (``tables.assumption_rows``) and the hashprice path per year."""
    from optimizer.reports.tables import assumption_rows, hashprice_path

    rows = assumption_rows(tables["summary"], tables.get("instance"))
    kinds = {"pct": lambda v: f"{v:.2%}", "usd": lambda v: f"${v:,.0f}", "int": lambda v: f"{int(v):,}"}
    out = ["<h2>Assumptions</h2>", _table(
        ["input", "item", "value"],
        [[html.escape(sec), html.escape(item), html.escape(kinds[kind](value) if kind in kinds and isinstance(value, (int, float)) else str(value))]
         for sec, item, value, kind in rows],
        [False, False, False])]
    path = hashprice_path(tables.get("instance"))
    if path:
        out.append("<p class='note'>Hashprice path, USD per PH/s per day, each period (the series above, resolved):</p>")
        out.append(_table([p for p, _ in path], [[f"{v:,.2f}" for _, v in path]], [True] * len(path)))
    return out


def _baselines_section(baselines: dict | None) -> list[str]:
    """``solve --baselines``: the optimum beside each rule's plan (``optimizer.analyses.baselines``)."""
    if not baselines:
        return []
    from optimizer.reports.tables import baseline_rows

    rows = baseline_rows(baselines)
    stochastic = any(r["scenario"] for r in rows)
    headers = (["scenario"] if stochastic else []) + ["plan", "NPV (USD)", "gap (USD)", "gap", "peak debt (USD)",
                                                      "lowest cash (USD)", "blocks", "note"]
    body = []
    for r in rows:
        cells = [html.escape(str(r["plan"]))] + [
            "-" if r[k] is None else f"${r[k]:,.0f}" for k in ("npv_usd", "gap_usd")
        ] + ["-" if r["gap_pct"] is None else f"{r['gap_pct']:.1f}%"] + [
            "-" if r[k] is None else f"${r[k]:,.0f}" for k in ("peak_debt_usd", "lowest_cash_usd")
        ] + ["" if r["blocks"] is None else str(r["blocks"]),
             html.escape(str(r["note"])) if not r["feasible"] or r["plan"] == "optimum" else ""]
        body.append(([html.escape(r["scenario"])] if stochastic else []) + cells)
    numeric = ([False] if stochastic else []) + [False, True, True, True, True, True, True, False]
    return ["<h2>Baselines: the optimum against simple rules</h2>",
            "<p class='note'>Each rule's retrofit schedule priced with everything else optimized "
            "(docs/baselines.md); gap = optimum minus the rule's NPV.</p>",
            _table(headers, body, numeric)]


def _plan_tables(tables: dict) -> list[str]:
    out = []
    stochastic = len(tables["finance"].index.get_level_values("scenario").unique()) > 1
    exp = " (expected over scenarios)" if stochastic else ""
    sc = tables.get("scenarios")
    if stochastic and sc is not None:
        out.append("<h2>NPV by scenario</h2>")
        out.append(_table(["scenario", "probability", "NPV (USD)"],
                          [[html.escape(str(w)), f"{r['probability']:.3f}", f"${r['npv_usd']:,.0f}"] for w, r in sc.iterrows()],
                          [False, True, True]))
    r = tables.get("retrofits")
    out.append("<h2>Retrofit schedule</h2>")
    if r is None or len(r) == 0:
        out.append("<p>No retrofits: every site keeps mining.</p>")
    else:
        rows = [[html.escape(str(x.site)), html.escape(str(x.start)), f"{int(x.blocks)}", f"{x.it_mw:,.1f}",
                 html.escape(x.online) if isinstance(x.online, str) and x.online else "after horizon", f"${x.capex_usd:,.0f}"]
                for x in r.itertuples()]
        out.append(_table(["site", "start", "blocks", "IT MW", "online", "capex (USD)"], rows,
                          [False, False, True, True, False, True]))
    pivot = allocation_pivot(tables)
    years = [c for c in pivot.columns if c not in ("site", "measure")]
    out.append(f"<h2>Average MW per year{exp}</h2>")
    out.append(_table(["site", "measure", *years],
                      [[html.escape(str(x["site"])), html.escape(x["measure"]), *(f"{x[y]:,.1f}" for y in years)]
                       for _, x in pivot.iterrows()],
                      [False, False, *([True] * len(years))]))
    f = expected(tables["finance"], tables).reindex(period_labels(tables))
    out.append(f"<h2>Finance per period{exp}, USD millions</h2>")
    out.append(_table(["period", *(label for _c, label in FINANCE_COLUMNS)],
                      [[html.escape(t), *(millions(row[c]) for c, _l in FINANCE_COLUMNS)] for t, row in f.iterrows()],
                      [False, *([True] * len(FINANCE_COLUMNS))]))
    d = tables.get("debt")
    if d is not None and len(d):
        e = expected(d, tables)
        rows = []
        for fac in dict.fromkeys(e.index.get_level_values("facility")):
            part = e.xs(fac, level="facility")
            rows.append([html.escape(str(fac)), f"${part['draw_usd'].sum():,.0f}", f"${part['repay_usd'].sum():,.0f}",
                         f"${part['balance_usd'].max():,.0f}", f"${part['balance_usd'].iloc[-1]:,.0f}",
                         f"${part['interest_usd'].sum():,.0f}", f"${part['fee_usd'].sum():,.0f}"])
        out.append(f"<h2>Debt facilities{exp}</h2>")
        out.append(_table(["facility", "drawn", "repaid", "peak balance", "balance at end", "interest", "fees"], rows,
                          [False] + [True] * 6))
    return out


def _fleet_section(tables: dict) -> list[str]:
    """SPEC v2 runs only: the fleet per year, then curtailment, resale and tenant cash per year."""
    if not is_v2(tables):
        return []
    exp = " (expected over scenarios)" if len(tables["finance"].index.get_level_values("scenario").unique()) > 1 else ""
    y = fleet_by_year(tables)
    fleets = [c for c in y.columns if c.startswith("installed_mw[fleet=")]
    rows = [[html.escape(str(yr)), *(f"{r[c]:,.1f}" for c in fleets), f"{r['installed_mw']:,.1f}",
             "-" if pd.isna(r["avg_j_per_th"]) else f"{r['avg_j_per_th']:.2f}", f"{r['bought_mw']:,.1f}",
             f"{r['retired_mw']:,.1f}", millions(r["asic_capex_usd"])] for yr, r in y.iterrows()]
    out = [f"<h2>Mining fleet per year{exp}</h2>",
           "<p class='note'>Installed grid MW averaged over the year's periods; average J/TH is the installed fleet's "
           "total watts over its TH/s; bought, retired and ASIC capex summed over the year.</p>",
           _table(["year", *(f"{c[len('installed_mw[fleet='):-1]} MW" for c in fleets), "installed MW", "avg J/TH",
                   "bought MW", "retired MW", "ASIC capex ($M)"], rows, [False] + [True] * (len(fleets) + 5))]
    f = flexibility_by_year(tables)
    rows = [[html.escape(str(yr)), f"{r['curtailed_mwh']:,.0f}", millions(r["resale_usd"]), millions(r["prepayments_usd"]),
             millions(r["credits_usd"])] for yr, r in f.iterrows()]
    out += [f"<h2>Curtailment, resale and tenant cash per year{exp}</h2>",
            _table(["year", "curtailed MWh", "resale ($M)", "prepayments ($M)", "credits ($M)"], rows,
                   [False, True, True, True, True])]
    return out


def write_html(tables: dict, path: str | Path) -> Path:
    """Write the report of ``tables`` (see ``optimizer.runs.folder.load_tables``) to ``path``."""
    path = Path(path)
    text = render_report(tables)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".html", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is for handing around
    os.replace(tmp, path)
    return path
