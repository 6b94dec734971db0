"""Questions asked of a plan; each returns data (a dataclass with ``to_json()`` or a
table) and never prints.

- ``explain``: why an instance has no plan (the smallest relaxation)
- ``diagnose``: the first period and constraint a fixed schedule breaks
- ``starts``: a given retrofit schedule against the optimum
- ``site_value``: each site's unit economics and worth to the plan
- ``breakeven``: the parameter values at which retrofit decisions (first start, blocks) change
- ``value_of_information``: EVPI and VSS of a stochastic instance
- ``sweep``: the plan over a grid of parameter values
- ``baselines``: the plan against simple rules finance teams use
- ``bridge``: the NPV change between two instances split by input
"""

from __future__ import annotations

from optimizer.backend.lazy import lazy_attributes

# public name -> the module of this package that holds it
_HOME = {
    "Explanation": "explain",
    "Relaxation": "explain",
    "explain_infeasibility": "explain",
    "explanation_json": "explain",
    "first_violation": "diagnose",
    "structural_violation": "diagnose",
    "compare_schedule": "starts",
    "ScheduleComparison": "starts",
    "retrofit_sites": "site_value",
    "site_values": "site_value",
    "Breakeven": "breakeven",
    "breakeven": "breakeven",
    "ValueOfInformation": "value_of_information",
    "value_of_information": "value_of_information",
    "grid": "sweep",
    "parse_vary": "sweep",
    "run_sweep": "sweep",
    "check_paths": "sweep",
    "NpvBridge": "bridge",
    "npv_bridge": "bridge",
    "Baselines": "baselines",
    "baselines": "baselines",
}

__all__ = sorted(_HOME)

__getattr__ = lazy_attributes(__name__, _HOME)
