"""Hashprice scenarios from a stochastic model of bitcoin price, difficulty and subsidy.

Pure numpy, seeded with ``numpy.random.default_rng(seed)``: the same instance, number
of paths, seed and reduction always give the same scenarios.

The model (parameters: the instance's optional ``scenario_model`` object, defaults in
:data:`DEFAULTS`, from ``shared/data/public-facts.md``; docs/uncertainty.md)
----------------------------------------------------------------------------------
Time runs in months from the horizon start; month k covers ``[k, k+1)`` and is
evaluated at its middle, ``tau_k = (k + 0.5) / 12`` years.

- bitcoin price, geometric Brownian motion with expected growth ``g`` and volatility
  ``sigma`` (both annual): ``P(tau) = P0 * exp((ln(1+g) - sigma^2/2) tau + sigma B(tau))``,
  so ``E[P(tau)] = P0 (1+g)^tau``;
- difficulty: a trend ``d`` (annual growth at a flat price) times the price's
  deviation from its start raised to the elasticity ``e``, times a level step
  ``(1 + h)`` at every halving passed:
  ``D(tau) = D0 * (1+d)^tau * (P(tau)/P0)^e * (1+h)^(halvings so far)``;
- block subsidy: ``S0`` halved at every halving, the first at ``next_halving``
  (April 2028), then every ``halving_interval_years`` (~April 2032, ...);
- fees: a share ``f`` of the subsidy, so a block pays ``S (1 + f)`` BTC;
- hashprice (USD per PH/s per day; public-facts section 3.1):
  ``hashprice = P * 86400 * 1e15 * S (1 + f) / (D * 2^32)``
  (a block every 600 s on average; network hashrate ``D * 2^32 / 600`` H/s).

A period's hashprice is the mean of its months' values. Every path gets
probability ``1/paths``.

Reduction (``reduce=K``)
------------------------
k-medoids on the paths (Euclidean distance between hashprice paths, in USD per PH/s
per day): alternate (assign every path to its nearest medoid; make each cluster's
medoid the member with the least total distance to the others) until nothing
changes, from five starts (K paths at evenly spaced quantiles of the mean hashprice,
and four k-means++ seedings drawn with the same seed), keeping the clustering of
least total distance. Each kept scenario is a medoid path, its probability the share
of paths in its cluster. Deterministic for a seed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from instances.calendar import parse_month

SECONDS_PER_DAY = 86_400
PH_PER_H = 1e15
TWO_32 = 2.0**32

# name -> (default, unit, doc). Defaults from shared/data/public-facts.md
DEFAULTS: dict[str, tuple] = {
    "btc_price_usd": (65_000.0, "USD per BTC", "bitcoin price at the horizon start (~$65k mid-2026, public-facts 7.3)"),
    "btc_growth_annual": (0.20, "fraction per year", "expected price growth g: E[P] = P0 (1+g)^years (+20 %/yr base, 0..40 % range, 7.3)"),
    "btc_volatility_annual": (0.50, "fraction per sqrt(year)", "GBM volatility sigma (an estimate: bitcoin's realized volatility has run ~40-70 %/yr)"),
    "difficulty": (126.23e12, "hashes per 2^32", "network difficulty at the horizon start (126.23T on 2026-07-25, 3.2)"),
    "difficulty_trend_annual": (0.10, "fraction per year", "difficulty growth at a flat price (low case +10 %/yr with BTC flat, 7.3)"),
    "difficulty_price_elasticity": (0.35, "ratio", "d ln(difficulty) / d ln(price) (fits 7.3's cases: +10/+15/+25 %/yr at BTC 0/+20/+40 %/yr)"),
    "difficulty_step_at_halving": (-0.05, "fraction", "difficulty level change at each halving (-5 % after a halving, 7.3)"),
    "block_subsidy_btc": (3.125, "BTC per block", "subsidy at the horizon start (since the April 2024 halving, 3.3)"),
    "next_halving": ("2028-04", "YYYY-MM", "month of the next halving (block 1,050,000, ~April 2028, 3.3)"),
    "halving_interval_years": (4.0, "years", "time between halvings (210,000 blocks at 10 minutes)"),
    "fee_share_of_subsidy": (0.01, "fraction", "fees as a share of the subsidy (~1 %, 0.5-3 % range, 7.3)"),
}


def hashprice(price_usd, difficulty, subsidy_btc, fee_share=0.0):
    """USD per PH/s per day: ``price * 86400 * 1e15 * subsidy * (1 + fees) / (difficulty * 2^32)``."""
    return np.asarray(price_usd) * SECONDS_PER_DAY * PH_PER_H * np.asarray(subsidy_btc) * (1.0 + fee_share) / (np.asarray(difficulty) * TWO_32)


def model_params(raw_model: dict | None) -> dict:
    """The ``scenario_model`` object with every default filled in."""
    out = {k: v[0] for k, v in DEFAULTS.items()}
    for k, v in (raw_model or {}).items():
        if v is not None:
            out[k] = v
    return out


def _month_number(label: str) -> int:
    """Months since year 0 of a ``YYYY-MM`` label (the calendar's own parser)."""
    return int(parse_month(label))


@dataclass
class Paths:
    """Simulated monthly series (paths x months) and the periods' hashprice (paths x periods)."""

    price: np.ndarray
    difficulty: np.ndarray
    subsidy: np.ndarray  # months (same on every path)
    monthly_hashprice: np.ndarray
    hashprice: np.ndarray  # per period: mean of its months


def simulate(horizon_start: str, periods: int, period_months: int, paths: int, seed: int, params: dict | None = None) -> Paths:
    """``paths`` hashprice paths over the horizon (see the module docstring)."""
    if paths < 1:
        raise ValueError("paths must be >= 1")
    p = model_params(params)
    months = periods * period_months
    tau = (np.arange(months) + 0.5) / 12.0
    dt = np.diff(np.concatenate([[0.0], tau]))
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((paths, months))
    brownian = np.cumsum(z * np.sqrt(dt), axis=1)
    sigma = float(p["btc_volatility_annual"])
    mu = np.log1p(float(p["btc_growth_annual"]))
    log_ret = (mu - 0.5 * sigma**2) * tau + sigma * brownian
    price = float(p["btc_price_usd"]) * np.exp(log_ret)
    # halvings passed by month k (a halving in month k applies to all of month k)
    start = _month_number(horizon_start)
    first = _month_number(p["next_halving"])
    step = int(round(float(p["halving_interval_years"]) * 12))
    month_no = start + np.arange(months)
    passed = np.where(month_no >= first, (month_no - first) // max(step, 1) + 1, 0)
    subsidy = float(p["block_subsidy_btc"]) * 0.5**passed
    difficulty = (
        float(p["difficulty"])
        * np.exp(np.log1p(float(p["difficulty_trend_annual"])) * tau)
        * np.exp(float(p["difficulty_price_elasticity"]) * log_ret)
        * (1.0 + float(p["difficulty_step_at_halving"])) ** passed
    )
    monthly = hashprice(price, difficulty, subsidy, float(p["fee_share_of_subsidy"]))
    per_period = monthly.reshape(paths, periods, period_months).mean(axis=2)
    return Paths(price=price, difficulty=difficulty, subsidy=subsidy, monthly_hashprice=monthly, hashprice=per_period)


def _distances(x: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Euclidean distances, rows of ``x`` to rows of ``centers``."""
    d2 = (x * x).sum(1)[:, None] - 2 * x @ centers.T + (centers * centers).sum(1)[None, :]
    return np.sqrt(np.maximum(d2, 0.0))


def _alternate(x: np.ndarray, medoids: np.ndarray, max_iter: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Voronoi iteration from ``medoids``: (medoids, labels, total distance to the medoids)."""
    k = len(medoids)
    for _ in range(max_iter):
        labels = np.argmin(_distances(x, x[medoids]), axis=1)
        new = medoids.copy()
        for c in range(k):
            members = np.nonzero(labels == c)[0]
            if len(members) == 0:
                continue
            inner = _distances(x[members], x[members]).sum(axis=1)
            new[c] = members[np.argmin(inner)]
        if np.array_equal(new, medoids):
            break
        medoids = new
    dist = _distances(x, x[medoids])
    labels = np.argmin(dist, axis=1)
    return medoids, labels, float(dist[np.arange(len(x)), labels].sum())


def _plus_plus(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding: each next medoid drawn with probability ~ squared distance."""
    n = len(x)
    chosen = [int(rng.integers(n))]
    d2 = _distances(x, x[chosen]).min(axis=1) ** 2
    while len(chosen) < k:
        total = d2.sum()
        nxt = int(rng.choice(n, p=d2 / total)) if total > 0 else int(np.setdiff1d(np.arange(n), chosen)[0])
        chosen.append(nxt)
        d2 = np.minimum(d2, _distances(x, x[[nxt]])[:, 0] ** 2)
    return np.array(chosen)


def k_medoids(x: np.ndarray, k: int, seed: int = 0, restarts: int = 4, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """(medoid row indices, label of every row): alternating k-medoids (Voronoi
    iteration) from ``1 + restarts`` starts, the best total distance kept. Starts: the
    paths at evenly spaced quantiles of the mean value, then ``restarts`` k-means++
    seedings from ``default_rng(seed)``. Deterministic for a seed."""
    n = len(x)
    if k < 1:
        raise ValueError("reduce must be >= 1")
    if k >= n:
        return np.arange(n), np.arange(n)
    order = np.argsort(x.mean(axis=1), kind="stable")
    starts = [order[np.round((np.arange(k) + 0.5) * n / k - 0.5).astype(int)]]
    rng = np.random.default_rng(seed)
    starts += [_plus_plus(x, k, rng) for _ in range(restarts)]
    best = None
    for start in starts:
        medoids, labels, cost = _alternate(x, np.array(start), max_iter)
        if best is None or cost < best[2] - 1e-9 * max(1.0, abs(best[2])):
            best = (medoids, labels, cost)
    return best[0], best[1]


def reduce_paths(hp: np.ndarray, k: int, seed: int = 0) -> list[tuple[int, float]]:
    """K representative paths: [(path index, probability)], ordered by mean hashprice."""
    medoids, labels = k_medoids(hp, k, seed=seed)
    n = len(hp)
    out = [(int(m), float(np.sum(labels == c)) / n) for c, m in enumerate(medoids)]
    out = [(m, p) for m, p in out if p > 0]
    return sorted(out, key=lambda mp: (float(hp[mp[0]].mean()), mp[0]))


def path_name(i: int, paths: int) -> str:
    return f"p{i + 1:0{max(3, len(str(paths)))}d}"


def generate_scenarios(raw: dict, paths: int, seed: int, reduce: int | None = None) -> tuple[dict, Paths]:
    """The instance dict ``raw`` with its ``scenarios`` replaced by hashprice paths.

    Each scenario sets ``markets.hashprice_usd_per_ph_day`` to a list of one value per
    period. ``raw`` must have a valid ``horizon``. Returns (new dict, the paths).
    """
    hz = raw["horizon"]
    periods = int(hz["periods"])
    months = int(hz.get("period_months", 3))
    params = model_params(raw.get("scenario_model"))
    sim = simulate(hz["start"], periods, months, paths, seed, params)
    hp = sim.hashprice
    if reduce is not None and reduce < paths:
        chosen = reduce_paths(hp, reduce, seed)
    else:
        chosen = [(i, 1.0 / paths) for i in range(paths)]
    # probabilities sum to 1 exactly up to float rounding: put the residue on the last
    probs = [p for _, p in chosen]
    probs[-1] = 1.0 - sum(probs[:-1])
    out = copy.deepcopy(raw)
    out["scenario_model"] = {k: params[k] for k in DEFAULTS}
    out["scenarios"] = [
        {
            "name": path_name(i, paths),
            "probability": prob,
            "set": {"markets.hashprice_usd_per_ph_day": [round(float(v), 6) for v in hp[i]]},
        }
        for (i, _), prob in zip(chosen, probs)
    ]
    return out, sim
