"""Why this site: each retrofittable site's economics and what its halls add to the plan.

Two kinds of figures, one row per site that can take AI blocks:

- **Unit economics, from the inputs alone** (``unit_economics``), in USD per grid MW
  so that mining and hosting compare on the site's scarce resource, its grid MW.
  Averages over the horizon weighted by the discount factors (and the scenario
  probabilities), annualised:

  - ``mining_usd_per_grid_mw_year`` = sum_t df_t * max(0, mining margin per MW)_t
    / sum_t df_t * 12/m: what a grid MW earns hashing when hashing pays, with the
    site's installed fleet (``mining.efficiency_j_per_th``; machines to buy would add
    their capex). At a site with price tiers (SPEC v2) the margin is taken per tier,
    ``sum_k max(0, f_k * revenue - h_k * price_k - f_k * opex * m/12, resale_k * h_k)``:
    a grid MW kept from the halls mines in the tiers where mining pays, and sells its
    power back where that pays more (the hours-weighted price of
    ``models.data.money_lines`` would charge the dear tiers' price to MW that curtail);
  - ``ai_usd_per_grid_mw_year`` = sum_t df_t * (AI revenue - AI cost per IT MW)_t / ai.pue
    / sum_t df_t * 12/m: what it earns leased once a hall is online;
  - ``capex_usd_per_grid_mw`` = capex_usd_per_it_mw / ai.pue;
  - ``payback_years`` = capex / (AI - mining), when hosting earns more (else empty).

- **Value to the plan, by solving the whole problem again** (``site_values``), every
  other decision free to adapt (the other sites' halls and their timing included):

  - ``halls_value_usd`` = NPV(optimum) - NPV(optimum with the site not retrofittable):
    what being able to build there is worth (only for sites the plan builds at);
  - ``one_more_block_usd`` = NPV(optimum with at least one block more at the site than
    the plan has) - NPV(optimum): zero or negative; how much the plan gives up to put
    one more hall there (only for sites with room for one more block).

  With the schedule held instead, the rest of the plan often has no solution (a
  construction loan leaning on the site's capex, a budget or covenant one more block
  would break), which explains nothing; re-optimising answers the question a CFO asks.
  A re-solve without a plan leaves the value empty and says why in ``note``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from models.data import money_lines

COLUMNS = [
    "site",
    "blocks",
    "first_start",
    "mining_usd_per_grid_mw_year",
    "ai_usd_per_grid_mw_year",
    "capex_usd_per_grid_mw",
    "payback_years",
    "halls_value_usd",
    "one_more_block_usd",
    "note",
]


def retrofit_sites(instance) -> list[str]:
    """Sites that can take at least one AI block, in instance order."""
    sites = instance.sites
    return [s for s in instance.site_names if bool(sites.at[s, "retrofittable"]) and int(sites.at[s, "max_blocks"]) > 0]


def unit_economics(instance) -> pd.DataFrame:
    """Per retrofittable site (index): mining and AI margins per grid MW-year, capex per
    grid MW and simple payback, as defined in the module docstring (USD, years)."""
    lines = money_lines(instance)
    sp = instance.site_params
    # probability x discount factor of each (scenario, period)
    probability = instance.scenarios["probability"]
    df = instance.period_data["discount_factor"]
    weight = df * probability.reindex(df.index.get_level_values("scenario")).to_numpy()
    per_year = 12.0 / instance.period_months
    tiered = tier_keep_margin(instance, lines)
    rows = {}
    for s in retrofit_sites(instance):
        one = lines.xs(s, level="site")
        w = weight.reindex(one.index).to_numpy()
        mining = np.maximum(one["mining_revenue_usd_per_mw"] - one["mining_cost_usd_per_mw"], 0.0).to_numpy()
        if tiered is not None and s in tiered.index.get_level_values("site"):
            mining = tiered.xs(s, level="site").reindex(one.index).to_numpy(dtype=float)
        params = sp.xs(s, level="site")  # per scenario
        pue = params["ai_pue"].reindex(one.index.get_level_values("scenario")).to_numpy()
        ai = (one["ai_revenue_usd_per_mw"] - one["ai_cost_usd_per_mw"]).to_numpy() / pue
        capex = float((params["capex_usd_per_it_mw"] / params["ai_pue"]).mean())
        mining_y = float((w * mining).sum() / w.sum() * per_year)
        ai_y = float((w * ai).sum() / w.sum() * per_year)
        rows[s] = {
            "mining_usd_per_grid_mw_year": mining_y,
            "ai_usd_per_grid_mw_year": ai_y,
            "capex_usd_per_grid_mw": capex,
            "payback_years": capex / (ai_y - mining_y) if ai_y > mining_y else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def tier_keep_margin(instance, lines: pd.DataFrame) -> pd.Series | None:
    """What a grid MW kept from the halls earns per period at each site with price
    tiers (SPEC v2), USD per MW, index (scenario, site, period); None without tiers.

    ``sum_k max(0, f_k * R - (h * f_k * price_k + f_k * opex * m/12), resale_k * h * f_k)``
    with ``R`` the period's mining revenue per MW (``lines``, proportional to days, so
    ``f_k * R`` in tier k) and ``opex * m/12`` the mining opex of the period per MW
    (the part of ``mining_cost_usd_per_mw`` that is not power).
    """
    tiers = getattr(instance, "power_tiers", None)
    if tiers is None or len(tiers) == 0 or not getattr(instance, "is_v2", False):
        return None
    sp = instance.site_params
    hours = instance.periods["hours"]
    m = float(instance.period_months)
    key = pd.MultiIndex.from_arrays([tiers.index.get_level_values(n) for n in ("scenario", "site", "period")])
    sel = lines.reindex(key)
    f = tiers["hours_fraction"].to_numpy(dtype=float)
    h = tiers.index.get_level_values("period").map(hours).to_numpy(dtype=float) * f
    opex = sp["mining_opex_usd_per_mw_year"].reindex(
        pd.MultiIndex.from_arrays([key.get_level_values("scenario"), key.get_level_values("site")])).to_numpy(dtype=float)
    opex = np.nan_to_num(opex) * m / 12.0 * f
    mine = f * sel["mining_revenue_usd_per_mw"].to_numpy(dtype=float) - h * tiers["price_usd_per_mwh"].to_numpy(dtype=float) - opex
    resale = h * tiers["resale_usd_per_mwh"].to_numpy(dtype=float)
    best = np.maximum(np.maximum(mine, resale), 0.0)
    return pd.Series(best, index=key).groupby(level=["scenario", "site", "period"], sort=False).sum()


def plan_blocks(result) -> dict[str, int]:
    """Blocks the plan starts at each site over the horizon."""
    out: dict[str, int] = {}
    if result.retrofits is not None:
        for r in result.retrofits.itertuples():
            out[r.site] = out.get(r.site, 0) + int(r.blocks)
    return out


def first_starts(result) -> dict[str, str]:
    """The period label of each site's first hall in the plan."""
    out: dict[str, str] = {}
    if result.retrofits is not None:
        for r in result.retrofits.itertuples():
            out[r.site] = min(out.get(r.site, r.start), r.start)
    return out


