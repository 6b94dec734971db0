"""Months, period labels, period selection and discount factors (SPEC section 1)."""

from __future__ import annotations

import numpy as np
import pytest

from instances import InputError, instance_from_dict
from instances.calendar import (
    discount_factors,
    month_label,
    parse_month,
    period_starts,
    periods_table,
    select_period,
)


def test_parse_month_and_label_round_trip():
    # month number = year * 12 + month - 1
    assert parse_month("2026-01") == 2026 * 12
    assert parse_month("2026-12") == 2026 * 12 + 11
    for text in ("2026-01", "2026-12", "1999-07", "0001-01"):
        assert month_label(parse_month(text)) == text


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-01", "2026/01", "", 202601, None])
def test_parse_month_rejects_malformed(text):
    with pytest.raises(ValueError):
        parse_month(text)


def test_period_starts_and_labels_cross_a_year():
    # start 2026-11, quarters: 2026-11, 2027-02, 2027-05
    starts = period_starts(parse_month("2026-11"), 3, 3)
    assert [month_label(int(s)) for s in starts] == ["2026-11", "2027-02", "2027-05"]


@pytest.mark.parametrize(
    "m, hours, days",
    [(1, 730, 365 / 12), (3, 2190, 91.25), (6, 4380, 182.5), (12, 8760, 365)],
)
def test_periods_table_hours_and_days(m, hours, days):
    table = periods_table(parse_month("2026-01"), 2, m)
    assert list(table["hours"]) == [pytest.approx(hours)] * 2
    assert list(table["days"]) == [pytest.approx(days)] * 2
    assert list(table["t"]) == [0, 1]
    assert table.index[1] == month_label(parse_month("2026-01") + m)


def test_select_period():
    # quarters 2026-01, 2026-04, 2026-07, 2026-10
    starts = period_starts(parse_month("2026-01"), 4, 3)
    assert select_period(starts, parse_month("2026-01")) == 0  # exactly the first start
    assert select_period(starts, parse_month("2025-03")) == 0  # before the horizon: first period
    assert select_period(starts, parse_month("2026-02")) == 1  # inside t0 -> next start 2026-04
    assert select_period(starts, parse_month("2026-04")) == 1
    assert select_period(starts, parse_month("2026-09")) == 3
    assert select_period(starts, parse_month("2026-10")) == 3  # the last start
    assert select_period(starts, parse_month("2026-11")) is None  # after the last start: none
    assert select_period(starts, parse_month("2030-01")) is None


@pytest.mark.parametrize("m, rate", [(3, 0.4641), (6, 0.21), (12, 0.1)])
def test_discount_factors_one_period_is_1_1(m, rate):
    # (1 + rate) ** (m/12) = 1.1 -> df_t = 1.1 ** -(t + 1)
    df = discount_factors(3, m, rate)
    assert list(df) == [pytest.approx(v, rel=1e-12) for v in (1 / 1.1, 1 / 1.21, 1 / 1.331)]


def test_discount_factors_formula():
    # df_t = (1 + r) ** (-(t + 1) * m / 12), r = 8 %, m = 1
    df = discount_factors(24, 1, 0.08)
    assert df[11] == pytest.approx(1 / 1.08, rel=1e-12)  # end of month 12 = one year
    assert df[23] == pytest.approx(1 / 1.08**2, rel=1e-12)
    assert df[0] == pytest.approx(1.08 ** (-1 / 12), rel=1e-12)
    assert np.all(np.diff(df) < 0)


def test_discount_rate_zero_gives_ones():
    assert list(discount_factors(3, 3, 0.0)) == [1.0, 1.0, 1.0]


# --------------------------------------------------------------------------- through the loader


def _raw(**horizon):
    h = {"start": "2026-01", "periods": 4, "period_months": 3}
    h.update(horizon)
    return {
        "horizon": h,
        "markets": {"hashprice_usd_per_ph_day": 50},
        "sites": [
            {"name": "S", "region": "R", "grid_mw": 10, "power_price_usd_per_mwh": 40,
             "ai": {"block_it_mw": 10, "max_blocks": 1, "capex_usd_per_it_mw": 1, "lead_periods": 0,
                    "pue": 1.0, "lease_usd_per_kw_month": 100, "earliest_start": "2026-05"}},
        ],
        "finance": {"discount_rate_annual": 0.0,
                    "debt": [{"name": "L", "limit_usd": 1, "rate_annual": 0, "draw_from": "2026-04",
                              "draw_until": "2026-07", "maturity": "2026-08"}]},
    }


def test_loader_period_labels_and_default_period_months():
    raw = _raw()
    del raw["horizon"]["period_months"]  # default 3
    inst = instance_from_dict(raw)
    assert inst.period_labels == ["2026-01", "2026-04", "2026-07", "2026-10"]
    assert inst.period_months == 3


def test_loader_selects_periods_for_dates():
    inst = instance_from_dict(_raw())
    # earliest_start 2026-05 -> first start at or after it: 2026-07, t = 2
    assert int(inst.sites.at["S", "earliest_t"]) == 2
    fp = inst.facility_period.xs(("base", "L"), level=("scenario", "facility"))
    # draws only in periods whose start lies in [2026-04, 2026-07]
    assert list(fp["can_draw"]) == [False, True, True, False]
    # maturity 2026-08 -> 2026-10 (t = 3) and later
    assert list(fp["matured"]) == [False, False, False, True]


def test_loader_date_after_horizon_selects_nothing():
    raw = _raw()
    raw["sites"][0]["ai"]["earliest_start"] = "2026-11"
    raw["finance"]["debt"][0]["maturity"] = "2027-01"
    inst = instance_from_dict(raw)
    assert int(inst.sites.at["S", "earliest_t"]) == 4  # N: never
    assert not bool(inst.sites.at["S", "retrofittable"])
    fp = inst.facility_period.xs(("base", "L"), level=("scenario", "facility"))
    assert not fp["matured"].any()


@pytest.mark.parametrize(
    "horizon",
    [{"period_months": 2}, {"periods": 0}, {"periods": 601}, {"start": "2026-13"}, {"start": "2026"}],
)
def test_loader_rejects_bad_horizon(horizon):
    with pytest.raises(InputError):
        instance_from_dict(_raw(**horizon))


def test_loader_discount_factor_column():
    raw = _raw(period_months=12, periods=3)
    raw["finance"]["discount_rate_annual"] = 0.1
    inst = instance_from_dict(raw)
    df = inst.period_data.xs("base", level="scenario")["discount_factor"]
    assert list(df) == [pytest.approx(v, rel=1e-12) for v in (1 / 1.1, 1 / 1.21, 1 / 1.331)]
