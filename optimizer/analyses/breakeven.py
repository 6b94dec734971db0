"""Break-even values: where a retrofit decision changes.

``breakeven(raw, path, site)`` moves one parameter (a dotted path, as for ``--set``)
between ``low`` and ``high`` and finds, by bisection on solves, a value at which the
site's first retrofit start changes: a retrofit appears, disappears or moves to
another period (or the instance turns infeasible). Each solve is a rerun on one
kept model (``optimizer.rerun``), so a bisection costs little more than its solves.

Every decision that moves is answered too (``Breakeven.decisions``): for each
watched site (``site``, or with ``site`` None every site with an ``ai`` object),
its first start and its number of blocks; a decision moves when two solves in the
bracket disagree on it, and each change is then bisected like the first start's
(blocks going 0 -> 1 -> 2 give two rows). A change that happens and reverts
between two solves is not seen.
Each answer is stated in the parameter's own unit (``unit``, from the schema): for
a scaled series, as the value of the first period (factor x the base series'
first value) beside the factor.

The parameter is a number:

- a number field (``finance.discount_rate_annual``, ``sites.X.ai.capex_usd_per_it_mw``)
  takes the value itself; an integer field (``ai.max_blocks``) takes whole numbers
  and the bracket closes to two neighbours;
- a series field (``markets.hashprice_usd_per_ph_day``,
  ``sites.X.power_price_usd_per_mwh``, ...) is **scaled**: the value is a factor on
  the whole series as the instance resolves it (1 = as given), so "hashprice 0.8"
  means every period's hashprice times 0.8. Scenario overrides of the same path are
  left as they are.

Defaults: ``low``/``high`` are 0.5 and 1.5 times the base value (for a series, the
factors 0.5 and 1.5). The bracket is closed to ``tol`` (default 1e-3 of its width).
If the first start changes more than once inside the bracket, one of the changes
is found. Solves use a MIP gap of 1e-6 by default: near a break-even two plans are
close in value, and a loose gap would let the solver pick either.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

from instances import InputError, Issue, instance_from_dict
from instances.load import resolved_series
from instances.overrides import apply_overrides, get_path, set_path
from instances.prices import field_kind, field_unit
from optimizer.solve import SolveOptions
from optimizer.backend.status import Status

DEFAULT_GAP = 1e-6
MAX_PROBES = 60  # solves for the first start of ``site``
MAX_DECISION_PROBES = 200  # solves in all, every decision included
DECISIONS = ("first_start", "blocks")


@dataclass
class Probe:
    """One solve: the parameter value and what the plan does at the site."""

    value: float
    status: str
    npv_usd: float | None
    first_start: str | None  # the site's first block start; None: no block
    site_blocks: int
    retrofits: str  # the whole schedule, short form
    reason: str = ""
    sites: dict = field(default_factory=dict)  # every site with a block: name -> (first start, blocks)

    @property
    def has_plan(self) -> bool:
        return self.status in (Status.OPTIMAL.value, Status.FEASIBLE.value)

    def decision(self, site: str, kind: str) -> tuple:
        """(plan or not, the site's first start or its blocks): what a decision break-even watches."""
        first, blocks = self.sites.get(site, (None, 0))
        return (self.has_plan, first if kind == "first_start" else blocks)

    def answer(self, site: str, kind: str) -> str:
        """The decision at this value, in words."""
        if not self.has_plan:
            return f"no plan ({self.status})"
        first, blocks = self.sites.get(site, (None, 0))
        if kind == "blocks":
            return f"{blocks} block{'s' if blocks != 1 else ''}"
        return f"first start {first}" if first else "no retrofit"

    @property
    def state(self) -> tuple:
        """What must change for a break-even: plan or not, and the first start."""
        return (self.status in (Status.OPTIMAL.value, Status.FEASIBLE.value), self.first_start)

    def describe(self) -> str:
        if self.status not in (Status.OPTIMAL.value, Status.FEASIBLE.value):
            return f"no plan ({self.status})"
        return f"first start {self.first_start}" if self.first_start else "no retrofit"


@dataclass
class Decision:
    """Where one decision changes: the last probe with the low end's answer and the
    first with another; the break-even lies between their values."""

    site: str
    kind: str  # "first_start" or "blocks"
    low: Probe
    high: Probe


@dataclass
class Breakeven:
    path: str
    site: str | None
    mode: str  # "scale" (a series, the value is a factor) or "value"
    base_value: float  # 1.0 for a scaled series
    low: Probe
    high: Probe
    found: bool
    probes: list[Probe] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    unit: str = ""  # the parameter's unit (schema), e.g. "USD per PH/s per day"
    base_first_value: float | None = None  # a scaled series: its first period's value at factor 1
    first_period: str | None = None

    def in_unit(self, x: float) -> float:
        """The parameter value ``x`` in its own unit: for a scaled series, the first
        period's value (``x * base_first_value``); else ``x`` itself."""
        return x * self.base_first_value if self.mode == "scale" and self.base_first_value is not None else x

    def value_json(self, x: float) -> dict:
        out = {"value": self.in_unit(x), "unit": self.unit}
        if self.mode == "scale":
            out.update({"factor": x, "period": self.first_period})
        return out

    def decision_json(self, d: Decision) -> dict:
        return {
            "site": d.site,
            "decision": d.kind,
            "low": dict(self.value_json(d.low.value), answer=d.low.answer(d.site, d.kind)),
            "high": dict(self.value_json(d.high.value), answer=d.high.answer(d.site, d.kind)),
        }

    def to_json(self) -> dict:
        return {
            "param": self.path,
            "site": self.site,
            "mode": self.mode,
            "unit": self.unit,
            "base_value": self.base_value,
            "base_first_value": self.base_first_value,
            "found": self.found,
            "bracket": [self.low.value, self.high.value],
            "low": dataclasses.asdict(self.low),
            "high": dataclasses.asdict(self.high),
            "decisions": [self.decision_json(d) for d in self.decisions],
            "solves": len(self.probes),
        }


class _Solver:
    """Solve the instance at a parameter value (one Rerunner for every probe)."""

    def __init__(self, raw, base_dir, fixed, path, site, mode, base_series, integer, options):
        from optimizer.rerun import Rerunner

        self.raw, self.base_dir, self.fixed = raw, base_dir, list(fixed)
        self.path, self.site, self.mode = path, site, mode
        self.base_series, self.integer = base_series, integer
        self.runner = Rerunner(options)
        self.probes: list[Probe] = []
        self.seen: dict[float, Probe] = {}

    def value_override(self, x: float):
        if self.mode == "scale":
            return [v * x for v in self.base_series]
        return int(x) if self.integer else x

    def __call__(self, x: float) -> Probe:
        if x in self.seen:  # a value solved before (the ends, shared by every decision)
            return self.seen[x]
        probe = self.solve(x)
        self.seen[x] = probe
        return probe

    def solve(self, x: float) -> Probe:
        from optimizer.analyses.sweep import schedule_short

        try:
            raw = apply_overrides(self.raw, self.fixed + [(self.path, self.value_override(x))])
            inst = instance_from_dict(raw, base_dir=self.base_dir)
        except InputError as exc:
            probe = Probe(x, "input_error", None, None, 0, "", str(exc))
            self.probes.append(probe)
            return probe
        try:
            result = self.runner.solve(inst, tables=False)
        except Exception as exc:  # a solver failure is a state of its own, not a crash
            probe = Probe(x, Status.ERROR.value, None, None, 0, "", f"{type(exc).__name__}: {exc}")
            self.probes.append(probe)
            return probe
        short, sites = "", {}
        if result.has_plan:
            starts = sorted(
                (inst.period_labels.index(t), s, t, int(round(v.value or 0)))
                for (s, t), v in result.model.start.items()
                if round(v.value or 0) > 0
            )
            for _, s, t, b in starts:  # in start order: the first one seen is the first start
                first, blocks = sites.get(s, (t, 0))
                sites[s] = (first, blocks + b)
            short = schedule_short(result.model, inst)
        first, blocks = sites.get(self.site, (None, 0)) if self.site is not None else (None, 0)
        probe = Probe(x, result.status.value, result.objective_usd, first, blocks, short, result.reason, sites)
        self.probes.append(probe)
        return probe


def breakeven(
    raw: dict,
    path: str,
    site: str | None,
    low: float | None = None,
    high: float | None = None,
    base_dir: str | Path | None = None,
    fixed: list | None = None,
    options: SolveOptions | None = None,
    tol: float | None = None,
) -> Breakeven:
    """Bisect ``[low, high]`` for a change of ``site``'s first retrofit start and of every
    decision that moves (module doc; ``site`` None: every site with an ``ai`` object is
    watched). InputError for an unknown path or site, a parameter that is not a number,
    or a bracket that is not one."""
    base_dir = Path(base_dir) if base_dir is not None else None
    fixed = list(fixed or [])
    base = apply_overrides(raw, fixed)
    set_path(json_copy(base), path, 0)  # an unknown path: InputError with the closest one
    names = [s.get("name") for s in base.get("sites", []) if isinstance(s, dict)]
    if site is not None and site not in names:
        import difflib

        match = difflib.get_close_matches(site, [str(n) for n in names], n=1, cutoff=0.4)
        hint = f' (did you mean "{match[0]}"?)' if match else f" (sites: {', '.join(map(str, names))})"
        raise InputError(Issue("--site", f'no site named "{site}"{hint}'))
    kind = field_kind(path)
    base_series = None
    if kind == "series":
        mode, base_value = "scale", 1.0
        base_series = resolved_series(base, path, base_dir)
    elif kind in ("number", "integer"):
        mode = "value"
        current = get_path(base, path)
        base_value = float(current) if isinstance(current, (int, float)) and not isinstance(current, bool) else None
        if (low is None or high is None) and not base_value:
            raise InputError(Issue(path, "has no non-zero value in the instance: give --low and --high"))
    else:
        raise InputError(Issue(path, f"is not a number or a series (a {kind or 'structural'} field): it cannot be bisected"))
    integer = kind == "integer"
    low = low if low is not None else 0.5 * base_value
    high = high if high is not None else 1.5 * base_value
    if integer:
        low, high = math.floor(low), math.ceil(high)
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise InputError(Issue("--low/--high", f"need low < high, got [{low:g}, {high:g}]"))
    options = dataclasses.replace(options or SolveOptions(mip_gap=DEFAULT_GAP), log=False, progress=False)
    solve_at = _Solver(raw, base_dir, fixed, path, site, mode, base_series, integer, options)
    tol = tol if tol is not None else (1 if integer else (high - low) * 1e-3)
    lo, hi = solve_at(low), solve_at(high)
    ends = (lo, hi)
    found = site is not None and lo.state != hi.state
    while found and hi.value - lo.value > tol and len(solve_at.probes) < MAX_PROBES:
        mid = (lo.value + hi.value) / 2
        if integer:
            mid = math.floor(mid)
            if mid <= lo.value:
                break
        probe = solve_at(mid)
        if probe.state == lo.state:
            lo = probe
        else:
            hi = probe
    watched = [site] if site is not None else [
        str(x.get("name")) for x in base.get("sites", []) if isinstance(x, dict) and isinstance(x.get("ai"), dict)
    ]
    decisions = [d for s in watched for kind in DECISIONS for d in _bisect_decision(solve_at, s, kind, tol, integer)]
    if site is None:
        lo, hi = ends
        found = bool(decisions)
    labels = _labels(base)
    return Breakeven(
        path, site, mode, base_value, lo, hi, found, solve_at.probes, decisions,
        unit=field_unit(path), base_first_value=base_series[0] if base_series else None,
        first_period=labels[0] if labels else None,
    )


def _labels(raw: dict) -> list[str]:
    from instances.prices import horizon_labels

    try:
        return horizon_labels(raw)
    except InputError:
        return []


def _bisect_decision(solve_at: _Solver, site: str, kind: str, tol: float, integer: bool) -> list[Decision]:
    """Every change of one decision among the solves (in value order), each closed to
    ``tol`` by bisection; empty when every solve agrees on it. A change found is
    bisected until its two probes are ``tol`` apart; probes added on the way may show
    further changes, which are closed in turn (up to ``MAX_DECISION_PROBES`` solves)."""
    while len(solve_at.probes) < MAX_DECISION_PROBES:
        ordered = sorted(solve_at.seen.values(), key=lambda p: p.value)
        open_pair = next(
            ((p, q) for p, q in zip(ordered, ordered[1:]) if p.decision(site, kind) != q.decision(site, kind) and q.value - p.value > tol),
            None,
        )
        if open_pair is None:
            break
        lo, hi = open_pair
        mid = (lo.value + hi.value) / 2
        if integer:
            mid = math.floor(mid)
            if mid <= lo.value:
                break
        solve_at(mid)
    ordered = sorted(solve_at.seen.values(), key=lambda p: p.value)
    return [Decision(site, kind, p, q) for p, q in zip(ordered, ordered[1:]) if p.decision(site, kind) != q.decision(site, kind)]


def json_copy(raw: dict) -> dict:
    import json

    return json.loads(json.dumps(raw))
