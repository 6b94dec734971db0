"""Fuzzing the CLI (issue 4): random instances, valid and invalid, always end in a clean
answer: exit 0 or 1 with a known status, or exit 2 with one line on stderr. Never an
exception, never a traceback.

Each example starts from the small valid portfolio of ``tests/reliability_cases.py``
and applies a few mutations: a field set to an extreme or ill-typed value, a key
removed, an unknown key added, a number scaled by up to 1e15 either way, scenarios
added. ``FUZZ_EXAMPLES=2000 python -m pytest tests/instances/test_fuzz.py`` runs a
longer, randomized campaign (``FUZZ_DUMP=file`` keeps the last instance tried).
"""

from __future__ import annotations

import json
import math
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import main

sys.path.append(str(Path(__file__).parents[1]))  # tests/, for reliability_cases

from reliability_cases import small_instance  # noqa: E402

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
HIDDEN_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)
STATUSES = {"optimal", "feasible", "infeasible", "unbounded", "no_solution", "error"}

EXTREMES = [0, -1, 1e15, -1e15, 1e-9, 1e300, math.nan, math.inf, -math.inf, 2**70, 0.5, 3, 600, 601]
WRONG = ["", "x", "2026-13", "2026-04", True, False, None, [], {}, [1, 2], {"start": 1}, {"csv": "none.csv", "column": "a"}]
VALUES = st.sampled_from(EXTREMES + WRONG) | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10, 10**6)


def leaf_paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into the instance (dict keys and list indices), leaves and containers."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += leaf_paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += leaf_paths(v, prefix + (i,))
    return out


def get_parent(raw: Any, path: tuple):
    node = raw
    for p in path[:-1]:
        node = node[p]
    return node


@st.composite
def instances(draw) -> dict:
    raw = small_instance()
    if draw(st.booleans()):
        raw["scenarios"] = [
            {"name": "low", "probability": 0.5, "set": {"markets.hashprice_usd_per_ph_day": draw(VALUES)}},
            {"name": "high", "probability": 0.5, "set": {"sites.Alpha.power_price_usd_per_mwh": 60}},
        ]
    if draw(st.booleans()):
        raw["finance"]["max_debt_to_ebitda"] = draw(st.sampled_from([0, 1, 6, 1e9]))
    if draw(st.booleans()):
        raw["finance"]["capex_budget_usd"] = draw(st.sampled_from([0, 1e-9, 2e7, 1e15]))
    for _ in range(draw(st.integers(0, 3))):
        paths = leaf_paths(raw)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = get_parent(raw, path)
        kind = draw(st.sampled_from(["set", "set", "scale", "remove", "unknown"]))
        key = path[-1]
        if kind == "set":
            parent[key] = draw(VALUES)
        elif kind == "scale":
            value = parent[key]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                parent[key] = value * draw(st.sampled_from([1e-9, 1e-3, 10.0, 1e6, 1e15, -1.0]))
        elif kind == "remove":
            if isinstance(parent, dict):
                del parent[key]
            elif isinstance(parent, list) and parent:
                parent.pop(key)
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "Grid_mw", "maturty", key + "s"]))] = 1
    return raw


def check_run(tmp_path: Path, raw: dict) -> None:
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(raw, allow_nan=True))
    if os.environ.get("FUZZ_DUMP"):  # keep the last instance tried: a segfault leaves no report
        Path(os.environ["FUZZ_DUMP"]).write_text(path.read_text())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = CliRunner().invoke(main, ["solve", str(path), "--json", "--time-limit", "10"])
    # a warning Python shows by default would be one more line on a user's stderr
    shown = [w for w in caught if not issubclass(w.category, HIDDEN_WARNINGS)]
    assert not shown, [f"{w.filename}:{w.lineno}: {w.message}" for w in shown]
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{result.exception!r}\n{json.dumps(raw, allow_nan=True)}"
    )
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        return
    assert result.exit_code in (0, 1), (result.exit_code, result.stdout, result.stderr)
    data = json.loads(result.stdout)
    assert data["status"] in STATUSES
    assert (result.exit_code == 0) == (data["status"] in ("optimal", "feasible"))
    if result.exit_code == 0:
        assert data["objective_usd"] is not None


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="FUZZ_EXAMPLES" not in os.environ,  # the suite tests the same examples every run
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(raw=instances())
def test_cli_never_crashes(tmp_path: Path, raw: dict) -> None:
    check_run(tmp_path, raw)


def test_base_of_the_fuzz_is_valid(tmp_path: Path) -> None:
    """Unmutated, the base instance solves: the fuzz explores around a valid point."""
    path = tmp_path / "small.json"
    path.write_text(json.dumps(small_instance()))
    result = CliRunner().invoke(main, ["solve", str(path), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["status"] == "optimal"
