"""Charts of a plan (PNG, matplotlib's Agg canvas), drawn from a run folder's tables.

    from optimizer.reports.charts import draw_charts
    from optimizer.runs.folder import load_tables
    draw_charts(load_tables("runs/base"), "runs/base/charts")

``draw_charts`` works from the tables as ``solve --out`` writes them (CSV), so a
finished run can be redrawn (``allocate plot RUN_DIR``); ``tables_from_result`` gives
the same tables straight from a :class:`~optimizer.solve.Result`. When the instance
has several scenarios every chart shows the expectation over them (probability
weighted), as the terminal report does.

Charts (file names in ``CHARTS``):

- ``mw_by_site.png``: grid MW per site over time, stacked mining / AI hosting
  (leased, grid MW) / AI online but unleased / construction / idle; one panel per
  site (per region when there are more than ``MAX_PANELS`` sites)
- ``retrofit_schedule.png``: Gantt chart, construction bars and go-live markers
- ``cash_and_debt.png``: cash, total debt and each facility's balance at period end
- ``ebitda_by_segment.png``: mining EBITDA, AI EBITDA, overhead and total per year

SPEC v2 runs (a ``fleets`` table) also get (``V2_CHARTS``):

- ``fleet.png``: installed grid MW per fleet and the fleet's average J/TH, per year
- ``flexibility.png``: resale of undrawn power, tenant prepayments, rent credits and
  ASIC capex per year, and the MWh curtailed
"""

from __future__ import annotations

import io
import math
import os
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.reports.formatting import chart_usd

CHARTS = {
    "mw_by_site": "Grid MW by site",
    "retrofit_schedule": "Retrofit schedule",
    "cash_and_debt": "Cash and debt",
    "ebitda_by_segment": "EBITDA by segment per year",
}
#: charts of SPEC v2 runs only (a v1 run folder keeps exactly the four above)
V2_CHARTS = {
    "fleet": "Mining fleet: installed MW and efficiency",
    "flexibility": "Resale, curtailment and tenant cash per year",
}
MAX_PANELS = 12
DPI = 110

COLORS = {
    "mining": "#e69f00",
    "ai": "#0072b2",
    "unleased": "#8fbde0",
    "construction": "#9e9e9e",
    "idle": "#e8e8e8",
    "grid": "#222222",
    "cash": "#009e73",
    "debt": "#c0392b",
    "overhead": "#7f7f7f",
    "total": "#222222",
}

# --------------------------------------------------------------------------- tables

def tables_from_result(result) -> dict:
    """The same tables as :func:`load_tables`, from a solved :class:`Result`."""
    return {
        "summary": result.summary(),
        "instance": result.instance.raw,
        "allocation": result.allocation,
        "retrofits": result.retrofits,
        "finance": result.finance,
        "debt": result.debt,
        "scenarios": result.scenario_npv,
        "fleets": getattr(result, "fleets", None),  # SPEC v2 only (None for v1)
    }


def has_plan(tables: dict) -> bool:
    return tables.get("allocation") is not None and tables.get("finance") is not None


def probabilities(tables: dict) -> pd.Series:
    """Scenario probabilities (a single ``base`` scenario weighs 1)."""
    sc = tables.get("scenarios")
    if sc is not None and "probability" in sc:
        return sc["probability"].astype(float)
    names = tables["finance"].index.get_level_values("scenario").unique()
    return pd.Series(1.0 / len(names), index=names)


def expected(table: pd.DataFrame, tables: dict) -> pd.DataFrame:
    """Probability-weighted sum over the ``scenario`` index level (order kept)."""
    p = probabilities(tables)
    w = table.index.get_level_values("scenario").map(p).to_numpy(dtype=float)
    rest = [n for n in table.index.names if n != "scenario"]
    numeric = table.select_dtypes("number")
    return numeric.mul(w, axis=0).groupby(level=rest, sort=False).sum()


def n_scenarios(tables: dict) -> int:
    return len(probabilities(tables))


