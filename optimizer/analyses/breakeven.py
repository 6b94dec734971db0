"""Break-even values: where a site's first retrofit start changes.

``breakeven(raw, path, site)`` moves one parameter (a dotted path, as for ``--set``)
between ``low`` and ``high`` and finds, by bisection on solves, a value at which the
site's first retrofit start changes: a retrofit appears, disappears or moves to
another period (or the instance turns infeasible). Each solve is a rerun on one
kept model (``optimizer.rerun``), so a bisection costs little more than its solves.

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
from typing import Any

from instances import InputError, Issue, instance_from_dict
from instances.load import resolved_series
from instances.overrides import apply_overrides, get_path, set_path
from instances.prices import field_kind
from optimizer.solve import SolveOptions
from optimizer.backend.status import Status

DEFAULT_GAP = 1e-6
MAX_PROBES = 60


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

    @property
    def state(self) -> tuple:
        """What must change for a break-even: plan or not, and the first start."""
        return (self.status in (Status.OPTIMAL.value, Status.FEASIBLE.value), self.first_start)

    def describe(self) -> str:
        if self.status not in (Status.OPTIMAL.value, Status.FEASIBLE.value):
            return f"no plan ({self.status})"
        return f"first start {self.first_start}" if self.first_start else "no retrofit"


@dataclass
class Breakeven:
    path: str
    site: str
    mode: str  # "scale" (a series, the value is a factor) or "value"
    base_value: float  # 1.0 for a scaled series
    low: Probe
    high: Probe
    found: bool
    probes: list[Probe] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "param": self.path,
            "site": self.site,
            "mode": self.mode,
            "base_value": self.base_value,
            "found": self.found,
            "bracket": [self.low.value, self.high.value],
            "low": dataclasses.asdict(self.low),
            "high": dataclasses.asdict(self.high),
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

    def value_override(self, x: float):
        if self.mode == "scale":
            return [v * x for v in self.base_series]
        return int(x) if self.integer else x

    def __call__(self, x: float) -> Probe:
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
        first, blocks, short = None, 0, ""
        if result.has_plan:
            starts = sorted(
                (inst.period_labels.index(t), t, int(round(v.value or 0)))
                for (s, t), v in result.model.start.items()
                if s == self.site and round(v.value or 0) > 0
            )
            first = starts[0][1] if starts else None
            blocks = sum(b for _, _, b in starts)
            short = schedule_short(result.model, inst)
        probe = Probe(x, result.status.value, result.objective_usd, first, blocks, short, result.reason)
        self.probes.append(probe)
        return probe


def breakeven(
    raw: dict,
    path: str,
    site: str,
    low: float | None = None,
    high: float | None = None,
    base_dir: str | Path | None = None,
    fixed: list | None = None,
    options: SolveOptions | None = None,
    tol: float | None = None,
) -> Breakeven:
    """Bisect ``[low, high]`` for a change of ``site``'s first retrofit start (module doc).
    InputError for an unknown path or site, a parameter that is not a number, or a
    bracket that is not one."""
    base_dir = Path(base_dir) if base_dir is not None else None
    fixed = list(fixed or [])
    base = apply_overrides(raw, fixed)
    set_path(json_copy(base), path, 0)  # an unknown path: InputError with the closest one
    names = [s.get("name") for s in base.get("sites", []) if isinstance(s, dict)]
    if site not in names:
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
    found = lo.state != hi.state
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
    return Breakeven(path, site, mode, base_value, lo, hi, found, solve_at.probes)


def json_copy(raw: dict) -> dict:
    import json

    return json.loads(json.dumps(raw))
