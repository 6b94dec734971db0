"""Months, period labels and the periods table (SPEC section 1).

A month is held as an integer ``year * 12 + (month - 1)`` so that comparisons and
arithmetic on dates are plain integer operations.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

HOURS_PER_MONTH = 730.0
DAYS_PER_MONTH = 365.0 / 12.0
PERIOD_MONTHS_ALLOWED = (1, 3, 6, 12)

_DATE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: object) -> int:
    """``"YYYY-MM"`` -> month number ``year*12 + month-1``; ValueError when malformed."""
    if not isinstance(text, str):
        raise ValueError(f'must be a date "YYYY-MM", got {_shown(text)}')
    match = _DATE.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f'must be a date "YYYY-MM", got {_shown(text)}')
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def _shown(value: object) -> str:
    """A bad date as written in the JSON file, shortened."""
    try:
        text = json.dumps(value, allow_nan=True, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def month_label(month: int) -> str:
    """Month number -> ``"YYYY-MM"``."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def period_starts(start_month: int, periods: int, period_months: int) -> np.ndarray:
    """Start month of every period: ``start + t * period_months`` for t = 0..N-1."""
    return start_month + period_months * np.arange(periods)


def select_period(starts: np.ndarray, month: int) -> int | None:
    """Index of the first period whose start month is at or after ``month``.

    None when the date lies after the last period's start (it selects no period).
    """
    hits = np.nonzero(starts >= month)[0]
    return int(hits[0]) if hits.size else None


def discount_factors(periods: int, period_months: int, rate_annual: float) -> np.ndarray:
    """``df_t = (1 + r) ** (-(t + 1) * m / 12)``: cash flows fall at period end."""
    t = np.arange(periods)
    with np.errstate(over="ignore"):  # a rate near -1 can overflow: optimizer.backend.numerics refuses it
        return (1.0 + rate_annual) ** (-(t + 1) * period_months / 12.0)


def periods_table(start_month: int, periods: int, period_months: int) -> pd.DataFrame:
    """One row per period: label, t, start month, months, hours (730*m), days (365/12*m).

    Discount factors depend on the finance section (and may differ by scenario), so
    they live in the scenario tables, not here.
    """
    starts = period_starts(start_month, periods, period_months)
    return pd.DataFrame(
        {
            "t": np.arange(periods),
            "start_month": starts,
            "months": float(period_months),
            "hours": HOURS_PER_MONTH * period_months,
            "days": DAYS_PER_MONTH * period_months,
        },
        index=pd.Index([month_label(int(s)) for s in starts], name="period"),
    )