def period_labels(tables: dict) -> list[str]:
    labels = tables["summary"].get("periods")
    if labels:
        return list(labels)
    return list(dict.fromkeys(tables["finance"].index.get_level_values("period")))


def period_months(tables: dict) -> int:
    raw = tables.get("instance") or {}
    months = (raw.get("horizon") or {}).get("period_months")
    if isinstance(months, int) and months > 0:
        return months
    labels = period_labels(tables)
    if len(labels) > 1:
        a, b = (month_index(x) for x in labels[:2])
        return b - a
    return 1


def month_index(label: str) -> int:
    y, m = label.split("-")
    return int(y) * 12 + int(m) - 1


def label_date(label: str) -> date:
    """Period label ``YYYY-MM`` -> first day of that month."""
    y, m = label.split("-")
    return date(int(y), int(m), 1)


def _month_date(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def horizon_end(tables: dict) -> date:
    """First day after the horizon."""
    return _month_date(month_index(period_labels(tables)[-1]) + period_months(tables))


def site_regions(tables: dict) -> dict[str, str]:
    raw = tables.get("instance") or {}
    return {s.get("name"): str(s.get("region") or "no region") for s in raw.get("sites", []) if isinstance(s, dict)}


def yearly_mw(tables: dict) -> pd.DataFrame:
    """Average MW per (site, calendar year), expected over scenarios: mine_mw, ai_it_mw, ..."""
    a = expected(tables["allocation"], tables)
    years = a.index.get_level_values("period").str[:4]
    sites = a.index.get_level_values("site")
    return a.groupby([sites, years], sort=False).mean().rename_axis(["site", "year"])


def yearly_finance(tables: dict) -> pd.DataFrame:
    """Finance flows summed per calendar year, expected over scenarios."""
    f = expected(tables["finance"], tables)
    cols = ["mining_ebitda_usd", "ai_ebitda_usd", "overhead_usd", "ebitda_usd", "capex_usd", "interest_usd", "dividend_usd"]
    return f[cols].groupby(f.index.str[:4], sort=False).sum().rename_axis("year")


# --------------------------------------------------------------------------- SPEC v2 tables
# The fleet, curtailment and resale, tenant prepayments and credits (SPEC section 11),
# per calendar year; None for a SPEC v1 run (no fleets table), so v1 output is unchanged.

HOURS_PER_MONTH = 730.0  # the SPEC's hours per month (h = 730 x period months)


def is_v2(tables: dict) -> bool:
    """The run is a SPEC v2 run: it has a fleet table."""
    return tables.get("fleets") is not None and tables.get("allocation") is not None


def fleet_by_year(tables: dict) -> pd.DataFrame | None:
    """Per calendar year: the installed fleet and what was bought.

    Columns: ``installed_mw[fleet=G]`` for every fleet G and ``installed_mw`` (grid MW
    installed at period end, summed over sites, averaged over the year's periods),
    ``avg_j_per_th`` (the installed fleet's efficiency at the ASIC, total W over total
    TH/s: the hashrate-weighted mean of J/TH, over the year's periods), ``bought_mw``,
    ``retired_mw`` (summed over the year) and ``asic_capex_usd`` (USD, summed).
    """
    if not is_v2(tables):
        return None
    f = tables["fleets"].copy()
    # hashrate x J/TH sums to the fleet's watts (x 1e-3 PH); kept for the weighted mean
    f["hashrate_x_eff"] = f["hashrate_ph_s"] * f["efficiency_j_per_th"]
    e = expected(f[["installed_mw", "bought_mw", "retired_mw", "hashrate_ph_s", "hashrate_x_eff", "asic_capex_usd"]], tables)
    period = e.index.get_level_values("period")
    year = period.str[:4]
    fleet = e.index.get_level_values("fleet")
    n_periods = pd.Series(period).groupby(year.to_numpy()).nunique()
    out = pd.DataFrame(index=pd.Index(list(dict.fromkeys(year)), name="year"))
    for g in dict.fromkeys(fleet):
        part = e["installed_mw"][fleet == g]
        out[f"installed_mw[fleet={g}]"] = part.groupby(part.index.get_level_values("period").str[:4]).sum() / n_periods
    out = out.fillna(0.0)
    out["installed_mw"] = e["installed_mw"].groupby(year).sum() / n_periods
    hr = e["hashrate_ph_s"].groupby(year).sum()
    out["avg_j_per_th"] = (e["hashrate_x_eff"].groupby(year).sum() / hr).where(hr > 0)
    for c in ("bought_mw", "retired_mw", "asic_capex_usd"):
        out[c] = e[c].groupby(year).sum()
    return out


def tier_fractions(tables: dict) -> dict[str, list[float]]:
    """Hours fraction of each price tier per site, from the run's instance (one tier
    of fraction 1 for a site with a plain price)."""
    raw = tables.get("instance") or {}
    out = {}
    for s in raw.get("sites", []):
        tiers = s.get("power_price_tiers") if isinstance(s, dict) else None
        out[s.get("name")] = [float(t["hours_fraction"]) for t in tiers] if tiers else [1.0]
    return out


def flexibility_by_year(tables: dict) -> pd.DataFrame | None:
    """Per calendar year: curtailment, resale and tenant cash.

    Columns: ``curtailed_mwh`` = sum over sites, periods and tiers k of
    ``curtailed_mw[tier=k] * f_k * 730 * months`` (MWh a fleet could have mined and did
    not); ``resale_usd`` (power sold back), ``prepayments_usd`` (received from tenants),
    ``credits_usd`` (rent credited back) and ``asic_capex_usd``, all USD summed over the
    year from the finance table.
    """
    if not is_v2(tables):
        return None
    a = expected(tables["allocation"], tables)
    hours = HOURS_PER_MONTH * period_months(tables)
    fractions = tier_fractions(tables)
    site = a.index.get_level_values("site")
    mwh = pd.Series(0.0, index=a.index)
    for c in a.columns:
        if c.startswith("curtailed_mw[tier="):
            k = int(c[len("curtailed_mw[tier="):-1])
            f_k = site.map(lambda s, k=k: fractions.get(s, [1.0])[k] if k < len(fractions.get(s, [1.0])) else 0.0)
            mwh = mwh + a[c].fillna(0.0) * f_k.to_numpy(dtype=float) * hours
    year = a.index.get_level_values("period").str[:4]
    out = pd.DataFrame({"curtailed_mwh": mwh.groupby(year, sort=False).sum()})
    out.index.name = "year"
    fin = expected(tables["finance"], tables)
    fyear = fin.index.str[:4]
    for c in ("resale_usd", "prepayments_usd", "credits_usd", "asic_capex_usd"):
        out[c] = fin[c].groupby(fyear, sort=False).sum() if c in fin else 0.0
    return out


# --------------------------------------------------------------------------- drawing


def _figure(width: float, height: float, layout: str | None = "constrained"):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


def _usd_axis(ax, values) -> None:
    """Axis ticks as $M (or $B when the figures reach billions)."""
    from matplotlib.ticker import FuncFormatter

    peak = float(np.nanmax(np.abs(values))) if len(values) else 0.0
    scale, unit = (1e9, "B") if peak >= 2e9 else (1e6, "M")

    def fmt(v, _pos):
        s = f"{abs(v) / scale:,.{1 if unit == 'B' else 0}f}"
        return f"{'-' if v < 0 else ''}${s}{unit}"

    ax.yaxis.set_major_formatter(FuncFormatter(fmt))
    ax.set_ylabel(f"USD ({'billions' if unit == 'B' else 'millions'})")


def _date_axis(ax, first: date, end: date) -> None:
    """Fixed date ticks (cheap, unlike matplotlib's automatic ones): each January
    labelled with its year, July labelled ``Jul`` on horizons up to four years."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FixedFormatter, FixedLocator

    a, b = first.year * 12 + first.month - 1, end.year * 12 + end.month - 1
    span = b - a
    step = 6 if span <= 48 else 12 if span <= 120 else 24
    ticks = [m for m in range(a, b + 1) if m % step == 0]
    if len(ticks) < 2:  # a short horizon: every period start
        ticks = list(range(a, b + 1, max(1, span // 4 or 1)))
    dates = [_month_date(m) for m in ticks]
    names = [str(d.year) if d.month == 1 or len(ticks) < 3 and d == dates[0] else d.strftime("%b") for d in dates]
    ax.xaxis.set_major_locator(FixedLocator(mdates.date2num(dates)))
    ax.xaxis.set_major_formatter(FixedFormatter(names))


def _horizon_axis(ax, tables: dict) -> None:
    _date_axis(ax, label_date(period_labels(tables)[0]), horizon_end(tables))


def _subtitle(tables: dict) -> str:
    n = n_scenarios(tables)
    return f" (expected over {n} scenarios)" if n > 1 else ""


def _step_x(tables: dict) -> list:
    """Period starts plus the horizon end: x for step='post' plots."""
    return [label_date(t) for t in period_labels(tables)] + [horizon_end(tables)]


def _post(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return np.append(v, v[-1]) if len(v) else v


def figure_mw_by_site(tables: dict):
    a = expected(tables["allocation"], tables)
    labels = period_labels(tables)
    a["unleased_mw"] = (a["reserved_ai_grid_mw"] - a["construction_mw"] - a["ai_grid_mw"]).clip(lower=0.0)
    sites = list(dict.fromkeys(a.index.get_level_values("site")))
    regions = site_regions(tables)
    if len(sites) > MAX_PANELS and regions:
        key = a.index.get_level_values("site").map(lambda s: regions.get(s, "no region"))
        a = a.groupby([key, a.index.get_level_values("period")], sort=False).sum()
        a.index.names = ["site", "period"]
        panels = list(dict.fromkeys(key))
        kind = "region"
    else:
        panels, kind = sites, "site"
    layers = [
        ("mine_mw", "mining", COLORS["mining"], None),
        ("ai_grid_mw", "AI hosting (leased, grid MW)", COLORS["ai"], None),
        ("unleased_mw", "AI online, not leased", COLORS["unleased"], None),
        ("construction_mw", "AI under construction", COLORS["construction"], "///"),
        ("idle_mw", "idle", COLORS["idle"], None),
    ]
    shown = [layer for layer in layers if float(a[layer[0]].abs().sum()) > 1e-6 or layer[0] in ("mine_mw", "ai_grid_mw")]
    n = len(panels)
    ncols = 1 if n == 1 else 2 if n <= 4 else 3
    nrows = math.ceil(n / ncols)
    height = 1.3 + 2.4 * nrows
    fig = _figure(11.5 if ncols > 1 else 10, height, layout=None)
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False, gridspec_kw={
        "left": 0.065, "right": 0.97, "top": 1 - 0.62 / height, "bottom": 0.78 / height, "hspace": 0.36, "wspace": 0.14})
    x = _step_x(tables)
    for k, name in enumerate(panels):
        ax = axes[k // ncols][k % ncols]
        part = a.xs(name, level="site").reindex(labels, fill_value=0.0)
        bottom = np.zeros(len(x))
        for col, label, color, hatch in shown:
            top = bottom + _post(part[col])
            ax.fill_between(x, bottom, top, step="post", color=color, hatch=hatch, edgecolor="white" if hatch else None,
                            linewidth=0, label=label)
            bottom = top
        ax.step(x, _post(part["grid_mw"]), where="post", color=COLORS["grid"], linewidth=1.2, label="grid MW available")
        title = name if kind == "site" else f"region {name}"
        if kind == "site" and regions.get(name):
            title += f"  ({regions[name]})"
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_ylim(bottom=0)
        ax.margins(x=0)
        ax.grid(axis="y", alpha=0.3)
        if k % ncols == 0:
            ax.set_ylabel("MW (grid)")
        _horizon_axis(ax, tables)
    for k in range(n, nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncols=min(len(names), 6), fontsize=9,
               frameon=False)
    per = "site" if kind == "site" else "region"
    fig.suptitle(f"Grid MW by {per}: mining vs AI vs construction vs idle{_subtitle(tables)}", fontsize=12, fontweight="bold",
                 y=1 - 0.12 / height)
    return fig


def chart_mw_by_site(tables: dict) -> bytes:
    return _png(figure_mw_by_site(tables))


def figure_retrofit_schedule(tables: dict):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    r = tables.get("retrofits")
    r = r if r is not None else pd.DataFrame(columns=["site", "start", "blocks", "it_mw", "online", "capex_usd"])
    start0, end = label_date(period_labels(tables)[0]), horizon_end(tables)
    rows = len(r)
    fig = _figure(10, 1.6 + 0.45 * max(rows, 2))
    ax = fig.subplots()
    ax.set_xlim(start0, end)
    if rows == 0:
        ax.text(0.5, 0.5, "No retrofits in this plan: every site keeps mining", transform=ax.transAxes,
                ha="center", va="center", fontsize=12)
        ax.set_yticks([])
    labels = []
    for i, row in enumerate(r.itertuples()):
        s = label_date(row.start)
        online = row.online if isinstance(row.online, str) and row.online else None
        o = label_date(online) if online else end
        if o > s:
            ax.barh(i, (pd.Timestamp(o) - pd.Timestamp(s)).days, left=s, height=0.5, color=COLORS["construction"],
                    hatch="///", edgecolor="white")
        if online:
            if o < end:
                ax.barh(i, (pd.Timestamp(end) - pd.Timestamp(o)).days, left=o, height=0.5, color=COLORS["ai"], alpha=0.35)
            ax.plot([o], [i], marker="D", color=COLORS["ai"], markersize=8, markeredgecolor="white", clip_on=False, zorder=5)
        else:
            ax.annotate("online after horizon", (end, i), xytext=(-4, 0), textcoords="offset points", ha="right",
                        va="center", fontsize=8,
                        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.9})
        ax.annotate(f"capex {chart_usd(row.capex_usd)}", (s, i), xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize=8, bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.9})
        labels.append(f"{row.site}: {int(row.blocks)} x {row.it_mw / max(int(row.blocks), 1):,.0f} MW")
    if rows:
        ax.set_yticks(range(rows), labels)
        ax.set_ylim(rows - 0.4, -0.7)
    ax.set_xlabel("date (construction from the start period, AI IT online at the diamond)")
    ax.grid(axis="x", alpha=0.3)
    _horizon_axis(ax, tables)
    legend = [
        Patch(facecolor=COLORS["construction"], hatch="///", edgecolor="white", label="construction"),
        Line2D([], [], marker="D", linestyle="none", color=COLORS["ai"], label="online (IT MW leasable)"),
        Patch(facecolor=COLORS["ai"], alpha=0.35, label="operating"),
    ]
    if rows:
        fig.legend(handles=legend, loc="outside lower center", ncols=3, fontsize=9, frameon=False)
    total = float(r["it_mw"].sum()) if rows else 0.0
    fig.suptitle(f"Retrofit schedule: {rows} start(s), {total:,.0f} IT MW in all", fontsize=12, fontweight="bold")
    return fig


def chart_retrofit_schedule(tables: dict) -> bytes:
    return _png(figure_retrofit_schedule(tables))


def figure_cash_and_debt(tables: dict):
    f = expected(tables["finance"], tables)
    labels = period_labels(tables)
    f = f.reindex(labels)
    x = _step_x(tables)
    fig = _figure(10, 4.6)
    ax = fig.subplots()
    ax.fill_between(x, 0, _post(f["debt_usd"]), step="post", color=COLORS["debt"], alpha=0.12, linewidth=0)
    ax.step(x, _post(f["debt_usd"]), where="post", color=COLORS["debt"], linewidth=3, alpha=0.55, label="total debt")
    ax.step(x, _post(f["cash_usd"]), where="post", color=COLORS["cash"], linewidth=2, label="cash")
    facilities = [c[len("balance_usd["):-1] for c in f.columns if c.startswith("balance_usd[")]
    styles = ["--", ":", "-.", (0, (5, 1, 1, 1))]
    for k, name in enumerate(facilities):
        ax.step(x, _post(f[f"balance_usd[{name}]"]), where="post", linestyle=styles[k % len(styles)], linewidth=1.3,
                label=f"facility {name} balance")
    values = np.concatenate([f["cash_usd"].to_numpy(), f["debt_usd"].to_numpy()])
    _usd_axis(ax, values)
    ax.set_xlabel("date (each step: the balance at the end of that period)")
    ax.set_ylim(bottom=min(0.0, float(np.nanmin(values)) * 1.05))
    ax.margins(x=0)
    ax.grid(alpha=0.3)
    _horizon_axis(ax, tables)
    ax.legend(fontsize=9, loc="best")
    fig.suptitle(f"Cash and debt at period end{_subtitle(tables)}", fontsize=12, fontweight="bold")
    return fig


def chart_cash_and_debt(tables: dict) -> bytes:
    return _png(figure_cash_and_debt(tables))


def figure_ebitda_by_segment(tables: dict):
    y = yearly_finance(tables)
    months = period_months(tables)
    counts = pd.Series(period_labels(tables)).str[:4].value_counts()
    names = [f"{yr}" + ("" if counts.get(yr, 0) * months >= 12 else f"\n({counts.get(yr, 0) * months} mo)") for yr in y.index]
    x = np.arange(len(y))
    width = 0.26
    fig = _figure(10, 4.6)
    ax = fig.subplots()
    ax.bar(x - width, y["mining_ebitda_usd"], width, color=COLORS["mining"], label="mining EBITDA")
    ax.bar(x, y["ai_ebitda_usd"], width, color=COLORS["ai"], label="AI hosting EBITDA")
    ax.bar(x + width, -y["overhead_usd"], width, color=COLORS["overhead"], label="overhead (cost)")
    ax.plot(x, y["ebitda_usd"], marker="D", linestyle="none", color=COLORS["total"], markersize=7, label="total EBITDA")
    for xi, v in zip(x, y["ebitda_usd"]):
        ax.annotate(chart_usd(v), (xi, v), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=8)
    ax.axhline(0, color="#444", linewidth=0.8)
    ax.set_xticks(x, names)
    ax.set_xlabel("calendar year")
    values = np.concatenate([y["mining_ebitda_usd"], y["ai_ebitda_usd"], -y["overhead_usd"], y["ebitda_usd"]])
    _usd_axis(ax, values)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=9, loc="best")
    fig.suptitle(f"EBITDA by segment per year{_subtitle(tables)}", fontsize=12, fontweight="bold")
    return fig


def chart_ebitda_by_segment(tables: dict) -> bytes:
    return _png(figure_ebitda_by_segment(tables))


def _year_names(tables: dict, years) -> list[str]:
    """Calendar-year tick labels; a partial year shows its months."""
    months = period_months(tables)
    counts = pd.Series(period_labels(tables)).str[:4].value_counts()
    return [f"{yr}" + ("" if counts.get(yr, 0) * months >= 12 else f"\n({counts.get(yr, 0) * months} mo)") for yr in years]


def chart_fleet(tables: dict) -> bytes:
    """Installed grid MW per fleet (stacked bars, year average) and the installed
    fleet's average J/TH (line, right axis), per calendar year (SPEC v2)."""
    y = fleet_by_year(tables)
    fleets = [c for c in y.columns if c.startswith("installed_mw[fleet=")]
    x = np.arange(len(y))
    fig = _figure(10, 4.6)
    ax = fig.subplots()
    bottom = np.zeros(len(y))
    shades = ["#e69f00", "#d55e00", "#cc79a7", "#56b4e9", "#009e73", "#f0e442"]
    for k, c in enumerate(fleets):
        vals = y[c].to_numpy(dtype=float)
        ax.bar(x, vals, 0.6, bottom=bottom, color=shades[k % len(shades)], label=c[len("installed_mw[fleet="):-1])
        bottom += vals
    ax.set_ylabel("installed grid MW (year average)")
    ax.set_xticks(x, _year_names(tables, y.index))
    ax.set_xlabel("calendar year")
    ax.grid(axis="y", alpha=0.3)
    right = ax.twinx()
    right.plot(x, y["avg_j_per_th"], marker="o", color=COLORS["total"], label="average J/TH (right axis)")
    for xi, v in zip(x, y["avg_j_per_th"]):
        if np.isfinite(v):
            right.annotate(f"{v:.1f}", (xi, v), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=8)
    right.set_ylabel("J/TH at the ASIC")
    finite = y["avg_j_per_th"].dropna()
    right.set_ylim(0, float(finite.max()) * 1.25 if len(finite) else 1.0)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    names = ax.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    ax.legend(handles, names, fontsize=9, loc="upper right")
    fig.suptitle(f"Mining fleet: installed MW and efficiency{_subtitle(tables)}", fontsize=12, fontweight="bold")
    return _png(fig)


def chart_flexibility(tables: dict) -> bytes:
    """Per calendar year: resale revenue and tenant prepayments (in), rent credits and
    ASIC capex (out), USD bars; MWh curtailed as a line on the right axis (SPEC v2)."""
    y = flexibility_by_year(tables)
    x = np.arange(len(y))
    width = 0.2
    fig = _figure(10, 4.6)
    ax = fig.subplots()
    bars = [("resale_usd", 1, "#009e73", "resale of undrawn power"),
            ("prepayments_usd", 1, COLORS["ai"], "tenant prepayments"),
            ("credits_usd", -1, COLORS["unleased"], "rent credits (out)"),
            ("asic_capex_usd", -1, COLORS["mining"], "ASIC capex (out)")]
    values = []
    for k, (col, sign, color, label) in enumerate(bars):
        vals = sign * y[col].to_numpy(dtype=float)
        values.append(vals)
        ax.bar(x + (k - 1.5) * width, vals, width, color=color, label=label)
    ax.axhline(0, color="#444", linewidth=0.8)
    _usd_axis(ax, np.concatenate(values))
    ax.set_xticks(x, _year_names(tables, y.index))
    ax.set_xlabel("calendar year")
    ax.grid(axis="y", alpha=0.3)
    right = ax.twinx()
    right.plot(x, y["curtailed_mwh"] / 1000.0, marker="s", color=COLORS["total"], label="curtailed GWh (right axis)")
    right.set_ylabel("GWh curtailed")
    right.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    names = ax.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    ax.legend(handles, names, fontsize=8, loc="upper right")
    fig.suptitle(f"Resale, curtailment and tenant cash per year{_subtitle(tables)}", fontsize=12, fontweight="bold")
    return _png(fig)


_DRAW = {
    "mw_by_site": chart_mw_by_site,
    "retrofit_schedule": chart_retrofit_schedule,
    "cash_and_debt": chart_cash_and_debt,
    "ebitda_by_segment": chart_ebitda_by_segment,
}


def render_charts(tables: dict) -> dict[str, bytes]:
    """Every chart as PNG bytes, by name (empty when the run has no plan)."""
    if not has_plan(tables):
        return {}
    out = {name: draw(tables) for name, draw in _DRAW.items()}
    if is_v2(tables):  # SPEC v2 runs only: a v1 run keeps its four charts
        out.update({"fleet": chart_fleet(tables), "flexibility": chart_flexibility(tables)})
    return out


def draw_charts(tables: dict, folder: str | Path) -> list[Path]:
    """Write every chart as ``folder/NAME.png`` (folder created); the paths written.

    Each file is written under a temporary name and renamed, so a reader never sees
    half a PNG. A run without a plan gives no chart (an empty list).
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, png in render_charts(tables).items():
        path = out / f"{name}.png"
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".png", dir=out)
        with os.fdopen(fd, "wb") as fh:
            fh.write(png)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        paths.append(path)
    return paths
