"""A v1 instance builds exactly the model it built before SPEC v2: same rows,
columns, nonzeros, coefficients, bounds and column order. The fingerprints in
tests/data/reference/v1_model_fingerprints.json were taken from the model code as
it was before the v2 levers were added (see the README there)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from instances import load_instance
from models import build_model
from optimizer.backend.highs_direct import compile_model

REF = Path(__file__).parents[1] / "data" / "reference"
FINGERPRINTS = json.loads((REF / "v1_model_fingerprints.json").read_text())


def fingerprint(path: Path) -> dict:
    """Size and SHA-256 of the compiled model: matrix, costs, bounds, integrality,
    row bounds, column and row names, objective offset."""
    compiled = compile_model(build_model(load_instance(path)))
    matrix = compiled.matrix.tocsc()
    digest = hashlib.sha256()
    for array in (matrix.indptr, matrix.indices, matrix.data, compiled.cost, compiled.col_lower, compiled.col_upper, compiled.integer, compiled.row_lower, compiled.row_upper):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(repr([v.name for v in compiled.columns]).encode())
    digest.update(repr([r.name for r in compiled.rows]).encode())
    digest.update(repr(compiled.offset).encode())
    return {"rows": len(compiled.rows), "columns": len(compiled.columns), "nonzeros": int(matrix.nnz), "sha256": digest.hexdigest()}


@pytest.mark.parametrize("name", sorted(FINGERPRINTS))
def test_v1_instance_builds_the_v1_model(name: str) -> None:
    path = REF / name if (REF / name).exists() else REF / "v2" / name
    assert not load_instance(path).is_v2
    assert fingerprint(path) == FINGERPRINTS[name]
