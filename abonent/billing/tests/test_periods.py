"""Periods and proration."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from abonent.billing.periods import days_in_month, month_end, month_start, next_month_start, prorate


def test_month_bounds() -> None:
    assert month_start(dt.date(2026, 2, 17)) == dt.date(2026, 2, 1)
    assert month_end(dt.date(2028, 2, 3)) == dt.date(2028, 2, 29)
    assert next_month_start(dt.date(2026, 12, 31)) == dt.date(2027, 1, 1)


def test_whole_month_is_the_fee() -> None:
    assert prorate(50_000, dt.date(2026, 11, 1), dt.date(2026, 11, 30)) == 50_000


@given(
    fee=st.integers(min_value=0, max_value=10**9),
    year=st.integers(min_value=2000, max_value=2100),
    month=st.integers(min_value=1, max_value=12),
    cuts=st.lists(st.integers(min_value=2, max_value=31), max_size=6),
)
def test_any_split_of_a_month_adds_up_to_the_fee(fee, year, month, cuts) -> None:
    first = dt.date(year, month, 1)
    n = days_in_month(first)
    starts = sorted({1, *[c for c in cuts if c <= n]})
    bounds = [*starts, n + 1]
    parts = [
        prorate(fee, first.replace(day=a), first.replace(day=b - 1))
        for a, b in zip(bounds, bounds[1:], strict=False)
    ]
    assert sum(parts) == fee
    assert all(p >= 0 for p in parts)


def test_refuses_spans_across_months() -> None:
    import pytest

    with pytest.raises(ValueError):
        prorate(100, dt.date(2026, 1, 30), dt.date(2026, 2, 2))
