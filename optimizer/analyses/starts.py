"""A given retrofit schedule against the optimum (``allocate solve INSTANCE --starts FILE``).

The schedule (``instances.schedule``) is fixed and only operations and financing are
optimized; the free optimum is solved too, and the report shows both NPVs and the
value the schedule leaves on the table. A schedule that cannot be carried out gets
the first period that breaks and the constraint (``optimizer.analyses.diagnose``).
Returns data only; ``cli/solve_cmd.py`` prints it.
"""

from __future__ import annotations

from dataclasses import replace

from instances import Instance
from optimizer import SolveOptions, solve
from optimizer.analyses.diagnose import first_violation, structural_violation


def compare_schedule(inst: Instance, schedule: dict, options: SolveOptions) -> dict:
    """Solve free and with ``schedule`` fixed; what the report needs.

    Keys: free (Result), fixed (Result or None when the schedule is structurally
    impossible), schedule_npv_usd, optimum_usd, gap_usd, diagnosis ((period,
    constraint, detail) or None).
    """
    free = solve(inst, replace(options, fixed_starts=None))
    diagnosis = structural_violation(inst, schedule)
    fixed = None
    if diagnosis is None:
        fixed = solve(inst, replace(options, fixed_starts=schedule))
        if not fixed.has_plan and fixed.status.value == "infeasible":
            diagnosis = first_violation(inst, schedule)
    npv = fixed.objective_usd if fixed is not None and fixed.has_plan else None
    best = free.objective_usd if free.has_plan else None
    return {
        "free": free,
        "fixed": fixed,
        "schedule_npv_usd": npv,
        "optimum_usd": best,
        "gap_usd": best - npv if best is not None and npv is not None else None,
        "diagnosis": diagnosis,
    }


def comparison_json(schedule: dict, cmp: dict) -> dict:
    """The ``starts_comparison`` object of ``solve --starts --json``."""
    diag = cmp["diagnosis"]
    fixed = cmp["fixed"]
    return {
        "schedule": [{"site": s, "start": t, "blocks": int(b)} for (s, t), b in schedule.items()],
        "status": fixed.status.value if fixed is not None else "infeasible",
        "schedule_npv_usd": cmp["schedule_npv_usd"],
        "optimum_usd": cmp["optimum_usd"],
        "optimum_status": cmp["free"].status.value,
        "gap_usd": cmp["gap_usd"],
        "first_violation": None if diag is None else {"period": diag[0], "constraint": diag[1], "detail": diag[2]},
    }
