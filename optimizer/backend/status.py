"""Map what HiGHS reports to the statuses a user sees (SPEC section 7)."""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    """Outcome of a solve.

    - ``optimal``: proven optimal within the MIP gap asked for;
    - ``feasible``: a plan exists but optimality was not proven (time limit,
      interruption); the gap says how far it may be from the optimum;
    - ``infeasible``: no plan satisfies every constraint;
    - ``unbounded``: the objective can grow without limit (a data error);
    - ``no_solution``: stopped (time limit, interruption) before any plan was found;
    - ``error``: the solver failed.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"
    ERROR = "error"

    @property
    def has_plan(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)

    @property
    def exit_code(self) -> int:
        """0 when a plan was found, 1 when none."""
        return 0 if self.has_plan else 1


def classify(model_status_name: str, has_solution: bool) -> tuple[Status, str]:
    """HiGHS model status name (``kOptimal``, ``kTimeLimit``, ...) -> (Status, reason)."""
    name = model_status_name.replace("HighsModelStatus.", "")
    if name == "kOptimal":
        return Status.OPTIMAL, "proven optimal"
    if name == "kInfeasible":
        return Status.INFEASIBLE, "no plan satisfies every constraint"
    if name == "kUnbounded":
        return Status.UNBOUNDED, "the objective is unbounded: check the instance for a free source of value"
    if name == "kUnboundedOrInfeasible":
        return Status.INFEASIBLE, "no plan satisfies every constraint"
    limit_reasons = {
        "kTimeLimit": "time limit reached",
        "kInterrupt": "interrupted",
        "kIterationLimit": "iteration limit reached",
        "kSolutionLimit": "solution limit reached",
        "kObjectiveBound": "objective bound reached",
        "kObjectiveTarget": "objective target reached",
    }
    if name in limit_reasons:
        reason = limit_reasons[name]
        if has_solution:
            return Status.FEASIBLE, f"{reason} with a plan in hand"
        return Status.NO_SOLUTION, f"{reason} before any plan was found"
    if has_solution:
        return Status.FEASIBLE, f"solver stopped ({name}) with a plan in hand"
    return Status.ERROR, f"solver stopped without a plan ({name})"
