"""The cabinet's "Подключение": the account's own session, traffic, last authorisation and login,
on PostgreSQL from radacct/radpostauth, and a clear note without them on SQLite."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.network.models import RadAcct, RadPostAuth
from abonent.network.services import credential_create
from abonent.network.views import traffic_format

from .conftest import needs_postgres

pytestmark = pytest.mark.django_db

URL = "/cabinet/connection/"
MB = 1_000_000
ZONE = ZoneInfo(settings.TIME_ZONE)
_ids = itertools.count(1)


def login(account) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.post("/cabinet/login/", {"contract": account.contract, "password": ACCOUNT_PASSWORD})
    return client


def session(user: str, start: dt.datetime, *, down: int, up: int, open_=False, ip="10.0.0.1"):  # type: ignore[no-untyped-def]
    n = next(_ids)
    return RadAcct.objects.create(
        acctsessionid=f"s{n}",
        acctuniqueid=f"u{n}-{user}",
        username=user,
        nasipaddress="127.0.0.1",
        acctstarttime=start,
        acctstoptime=None if open_ else start + dt.timedelta(minutes=5),
        acctinputoctets=up,
        acctoutputoctets=down,
        framedipaddress=ip,
    )


def auth(user: str, reply: str, reason: str | None, at: dt.datetime) -> RadPostAuth:
    return RadPostAuth.objects.create(username=user, reply=reply, reason=reason, authdate=at)


def test_traffic_is_shown_in_mb_and_gb_with_integers() -> None:
    with translation.override("en"):
        assert traffic_format(0) == "0 MB"
        assert traffic_format(999_999_999) == "999 MB"
        assert traffic_format(1_000_000_000) == "1.0 GB"
        assert traffic_format(12_345_678_901) == "12.3 GB"
    with translation.override("ru"):
        assert traffic_format(12_345_678_901) == "12,3 ГБ"


def test_the_page_is_in_the_menu_and_shows_the_login_but_not_the_password() -> None:
    account = AccountFactory()
    credential = credential_create(account=account)
    response = login(account).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="/cabinet/connection/"' in body
    assert credential.login in body
    assert credential.password not in body
    assert "no-store" in response["Cache-Control"]


def test_the_password_is_shown_to_its_owner_on_a_post() -> None:
    account = AccountFactory()
    credential = credential_create(account=account)
    response = login(account).post(URL, {"show_password": "1"})
    assert response.status_code == 200
    assert credential.password in response.content.decode()


def test_an_account_without_a_credential_is_told_to_ask_support() -> None:
    response = login(AccountFactory()).get(URL)
    assert response.status_code == 200
    assert 'data-testid="login"' not in response.content.decode()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite note")
def test_on_sqlite_the_page_says_connection_data_needs_postgresql() -> None:
    account = AccountFactory()
    credential_create(account=account)
    body = login(account).get(URL).content.decode()
    assert 'data-testid="no-radius"' in body
    assert "PostgreSQL" in body


@needs_postgres
def test_only_the_accounts_own_sessions_traffic_and_answers_show(
    django_assert_num_queries,
) -> None:
    mine = AccountFactory()
    theirs = AccountFactory()
    my_login = credential_create(account=mine).login
    their_login = credential_create(account=theirs).login
    now = timezone.now()
    today = now.astimezone(ZONE).date()
    month_start = dt.datetime.combine(today.replace(day=1), dt.time(0, 1), tzinfo=ZONE)
    last_month = month_start - dt.timedelta(days=2)

    # mine: an open session today, a closed one earlier this month, one last month, one too old
    session(
        my_login,
        now - dt.timedelta(seconds=30),
        down=300 * MB,
        up=20 * MB,
        open_=True,
        ip="10.9.8.7",
    )
    session(my_login, month_start, down=500 * MB, up=200 * MB)
    session(my_login, last_month, down=4000 * MB, up=0)
    session(my_login, month_start - dt.timedelta(days=60), down=9000 * MB, up=0)
    auth(my_login, "Access-Accept", None, now - dt.timedelta(hours=2))
    auth(my_login, "Access-Reject", "new", now - dt.timedelta(hours=1))
    # theirs: a lot of traffic, online, another IP, blocked
    session(
        their_login,
        now - dt.timedelta(minutes=1),
        down=77_000 * MB,
        up=0,
        open_=True,
        ip="10.6.6.6",
    )
    auth(their_login, "Access-Accept", "blocked", now)

    client = login(mine)
    # session, account, credential, open session, traffic by day, last answer, unread mail
    with django_assert_num_queries(7):
        response = client.get(URL)
    body = response.content.decode()
    assert 'data-testid="online"' in body
    assert "10.9.8.7" in body
    assert "10.6.6.6" not in body
    today_octets = 320 * MB + (700 * MB if month_start.date() == today else 0)
    with translation.override("ru"):
        assert f'data-testid="traffic-today">{traffic_format(today_octets)}<' in body
    assert 'data-testid="traffic-month">1,0 ГБ<' in body  # 320 + 700 MB, not last month's
    assert "77,0 ГБ" not in body
    assert (
        "Отказано. Ещё не подключён: не внесён платёж за подключение — "
        "внесите платёж за подключение, чтобы выйти в интернет." in body
    )
    assert "Доступ ограничен" not in body  # the other account's answer
    assert body.count("<rect ") == 30

    # more rows of the same login cost no more queries
    for day in range(20):
        session(my_login, now - dt.timedelta(days=day, minutes=1), down=MB, up=MB)
    with django_assert_num_queries(7):
        client.get(URL)


@needs_postgres
def test_offline_and_blocked_read_in_plain_words_in_russian() -> None:
    account = AccountFactory()
    user = credential_create(account=account).login
    session(user, timezone.now() - dt.timedelta(hours=3), down=MB, up=MB)  # closed
    auth(user, "Access-Accept", "blocked", timezone.now())
    client = login(account)
    body = client.get(URL).content.decode()
    assert 'data-testid="offline"' in body
    assert "Доступ ограничен. Заблокирован: на балансе недостаточно средств" in body
    assert "пополните счёт, чтобы продолжить." in body
    assert ">Подключение</a>" in body
