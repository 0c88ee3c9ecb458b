"""The demo's daily charge, run inside ``abonent serve``.

In the demo (``ABONENT_DEMO=1``) nobody installs a timer, so ``abonent serve`` starts one daemon
thread in its main process (``charge_scheduler_start``): it first catches up every billing day
after the last finished charge run up to today, then sleeps until 00:05 of the next day in the
provider's time zone and charges that day, and so on. Production runs nothing in-process: a
systemd timer or cron runs ``abonent charge`` (``deploy/``).

Catching up is safe to repeat and to overlap with a manual ``abonent charge``: the charge run
keeps every charge unique by its natural key, so a day charged twice is charged once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from abonent.billing.models import ChargeRun
from abonent.billing.periods import billing_today
from abonent.billing.services.charging import RunResult, charge_run
from abonent.core.money import format_money

logger = logging.getLogger(__name__)

RUN_AT = dt.time(0, 5)  # a few minutes after midnight, as deploy/abonent-charge.timer
RETRY_SECONDS = 15 * 60  # after a failed run
MAX_NAP_SECONDS = 10 * 60  # wake up now and then: a laptop may sleep through the night

_started = threading.Lock()
_thread: threading.Thread | None = None


def charge_days_due(*, last_run: dt.date | None, today: dt.date) -> list[dt.date]:
    """The billing days to charge, in order: every day after ``last_run`` up to ``today``.

    With no run ever (a fresh database) only today: there is no history to catch up.
    """
    if last_run is None:
        return [today]
    return [last_run + dt.timedelta(days=n) for n in range(1, (today - last_run).days + 1)]


def last_charge_day() -> dt.date | None:
    """The latest billing day a charge run finished (one killed half-way is run again)."""
    return ChargeRun.objects.filter(finished_at__isnull=False).aggregate(day=Max("day"))["day"]


def charge_catch_up(
    *,
    today: dt.date | None = None,
    charge: Callable[..., RunResult] = charge_run,
) -> list[RunResult]:
    """Charge every day due (``charge_days_due``) in order; log what each run did."""
    today = today or billing_today()
    days = charge_days_due(last_run=last_charge_day(), today=today)
    if len(days) > 1:
        logger.info("charge: catching up %d days, %s to %s", len(days), days[0], days[-1])
    results = []
    for day in days:
        result = charge(day=day)
        logger.info(
            "charge %s: charged %d accounts (%d charges, %s), blocked %d, tariff changes %d",
            day,
            result.charged_accounts,
            result.charges,
            format_money(result.total_kop, "en"),
            result.blocked_accounts,
            result.tariff_changes,
        )
        results.append(result)
    return results


def next_run_at(now: dt.datetime) -> dt.datetime:
    """00:05 of the day after ``now``'s billing day, in the provider's time zone."""
    zone = ZoneInfo(settings.TIME_ZONE)
    tomorrow = now.astimezone(zone).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, RUN_AT, tzinfo=zone)


def _sleep_until(moment: dt.datetime, stop: threading.Event) -> None:
    """Wait until ``moment`` by the wall clock (naps, so a suspended machine catches up)."""
    while not stop.is_set():
        left = (moment - timezone.now()).total_seconds()
        if left <= 0:
            return
        stop.wait(min(left, MAX_NAP_SECONDS))


def _drop_connection() -> None:
    """Close this thread's database connection, unless a transaction holds it (in tests)."""
    if not connection.in_atomic_block:
        connection.close()


def charge_tick() -> dt.datetime:
    """Charge what is due now, and say when to come back: 00:05 tomorrow, or in a quarter of
    an hour when the run failed (the failure is logged, never raised)."""
    try:
        _drop_connection()  # a day may have passed: the database may have restarted
        charge_catch_up()
    except Exception:
        logger.exception("charge: the run failed; retrying in %d minutes", RETRY_SECONDS // 60)
        wake = timezone.now() + dt.timedelta(seconds=RETRY_SECONDS)
    else:
        wake = next_run_at(timezone.now())
    finally:
        _drop_connection()  # none is held while asleep, or inherited by gunicorn's workers
    logger.info("charge: next run at %s", timezone.localtime(wake).strftime("%Y-%m-%d %H:%M"))
    return wake


def _loop(stop: threading.Event, wake: dt.datetime | None) -> None:
    """Sleep until ``wake`` (none: at once), charge, repeat until ``stop``."""
    while not stop.is_set():
        if wake is not None:
            _sleep_until(wake, stop)
            if stop.is_set():
                return
        wake = charge_tick()


def charge_scheduler_start(
    *, first_run_at: dt.datetime | None = None, stop: threading.Event | None = None
) -> threading.Thread:
    """Start the daily charge thread once per process (a second call returns the first one);
    its first run is at ``first_run_at``, or at once without it.

    ``abonent serve`` runs ``charge_tick()`` itself first, in the foreground, and starts this
    with the time that returned, before gunicorn forks its workers: the thread is then asleep
    while they fork, and there is one scheduler however many workers serve pages.
    """
    global _thread
    with _started:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(
                target=_loop,
                args=(stop or threading.Event(), first_run_at),
                name="abonent-charge",
                daemon=True,
            )
            _thread.start()
        return _thread
