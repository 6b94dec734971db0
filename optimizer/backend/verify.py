"""A solve checks its own answer: HiGHS's "optimal" is checked, not trusted.

HiGHS's MIP presolve has returned feasible but suboptimal points as ``Optimal``
(HiGHS issues #2900, #3043, #3073, #3094; and a badly scaled model of reference case
public_006, ``tests/optimizer/test_verify.py``). Two checks, both on the matrices
HiGHS already holds (no new Pyomo model):

``check`` (on by default, one LP):
    fix every integer column at its incumbent value (the retrofit schedule), relax
    integrality and solve the LP that is left with presolve off. That LP's optimum
    ``z_LP`` is the best the plan's own schedule can give, so a correct MIP answer
    has ``z_LP - z_MIP <= mip_gap * max(|z_MIP|, 1)``; if the LP does better than
    that, the MIP answer was not optimal for its own schedule: the better plan is
    kept (status ``corrected``).

``verify`` (opt-in, ``--verify``):
    re-solve the whole MIP with presolve off, the incumbent as a start, and compare
    objective and bound. A better plan beyond the gap tolerance is kept
    (``corrected``); a bound below the first answer beyond the tolerance means the
    two runs contradict each other (``disagree``: reported, nothing replaced).

What neither can catch: a wrong retrofit schedule whose LP is right (``check``), or a
mistake both runs make (``verify``). docs/reliability.md says more.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimizer.reports.formatting import money

VERIFIED = "verified"
CORRECTED = "corrected"
SKIPPED = "skipped"
DISAGREE = "disagree"


@dataclass
class Verification:
    """What the checks found. Objectives in USD (the model's units times ``money_scale``).

    status: ``verified`` | ``corrected`` | ``skipped`` | ``disagree``
    reason: one line saying what was compared
    mip_objective_usd: HiGHS's answer before the checks
    schedule_lp_objective_usd: the LP at the answer's schedule, presolve off (check)
    presolve_off_objective_usd, presolve_off_bound_usd: the MIP re-solved with presolve
        off (verify only)
    seconds: time spent on the checks (not written to ``summary.json``, which stays
        byte-identical between runs; ``timings.json`` has it as ``verify``)
    values: the column values of the corrected plan (``corrected`` only), in the
        column order HiGHS holds
    """

    status: str
    reason: str
    mip_objective_usd: float | None = None
    schedule_lp_objective_usd: float | None = None
    presolve_off_objective_usd: float | None = None
    presolve_off_bound_usd: float | None = None
    seconds: float = 0.0
    values: np.ndarray | None = field(default=None, repr=False)

    def to_json(self, with_seconds: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status,
            "reason": self.reason,
            "mip_objective_usd": self.mip_objective_usd,
            "schedule_lp_objective_usd": self.schedule_lp_objective_usd,
        }
        if self.presolve_off_objective_usd is not None or self.presolve_off_bound_usd is not None:
            out["presolve_off_objective_usd"] = self.presolve_off_objective_usd
            out["presolve_off_bound_usd"] = self.presolve_off_bound_usd
        if with_seconds:
            out["seconds"] = round(self.seconds, 4)
        return out


def skipped(reason: str) -> Verification:
    return Verification(status=SKIPPED, reason=reason)


def _quiet_highs():
    """A ``highspy.Highs`` that prints nothing (its banner included)."""
    import highspy
    from pyomo.common.tee import capture_output

    with capture_output(io.StringIO(), capture_fd=True):
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs


def _integer_mask(lp) -> np.ndarray:
    import highspy

    integrality = list(lp.integrality_)
    if not integrality:
        return np.zeros(lp.num_col_, dtype=bool)
    return np.array([v == highspy.HighsVarType.kInteger for v in integrality], dtype=bool)


def tolerance(objective: float, mip_gap: float) -> float:
    """``mip_gap * max(|objective|, 1)`` in the model's units: how much better a plan
    must be before the answer counts as not optimal."""
    return mip_gap * max(abs(objective), 1.0)


def schedule_lp(highs, values: np.ndarray, options: dict[str, Any] | None = None) -> tuple[str, float | None, np.ndarray | None]:
    """Solve the LP left when every integer column of ``highs``'s model is fixed at its
    value in ``values`` (rounded), presolve off.

    Returns (HiGHS model status name, objective or None, column values or None).
    """
    lp = highs.getLp()
    integer = _integer_mask(lp)
    lower = np.array(lp.col_lower_, dtype=float)
    upper = np.array(lp.col_upper_, dtype=float)
    fixed = np.round(values[integer])
    lower[integer] = fixed
    upper[integer] = fixed
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.integrality_ = []
    lp_highs = _quiet_highs()
    lp_highs.passModel(lp)
    for key, val in {**(options or {}), "presolve": "off"}.items():
        lp_highs.setOptionValue(key, val)
    lp_highs.run()
    status = str(lp_highs.getModelStatus()).replace("HighsModelStatus.", "")
    if status != "kOptimal":
        return status, None, None
    return status, float(lp_highs.getInfo().objective_function_value), np.asarray(lp_highs.getSolution().col_value, dtype=float)


def resolve_without_presolve(
    highs, values: np.ndarray, mip_gap: float, time_limit: float | None, options: dict[str, Any] | None = None
) -> tuple[str, float | None, float | None, np.ndarray | None]:
    """Re-solve ``highs``'s MIP with presolve off, ``values`` as the start.

    Returns (status name, objective, dual bound, column values); None where HiGHS has none.
    """
    lp = highs.getLp()
    again = _quiet_highs()
    again.passModel(lp)
    for key, val in {**(options or {}), "presolve": "off", "mip_rel_gap": float(mip_gap)}.items():
        again.setOptionValue(key, val)
    if time_limit is not None:
        again.setOptionValue("time_limit", float(time_limit))
    start = again.getSolution()
    start.col_value = list(values)
    again.setSolution(start)
    again.run()
    status = str(again.getModelStatus()).replace("HighsModelStatus.", "")
    info = again.getInfo()
    has_solution = info.primal_solution_status == 2
    objective = float(info.objective_function_value) if has_solution else None
    bound = float(info.mip_dual_bound) if info.mip_node_count >= 0 else objective
    solution = np.asarray(again.getSolution().col_value, dtype=float) if has_solution else None
    return status, objective, bound, solution


def check_answer(
    highs,
    values: np.ndarray,
    objective: float,
    money_scale: float,
    mip_gap: float,
    deep: bool = False,
    time_limit: float | None = None,
    options: dict[str, Any] | None = None,
) -> Verification:
    """Run ``check`` (always) and ``verify`` (when ``deep``) on a solved ``highs``.

    ``objective`` and ``values`` are HiGHS's answer (model units, maximization).
    """
    t0 = time.perf_counter()
    tol = tolerance(objective, mip_gap)
    out = Verification(status=VERIFIED, reason="", mip_objective_usd=objective * money_scale)
    best, best_values = objective, None
    status, lp_objective, lp_values = schedule_lp(highs, values, options)
    if lp_objective is None:
        out.reason = f"the LP at the plan's schedule gave {status}; the plan was kept"
    else:
        out.schedule_lp_objective_usd = lp_objective * money_scale
        if lp_objective - objective > tol:
            best, best_values = lp_objective, lp_values
            out.status = CORRECTED
            out.reason = (
                f"HiGHS's plan was not optimal for its own retrofit schedule: the LP at that schedule "
                f"(presolve off) is worth {money(lp_objective * money_scale, precise=True)}, "
                f"{money((lp_objective - objective) * money_scale)} more; the better plan is kept"
            )
        else:
            out.reason = "the LP at the plan's schedule (presolve off) gives the same value"
    if deep:
        status, again, bound, again_values = resolve_without_presolve(highs, values, mip_gap, time_limit, options)
        out.presolve_off_objective_usd = again * money_scale if again is not None else None
        out.presolve_off_bound_usd = bound * money_scale if bound is not None else None
        if again is not None and again - best > tol:
            best, best_values = again, again_values
            out.status = CORRECTED
            out.reason = (
                f"the MIP re-solved with presolve off found a plan worth {money(again * money_scale)}, "
                f"{money((again - objective) * money_scale)} more than HiGHS's first answer; it is kept"
            )
        elif bound is not None and status == "kOptimal" and best - bound > tol:
            out.status = DISAGREE
            out.reason = (
                f"the MIP re-solved with presolve off proves a bound of {money(bound * money_scale)}, "
                f"below the plan's {money(best * money_scale)}: the two runs contradict each other"
            )
        elif out.status == VERIFIED:
            out.reason += "; the MIP re-solved with presolve off agrees"
    out.values = best_values
    out.seconds = time.perf_counter() - t0
    return out


