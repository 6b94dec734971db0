"""Optimizer layer: solve with HiGHS, statuses, results as DataFrames.

    from optimizer import solve, SolveOptions, Status
"""

from optimizer.solve import DEFAULT_MIP_GAP, Result, SolveOptions, fix_starts, solve
from optimizer.backend.status import Status

__all__ = ["solve", "SolveOptions", "Result", "Status", "DEFAULT_MIP_GAP", "fix_starts"]
