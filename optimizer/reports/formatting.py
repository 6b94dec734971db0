"""Number formatting shared by the terminal report and the HTML report."""

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
