"""Number formatting shared by the terminal report and the HTML report."""

from __future__ import annotations

import math


def money(usd) -> str:
    """USD as a short figure a CFO reads: $1.23B, $45.6M, $789k; "-" when missing."""
    if usd is None:
        return "-"
    usd = float(usd)
    if math.isnan(usd):
        return "-"
    a, sign = abs(usd), "-" if usd < 0 else ""
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.2f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.1f}M"
    if a >= 1e3:
        return f"{sign}${a / 1e3:,.0f}k"
    return f"{sign}${a:,.0f}"
