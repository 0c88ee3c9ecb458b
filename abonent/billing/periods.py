"""Calendar arithmetic of fees: periods, proration, the billing day in the provider's zone.

Prorating splits a monthly fee over the days of the month so that the parts of any partition
of the month add up to exactly the fee: the charge for days ``d..e`` is
``C(e) - C(d-1)`` with ``C(k) = fee * k // days_in_month``. Integer kopecks, no rounding drift.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def billing_today() -> dt.date:
    """Today in the provider's time zone (Europe/Moscow): fees follow the local calendar."""
    return timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month_start(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return month_end(day) + dt.timedelta(days=1)


def prorate(fee_kop: int, start: dt.date, end: dt.date) -> int:
    """The part of a monthly fee for days ``start..end`` (inclusive) of one month."""
    if start > end or start.month != end.month or start.year != end.year:
        raise ValueError("start..end must lie within one month")
    days = calendar.monthrange(start.year, start.month)[1]
    return fee_kop * end.day // days - fee_kop * (start.day - 1) // days


def days_in_month(day: dt.date) -> int:
    """How many days ``day``'s month has."""
    return calendar.monthrange(day.year, day.month)[1]
