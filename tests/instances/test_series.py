"""Series resolution (SPEC section 2), every form, with values worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from instances import InputError, instance_from_dict
from instances.calendar import parse_month, periods_table
from instances.series import Horizon, resolve_series

TINY = Path(__file__).parent.parent / "data" / "tiny"


def horizon(start="2026-01", periods=4, m=3, base_dir=None) -> Horizon:
    table = periods_table(parse_month(start), periods, m)
    return Horizon(tuple(table.index), table["start_month"].to_numpy(), m, base_dir)


def resolve(value, h=None):
    issues = []
    out = resolve_series(value, "x", h or horizon(), issues)
    return out, issues


def approx_list(values):
    return [pytest.approx(v, rel=1e-12) for v in values]


# --------------------------------------------------------------------------- number, list


def test_number_is_the_same_in_every_period():
    out, issues = resolve(42)
    assert issues == []
    assert list(out) == [42.0, 42.0, 42.0, 42.0]


def test_float_number():
    out, _ = resolve(2.5, horizon(periods=2))
    assert list(out) == [2.5, 2.5]


def test_list_of_exactly_n_numbers():
    out, issues = resolve([1, 2, 3.5, 4])
    assert issues == []
    assert list(out) == [1.0, 2.0, 3.5, 4.0]


@pytest.mark.parametrize("value", [[1, 2, 3], [1, 2, 3, 4, 5], []])
def test_list_of_wrong_length_is_an_error(value):
    out, issues = resolve(value)
    assert out is None
    assert len(issues) == 1
    assert issues[0].path == "x"
    assert "4" in issues[0].message  # names the length it needs


def test_list_with_a_non_number_is_an_error():
    out, issues = resolve([1, "two", 3, 4])
    assert out is None
    assert issues[0].path == "x[1]"


@pytest.mark.parametrize("value", ["12", True, None, float("nan"), float("inf")])
def test_not_a_series(value):
    out, issues = resolve(value)
    assert out is None
    assert len(issues) == 1


# --------------------------------------------------------------------------- growth and steps


def test_growth_only_quarters():
    # v_t = 100 * 1.4641 ** (t * 3/12) = 100 * 1.1 ** t -> [100, 110, 121, 133.1]
    out, issues = resolve({"start": 100, "annual_growth": 0.4641})
    assert issues == []
    assert list(out) == approx_list([100, 110, 121, 133.1])


def test_growth_only_years():
    # m = 12: v_t = 50 * 1.2 ** t -> [50, 60, 72]
    out, _ = resolve({"start": 50, "annual_growth": 0.2}, horizon(periods=3, m=12))
    assert list(out) == approx_list([50, 60, 72])


def test_negative_growth():
    # m = 12: v_t = 100 * 0.5 ** t -> [100, 50, 25]
    out, _ = resolve({"start": 100, "annual_growth": -0.5}, horizon(periods=3, m=12))
    assert list(out) == approx_list([100, 50, 25])


def test_start_only_is_constant():
    out, _ = resolve({"start": 7})
    assert list(out) == [7.0] * 4


def test_halving_step_at_a_period_start():
    # quarters 2026-01, 2026-04, 2026-07, 2026-10; halving from 2026-07 -> [60, 60, 30, 30]
    out, issues = resolve({"start": 60, "steps": [{"from": "2026-07", "factor": 0.5}]})
    assert issues == []
    assert list(out) == [60.0, 60.0, 30.0, 30.0]


def test_step_inside_a_period_applies_from_the_next_period_start():
    # a step from 2026-05 applies to periods whose start month is at or after 2026-05:
    # 2026-07 and 2026-10 -> [60, 60, 30, 30]
    out, _ = resolve({"start": 60, "steps": [{"from": "2026-05", "factor": 0.5}]})
    assert list(out) == [60.0, 60.0, 30.0, 30.0]


def test_step_before_the_horizon_applies_everywhere_and_after_nowhere():
    out, _ = resolve({"start": 60, "steps": [{"from": "2020-01", "factor": 0.5}, {"from": "2027-01", "factor": 10}]})
    assert list(out) == [30.0, 30.0, 30.0, 30.0]


def test_steps_multiply():
    # two halvings, from 2026-04 and 2026-10: [80, 40, 40, 20]
    out, _ = resolve({"start": 80, "steps": [{"from": "2026-10", "factor": 0.5}, {"from": "2026-04", "factor": 0.5}]})
    assert list(out) == [80.0, 40.0, 40.0, 20.0]


def test_growth_and_halving_together():
    # half-years from 2026-01 (2026-01, 2026-07, 2027-01, 2027-07); 100 * 1.21 ** (t/2) = 100 * 1.1 ** t,
    # halved from 2027-01: [100, 110, 121 / 2, 133.1 / 2] = [100, 110, 60.5, 66.55]
    h = horizon(periods=4, m=6)
    out, _ = resolve({"start": 100, "annual_growth": 0.21, "steps": [{"from": "2027-01", "factor": 0.5}]}, h)
    assert list(out) == approx_list([100, 110, 60.5, 66.55])


def test_growth_with_monthly_periods():
    # m = 1, 13 periods: v_12 = 100 * (1 + 0.1) ** (12/12) = 110 ; v_6 = 100 * 1.1 ** 0.5
    out, _ = resolve({"start": 100, "annual_growth": 0.1}, horizon(periods=13, m=1))
    assert out[12] == pytest.approx(110, rel=1e-12)
    assert out[6] == pytest.approx(100 * 1.1 ** 0.5, rel=1e-12)


@pytest.mark.parametrize(
    "value",
    [
        {"annual_growth": 0.1},  # no start
        {"start": 1, "grwth": 0.1},  # unknown key
        {"start": 1, "steps": [{"from": "2026-13", "factor": 0.5}]},  # bad date
        {"start": 1, "steps": [{"from": "2026-07"}]},  # no factor
        {"start": 1, "steps": [{"from": "2026-07", "factor": -1}]},  # negative factor
        {"start": 1, "annual_growth": -1},  # growth must be > -1
    ],
)
def test_bad_growth_objects(value):
    out, issues = resolve(value)
    assert out is None
    assert issues


# --------------------------------------------------------------------------- CSV


def test_csv_through_pandas_by_period_label():
    # tests/data/tiny/prices.csv: rows out of order plus an extra 2027-01 row
    h = horizon(base_dir=TINY)
    out, issues = resolve({"csv": "prices.csv", "column": "hashprice"}, h)
    assert issues == []
    assert list(out) == [40.0, 50.0, 60.0, 20.0]
    out, _ = resolve({"csv": "prices.csv", "column": "power"}, h)
    assert list(out) == [40.0, 40.0, 20.0, 40.0]


def test_csv_written_on_the_fly(tmp_path):
    (tmp_path / "s.csv").write_text("period,v\n2026-01,1.5\n2026-04,2.5\n")
    out, issues = resolve({"csv": "s.csv", "column": "v"}, horizon(periods=2, base_dir=tmp_path))
    assert issues == []
    assert list(out) == [1.5, 2.5]


def test_csv_that_misses_a_period_is_an_error(tmp_path):
    (tmp_path / "s.csv").write_text("period,v\n2026-01,1\n2026-07,3\n")
    out, issues = resolve({"csv": "s.csv", "column": "v"}, horizon(periods=3, base_dir=tmp_path))
    assert out is None
    assert "2026-04" in issues[0].message


def test_csv_without_period_column_is_an_error(tmp_path):
    (tmp_path / "s.csv").write_text("month,v\n2026-01,1\n")
    out, issues = resolve({"csv": "s.csv", "column": "v"}, horizon(periods=1, base_dir=tmp_path))
    assert out is None
    assert "period" in issues[0].message


def test_csv_unknown_column_and_missing_file_are_errors(tmp_path):
    (tmp_path / "s.csv").write_text("period,v\n2026-01,1\n")
    h = horizon(periods=1, base_dir=tmp_path)
    assert resolve({"csv": "s.csv", "column": "w"}, h)[0] is None
    assert resolve({"csv": "nope.csv", "column": "v"}, h)[0] is None


def test_csv_non_number_is_an_error(tmp_path):
    (tmp_path / "s.csv").write_text("period,v\n2026-01,abc\n")
    out, issues = resolve({"csv": "s.csv", "column": "v"}, horizon(periods=1, base_dir=tmp_path))
    assert out is None
    assert issues


# --------------------------------------------------------------------------- through the loader


def _instance(hashprice, periods=4, m=3):
    return {
        "horizon": {"start": "2026-01", "periods": periods, "period_months": m},
        "markets": {"hashprice_usd_per_ph_day": hashprice},
        "sites": [{"name": "M", "region": "R", "grid_mw": 10, "power_price_usd_per_mwh": 40,
                   "mining": {"efficiency_j_per_th": 20}}],
        "finance": {"discount_rate_annual": 0.0},
    }


def test_loader_resolves_series_into_tables():
    inst = instance_from_dict(_instance({"start": 60, "steps": [{"from": "2026-07", "factor": 0.5}]}))
    hp = inst.period_data.xs("base", level="scenario")["hashprice_usd_per_ph_day"]
    assert list(hp) == [60.0, 60.0, 30.0, 30.0]
    assert list(hp.index) == ["2026-01", "2026-04", "2026-07", "2026-10"]


def test_loader_overhead_is_annual_times_m_over_12():
    raw = _instance(50)
    raw["finance"]["overhead_usd_per_year"] = [1_200_000, 2_400_000, 0, 400_000]
    inst = instance_from_dict(raw)
    # quarters: x 3/12 -> [300,000, 600,000, 0, 100,000]
    assert list(inst.period_data["overhead_usd"]) == approx_list([300_000, 600_000, 0, 100_000])


def test_loader_rejects_a_list_of_wrong_length():
    with pytest.raises(InputError) as err:
        instance_from_dict(_instance([1, 2, 3]))
    assert "markets.hashprice_usd_per_ph_day" in str(err.value)


def test_loader_reads_csv_relative_to_base_dir():
    inst = instance_from_dict(_instance({"csv": "prices.csv", "column": "hashprice"}), base_dir=TINY)
    assert list(inst.period_data["hashprice_usd_per_ph_day"]) == [40.0, 50.0, 60.0, 20.0]
    assert isinstance(inst.period_data["hashprice_usd_per_ph_day"].to_numpy(), np.ndarray)
