"""Money formatting: the one home of every way ``allocate`` writes USD.

:func:`money` is the figure of every report (terminal, HTML, explanations); the
others are its fixed-width cousins where a context needs them: :func:`millions`
(HTML table cells, no unit), :func:`chart_usd` (labels on charts) and
:func:`exact_usd` (``allocate evaluate``, three decimals).
"""

from __future__ import annotations

import math


def money(usd, precise: bool = False) -> str:
    """USD as a short figure a CFO reads: $1.23B, $45.6M, $789k; "-" when missing.

    ``precise`` keeps one more decimal (``$45.62M``, ``$789.4k``, ``$12.50``), for
    amounts a user compares against a limit.
    """
    if usd is None:
        return "-"
    usd = float(usd)
    if math.isnan(usd):
        return "-"
    a, sign = abs(usd), "-" if usd < 0 else ""
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.2f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.{2 if precise else 1}f}M"
    if a >= 1e3:
        return f"{sign}${a / 1e3:,.{1 if precise else 0}f}k"
    return f"{sign}${a:,.{2 if precise else 0}f}"


def millions(usd) -> str:
    """USD millions with 2 decimals (table cells)."""
    import pandas as pd  # pd.isna: a cell may hold NaN, None or pd.NA

    if usd is None or pd.isna(usd):
        return "-"
    return f"{usd / 1e6:,.2f}"


def chart_usd(usd: float) -> str:
    """A chart label: $1.23B, $45.6M, $789k (thousands below a million; the sign after the $)."""
    a = abs(float(usd))
    if a >= 1e9:
        return f"${usd / 1e9:,.2f}B"
    if a >= 1e6:
        return f"${usd / 1e6:,.1f}M"
    return f"${usd / 1e3:,.0f}k"


def exact_usd(usd: float) -> str:
    """A recomputed figure a user checks against a solver: $1.234B, $45.678M, $789.12."""
    a = abs(usd)
    sign = "-" if usd < 0 else ""
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.3f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.3f}M"
    return f"{sign}${a:,.2f}"
