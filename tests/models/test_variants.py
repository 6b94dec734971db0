"""Model variants (models.variants): a fixed schedule, required blocks, elastic copies.

One site A: grid 10 MW, blocks of 10 IT MW (PUE 1), at most 1 block, lead 0, over
four quarters; M: a miner on its own grid.
"""

from __future__ import annotations

import copy

import pytest

from builders import Q_LABELS, ai_site, make, miner
from instances import instance_from_dict
from models import build_model, prepare
from models.variants import CONSTRAINT_FAMILIES, elastic_model, fix_starts, require_blocks

RAW = make([ai_site("A", grid=10, max_blocks=1), miner("M", grid=10)], periods=4)


def model():
    return build_model(prepare(instance_from_dict(copy.deepcopy(RAW))))


def test_fix_starts_fixes_every_start_zero_where_the_schedule_is_silent():
    m = model()
    fix_starts(m, {("A", Q_LABELS[1]): 1})
    assert {k: int(v.value) for k, v in m.start.items() if v.fixed} == {("A", t): int(t == Q_LABELS[1]) for t in Q_LABELS}


def test_fix_starts_refuses_a_site_that_cannot_be_retrofitted_and_too_many_blocks():
    with pytest.raises(ValueError, match="site M cannot start a block"):
        fix_starts(model(), {("M", Q_LABELS[0]): 1})
    with pytest.raises(ValueError, match="holds at most 1 blocks, got 2"):
        fix_starts(model(), {("A", Q_LABELS[0]): 2})


def test_require_blocks_sets_the_lower_bound_of_the_last_period_started():
    m = model()
    require_blocks(m, {"A": 1})
    assert m.started["A", Q_LABELS[-1]].lb == 1
    with pytest.raises(ValueError, match="site A cannot hold 2 blocks"):
        require_blocks(model(), {"A": 2})


def test_elastic_model_relaxes_the_mapped_constraints_and_minimises_their_slack():
    inst = instance_from_dict(copy.deepcopy(RAW))
    m, slacks = elastic_model(inst, {})
    relaxed = {name for name, _idx, _s in slacks}
    assert relaxed and relaxed <= set(CONSTRAINT_FAMILIES) | {"maturity"}
    assert all(not getattr(m, name)[idx].active for name, idx, _s in slacks if name != "maturity")
    assert not m.npv.active and m.elastic_objective.active
