"""The one dotted-path grammar (instances.overrides) and the "did you mean" hint."""

from __future__ import annotations

from instances.errors import closest
from instances.overrides import get_path, set_path

RAW = {"sites": [{"name": "A", "grid_mw": 5.0}, {"name": "B", "grid_mw": 7.0}], "finance": {"min_cash_usd": 1.0}}


def test_get_path_addresses_named_lists_by_name():
    assert get_path(RAW, "sites.B.grid_mw") == 7.0
    assert get_path(RAW, "finance.min_cash_usd") == 1.0


def test_get_path_is_none_for_a_path_the_instance_does_not_hold():
    assert get_path(RAW, "sites.C.grid_mw") is None
    assert get_path(RAW, "finance.nothing") is None
    assert get_path(RAW, "finance.min_cash_usd.deeper") is None


def test_get_path_reads_what_set_path_wrote():
    raw = {"sites": [{"name": "A", "grid_mw": 5.0}]}
    set_path(raw, "sites.A.grid_mw", 9.0)
    assert get_path(raw, "sites.A.grid_mw") == 9.0


def test_closest_names_the_nearest_key_or_nothing():
    assert closest("gird_mw", ["grid_mw", "max_mw"]) == ' (did you mean "grid_mw"?)'
    assert closest("zzzz", ["grid_mw"]) == ""
