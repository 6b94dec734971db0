"""Optimizer layer: solve with HiGHS, statuses, results as DataFrames.

    from optimizer import solve, SolveOptions, Status
"""

from models.variants import fix_starts
from optimizer.solve import DEFAULT_MIP_GAP, Result, SolveOptions, solve
from optimizer.backend.status import Status

__all__ = ["solve", "SolveOptions", "Result", "Status", "DEFAULT_MIP_GAP", "fix_starts"]
