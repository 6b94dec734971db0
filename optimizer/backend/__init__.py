"""Solver plumbing: how a model reaches HiGHS and how its run is read back.

- ``highs_direct``: the matrix hand-off to highspy (:class:`DirectHighs`), run reports
- ``options``: the HiGHS options of every solve (:func:`highs_options`) and the
  ``highspy.Highs`` behind a solver (:func:`highs_of`)
- ``status``: the outcome of a run (:class:`Status`)
- ``numerics``: numbers HiGHS cannot be trusted with (:func:`range_issues`)
- ``interrupt``: Ctrl-C during a solve; ``progress``: the live progress line
- ``verify``: HiGHS's answer checked, not trusted (:func:`check_answer`)

Nothing here knows about plans, analyses or run folders.
"""

from __future__ import annotations

from optimizer.backend.lazy import lazy_attributes

# public name -> the module of this package that holds it
_HOME = {
    "DirectHighs": "highs_direct",
    "RunReport": "highs_direct",
    "run_report": "highs_direct",
    "status_name": "highs_direct",
    "SEED": "options",
    "highs_options": "options",
    "pyomo_highs": "options",
    "highs_of": "options",
    "highs_columns": "options",
    "Status": "status",
    "classify": "status",
    "range_issues": "numerics",
    "interruptible": "interrupt",
    "LiveProgress": "progress",
    "Verification": "verify",
    "check_answer": "verify",
}

__all__ = sorted(_HOME)

__getattr__ = lazy_attributes(__name__, _HOME)
