"""A given retrofit schedule against the optimum (``allocate solve INSTANCE --starts FILE``).

The schedule (``instances.schedule``) is fixed and only operations and financing are
optimized; the free optimum is solved too, and the report shows both NPVs and the
value the schedule leaves on the table. A schedule that cannot be carried out gets
the first period that breaks and the constraint (``optimizer.analyses.diagnose``).
Returns data only; ``cli/solve_cmd.py`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from instances import Instance
from optimizer import SolveOptions, solve
from optimizer.analyses.diagnose import first_violation, structural_violation


@dataclass
class ScheduleComparison:
    """A given schedule against the free optimum (USD).

    free: the free solve (Result); fixed: the solve with the schedule fixed (Result), or
    None when the schedule cannot be built at all; schedule_npv_usd and optimum_usd:
    their NPVs when they have a plan; gap_usd = optimum_usd - schedule_npv_usd, the
    value the schedule leaves on the table; diagnosis: (period, constraint, detail) of
    the first break of a schedule without a plan, or None.
    """

    schedule: dict
    free: object
    fixed: object | None
    schedule_npv_usd: float | None
    optimum_usd: float | None
    gap_usd: float | None
    diagnosis: tuple[str, str, str] | None

    @property
    def has_plan(self) -> bool:
        return self.fixed is not None and self.fixed.has_plan

    def to_json(self) -> dict:
        """The ``starts_comparison`` object of ``solve --starts --json``."""
        diag = self.diagnosis
        return {
            "schedule": [{"site": s, "start": t, "blocks": int(b)} for (s, t), b in self.schedule.items()],
            "status": self.fixed.status.value if self.fixed is not None else "infeasible",
            "schedule_npv_usd": self.schedule_npv_usd,
            "optimum_usd": self.optimum_usd,
            "optimum_status": self.free.status.value,
            "gap_usd": self.gap_usd,
            "first_violation": None if diag is None else {"period": diag[0], "constraint": diag[1], "detail": diag[2]},
        }


def compare_schedule(inst: Instance, schedule: dict, options: SolveOptions) -> ScheduleComparison:
    """Solve free and with ``schedule`` fixed (see :class:`ScheduleComparison`)."""
    free = solve(inst, replace(options, fixed_starts=None))
    diagnosis = structural_violation(inst, schedule)
    fixed = None
    if diagnosis is None:
        fixed = solve(inst, replace(options, fixed_starts=schedule))
        if not fixed.has_plan and fixed.status.value == "infeasible":
            diagnosis = first_violation(inst, schedule)
    npv = fixed.objective_usd if fixed is not None and fixed.has_plan else None
    best = free.objective_usd if free.has_plan else None
    return ScheduleComparison(
        schedule=dict(schedule),
        free=free,
        fixed=fixed,
        schedule_npv_usd=npv,
        optimum_usd=best,
        gap_usd=best - npv if best is not None and npv is not None else None,
        diagnosis=diagnosis,
    )
