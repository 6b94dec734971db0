"""Outputs drawn from a plan's tables: headline figures (``tables``), charts (PNG),
the Excel workbook, the HTML report, and the one home of money formatting
(``formatting``). Reports read tables, never solve and never read a folder.
"""

from __future__ import annotations

from optimizer.backend.lazy import lazy_attributes

# public name -> the module of this package that holds it
_HOME = {
    "totals": "tables",
    "yearly_split": "tables",
    "npv_distribution": "tables",
    "weighted_quantile": "tables",
    "baseline_rows": "tables",
    "BASELINE_COLUMNS": "tables",
    "CHARTS": "charts",
    "draw_charts": "charts",
    "render_charts": "charts",
    "tables_from_result": "charts",
    "has_plan": "charts",
    "write_workbook": "workbook",
    "render_report": "html",
    "write_html": "html",
    "money": "formatting",
    "millions": "formatting",
    "chart_usd": "formatting",
    "exact_usd": "formatting",
}

__all__ = sorted(_HOME)

__getattr__ = lazy_attributes(__name__, _HOME)
