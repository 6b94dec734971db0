"""Outputs drawn from a plan's tables: headline figures (``tables``), charts (PNG),
the Excel workbook, the HTML report, and the one home of money formatting
(``formatting``). Reports read tables, never solve and never read a folder.
"""

from __future__ import annotations

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


def __getattr__(name: str):
    """Load the module that holds ``name`` on first use (importing the package stays cheap
    and cannot close an import circle)."""
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
