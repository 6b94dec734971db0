"""Regenerate the malformed-instance corpus: ``python tests/data/bad/make_corpus.py``.

Every case is the small valid instance of ``tests/reliability_cases.py`` with one
defect (or a raw text for JSON syntax errors). ``manifest.json`` maps each file to a
substring that the one-line error must contain: the JSON path of the field (and,
where it matters, the rule). ``missing_file.json`` is listed but deliberately absent.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE.parents[1]))  # tests/, for reliability_cases

from reliability_cases import small_instance  # noqa: E402


def mutate(fn):
    raw = small_instance()
    fn(raw)
    return raw


def setp(path: str, value):
    """Mutation setting a dotted path (list items by index) to ``value``."""

    def fn(raw):
        node, parts = raw, path.split(".")
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node[p]
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return fn


def delp(path: str):
    def fn(raw):
        node, parts = raw, path.split(".")
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node[p]
        del node[parts[-1]]

    return fn


def rename(path: str, new: str):
    def fn(raw):
        node, parts = raw, path.split(".")
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[new] = node.pop(parts[-1])

    return fn


SCENARIOS = [
    {"name": "low", "probability": 0.5, "set": {"markets.hashprice_usd_per_ph_day": 30}},
    {"name": "high", "probability": 0.5, "set": {"markets.hashprice_usd_per_ph_day": 70}},
]

ASIC = {"name": "S21XP", "efficiency_j_per_th": 13.5, "price_usd_per_th": 15}
TIER_CHEAP = {"hours_fraction": 0.9, "price_usd_per_mwh": 35}
TIER_DEAR = {"hours_fraction": 0.1, "price_usd_per_mwh": 300, "resale_usd_per_mwh": 250}


def _tiered(raw: dict, tiers: list) -> None:
    """Give site Alpha price tiers instead of its plain price."""
    del raw["sites"][0]["power_price_usd_per_mwh"]
    raw["sites"][0]["power_price_tiers"] = tiers


# name -> (mutation, expected substring)
CASES = {
    # ---- wrong type ----------------------------------------------------------------
    "type_periods_string": (setp("horizon.periods", "4"), 'horizon.periods: must be an integer, got "4"'),
    "type_sites_object": (setp("sites", {"Alpha": {}}), "sites: must be a list"),
    "type_grid_text": (setp("sites.0.grid_mw", "100 MW"), "sites[0].grid_mw: must be a number"),
    "type_cash_bool": (setp("finance.initial_cash_usd", True), "finance.initial_cash_usd: must be a number, got true"),
    "type_eligible_text": (setp("sites.0.ai.eligible", "yes"), "sites[0].ai.eligible: must be true or false"),
    "type_site_number": (setp("sites.1", 5), "sites[1]: must be an object, got 5"),
    "type_demand_list": (setp("markets.ai_demand_it_mw", [40]), "markets.ai_demand_it_mw: must be an object"),
    "type_horizon_list": (setp("horizon", ["2026-01", 4]), "horizon: must be an object"),
    "type_debt_object": (setp("finance.debt", {"name": "Loan"}), "finance.debt: must be a list"),
    "type_site_name_number": (setp("sites.1.name", 7), "sites[1].name: must be a non-empty string, got 7"),
    "type_lead_fraction": (setp("sites.0.ai.lead_periods", 1.5), "sites[0].ai.lead_periods: must be an integer, got 1.5"),
    "type_list_item_text": (setp("sites.1.grid_mw", [50, "50", 60, 60]), 'sites[1].grid_mw[1]: must be a finite number, got "50"'),
    # ---- missing required field ------------------------------------------------------
    "missing_horizon": (delp("horizon"), "horizon: required field is missing"),
    "missing_region": (delp("sites.1.region"), "sites[1].region: required field is missing"),
    "missing_ai_block": (delp("sites.0.ai.block_it_mw"), "sites[0].ai.block_it_mw: required field is missing"),
    "missing_efficiency": (delp("sites.1.mining.efficiency_j_per_th"), "sites[1].mining.efficiency_j_per_th: required field is missing"),
    "missing_facility_limit": (delp("finance.debt.0.limit_usd"), "finance.debt[0].limit_usd: required field is missing"),
    "missing_discount_rate": (delp("finance.discount_rate_annual"), "finance.discount_rate_annual: required field is missing"),
    "missing_growth_start": (setp("markets.hashprice_usd_per_ph_day", {"annual_growth": 0.1}), "markets.hashprice_usd_per_ph_day.start"),
    # ---- out of range ------------------------------------------------------------------
    "negative_block": (setp("sites.0.ai.block_it_mw", -5), "sites[0].ai.block_it_mw: must be > 0, got -5"),
    "zero_block": (setp("sites.0.ai.block_it_mw", 0), "sites[0].ai.block_it_mw: must be > 0, got 0"),
    "negative_grid_in_list": (setp("sites.1.grid_mw", [50, -1, 60, 60]), "sites[1].grid_mw: must be >= 0 in every period, got -1 in 2026-04"),
    "pue_below_one": (setp("sites.0.mining.pue", 0.9), "sites[0].mining.pue: must be >= 1, got 0.9"),
    "negative_max_blocks": (setp("sites.0.ai.max_blocks", -1), "sites[0].ai.max_blocks: must be >= 0, got -1"),
    "negative_lead": (setp("sites.0.ai.lead_periods", -2), "sites[0].ai.lead_periods: must be between 0 and 600, got -2"),
    "lead_too_long": (setp("sites.0.ai.lead_periods", 1e15), "sites[0].ai.lead_periods: must be between 0 and 600, got 1000000000000000.0"),
    "fee_one": (setp("finance.debt.0.upfront_fee", 1.0), "finance.debt[0].upfront_fee: must be >= 0 and < 1"),
    "discount_minus_one": (setp("finance.discount_rate_annual", -1), "finance.discount_rate_annual: must be > -1"),
    "negative_limit": (setp("finance.debt.0.limit_usd", -1e6), "finance.debt[0].limit_usd: must be >= 0"),
    "negative_demand": (setp("markets.ai_demand_it_mw.TX", -3), "markets.ai_demand_it_mw.TX: must be >= 0"),
    "growth_minus_one": (setp("sites.0.power_price_usd_per_mwh", {"start": 40, "annual_growth": -1}), "sites[0].power_price_usd_per_mwh.annual_growth"),
    "negative_step_factor": (
        setp("markets.hashprice_usd_per_ph_day", {"start": 50, "steps": [{"from": "2026-04", "factor": -0.5}]}),
        "markets.hashprice_usd_per_ph_day.steps[0].factor: must be a finite number >= 0",
    ),
    "empty_sites": (setp("sites", []), "sites: must list at least one site"),
    "empty_site_name": (setp("sites.0.name", ""), "sites[0].name: must be a non-empty string"),
    # ---- not finite (Python's json accepts NaN / Infinity) -------------------------------
    "nan_hashprice": (setp("markets.hashprice_usd_per_ph_day", math.nan), "markets.hashprice_usd_per_ph_day: must be a finite number, got NaN"),
    "infinity_cash": (setp("finance.initial_cash_usd", math.inf), "finance.initial_cash_usd: must be finite, got Infinity"),
    "neg_infinity_in_list": (setp("sites.1.grid_mw", [50, -math.inf, 60, 60]), "sites[1].grid_mw[1]: must be a finite number, got -Infinity"),
    "nan_growth_start": (setp("sites.0.ai.lease_usd_per_kw_month", {"start": math.nan}), "sites[0].ai.lease_usd_per_kw_month.start: must be a finite number"),
    "nan_facility_rate": (setp("finance.debt.0.rate_annual", math.nan), "finance.debt[0].rate_annual: must be finite, got NaN"),
    # ---- unknown keys ----------------------------------------------------------------------
    "unknown_top_key": (rename("sites", "site"), 'site: unknown key (did you mean "sites"?)'),
    "unknown_site_key": (rename("sites.0.grid_mw", "grid_MW"), 'sites[0].grid_MW: unknown key (did you mean "grid_mw"?)'),
    "unknown_ai_key": (rename("sites.0.ai.lease_usd_per_kw_month", "lease_usd_per_kw_mo"), 'sites[0].ai.lease_usd_per_kw_mo: unknown key (did you mean "lease_usd_per_kw_month"?)'),
    "unknown_facility_key": (rename("finance.debt.0.maturity", "maturty"), 'finance.debt[0].maturty: unknown key (did you mean "maturity"?)'),
    "unknown_growth_key": (
        setp("markets.hashprice_usd_per_ph_day", {"start": 50, "growth": -0.1}),
        'markets.hashprice_usd_per_ph_day.growth: unknown key (did you mean "annual_growth"?)',
    ),
    # ---- duplicates -------------------------------------------------------------------------
    "duplicate_site": (setp("sites.1.name", "Alpha"), 'sites[1].name: duplicate name "Alpha"'),
    "duplicate_facility": (
        lambda raw: raw["finance"]["debt"].append({"name": "Loan", "limit_usd": 1e6, "rate_annual": 0.1}),
        'finance.debt[1].name: duplicate name "Loan"',
    ),
    "duplicate_scenario": (
        setp("scenarios", [dict(SCENARIOS[0]), dict(SCENARIOS[1], name="low")]),
        'scenarios[1].name: duplicate name "low"',
    ),
    # ---- series length ----------------------------------------------------------------------
    "series_too_short": (setp("sites.1.grid_mw", [50, 50, 60]), "sites[1].grid_mw: a list series needs exactly 4 values (one per period), got 3"),
    "series_too_long": (setp("sites.0.power_price_usd_per_mwh", [40, 40, 40, 40, 40]), "sites[0].power_price_usd_per_mwh: a list series needs exactly 4 values"),
    "series_empty_list": (setp("finance.overhead_usd_per_year", []), "finance.overhead_usd_per_year: a list series needs exactly 4 values"),
    # ---- CSV series -------------------------------------------------------------------------
    "csv_file_missing": (setp("sites.0.power_price_usd_per_mwh", {"csv": "no_such_prices.csv", "column": "Alpha"}), "sites[0].power_price_usd_per_mwh.csv"),
    "csv_no_period_column": (setp("sites.0.power_price_usd_per_mwh", {"csv": "prices_no_period.csv", "column": "Alpha"}), 'has no "period" column'),
    "csv_missing_period": (setp("sites.0.power_price_usd_per_mwh", {"csv": "prices_missing_period.csv", "column": "Alpha"}), "has no row for period 2026-07"),
    "csv_not_number": (setp("sites.0.power_price_usd_per_mwh", {"csv": "prices_not_number.csv", "column": "Alpha"}), 'period 2026-04: not a number: "n/a"'),
    "csv_wrong_column": (setp("sites.0.power_price_usd_per_mwh", {"csv": "prices_ok.csv", "column": "alpha"}), 'sites[0].power_price_usd_per_mwh.column: '),
    "csv_no_column_key": (setp("sites.0.power_price_usd_per_mwh", {"csv": "prices_ok.csv"}), "sites[0].power_price_usd_per_mwh.column"),
    "csv_duplicate_period": (setp("sites.0.power_price_usd_per_mwh", {"csv": "prices_duplicate_period.csv", "column": "Alpha"}), "line 4: period 2026-04 appears twice"),
    "csv_bad_period_label": (setp("sites.0.power_price_usd_per_mwh", {"csv": "prices_bad_label.csv", "column": "Alpha"}), 'line 3: period must be a "YYYY-MM" month, got "2026-4"'),
    # ---- dates --------------------------------------------------------------------------------
    "date_month_13": (setp("horizon.start", "2026-13"), 'horizon.start: must be a date "YYYY-MM"'),
    "date_slash_format": (setp("horizon.start", "01/2026"), "horizon.start: must be a date"),
    "date_maturity_short": (setp("finance.debt.0.maturity", "2027-1"), "finance.debt[0].maturity: must be a date"),
    "date_step_from": (
        setp("markets.hashprice_usd_per_ph_day", {"start": 50, "steps": [{"from": "April 2026", "factor": 0.5}]}),
        "markets.hashprice_usd_per_ph_day.steps[0].from: must be a date",
    ),
    "date_number": (setp("sites.0.ai.earliest_start", 202604), "sites[0].ai.earliest_start: must be a date"),
    # ---- horizon --------------------------------------------------------------------------------
    "period_months_five": (setp("horizon.period_months", 5), "horizon.period_months: must be one of 1, 3, 6, 12, got 5"),
    "period_months_zero": (setp("horizon.period_months", 0), "horizon.period_months: must be one of 1, 3, 6, 12, got 0"),
    "periods_zero": (setp("horizon.periods", 0), "horizon.periods: must be between 1 and 600, got 0"),
    "periods_too_many": (setp("horizon.periods", 601), "horizon.periods: must be between 1 and 600, got 601"),
    # ---- scenarios --------------------------------------------------------------------------------
    "probabilities_not_one": (
        setp("scenarios", [dict(SCENARIOS[0]), dict(SCENARIOS[1], probability=0.3)]),
        "scenarios: probabilities must sum to 1, got 0.8",
    ),
    "probability_negative": (
        setp("scenarios", [dict(SCENARIOS[0], probability=1.5), dict(SCENARIOS[1], probability=-0.5)]),
        "scenarios[0].probability: must be between 0 and 1, got 1.5",
    ),
    "scenario_unknown_site": (
        setp("scenarios", [dict(SCENARIOS[0], set={"sites.Gamma.grid_mw": 10}), SCENARIOS[1]]),
        'scenarios[0].set.sites.Gamma.grid_mw: no entry named "Gamma"',
    ),
    "scenario_structural": (
        setp("scenarios", [dict(SCENARIOS[0], set={"sites.Alpha.ai.block_it_mw": 20}), SCENARIOS[1]]),
        "scenarios[0].set.sites.Alpha.ai.block_it_mw: cannot differ between scenarios",
    ),
    "scenario_nan_value": (
        setp("scenarios", [dict(SCENARIOS[0], set={"markets.hashprice_usd_per_ph_day": math.nan}), SCENARIOS[1]]),
        "markets.hashprice_usd_per_ph_day: must be a finite number, got NaN",
    ),
    "scenario_replaces_ai": (
        setp(
            "scenarios",
            [
                dict(SCENARIOS[0], set={"sites.Alpha.ai": dict(small_instance()["sites"][0]["ai"], block_it_mw=20)}),
                SCENARIOS[1],
            ],
        ),
        "scenarios[0].set.sites.Alpha.ai.block_it_mw: cannot differ between scenarios",
    ),
    "scenario_set_not_object": (setp("scenarios", [dict(SCENARIOS[0], set=[1]), SCENARIOS[1]]), "scenarios[0].set: must be an object"),
    "risk_alpha_one": (setp("risk", {"cvar_alpha": 1, "weight": 0.5}), "risk.cvar_alpha: must be >= 0 and < 1, got 1"),
    # ---- SPEC v2: ASIC models (section 8) -------------------------------------------------------
    "asic_duplicate_name": (setp("markets.asic_models", [ASIC, dict(ASIC, efficiency_j_per_th=12)]), 'markets.asic_models[1].name: duplicate name "S21XP"'),
    "asic_until_before_from": (
        setp("markets.asic_models", [dict(ASIC, available_from="2026-07", available_until="2026-04")]),
        "markets.asic_models[0].available_until: is before available_from",
    ),
    "asic_zero_efficiency": (setp("markets.asic_models", [dict(ASIC, efficiency_j_per_th=0)]), "markets.asic_models[0].efficiency_j_per_th: must be > 0, got 0"),
    "asic_negative_price": (
        setp("markets.asic_models", [dict(ASIC, price_usd_per_th=[15, 14, -1, 12])]),
        "markets.asic_models[0].price_usd_per_th: must be >= 0 in every period, got -1 in 2026-07",
    ),
    "asic_missing_price": (setp("markets.asic_models", [{"name": "S21XP", "efficiency_j_per_th": 13.5}]), "markets.asic_models[0].price_usd_per_th: required field is missing"),
    "asic_named_installed": (setp("markets.asic_models", [dict(ASIC, name="installed")]), 'markets.asic_models[0].name: "installed" is the name of the fleet'),
    "asic_bad_date": (setp("markets.asic_models", [dict(ASIC, available_from="2026")]), 'markets.asic_models[0].available_from: must be a date "YYYY-MM"'),
    "asic_unknown_in_scenario": (
        lambda raw: raw.update(
            markets=dict(raw["markets"], asic_models=[ASIC]),
            scenarios=[dict(SCENARIOS[0], set={"markets.asic_models.S19.price_usd_per_th": 9}), SCENARIOS[1]],
        ),
        'scenarios[0].set.markets.asic_models.S19.price_usd_per_th: no entry named "S19" in asic_models',
    ),
    "asic_names_differ_in_scenario": (
        lambda raw: raw.update(
            markets=dict(raw["markets"], asic_models=[ASIC]),
            scenarios=[dict(SCENARIOS[0], set={"markets": {"hashprice_usd_per_ph_day": 30, "asic_models": [dict(ASIC, name="S19")]}}), SCENARIOS[1]],
        ),
        "scenarios[0].set.markets.asic_models: the ASIC model names cannot differ between scenarios",
    ),
    "asic_price_beyond_range": (
        setp("markets.asic_models", [dict(ASIC, price_usd_per_th=1e15)]),
        "markets.asic_models[0].price_usd_per_th: ASIC capex of up to 7.41e+19 USD per grid MW",
    ),
    "rack_below_max_mw": (setp("sites.1.mining.rack_mw", 40), "sites[1].mining.rack_mw: must be >= mining.max_mw (60), got 40"),
    "rack_negative": (setp("sites.1.mining.rack_mw", -5), "sites[1].mining.rack_mw: must be >= 0, got -5"),
    # ---- SPEC v2: price tiers (section 9) -------------------------------------------------------
    "tiers_not_summing_to_one": (
        lambda raw: _tiered(raw, [dict(TIER_CHEAP, hours_fraction=0.85), TIER_DEAR]),
        "sites[0].power_price_tiers: hours_fraction must sum to 1, got 0.95",
    ),
    "tiers_sum_off_by_1e8": (
        lambda raw: _tiered(raw, [dict(TIER_CHEAP, hours_fraction=0.9 + 1e-8), TIER_DEAR]),
        "sites[0].power_price_tiers: hours_fraction must sum to 1, got 1.00000001",
    ),
    "tier_fraction_zero": (
        lambda raw: _tiered(raw, [dict(TIER_CHEAP, hours_fraction=1.0), dict(TIER_DEAR, hours_fraction=0)]),
        "sites[0].power_price_tiers[1].hours_fraction: must be > 0 and <= 1, got 0",
    ),
    "tier_fraction_negative": (
        lambda raw: _tiered(raw, [dict(TIER_CHEAP, hours_fraction=1.1), dict(TIER_DEAR, hours_fraction=-0.1)]),
        "sites[0].power_price_tiers[0].hours_fraction: must be > 0 and <= 1, got 1.1",
    ),
    "tier_negative_resale": (
        lambda raw: _tiered(raw, [TIER_CHEAP, dict(TIER_DEAR, resale_usd_per_mwh=-20)]),
        "sites[0].power_price_tiers[1].resale_usd_per_mwh: must be >= 0 in every period, got -20 in 2026-01",
    ),
    "tier_missing_price": (
        lambda raw: _tiered(raw, [TIER_CHEAP, {"hours_fraction": 0.1}]),
        "sites[0].power_price_tiers[1].price_usd_per_mwh: required field is missing",
    ),
    "tiers_empty": (lambda raw: _tiered(raw, []), "sites[0].power_price_tiers: must list at least one tier"),
    "tiers_and_price": (setp("sites.0.power_price_tiers", [dict(TIER_CHEAP, hours_fraction=1.0)]), "sites[0].power_price_tiers: give power_price_usd_per_mwh or power_price_tiers, not both"),
    "tiers_nor_price": (delp("sites.0.power_price_usd_per_mwh"), "sites[0].power_price_usd_per_mwh: required field is missing (or give power_price_tiers)"),
    "tier_resale_beyond_range": (
        lambda raw: _tiered(raw, [TIER_CHEAP, dict(TIER_DEAR, resale_usd_per_mwh=1e20)]),
        "sites[0].power_price_tiers[1].resale_usd_per_mwh: resale of 2.19e+22 USD per MW in 2026-01",
    ),
    "tier_unknown_key": (
        lambda raw: _tiered(raw, [TIER_CHEAP, dict(TIER_DEAR, resale=20)]),
        'sites[0].power_price_tiers[1].resale: unknown key (did you mean "resale_usd_per_mwh"?)',
    ),
    "tier_bad_scenario_index": (
        lambda raw: (
            _tiered(raw, [TIER_CHEAP, TIER_DEAR]),
            raw.update(scenarios=[dict(SCENARIOS[0], set={"sites.Alpha.power_price_tiers.2.price_usd_per_mwh": 90}), SCENARIOS[1]]),
        ),
        "scenarios[0].set.sites.Alpha.power_price_tiers.2.price_usd_per_mwh: no item 2 in power_price_tiers",
    ),
    "tier_scenario_breaks_sum": (
        lambda raw: (
            _tiered(raw, [TIER_CHEAP, TIER_DEAR]),
            raw.update(scenarios=[dict(SCENARIOS[0], set={"sites.Alpha.power_price_tiers.1.hours_fraction": 0.2}), SCENARIOS[1]]),
        ),
        "scenarios[0] (low): sites[0].power_price_tiers: hours_fraction must sum to 1, got 1.1",
    ),
    # ---- SPEC v2: tenant prepayments (section 10) -------------------------------------------------
    "prepayment_without_periods": (setp("sites.0.ai.prepayment_usd_per_it_mw", 2e6), "sites[0].ai.prepayment_credit_periods: required field is missing"),
    "prepayment_negative": (setp("sites.0.ai.prepayment_usd_per_it_mw", -1e6), "sites[0].ai.prepayment_usd_per_it_mw: must be >= 0, got -1000000"),
    "credit_periods_zero": (
        lambda raw: raw["sites"][0]["ai"].update(prepayment_usd_per_it_mw=2e6, prepayment_credit_periods=0),
        "sites[0].ai.prepayment_credit_periods: must be >= 1, got 0",
    ),
    "credit_periods_fraction": (
        lambda raw: raw["sites"][0]["ai"].update(prepayment_usd_per_it_mw=2e6, prepayment_credit_periods=2.5),
        "sites[0].ai.prepayment_credit_periods: must be an integer, got 2.5",
    ),
    "leased_on_completion_text": (setp("sites.0.ai.leased_on_completion", "yes"), "sites[0].ai.leased_on_completion: must be true or false"),
}

# JSON syntax errors and other raw texts: name -> (text or bytes, expected substring)
RAW = {
    "json_trailing_comma": ('{\n "name": "x",\n "horizon": {"start": "2026-01", "periods": 4,},\n}\n', "invalid JSON at line 3, column"),
    "json_truncated": ('{\n "name": "x",\n "horizon": {"start": "2026-01"\n', "invalid JSON at line 4, column 1"),
    "json_single_quotes": ("{'name': 'x'}\n", "invalid JSON at line 1, column 2"),
    "json_empty_file": ("", "invalid JSON at line 1, column 1"),
    "json_top_level_list": ("[1, 2, 3]\n", "must hold a JSON object"),
    "json_nested_too_deep": (
        json.dumps(dict(small_instance(), description=json.loads("[" * 40 + "]" * 40)), indent=1),
        "description" + "[0]" * 32 + ": nested more than 32 levels deep",
    ),
    "json_huge_integer": (
        json.dumps(small_instance(), indent=1).replace('"max_blocks": 3', '"max_blocks": 1' + "0" * 400),
        "sites[0].ai.max_blocks: must be finite (at most 1.8e308), got 1000",
    ),
    "json_not_utf8": ('{"name": "Caf\xe9"}\n'.encode("latin-1"), "cannot read"),
}

CSVS = {
    "prices_ok.csv": "period,Alpha\n2026-01,40\n2026-04,41\n2026-07,42\n2026-10,43\n",
    "prices_no_period.csv": "month,Alpha\n2026-01,40\n2026-04,41\n2026-07,42\n2026-10,43\n",
    "prices_missing_period.csv": "period,Alpha\n2026-01,40\n2026-04,41\n2026-10,43\n",
    "prices_not_number.csv": "period,Alpha\n2026-01,40\n2026-04,n/a\n2026-07,42\n2026-10,43\n",
    "prices_duplicate_period.csv": "period,Alpha\n2026-01,40\n2026-04,41\n2026-04,41\n2026-07,42\n2026-10,43\n",
    "prices_bad_label.csv": "period,Alpha\n2026-01,40\n2026-4,41\n2026-07,42\n2026-10,43\n",
}


def main() -> None:
    for old in HERE.glob("*.json"):
        if old.name != "manifest.json":
            old.unlink()
    manifest: dict[str, str] = {"missing_file.json": "missing_file.json: file not found"}
    for name, (fn, expect) in CASES.items():
        raw = mutate(fn)
        (HERE / f"{name}.json").write_text(json.dumps(raw, indent=1, allow_nan=True) + "\n")
        manifest[f"{name}.json"] = expect
    for name, (text, expect) in RAW.items():
        path = HERE / f"{name}.json"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        manifest[f"{name}.json"] = expect
    for name, text in CSVS.items():
        (HERE / name).write_text(text)
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print(f"{len(manifest)} cases")


if __name__ == "__main__":
    main()
