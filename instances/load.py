"""Load an instance: JSON file -> validated, resolved :class:`Instance`.

``load_instance(path)`` reads a file; ``instance_from_dict(raw)`` does the same for a
dict already in memory (the default instance, overrides, tests). Every problem
found is collected; :class:`InputError` carries them all, its message is the first.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from instances.calendar import discount_factors, periods_table, select_period
from instances.errors import InputError, Issue
from instances.instance import ASIC_COLUMNS, ASIC_PERIOD_COLUMNS, INSTALLED, TIER_COLUMNS, V2_SITE_COLUMNS, Instance
from instances.checks import negative_series_warnings
from instances.overrides import apply_overrides
from instances.schema import read_object
from instances.series import Horizon

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def is_workbook(path: str | Path) -> bool:
    """True for a path read as an instance workbook (by its suffix)."""
    return Path(str(path)).suffix.lower() in WORKBOOK_SUFFIXES

BASE = "base"
# fields a scenario may not change: the retrofit decision is shared by all scenarios
STRUCTURAL_AI_FIELDS = ("eligible", "block_it_mw", "max_blocks", "lead_periods", "earliest_start")
PROBABILITY_TOLERANCE = 1e-6
TIER_TOLERANCE = 1e-9  # SPEC 9: tier hours fractions sum to 1 within 1e-9
MAX_DEPTH = 32  # an instance nests 6 levels; deeper JSON is a mistake (and a recursion hazard)


def read_text(path: str | Path, what: str = "an instance file") -> str:
    """A text file's content; InputError naming the file when it cannot be read."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(Issue(str(path), "file not found")) from None
    except IsADirectoryError:
        raise InputError(Issue(str(path), f"is a folder, not {what}")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Issue(str(path), f"cannot read: {exc.__class__.__name__}: {exc}")) from None


