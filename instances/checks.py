"""Suspicious but valid inputs: one warning line each (``Instance.warnings``).

The SPEC allows these values, and a market can produce them, but they are more often
a slip (a sign typed wrong, a column of the wrong CSV) than a fact, and the plan they
give is silently different: a site paid to draw power mines at any hashprice.
"""

from __future__ import annotations

import numpy as np

from instances.series import is_number


def negative_series_warnings(clean: dict, scenario_cleans: list[tuple[str, float, dict]]) -> list[str]:
    """``sites.NAME.power_price_usd_per_mwh: below 0 in 3 periods (lowest -5 USD/MWh): ...``
    for every site whose all-in power price is negative in some period of the base
    instance or of a scenario (the lease rate has its own rule: >= 0, an error)."""
    out: list[str] = []
    for label, source in [("", clean)] + [(f" (scenario {name})", c) for name, _, c in scenario_cleans if c is not clean]:
        for site in source.get("sites") or []:
            values = site.get("power_price_usd_per_mwh")
            array = np.atleast_1d(np.asarray(values, dtype=float)) if values is not None and (is_number(values) or isinstance(values, np.ndarray)) else None
            if array is None or not (array < 0).any():
                continue
            negative = np.nonzero(array < 0)[0]
            line = (
                f"sites.{site.get('name')}.power_price_usd_per_mwh{label}: below 0 in {negative.size} period"
                f"{'s' if negative.size != 1 else ''} (lowest {array.min():g} USD/MWh): the site is paid to draw power; check the sign"
            )
            if line not in out:
                out.append(line)
    return out
