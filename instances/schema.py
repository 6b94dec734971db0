"""The instance schema: every field of SPEC sections 1-6 with its unit, default and rule.

Each section is a table of :class:`Field`. :func:`read_object` walks a JSON object
against such a table, collects every problem as an :class:`~instances.errors.Issue`
and returns the values with defaults filled in, dates turned into month numbers and
series resolved to one value per period. ``docs/instance-format.md`` is this file in
prose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from instances.calendar import PERIOD_MONTHS_ALLOWED, parse_month
from instances.errors import Issue, closest
from instances.series import Horizon, describe, resolve_series, series_values


@dataclass(frozen=True)
class Rule:
    """A range check: ``test(value)`` must hold; ``text`` says so in an error."""

    test: Callable[[float], bool]
    text: str
    # the whole error for some failing values (value, the number as written), else None
    message: Callable[[float, str], str | None] | None = None


GE0 = Rule(lambda v: v >= 0, ">= 0")
GT0 = Rule(lambda v: v > 0, "> 0")
GE1 = Rule(lambda v: v >= 1, ">= 1")
FRACTION = Rule(lambda v: 0 <= v <= 1, "between 0 and 1")
FEE = Rule(lambda v: 0 <= v < 1, ">= 0 and < 1")
RATE = Rule(lambda v: v > -1, "> -1")
# a discount rate above 100% a year is a percent typed as a fraction (11 for 0.11)
DISCOUNT_RATE = Rule(lambda v: -1 < v <= 1, "> -1 and at most 1", lambda v, shown: f"{shown} is above 1: write rates as fractions (0.11 for 11%)" if v > 1 else None)
ANY = Rule(lambda v: True, "a number")


@dataclass(frozen=True)
class Field:
    """One field of an instance object.

    kind: number | integer | bool | string | date | series | object | list | map
    """

    kind: str
    unit: str = ""
    doc: str = ""
    required: bool = False
    default: Any = None
    rule: Rule = ANY
    schema: str | None = None  # for object / list / map: the name of the item schema
    choices: tuple | None = None


SCHEMAS: dict[str, dict[str, Field]] = {
    "instance": {
        "name": Field("string", doc="instance name, shown in reports", default="instance"),
        "description": Field("string", doc="free text (extension)", default=""),
        "horizon": Field("object", schema="horizon", required=True, doc="time grid"),
        "markets": Field("object", schema="markets", required=True, doc="portfolio-wide prices and demand"),
        "sites": Field("list", schema="site", required=True, doc="the sites of the portfolio"),
        "finance": Field("object", schema="finance", required=True, doc="discounting, cash, budgets, debt"),
        "scenarios": Field("list", schema="scenario", doc="optional scenarios (SPEC section 6)"),
        "risk": Field("object", schema="risk", doc="optional CVaR risk aversion (extension)"),
        "scenario_model": Field("object", schema="scenario_model", doc="optional hashprice scenario generator parameters (extension, allocate scenarios)"),
    },
    "horizon": {
        "start": Field("date", required=True, doc="first period's start month"),
        "periods": Field("integer", required=True, rule=Rule(lambda v: 1 <= v <= 600, "between 1 and 600"), doc="N"),
        "period_months": Field("integer", default=3, choices=PERIOD_MONTHS_ALLOWED, unit="months", doc="period length"),
    },
    "markets": {
        "hashprice_usd_per_ph_day": Field("series", unit="USD per PH/s per day", required=True, rule=GE0),
        "ai_demand_it_mw": Field("map", schema="series_ge0", unit="IT MW", doc="region -> series"),
        "asic_models": Field("list", schema="asic_model", doc="purchasable ASIC models (SPEC v2 section 8)"),
    },
    "asic_model": {
        "name": Field("string", required=True, doc="unique model name, the fleet's name in every site"),
        "efficiency_j_per_th": Field("number", unit="J/TH", required=True, rule=GT0, doc="efficiency at the ASIC"),
        "price_usd_per_th": Field("series", unit="USD per TH/s", required=True, rule=GE0, doc="purchase price of machines bought in the period"),
        "available_from": Field("date", doc="first period it can be bought (default: horizon start)"),
        "available_until": Field("date", doc="last period it can be bought: periods starting at or before it (default: none)"),
    },
    "site": {
        "name": Field("string", required=True, doc="unique site name"),
        "region": Field("string", required=True, doc="region, matched against markets.ai_demand_it_mw"),
        "grid_mw": Field("series", unit="MW", required=True, rule=GE0, doc="energized grid capacity"),
        "power_price_usd_per_mwh": Field("series", unit="USD/MWh", doc="all-in energy price (required unless power_price_tiers is given)"),
        "power_price_tiers": Field("list", schema="price_tier", doc="the hours of every period by price (SPEC v2 section 9); instead of power_price_usd_per_mwh"),
        "mining": Field("object", schema="mining", doc="absent: the site never mines"),
        "ai": Field("object", schema="ai", doc="absent: the site is never retrofitted"),
    },
    "mining": {
        "max_mw": Field("number", unit="MW", rule=GE0, doc="grid MW the fleet can draw (default: max grid_mw)"),
        "efficiency_j_per_th": Field("number", unit="J/TH", required=True, rule=GT0),
        "pue": Field("number", unit="ratio", default=1.0, rule=GE1),
        "opex_usd_per_mw_year": Field("number", unit="USD per MW-year", default=0.0, rule=GE0),
        "rack_mw": Field("number", unit="MW", rule=GE0, doc="grid MW of machines the site can house, all fleets together (default: max_mw)"),
    },
    "price_tier": {
        "hours_fraction": Field("number", unit="fraction", required=True, rule=Rule(lambda v: 0 < v <= 1, "> 0 and <= 1"), doc="share f_k of every period's hours"),
        "price_usd_per_mwh": Field("series", unit="USD/MWh", required=True, doc="price of energy drawn in the tier's hours"),
        "resale_usd_per_mwh": Field("series", unit="USD/MWh", default=0.0, rule=GE0, doc="earned by a MWh of grid capacity not drawn in the tier"),
    },
    "ai": {
        "eligible": Field("bool", default=True),
        "block_it_mw": Field("number", unit="IT MW", required=True, rule=GT0),
        "max_blocks": Field("integer", required=True, rule=GE0),
        "capex_usd_per_it_mw": Field("number", unit="USD per IT MW", required=True, rule=GE0),
        # capped at the longest horizon: a block never online is already expressible, and
        # the model walks the lead period by period (1e15 periods would never finish)
        "lead_periods": Field("integer", unit="periods", required=True, rule=Rule(lambda v: 0 <= v <= 600, "between 0 and 600")),
        "earliest_start": Field("date", doc="no block starts before (default: horizon start)"),
        "pue": Field("number", unit="ratio", required=True, rule=GE1),
        # a negative lease is a warning (instances.checks), not an error: a rent holiday paid out is possible
        "lease_usd_per_kw_month": Field("series", unit="USD per IT kW-month", required=True),
        "opex_usd_per_it_mw_year": Field("number", unit="USD per IT MW-year", default=0.0, rule=GE0),
        "power_pass_through": Field("bool", default=True),
        "prepayment_usd_per_it_mw": Field("number", unit="USD per IT MW", default=0.0, rule=GE0, doc="paid by the tenant when a block starts (SPEC v2 section 10)"),
        "prepayment_credit_periods": Field("integer", unit="periods", rule=GE1, doc="periods the prepayment is credited back over, from the online period (required when the prepayment is > 0)"),
        "leased_on_completion": Field("bool", default=False, doc="true: every online block is leased in full"),
    },
    "finance": {
        "discount_rate_annual": Field("number", unit="fraction", required=True, rule=DISCOUNT_RATE),
        "initial_cash_usd": Field("number", unit="USD", default=0.0),
        "min_cash_usd": Field("number", unit="USD", default=0.0),
        "overhead_usd_per_year": Field("series", unit="USD per year", default=0.0, rule=GE0),
        "capex_budget_usd": Field("series", unit="USD per period", rule=GE0),
        "total_capex_budget_usd": Field("number", unit="USD", rule=GE0),
        "max_debt_to_ebitda": Field("number", unit="ratio", rule=GE0),
        # extension (docs/model.md): the covenant can be breached at this price
        "leverage_breach_cost": Field("number", unit="fraction of the excess debt per period", rule=GE0),
        "terminal": Field("object", schema="terminal"),
        "debt": Field("list", schema="facility"),
    },
    "terminal": {
        "mining_ebitda_multiple": Field("number", unit="ratio", default=0.0, rule=GE0),
        "ai_ebitda_multiple": Field("number", unit="ratio", default=0.0, rule=GE0),
    },
    "facility": {
        "name": Field("string", required=True),
        "limit_usd": Field("number", unit="USD", required=True, rule=GE0),
        "initial_balance_usd": Field("number", unit="USD", default=0.0, rule=GE0),
        "rate_annual": Field("number", unit="fraction", required=True, rule=RATE),
        "upfront_fee": Field("number", unit="fraction", default=0.0, rule=FEE),
        "draw_from": Field("date"),
        "draw_until": Field("date"),
        "maturity": Field("date"),
        "advance_rate_on_ai_capex": Field("number", unit="fraction", rule=GE0),
    },
    "scenario": {
        "name": Field("string", required=True),
        "probability": Field("number", required=True, rule=FRACTION),
        "set": Field("object", schema=None, default={}, doc="dotted path -> value"),
    },
    "risk": {
        "cvar_alpha": Field("number", required=True, rule=Rule(lambda v: 0 <= v < 1, ">= 0 and < 1")),
        "weight": Field("number", required=True, rule=FRACTION),
    },
    # read by `allocate scenarios` (instances/scenario_gen.py; defaults from shared/data/public-facts.md)
    "scenario_model": {
        "btc_price_usd": Field("number", unit="USD per BTC", default=65_000.0, rule=GT0, doc="bitcoin price at the horizon start"),
        "btc_growth_annual": Field("number", unit="fraction per year", default=0.20, rule=RATE, doc="expected price growth g: E[price] = P0 (1+g)^years"),
        "btc_volatility_annual": Field("number", unit="fraction per sqrt(year)", default=0.50, rule=GE0, doc="GBM volatility of the price"),
        "difficulty": Field("number", unit="difficulty (hashes / 2^32 per block)", default=126.23e12, rule=GT0, doc="network difficulty at the horizon start"),
        "difficulty_trend_annual": Field("number", unit="fraction per year", default=0.10, rule=RATE, doc="difficulty growth at a flat price"),
        "difficulty_price_elasticity": Field("number", unit="ratio", default=0.35, doc="d ln(difficulty) / d ln(price)"),
        "difficulty_step_at_halving": Field("number", unit="fraction", default=-0.05, rule=RATE, doc="difficulty level change at each halving"),
        "block_subsidy_btc": Field("number", unit="BTC per block", default=3.125, rule=GT0, doc="block subsidy at the horizon start"),
        "next_halving": Field("date", default="2028-04", doc="month of the next halving"),
        "halving_interval_years": Field("number", unit="years", default=4.0, rule=GT0, doc="time between halvings"),
        "fee_share_of_subsidy": Field("number", unit="fraction", default=0.01, rule=GE0, doc="fees per block as a share of the subsidy"),
    },
}

# a map's value schema: a single field applied to every entry
MAP_ITEMS = {"series_ge0": Field("series", unit="IT MW", rule=GE0)}


def _check_scalar(field: Field, value: Any, path: str, issues: list[Issue]) -> Any:
    """Check a non-series leaf; return the clean value or None."""
    kind = field.kind
    if kind in ("number", "integer"):
        written = value  # error messages show the value as written in the file
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            issues.append(Issue(path, f"must be a{'n integer' if kind == 'integer' else ' number'}, got {describe(value)}"))
            return None
        try:
            number = float(value)
        except OverflowError:  # an integer literal beyond the float range
            issues.append(Issue(path, f"must be finite (at most 1.8e308), got {describe(written)}"))
            return None
        if not math.isfinite(number):
            issues.append(Issue(path, f"must be finite, got {describe(written)}"))
            return None
        if kind == "integer":
            if number != int(value):
                issues.append(Issue(path, f"must be an integer, got {describe(written)}"))
                return None
            value = int(value)
        else:
            value = number
        if field.choices is not None and value not in field.choices:
            allowed = ", ".join(str(c) for c in field.choices)
            issues.append(Issue(path, f"must be one of {allowed}, got {describe(written)}"))
            return None
        if not field.rule.test(value):
            why = field.rule.message(value, describe(written)) if field.rule.message else None
            issues.append(Issue(path, why or f"must be {field.rule.text}, got {describe(written)}"))
            return None
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            issues.append(Issue(path, f"must be true or false, got {describe(value)}"))
            return None
        return value
    if kind == "string":
        if not isinstance(value, str) or (field.required and not value.strip()):
            issues.append(Issue(path, f"must be a non-empty string, got {describe(value)}"))
            return None
        return value
    if kind == "date":
        try:
            return parse_month(value)
        except ValueError as exc:
            issues.append(Issue(path, str(exc)))
            return None
    raise AssertionError(kind)


def read_series(field: Field, value: Any, path: str, horizon: Horizon | None, issues: list[Issue]) -> Any:
    """Resolve a series and check its rule in every period.

    With ``horizon`` None (the horizon is invalid) the series is only checked as far
    as it can be without the periods, and returned as written.
    """
    if horizon is None:
        before = len(issues)
        resolve_series(value, path, None, issues)
        if len(issues) == before:
            bad = [v for v in series_values(value) if not field.rule.test(v)]
            if bad:
                issues.append(Issue(path, f"must be {field.rule.text} in every period, got {bad[0]:g}"))
        return value
    out = resolve_series(value, path, horizon, issues)
    if out is None:
        return None
    bad = np.nonzero(~np.vectorize(field.rule.test, otypes=[bool])(out))[0] if out.size else []
    if len(bad):
        i = int(bad[0])
        issues.append(Issue(path, f"must be {field.rule.text} in every period, got {out[i]:g} in {horizon.labels[i]}"))
        return None
    return out


def read_object(raw: Any, schema_name: str, path: str, horizon: Horizon | None, issues: list[Issue]) -> dict | None:
    """Validate one JSON object against a schema; return clean values with defaults.

    Series are resolved when ``horizon`` is given, else kept as written. Nested objects
    and lists are read recursively; lists become lists of clean dicts.
    """
    schema = SCHEMAS[schema_name]
    if not isinstance(raw, dict):
        issues.append(Issue(path or "(instance)", f"must be an object, got {describe(raw)}"))
        return None
    prefix = f"{path}." if path else ""
    for key in raw:
        if key not in schema:
            issues.append(Issue(f"{prefix}{key}", f"unknown key{closest(key, schema)}"))
    # SPEC 3: when `ai` is present and eligible, every `ai` field without a default
    # is required; an ineligible site needs none of them.
    relaxed = schema_name == "ai" and raw.get("eligible") is False
    out: dict[str, Any] = {}
    for key, field in schema.items():
        where = f"{prefix}{key}"
        if key not in raw or raw[key] is None:
            if field.required and not relaxed:
                issues.append(Issue(where, "required field is missing"))
            out[key] = field.default
            continue
        value = raw[key]
        if field.kind == "series":
            out[key] = read_series(field, value, where, horizon, issues)
        elif field.kind == "object":
            if field.schema is None:  # free-form object (scenario "set")
                if not isinstance(value, dict):
                    issues.append(Issue(where, f"must be an object, got {describe(value)}"))
                    out[key] = None
                else:
                    out[key] = value
            else:
                out[key] = read_object(value, field.schema, where, horizon, issues)
        elif field.kind == "list":
            if not isinstance(value, list):
                issues.append(Issue(where, f"must be a list, got {describe(value)}"))
                out[key] = None
            else:
                out[key] = [read_object(item, field.schema, f"{where}[{i}]", horizon, issues) for i, item in enumerate(value)]
        elif field.kind == "map":
            if not isinstance(value, dict):
                issues.append(Issue(where, f"must be an object mapping names to values, got {describe(value)}"))
                out[key] = None
            else:
                item = MAP_ITEMS[field.schema]
                out[key] = {name: read_series(item, v, f"{where}.{name}", horizon, issues) for name, v in value.items()}
        else:
            out[key] = _check_scalar(field, value, where, issues)
    return out


def known_fields(schema_name: str) -> dict[str, Field]:
    """The fields of one schema (for docs, override paths and suggestions)."""
    return SCHEMAS[schema_name]
