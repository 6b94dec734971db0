"""Shared test helpers: small instances built in code, solved to a tight gap."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import settings

from instances import instance_from_dict
from optimizer import SolveOptions, solve

# Property tests run the same examples on every run (no random seed, no example
# database) and never fail on time: a loaded machine is slow, not wrong.
settings.register_profile("allocate", derandomize=True, deadline=None, database=None)
settings.load_profile("allocate")

DATA = Path(__file__).parent / "data"
TIGHT = SolveOptions(mip_gap=1e-9)


def solve_dict(raw: dict, base_dir: Path | None = None, **options):
    """Validate and solve an instance given as a dict, at MIP gap 1e-9."""
    opts = SolveOptions(mip_gap=1e-9, **options)
    return solve(instance_from_dict(copy.deepcopy(raw), base_dir=base_dir), opts)


def load_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())


@pytest.fixture
def data_dir() -> Path:
    return DATA
