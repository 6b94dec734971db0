"""The one way to reach HiGHS's options and its ``highspy.Highs`` object.

Two interfaces solve models: :class:`optimizer.backend.highs_direct.DirectHighs` (the
matrix hand-off of every MIP solve) and pyomo's ``SolverFactory("highs")`` (elastic
LPs of explanations and diagnoses, and the kept model of reruns, whose mutable
parameters DirectHighs does not follow). Both get their options from
:func:`highs_options`, and both hold the ``highspy.Highs`` in an attribute that is
private to them: :func:`highs_of` is the single place that reads it.
"""

from __future__ import annotations

from typing import Any

#: HiGHS's random seed in every solve: the same instance gives the same search, the
#: same plan and the same bytes in its run folder.
SEED = 0


def highs_options(**extra: Any) -> dict[str, Any]:
    """HiGHS options: the fixed seed, then ``extra`` (which may override it)."""
    return {"random_seed": SEED, **extra}


def pyomo_highs():
    """pyomo's HiGHS interface (``SolverFactory("highs")``), for models solved with
    ``solver_options=highs_options()``."""
    from pyomo.contrib.solver.common.factory import SolverFactory

    return SolverFactory("highs")


def highs_of(solver) -> Any:
    """The ``highspy.Highs`` behind ``solver`` (pyomo's interface or DirectHighs);
    None before the model was handed over."""
    return getattr(solver, "_solver_model", None)


def highs_columns(solver) -> dict:
    """pyomo's interface: {pyomo variable id: HiGHS column} of the model it holds."""
    return getattr(solver, "_pyomo_var_to_solver_var_map")
