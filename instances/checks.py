"""Suspicious but valid inputs: one warning line each (``Instance.warnings``).

The SPEC allows these values, and a market can produce them, but they are more often
a slip (a sign typed wrong, a column of the wrong CSV) than a fact, and the plan they
give is silently different: a site paid to draw power mines at any hashprice.
"""

from __future__ import annotations

import numpy as np

from instances.series import is_number


SIGNED_FIELDS = (  # (path inside a site, unit, what a negative value does)
    (("power_price_usd_per_mwh",), "USD/MWh", "the site is paid to draw power"),
    (("ai", "lease_usd_per_kw_month"), "USD per IT kW-month", "the landlord pays the tenant to lease"),
)


def negative_series_warnings(clean: dict, scenario_cleans: list[tuple[str, float, dict]]) -> list[str]:
    """``sites.NAME.power_price_usd_per_mwh: below 0 in 3 periods (lowest -5 USD/MWh): ...``
    for every site whose all-in power price or AI lease rate is negative in some period
    of the base instance or of a scenario."""
    out: list[str] = []
    for label, source in [("", clean)] + [(f" (scenario {name})", c) for name, _, c in scenario_cleans if c is not clean]:
        for site in source.get("sites") or []:
            for keys, unit, effect in SIGNED_FIELDS:
                values = _at(site, keys)
                if values is None or not (values < 0).any():
                    continue
                count = int((values < 0).sum())
                line = (
                    f"sites.{site.get('name')}.{'.'.join(keys)}{label}: below 0 in {count} period"
                    f"{'s' if count != 1 else ''} (lowest {values.min():g} {unit}): {effect}; check the sign"
                )
                if line not in out:
                    out.append(line)
    return out


def _at(site: dict, keys: tuple[str, ...]) -> np.ndarray | None:
    """The resolved series at ``keys`` inside a site (None when absent)."""
    node = site
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    if node is None or not (is_number(node) or isinstance(node, (np.ndarray, list))):
        return None
    return np.atleast_1d(np.asarray(node, dtype=float))
