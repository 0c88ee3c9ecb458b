"""``abonent radius-prune``: FreeRADIUS's old answers and closed sessions go, in batches."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from abonent.network.models import RadAcct, RadPostAuth
from abonent.network.services import radius_logs_prune

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def answer(login: str, days_ago: float) -> None:
    RadPostAuth.objects.create(
        username=login, reply="Access-Accept", authdate=NOW - dt.timedelta(days=days_ago)
    )


def session(login: str, started_days_ago: float, stopped_days_ago: float | None) -> None:
    start = NOW - dt.timedelta(days=started_days_ago)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, "
            "acctstarttime, acctstoptime) VALUES (%s, %s, %s, '10.0.0.1', %s, %s)",
            [
                f"{login}-{started_days_ago}",
                f"{login}-{started_days_ago}-{stopped_days_ago}",
                login,
                start,
                None if stopped_days_ago is None else NOW - dt.timedelta(days=stopped_days_ago),
            ],
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="radacct: PostgreSQL only")
def test_old_answers_and_long_closed_sessions_go_open_ones_stay():
    for days in (40, 31, 30.5, 29, 1):
        answer("a", days)
    session("a", 500, 450)  # closed long ago: goes
    session("a", 410, 401)  # ended 401 days ago: goes
    session("a", 420, 399)  # started long ago, ended within the period: stays
    session("a", 700, None)  # open however old: stays
    session("a", 10, 9)

    result = radius_logs_prune(now=NOW, batch=2)  # batches of two: the loop goes round
    assert (result.answers, result.sessions) == (3, 2)
    assert sorted(RadPostAuth.objects.values_list("authdate", flat=True)) == [
        NOW - dt.timedelta(days=29),
        NOW - dt.timedelta(days=1),
    ]
    left = sorted(RadAcct.objects.values_list("acctstoptime", flat=True), key=str)
    assert left == sorted([NOW - dt.timedelta(days=399), None, NOW - dt.timedelta(days=9)], key=str)
    assert "3 authentication answers" in str(result) and "2 closed sessions" in str(result)
    assert radius_logs_prune(now=NOW).answers == 0  # nothing twice

    # Shorter periods from the command line.
    out = StringIO()
    call_command("radius_prune", auth_log_days=2, session_days=30, pause=0, stdout=out)
    assert "1 authentication answers" in out.getvalue()
    assert RadAcct.objects.filter(acctstoptime__isnull=False).count() == 1  # 9 days ago


@pytest.mark.skipif(connection.vendor != "postgresql", reason="radacct: PostgreSQL only")
def test_the_settings_give_the_periods(settings):
    settings.ABONENT_RADIUS_AUTH_LOG_DAYS = 7
    settings.ABONENT_RADIUS_SESSION_DAYS = 60
    answer("b", 8)
    answer("b", 6)
    session("b", 70, 61)
    result = radius_logs_prune(now=NOW)
    assert (result.answers, result.sessions) == (1, 1)
    assert result.answers_before == NOW - dt.timedelta(days=7)


def test_a_period_must_be_positive():
    with pytest.raises(CommandError, match="positive"):
        call_command("radius_prune", auth_log_days=0)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite note")
def test_on_sqlite_there_is_nothing_to_prune():
    out = StringIO()
    call_command("radius_prune", stdout=out)
    assert "PostgreSQL only" in out.getvalue()
    assert radius_logs_prune(now=timezone.now()).available is False


@pytest.mark.skipif(connection.vendor != "postgresql", reason="radacct: PostgreSQL only")
def test_finished_requests_to_nases_go_with_the_answers_pending_ones_stay():
    from abonent.network.models import ChangeKind, ChangeReason, ChangeState, SessionChange

    def change(n: int, state: str, finished_days_ago: float | None) -> SessionChange:
        return SessionChange.objects.create(
            radacct_id=n,
            username="a",
            acct_session_id=f"s{n}",
            nas_ip="10.0.0.1",
            kind=ChangeKind.DISCONNECT,
            reason=ChangeReason.STAFF,
            state=state,
            finished_at=None
            if finished_days_ago is None
            else NOW - dt.timedelta(days=finished_days_ago),
        )

    change(1, ChangeState.ACKED, 45)  # goes
    change(2, ChangeState.FAILED, 31)  # goes
    change(3, ChangeState.ACKED, 29)  # within the period: stays
    change(4, ChangeState.PENDING, None)  # pending: stays however old
    result = radius_logs_prune(now=NOW, batch=1)
    assert result.changes == 2
    assert sorted(SessionChange.objects.values_list("radacct_id", flat=True)) == [3, 4]
