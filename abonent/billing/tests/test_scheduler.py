"""The demo's in-process daily charge (``abonent.billing.scheduler``) and ``abonent serve``
starting it: which days are caught up, in what order, when the next run is; no sleeping."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from abonent.accounts.models import AccountStatus
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing import scheduler
from abonent.billing.models import ChargeRun, EntryKind, LedgerEntry
from abonent.billing.scheduler import (
    charge_catch_up,
    charge_days_due,
    charge_scheduler_start,
    charge_tick,
    next_run_at,
)
from abonent.billing.services.audit import ledger_audit
from abonent.billing.services.charging import RunResult, charge_run
from abonent.billing.services.posting import ledger_post
from abonent.catalogue.models import FeePeriod
from abonent.catalogue.tests.factories import TariffFactory

MSK = ZoneInfo("Europe/Moscow")
D = dt.date


# --- which days ------------------------------------------------------------------------------


def test_no_run_ever_charges_only_today() -> None:
    assert charge_days_due(last_run=None, today=D(2026, 11, 25)) == [D(2026, 11, 25)]


def test_charged_today_already_charges_nothing() -> None:
    assert charge_days_due(last_run=D(2026, 11, 25), today=D(2026, 11, 25)) == []
    # a run dated ahead (someone ran `abonent charge --date` tomorrow) is no reason to go back
    assert charge_days_due(last_run=D(2026, 11, 26), today=D(2026, 11, 25)) == []


def test_yesterday_last_charges_today() -> None:
    assert charge_days_due(last_run=D(2026, 11, 24), today=D(2026, 11, 25)) == [D(2026, 11, 25)]


def test_missed_days_are_all_charged_in_order_across_month_and_year() -> None:
    days = charge_days_due(last_run=D(2026, 12, 29), today=D(2027, 1, 2))
    assert days == [D(2026, 12, 30), D(2026, 12, 31), D(2027, 1, 1), D(2027, 1, 2)]
    leap = charge_days_due(last_run=D(2028, 2, 27), today=D(2028, 3, 1))
    assert leap == [D(2028, 2, 28), D(2028, 2, 29), D(2028, 3, 1)]


# --- when ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2026, 11, 25, 15, 0, tzinfo=MSK), dt.datetime(2026, 11, 26, 0, 5, tzinfo=MSK)),
        # just after midnight: today's run was made at start, the next one is tomorrow's
        (dt.datetime(2026, 11, 25, 0, 1, tzinfo=MSK), dt.datetime(2026, 11, 26, 0, 5, tzinfo=MSK)),
        (
            dt.datetime(2026, 12, 31, 23, 59, tzinfo=MSK),
            dt.datetime(2027, 1, 1, 0, 5, tzinfo=MSK),
        ),
        # 22:30 UTC is already the next day in Moscow
        (
            dt.datetime(2026, 11, 25, 22, 30, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 27, 0, 5, tzinfo=MSK),
        ),
    ],
)
def test_next_run_is_five_past_midnight_moscow(now: dt.datetime, expected: dt.datetime) -> None:
    assert next_run_at(now) == expected


# --- catching up -----------------------------------------------------------------------------


def _finished_run(day: dt.date) -> ChargeRun:
    return ChargeRun.objects.create(day=day, finished_at=timezone.now())


@pytest.mark.django_db
def test_catch_up_charges_each_missed_day_in_order() -> None:
    _finished_run(D(2026, 11, 20))
    _finished_run(D(2026, 11, 21))
    ChargeRun.objects.create(day=D(2026, 11, 23))  # killed half-way: charged again
    charged: list[dt.date] = []

    def charge(*, day: dt.date) -> RunResult:
        charged.append(day)
        return RunResult(day=day)

    results = charge_catch_up(today=D(2026, 11, 24), charge=charge)
    assert charged == [D(2026, 11, 22), D(2026, 11, 23), D(2026, 11, 24)]
    assert [r.day for r in results] == charged


@pytest.mark.django_db
def test_catch_up_on_a_fresh_database_charges_today_only() -> None:
    charged: list[dt.date] = []
    charge_catch_up(
        today=D(2026, 11, 24), charge=lambda *, day: charged.append(day) or RunResult(day)
    )
    assert charged == [D(2026, 11, 24)]


@pytest.mark.django_db
def test_catch_up_with_the_real_charge_run_charges_each_day_once(caplog) -> None:
    account = AccountFactory(
        tariff=TariffFactory(fee_kop=2_500, fee_period=FeePeriod.DAY), status=AccountStatus.ACTIVE
    )
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=10_000, settle=False)
    charge_run(day=D(2026, 11, 20))
    caplog.set_level("INFO", logger="abonent.billing.scheduler")
    charge_catch_up(today=D(2026, 11, 23))
    charge_catch_up(today=D(2026, 11, 23))  # nothing left to do
    fees = LedgerEntry.objects.filter(account=account, item="tariff").order_by("id")
    assert [f.period_start for f in fees] == [D(2026, 11, d) for d in (20, 21, 22, 23)]
    account.refresh_from_db()
    assert account.balance_kop == 0
    assert ledger_audit().ok
    assert "catching up 3 days" in caplog.text
    assert "charge 2026-11-23: charged 1 accounts" in caplog.text
    # the second call charged no day at all
    assert ChargeRun.objects.count() == 4


@pytest.mark.django_db
def test_tick_returns_tomorrows_run_and_survives_a_failure(monkeypatch, caplog) -> None:
    wake = charge_tick()
    assert wake == next_run_at(timezone.now())
    assert ChargeRun.objects.filter(finished_at__isnull=False).exists()

    def broken(**kwargs: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(scheduler, "charge_catch_up", broken)
    before = timezone.now()
    wake = charge_tick()
    assert dt.timedelta(minutes=14) < wake - before < dt.timedelta(minutes=16)
    assert "database gone" in caplog.text


def test_scheduler_starts_once_and_stops() -> None:
    stop = threading.Event()
    later = timezone.now() + dt.timedelta(days=1)
    first = charge_scheduler_start(first_run_at=later, stop=stop)
    try:
        assert first.daemon and first.is_alive()
        assert charge_scheduler_start(first_run_at=later) is first
    finally:
        stop.set()
        first.join(timeout=5)
    assert not first.is_alive()


# --- abonent serve ---------------------------------------------------------------------------


@pytest.fixture
def serve_spy(monkeypatch):
    """``abonent serve`` with gunicorn, runserver and the scheduler replaced by recorders."""
    calls: list[str] = []
    import gunicorn.app.wsgiapp

    from abonent.core.management.commands import serve

    monkeypatch.setattr(gunicorn.app.wsgiapp, "run", lambda: calls.append("gunicorn"))
    # The demo's worker is a real child process: recorded here, never spawned by a test.
    monkeypatch.setattr(serve.Command, "_start_worker", lambda self: calls.append("worker"))
    monkeypatch.setattr(serve, "call_command", lambda name, *a, **k: calls.append(name))
    monkeypatch.setattr(scheduler, "charge_tick", lambda: calls.append("tick") or "wake")
    monkeypatch.setattr(
        scheduler,
        "charge_scheduler_start",
        lambda *, first_run_at: calls.append(f"thread@{first_run_at}"),
    )
    monkeypatch.delenv("RUN_MAIN", raising=False)
    return calls


def _serve(*args: str) -> None:
    call_command("serve", "--no-collectstatic", *args, stdout=StringIO())


@override_settings(DEMO=True)
def test_serve_in_the_demo_charges_then_starts_one_thread_before_gunicorn(serve_spy) -> None:
    _serve()
    assert serve_spy == ["tick", "thread@wake", "worker", "gunicorn"]


@override_settings(DEMO=True)
def test_serve_no_charge(serve_spy) -> None:
    _serve("--no-charge")
    assert serve_spy == ["worker", "gunicorn"]


@override_settings(DEMO=False)
def test_serve_outside_the_demo_charges_nothing(serve_spy) -> None:
    _serve()
    _serve("--dev")
    assert serve_spy == ["gunicorn", "runserver"]


@override_settings(DEMO=True)
def test_serve_dev_charges_in_the_reloaders_parent_only(serve_spy, monkeypatch) -> None:
    _serve("--dev")
    assert serve_spy == ["tick", "thread@wake", "worker", "runserver"]
    serve_spy.clear()
    monkeypatch.setenv("RUN_MAIN", "true")  # the child the autoreloader restarts
    _serve("--dev")
    assert serve_spy == ["runserver"]


@override_settings(DEMO=True)
def test_serve_no_worker(serve_spy) -> None:
    _serve("--no-charge", "--no-worker")
    assert serve_spy == ["gunicorn"]