def _resolve(instance, options, overrides=(), min_blocks=None) -> tuple[float | None, str]:
    """The optimum NPV (USD) of ``instance`` with ``overrides`` and ``min_blocks``, or
    None and the reason no plan was found."""
    from instances import apply_overrides, instance_from_dict
    from optimizer.solve import solve

    if overrides:
        base_dir = instance.source.parent if instance.source is not None else None
        instance = instance_from_dict(apply_overrides(instance.raw, list(overrides)), base_dir=base_dir, source=instance.source)
    try:
        out = solve(instance, replace(options, min_blocks=min_blocks, sensitivities=False, progress=False))
    except ValueError as exc:  # more blocks than the site holds
        return None, str(exc)
    if not out.has_plan:
        return None, out.reason
    return out.objective_usd, ""


def site_values(result, options=None, sites: list[str] | None = None, on_site=None) -> pd.DataFrame:
    """Unit economics and value to the plan of every retrofittable site (``COLUMNS``),
    or of ``sites`` only. ``on_site(site)`` is called before each site's solves."""
    from optimizer.solve import SolveOptions

    options = options or SolveOptions()
    instance = result.instance
    econ = unit_economics(instance)
    blocks, first = plan_blocks(result), first_starts(result)
    npv = result.objective_usd
    rows = []
    for s in econ.index:
        if sites is not None and s not in sites:
            continue
        if on_site is not None:
            on_site(s)
        notes = []
        halls_value = extra_value = np.nan
        have = blocks.get(s, 0)
        if have:
            value, why = _resolve(instance, options, overrides=[(f"sites.{s}.ai.eligible", False)])
            if value is None:
                notes.append(f"without halls here: {why}")
            else:
                halls_value = npv - value
        if have < int(instance.sites.at[s, "max_blocks"]):
            value, why = _resolve(instance, options, min_blocks={s: have + 1})
            if value is None:
                notes.append(f"with one more block: {why}")
            else:
                extra_value = value - npv
        rows.append(
            {
                "site": s,
                "blocks": have,
                "first_start": first.get(s),
                **econ.loc[s].to_dict(),
                "halls_value_usd": halls_value,
                "one_more_block_usd": extra_value,
                "note": "; ".join(notes),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