def read_json(path: str | Path) -> dict:
    """Parse a JSON file; InputError naming the file, line and column when it cannot."""
    path = Path(path)
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(Issue(str(path), f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")) from None
    except RecursionError:
        raise InputError(Issue(str(path), f"invalid JSON: nested more than {MAX_DEPTH} levels deep")) from None
    except ValueError as exc:  # e.g. an integer literal of more than 4300 digits
        raise InputError(Issue(str(path), f"invalid JSON: {str(exc).splitlines()[0]}")) from None
    if not isinstance(data, dict):
        raise InputError(Issue(str(path), "must hold a JSON object"))
    return data


def read_raw(path: str | Path) -> dict:
    """The raw instance an instance file holds: a JSON file, or an instance workbook
    (``.xlsx``, ``instances.xlsx``) converted to the same dict."""
    if is_workbook(path):
        from instances.xlsx import read_workbook

        return read_workbook(path)
    return read_json(path)


def load_instance(path: str | Path, overrides: list[tuple[str, Any]] | None = None) -> Instance:
    """Read, override (dotted paths), validate and resolve an instance file (JSON or
    workbook). The problems of a workbook name its sheets and cells."""
    path = Path(path)
    if is_workbook(path):
        return _load_workbook(path, overrides)
    raw = read_json(path)
    notes: list[str] = []  # a flat number replacing a time-varying series
    if overrides:
        raw = apply_overrides(raw, overrides, base_dir=path.parent, warnings=notes)
    inst = instance_from_dict(raw, base_dir=path.parent, source=path)
    inst.warnings[:0] = notes
    return inst


def _load_workbook(path: Path, overrides: list[tuple[str, Any]] | None) -> Instance:
    """A workbook's instance; validation problems located in its cells, but for the
    fields ``overrides`` set (their values come from the command line)."""
    from instances.xlsx import indexed_paths, locate, read_workbook_cells

    raw, places = read_workbook_cells(path)
    overridden = indexed_paths(raw, [p for p, _ in overrides or []])
    try:
        if overrides:
            raw = apply_overrides(raw, overrides)
        return instance_from_dict(raw, base_dir=path.parent, source=path)
    except InputError as exc:
        raise InputError(locate(exc.issues, places, overridden)) from None


def default_instance_dict() -> dict:
    """The embedded default portfolio (``instances/data/default.json``) as a dict."""
    text = resources.files("instances").joinpath("data/default.json").read_text(encoding="utf-8")
    return json.loads(text)


def load_default(overrides: list[tuple[str, Any]] | None = None) -> Instance:
    raw = default_instance_dict()
    notes: list[str] = []  # a flat number replacing a time-varying series
    if overrides:
        raw = apply_overrides(raw, overrides, warnings=notes)
    inst = instance_from_dict(raw, base_dir=None, source=None)
    inst.warnings[:0] = notes
    return inst


def _horizon(raw: dict, base_dir: Path | None, issues: list[Issue]) -> tuple[Horizon | None, pd.DataFrame | None]:
    clean = read_object(raw.get("horizon"), "horizon", "horizon", None, issues) if "horizon" in raw else None
    if not clean or clean["start"] is None or clean["periods"] is None or clean["period_months"] is None:
        return None, None
    table = periods_table(clean["start"], clean["periods"], clean["period_months"])
    horizon = Horizon(tuple(table.index), table["start_month"].to_numpy(), clean["period_months"], base_dir)
    return horizon, table


def _too_deep(raw: Any) -> str | None:
    """JSON path of the first value nested deeper than ``MAX_DEPTH``; None when none.

    Walks iteratively, so that a pathological file fails here with a clear message
    rather than in a recursive copy further down."""
    stack: list[tuple[Any, str, int]] = [(raw, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return path or "(instance)"
        if isinstance(node, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k), depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(node))
    return None


def _unique(issues: list[Issue]) -> list[Issue]:
    """Issues in order, each once (the horizon is read twice, for instance)."""
    return list(dict.fromkeys(issues))


def _duplicates(items: list[dict] | None, path: str, issues: list[Issue]) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items or []):
        name = item.get("name") if item else None
        if name is None:
            continue
        if name in seen:
            issues.append(Issue(f"{path}[{i}].name", f'duplicate name "{name}"'))
        seen.add(name)


def _read_clean(raw: dict, horizon: Horizon | None, issues: list[Issue]) -> dict | None:
    clean = read_object(raw, "instance", "", horizon, issues)
    if clean is None:
        return None
    _duplicates(clean["sites"], "sites", issues)
    finance = clean["finance"] or {}
    _duplicates(finance.get("debt"), "finance.debt", issues)
    if isinstance(clean["sites"], list) and not clean["sites"]:
        issues.append(Issue("sites", "must list at least one site"))
    markets = clean["markets"] or {}
    _duplicates(markets.get("asic_models"), "markets.asic_models", issues)
    for j, model in enumerate(markets.get("asic_models") or []):
        if model and model["name"] == INSTALLED:
            issues.append(Issue(f"markets.asic_models[{j}].name", f'"{INSTALLED}" is the name of the fleet every mining site already has: choose another'))
        if model and model["available_from"] is not None and model["available_until"] is not None and model["available_until"] < model["available_from"]:
            issues.append(Issue(f"markets.asic_models[{j}].available_until", "is before available_from"))
    for i, site in enumerate(clean["sites"] or []):
        if site:
            _site_v2_checks(site, f"sites[{i}]", issues)
    return clean


def _site_v2_checks(site: dict, where: str, issues: list[Issue]) -> None:
    """The SPEC v2 rules that tie several fields of one site together (sections 8-10)."""
    tiers = site["power_price_tiers"]
    if site["power_price_usd_per_mwh"] is None and tiers is None:
        issues.append(Issue(f"{where}.power_price_usd_per_mwh", "required field is missing (or give power_price_tiers)"))
    elif site["power_price_usd_per_mwh"] is not None and tiers is not None:
        issues.append(Issue(f"{where}.power_price_tiers", "give power_price_usd_per_mwh or power_price_tiers, not both"))
    if tiers is not None:
        fractions = [t["hours_fraction"] for t in tiers if t and t["hours_fraction"] is not None]
        if not tiers:
            issues.append(Issue(f"{where}.power_price_tiers", "must list at least one tier"))
        elif len(fractions) == len(tiers) and abs(sum(fractions) - 1.0) > TIER_TOLERANCE:
            issues.append(Issue(f"{where}.power_price_tiers", f"hours_fraction must sum to 1, got {sum(fractions):.12g}"))
    mining = site["mining"]
    if mining and mining["rack_mw"] is not None:
        grid = site["grid_mw"]
        max_mw = mining["max_mw"]
        if max_mw is None and isinstance(grid, np.ndarray) and grid.size:
            max_mw = float(np.max(grid))  # the SPEC default of mining.max_mw
        if max_mw is not None and mining["rack_mw"] < max_mw:
            issues.append(Issue(f"{where}.mining.rack_mw", f"must be >= mining.max_mw ({max_mw:g}), got {mining['rack_mw']:g}"))
    ai = site["ai"]
    if ai and ai["prepayment_usd_per_it_mw"] and ai["prepayment_usd_per_it_mw"] > 0 and ai["prepayment_credit_periods"] is None:
        issues.append(Issue(f"{where}.ai.prepayment_credit_periods", "required field is missing (prepayment_usd_per_it_mw is above 0)"))


def instance_from_dict(raw: dict, base_dir: Path | None = None, source: Path | None = None) -> Instance:
    """Validate and resolve an instance held in memory. InputError lists every problem."""
    issues: list[Issue] = []
    if not isinstance(raw, dict):
        raise InputError(Issue("(instance)", "must be a JSON object"))
    deep = _too_deep(raw)
    if deep is not None:
        raise InputError(Issue(deep, f"nested more than {MAX_DEPTH} levels deep"))
    horizon, periods = _horizon(raw, base_dir, issues)
    clean = _read_clean(raw, horizon, issues)
    warnings: list[str] = []
    scenario_cleans: list[tuple[str, float, dict]] = []
    if clean is not None:
        # scenario problems are reported with the others; a scenario is resolved in
        # full only when the base instance is valid (else its errors would repeat)
        scenario_cleans = _scenarios(raw, clean, horizon, issues, base_ok=not issues and horizon is not None)
    if issues or clean is None or horizon is None:
        raise InputError(_unique(issues) or [Issue("(instance)", "invalid instance")])
    sites = [s for s in clean["sites"]]
    regions = {s["region"] for s in sites}
    for region in (clean["markets"]["ai_demand_it_mw"] or {}):
        if region not in regions:
            warnings.append(f'markets.ai_demand_it_mw.{region}: no site is in region "{region}"; the limit has no effect')
    for i, f in enumerate(clean["finance"]["debt"] or []):
        if f["draw_from"] is not None and f["draw_until"] is not None and f["draw_until"] < f["draw_from"]:
            warnings.append(f'finance.debt[{i}].draw_until: before draw_from, so "{f["name"]}" can never draw')
    warnings.extend(negative_series_warnings(clean, scenario_cleans))  # valid, but usually a slip
    return _tables(clean, scenario_cleans, periods, horizon, raw, source, warnings)


def _scenarios(raw: dict, clean: dict, horizon: Horizon | None, issues: list[Issue], base_ok: bool = True) -> list[tuple[str, float, dict]]:
    """Resolve every scenario: the base instance with its overrides applied.

    With ``base_ok`` False (the base instance has problems) the scenarios' own
    fields, probabilities and override paths are still checked, but they are not
    resolved.
    """
    listed = clean.get("scenarios")
    if not listed:
        return [(BASE, 1.0, clean)]
    _duplicates(listed, "scenarios", issues)
    probabilities = [s["probability"] for s in listed if s]
    if all(p is not None for p in probabilities) and len(probabilities) == len(listed):
        total = sum(probabilities)
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            issues.append(Issue("scenarios", f"probabilities must sum to 1, got {total:.6g}"))
    out = []
    for i, scen in enumerate(listed):
        if not scen or scen["name"] is None or scen["set"] is None:
            continue
        where = f"scenarios[{i}].set"
        try:
            raw_w = apply_overrides(raw, scen["set"] or {}, where, base_dir=horizon.base_dir if horizon else None)
        except InputError as exc:
            issues.extend(exc.issues)
            continue
        raw_w.pop("scenarios", None)
        structural = False
        for path in scen["set"] or {}:
            head = path.split(".")
            if head[0] in ("horizon", "scenarios", "risk") or (head[0] == "sites" and len(head) > 3 and head[2] == "ai" and head[3] in STRUCTURAL_AI_FIELDS) or (head[0] == "sites" and len(head) > 2 and head[2] in ("name", "region")) or path.endswith(".name"):
                issues.append(Issue(f"{where}.{path}", "cannot differ between scenarios: retrofit starts are decided once for all"))
                structural = True
        if not base_ok:
            continue
        sub: list[Issue] = []
        clean_w = _read_clean(raw_w, horizon, sub)
        issues.extend(Issue(f"scenarios[{i}] ({scen['name']}): {x.path}", x.message) for x in sub)
        if clean_w is not None and not sub:
            if not structural:
                _same_retrofit_structure(clean, clean_w, where, issues)
            if _asic_names(clean) != _asic_names(clean_w):
                issues.append(Issue(f"{where}.markets.asic_models", "the ASIC model names cannot differ between scenarios (change their fields instead)"))
            out.append((scen["name"], scen["probability"], clean_w))
    return out


def _asic_names(clean: dict) -> list:
    """Names of the ASIC models of a clean instance, in order."""
    return [m["name"] for m in (clean["markets"] or {}).get("asic_models") or [] if m]


def _same_retrofit_structure(base: dict, scen: dict, where: str, issues: list[Issue]) -> None:
    """A scenario replacing a whole ``ai`` object may not change what the shared
    retrofit decision depends on (``STRUCTURAL_AI_FIELDS``, or whether ``ai`` exists)."""
    for b, w in zip(base["sites"], scen["sites"]):
        ai_b, ai_w = b["ai"], w["ai"]
        if (ai_b is None) != (ai_w is None):
            issues.append(Issue(f"{where}.sites.{b['name']}.ai", "cannot differ between scenarios: retrofit starts are decided once for all"))
            continue
        for key in STRUCTURAL_AI_FIELDS if ai_b is not None else ():
            if ai_b[key] != ai_w[key]:
                issues.append(Issue(f"{where}.sites.{b['name']}.ai.{key}", "cannot differ between scenarios: retrofit starts are decided once for all"))
                break


def _tables(clean, scenario_cleans, periods, horizon: Horizon, raw, source, warnings) -> Instance:
    n = horizon.periods
    months = horizon.period_months
    labels = list(horizon.labels)
    starts = horizon.starts
    base = clean
    site_rows = []
    for s in base["sites"]:
        ai = s["ai"]
        retro = bool(ai) and ai["eligible"] and ai["max_blocks"] > 0
        earliest = n
        if retro:
            if ai["earliest_start"] is None:
                earliest = 0
            else:
                sel = select_period(starts, ai["earliest_start"])
                earliest = n if sel is None else sel
        site_rows.append(
            {
                "site": s["name"],
                "region": s["region"],
                "mines": s["mining"] is not None,
                "retrofittable": retro and earliest < n,
                "block_it_mw": float(ai["block_it_mw"]) if retro else 0.0,
                "max_blocks": int(ai["max_blocks"]) if retro else 0,
                "lead_periods": int(ai["lead_periods"]) if retro else 0,
                "earliest_t": earliest,
            }
        )
    sites = pd.DataFrame(site_rows).set_index("site")

    scen_rows, sp_rows, spp, pd_rows, dem_rows, fac_rows, fp_rows = [], [], [], [], [], [], []
    v2_rows, tier_rows, asic_rows, asic_period_rows = [], [], [], []
    for name, prob, c in scenario_cleans:
        fin = c["finance"]
        term = fin["terminal"] or {"mining_ebitda_multiple": 0.0, "ai_ebitda_multiple": 0.0}
        scen_rows.append(
            {
                "scenario": name,
                "probability": float(prob),
                "discount_rate_annual": fin["discount_rate_annual"],
                "initial_cash_usd": fin["initial_cash_usd"],
                "min_cash_usd": fin["min_cash_usd"],
                "total_capex_budget_usd": np.nan if fin["total_capex_budget_usd"] is None else fin["total_capex_budget_usd"],
                "max_debt_to_ebitda": np.nan if fin["max_debt_to_ebitda"] is None else fin["max_debt_to_ebitda"],
                "leverage_breach_cost": np.nan if fin.get("leverage_breach_cost") is None else fin["leverage_breach_cost"],
                "mining_ebitda_multiple": term["mining_ebitda_multiple"],
                "ai_ebitda_multiple": term["ai_ebitda_multiple"],
            }
        )
        for s in c["sites"]:
            mining, ai = s["mining"], s["ai"]
            grid = s["grid_mw"]
            has_ai = ai is not None and bool(sites.at[s["name"], "max_blocks"])
            sp_rows.append(
                {
                    "scenario": name,
                    "site": s["name"],
                    "mining_max_mw": (float(np.max(grid)) if mining["max_mw"] is None else mining["max_mw"]) if mining else 0.0,
                    "efficiency_j_per_th": mining["efficiency_j_per_th"] if mining else np.nan,
                    "mining_pue": mining["pue"] if mining else np.nan,
                    # TH/s delivered per grid MW mined: 1e6 W / pue / (J/TH)
                    "th_per_grid_mw": 1e6 / mining["pue"] / mining["efficiency_j_per_th"] if mining else 0.0,
                    "mining_opex_usd_per_mw_year": mining["opex_usd_per_mw_year"] if mining else 0.0,
                    "capex_usd_per_it_mw": ai["capex_usd_per_it_mw"] if has_ai else 0.0,
                    "ai_pue": ai["pue"] if has_ai else 1.0,
                    "ai_opex_usd_per_it_mw_year": ai["opex_usd_per_it_mw_year"] if has_ai else 0.0,
                    "power_pass_through": bool(ai["power_pass_through"]) if has_ai else True,
                }
            )
            lease = ai["lease_usd_per_kw_month"] if has_ai else np.zeros(n)
            tiers = _tiers(s, n)
            for k, tier in enumerate(tiers):
                tier_rows.append({"scenario": name, "site": s["name"], "tier": k, "period": labels, **tier})
            spp.append(
                {
                    "scenario": name,
                    "site": s["name"],
                    "period": labels,
                    "grid_mw": grid,
                    # a tiered site: the hours-weighted price sum(f_k * price_k), what a
                    # flat draw (an AI hall) pays per MWh on average
                    "power_price_usd_per_mwh": s["power_price_usd_per_mwh"]
                    if s["power_price_tiers"] is None
                    else sum(t["hours_fraction"] * t["price_usd_per_mwh"] for t in tiers),
                    "lease_usd_per_kw_month": lease,
                }
            )
            v2_rows.append(_site_v2_row(name, s, sp_rows[-1]["mining_max_mw"], has_ai))
        for model in c["markets"]["asic_models"] or []:
            first, last = _availability(model, starts)
            asic_rows.append(
                {
                    "scenario": name,
                    "model": model["name"],
                    "efficiency_j_per_th": model["efficiency_j_per_th"],
                    "first_available_t": first,
                    "last_available_t": last,
                }
            )
            t_index = np.arange(n)
            asic_period_rows.append(
                {
                    "scenario": name,
                    "model": model["name"],
                    "period": labels,
                    "price_usd_per_th": np.asarray(model["price_usd_per_th"], dtype=float),
                    "available": (t_index >= first) & (t_index <= last),
                }
            )
        budget = fin["capex_budget_usd"]
        pd_rows.append(
            {
                "scenario": name,
                "period": labels,
                "hashprice_usd_per_ph_day": c["markets"]["hashprice_usd_per_ph_day"],
                "overhead_usd": np.asarray(fin["overhead_usd_per_year"], dtype=float) * months / 12.0
                if not np.isscalar(fin["overhead_usd_per_year"])
                else np.full(n, float(fin["overhead_usd_per_year"]) * months / 12.0),
                "capex_budget_usd": budget if budget is not None else np.full(n, np.nan),
                "discount_factor": discount_factors(n, months, fin["discount_rate_annual"]),
            }
        )
        for region, series in (c["markets"]["ai_demand_it_mw"] or {}).items():
            dem_rows.append({"scenario": name, "region": region, "period": labels, "ai_demand_it_mw": series})
        for f in fin["debt"] or []:
            fac_rows.append(
                {
                    "scenario": name,
                    "facility": f["name"],
                    "limit_usd": f["limit_usd"],
                    "initial_balance_usd": f["initial_balance_usd"],
                    "rate_annual": f["rate_annual"],
                    "upfront_fee": f["upfront_fee"],
                    "advance_rate_on_ai_capex": np.nan if f["advance_rate_on_ai_capex"] is None else f["advance_rate_on_ai_capex"],
                }
            )
            # draws only in periods whose start month lies in [draw_from, draw_until]
            can_draw = np.ones(n, dtype=bool)
            if f["draw_from"] is not None:
                can_draw &= starts >= f["draw_from"]
            if f["draw_until"] is not None:
                can_draw &= starts <= f["draw_until"]
            matured = np.zeros(n, dtype=bool)
            if f["maturity"] is not None:
                sel = select_period(starts, f["maturity"])
                if sel is not None:
                    matured[sel:] = True
            fp_rows.append({"scenario": name, "facility": f["name"], "period": labels, "can_draw": can_draw, "matured": matured})

    def frame(rows, keys, columns, blocks=False):
        """One table from its rows (dicts of scalars) or, with ``blocks``, from
        per-period blocks (dicts of a period-long column each, names as scalars)."""
        if not rows:
            return pd.DataFrame(columns=keys + columns).set_index(keys)
        df = _stack_blocks(rows, n) if blocks else pd.DataFrame(rows)
        return df.set_index(keys)

    return Instance(
        name=str(base["name"]),
        raw=raw,
        source=source,
        periods=periods,
        sites=sites,
        scenarios=pd.DataFrame(scen_rows).set_index("scenario"),
        site_params=frame(sp_rows, ["scenario", "site"], []),
        site_period=frame(spp, ["scenario", "site", "period"], [], blocks=True),
        period_data=frame(pd_rows, ["scenario", "period"], [], blocks=True),
        demand=frame(dem_rows, ["scenario", "region", "period"], ["ai_demand_it_mw"], blocks=True),
        facilities=frame(fac_rows, ["scenario", "facility"], ["limit_usd", "initial_balance_usd", "rate_annual", "upfront_fee", "advance_rate_on_ai_capex"]),
        facility_period=frame(fp_rows, ["scenario", "facility", "period"], ["can_draw", "matured"], blocks=True),
        site_params_v2=frame(v2_rows, ["scenario", "site"], list(V2_SITE_COLUMNS)),
        power_tiers=frame(tier_rows, ["scenario", "site", "tier", "period"], list(TIER_COLUMNS), blocks=True),
        asic_models=frame(asic_rows, ["scenario", "model"], list(ASIC_COLUMNS)),
        asic_model_period=frame(asic_period_rows, ["scenario", "model", "period"], list(ASIC_PERIOD_COLUMNS), blocks=True),
        risk=base.get("risk"),
        warnings=warnings,
    )


def _tiers(site: dict, n: int) -> list[dict]:
    """The site's price tiers, each with period-long columns (SPEC 9): a site with a
    plain ``power_price_usd_per_mwh`` is one tier of fraction 1 without resale."""
    if site["power_price_tiers"] is None:
        return [
            {
                "hours_fraction": np.ones(n),
                "price_usd_per_mwh": np.asarray(site["power_price_usd_per_mwh"], dtype=float),
                "resale_usd_per_mwh": np.zeros(n),
            }
        ]
    return [
        {
            "hours_fraction": np.full(n, float(t["hours_fraction"])),
            "price_usd_per_mwh": np.asarray(t["price_usd_per_mwh"], dtype=float),
            "resale_usd_per_mwh": np.broadcast_to(np.asarray(t["resale_usd_per_mwh"], dtype=float), (n,)).copy(),
        }
        for t in site["power_price_tiers"]
    ]


def _site_v2_row(scenario: str, site: dict, mining_max_mw: float, has_ai: bool) -> dict:
    """One ``site_params_v2`` row: rack, tenant contract, and whether prices are tiered.

    ``tiered`` is true when the site's price tiers differ from a v1 price: more than
    one tier, or a resale price above 0 in some period."""
    mining, ai = site["mining"], site["ai"]
    tiers = site["power_price_tiers"] or []
    tiered = len(tiers) > 1 or any(np.any(np.asarray(t["resale_usd_per_mwh"]) != 0) for t in tiers)
    prepay = float(ai["prepayment_usd_per_it_mw"]) if has_ai else 0.0
    return {
        "scenario": scenario,
        "site": site["name"],
        "rack_mw": (mining_max_mw if mining["rack_mw"] is None else float(mining["rack_mw"])) if mining else 0.0,
        "prepayment_usd_per_it_mw": prepay,
        "prepayment_credit_periods": int(ai["prepayment_credit_periods"] or 0) if has_ai and prepay > 0 else 0,
        "leased_on_completion": bool(ai["leased_on_completion"]) if has_ai else False,
        "tiered": bool(tiered),
    }


def _availability(model: dict, starts: np.ndarray) -> tuple[int, int]:
    """First and last period index in which an ASIC model can be bought (SPEC 8).

    ``available_from`` selects the first period starting at or after it (N: none);
    ``available_until`` keeps the periods starting at or before it (-1: none)."""
    n = len(starts)
    first = 0
    if model["available_from"] is not None:
        sel = select_period(starts, model["available_from"])
        first = n if sel is None else sel
    last = n - 1
    if model["available_until"] is not None:
        last = int(np.count_nonzero(starts <= model["available_until"])) - 1
    return first, last


def _stack_blocks(blocks: list[dict], n: int) -> pd.DataFrame:
    """The table that stacking one small DataFrame per block would give, built once.

    Each block maps a column to a string (a name, repeated over the block's ``n``
    rows), a list of ``n`` strings (the period labels) or ``n`` numbers. Numbers are
    joined with numpy, whose type promotion is pandas' on concatenation (int and
    float give float), so the dtypes are those of the stacked frames; strings
    become plain lists, as they were in the small frames.
    """
    columns: dict[str, Any] = {}
    for name in blocks[0]:
        first = blocks[0][name]
        if isinstance(first, str):
            columns[name] = [b[name] for b in blocks for _ in range(n)]
        elif isinstance(first, list) and first and isinstance(first[0], str):
            columns[name] = [x for b in blocks for x in b[name]]
        else:
            columns[name] = np.concatenate([np.broadcast_to(np.asarray(b[name]), (n,)) for b in blocks])
    return pd.DataFrame(columns)


def resolved_series(raw: dict, path: str, base_dir: Path | None) -> list[float]:
    """The series at ``path`` resolved to one value per period."""
    from instances.overrides import get_path
    from instances.series import resolve_series

    issues: list[Issue] = []
    horizon, _ = _horizon(raw, base_dir, issues)
    if horizon is None:
        raise InputError(issues or [Issue("horizon", "invalid horizon")])
    value = get_path(raw, path)
    if value is None:
        raise InputError(Issue(path, "holds no series in the instance: there is nothing to scale"))
    out = resolve_series(value, path, horizon, issues)
    if out is None:
        raise InputError(issues or [Issue(path, "cannot resolve the series")])
    return [float(v) for v in out]
