"""HiGHS options: one seed for every solve (optimizer.backend.options)."""

from __future__ import annotations

from optimizer.backend.options import SEED, highs_of, highs_options
from optimizer.solve import HIGHS_DEFAULTS


def test_every_solve_gets_the_fixed_seed():
    assert highs_options() == {"random_seed": SEED}
    assert HIGHS_DEFAULTS["random_seed"] == SEED


def test_extra_options_come_after_the_seed_and_may_override_it():
    assert highs_options(presolve="off") == {"random_seed": SEED, "presolve": "off"}
    assert highs_options(random_seed=7)["random_seed"] == 7


def test_no_highs_object_before_a_model_is_handed_over():
    class Fresh:
        pass

    assert highs_of(Fresh()) is None
