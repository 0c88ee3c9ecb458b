"""The cabinet's front door: login, lockout, sessions, password change, forgotten password."""

from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from abonent.accounts.auth import SESSION_LOGIN_AT, SESSION_SEEN_AT
from abonent.accounts.models import AccountStatus
from abonent.accounts.services import account_reset_password
from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory

pytestmark = pytest.mark.django_db
LOGIN = "/cabinet/login/"
NEW_PASSWORD = "Рябина-у-окна-3"


def login(client: Client, account, password: str = ACCOUNT_PASSWORD):
    return client.post(LOGIN, {"contract": account.contract, "password": password})


def test_login_page_in_russian_by_default(client: Client) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    with translation.override("ru"):
        assert translation.gettext("Contract number") in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_login_rotates_the_session_and_shows_the_dashboard(client: Client) -> None:
    account = AccountFactory(balance_kop=50_000)
    client.get(LOGIN)
    before = client.session.session_key
    response = login(client, account)
    assert response.status_code == 302 and response["Location"] == "/cabinet/"
    assert client.session.session_key != before
    page = client.get("/cabinet/").content.decode()
    assert account.holder_name in page
    assert account.contract[:4] in page
    assert "500,00" in page


def test_wrong_password_keeps_the_number_and_does_not_tell_which(client: Client) -> None:
    account = AccountFactory()
    response = login(client, account, "wrong")
    html = response.content.decode()
    assert response.status_code == 401
    assert f'value="{account.contract}"' in html
    unknown = client.post(LOGIN, {"contract": AccountFactory.build().contract, "password": "x"})
    strip = lambda s: s.replace(account.contract, "").split('value="')[0]  # noqa: E731
    assert unknown.status_code == 401
    assert strip(unknown.content.decode()).count("alert") == strip(html).count("alert")


@override_settings(ABONENT_LOGIN_MAX_PER_CONTRACT=5)
def test_five_wrong_passwords_show_the_lockout(client: Client) -> None:
    account = AccountFactory()
    for _ in range(5):
        assert login(client, account, "wrong").status_code == 401
    locked = login(client, account)
    assert locked.status_code == 429
    with translation.override("ru"):
        assert "мин" in locked.content.decode()
    assert "_auth_user_id" not in client.session and "cab_account" not in client.session


def test_anonymous_goes_to_login_with_next(client: Client) -> None:
    response = client.get("/cabinet/password/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN) and "next=" in response["Location"]


def test_next_is_followed_only_inside_the_cabinet(client: Client) -> None:
    account = AccountFactory()
    ok = client.post(
        LOGIN + "?next=/cabinet/password/",
        {"contract": account.contract, "password": ACCOUNT_PASSWORD, "next": "/cabinet/password/"},
    )
    assert ok["Location"] == "/cabinet/password/"
    client.post(reverse("cabinet:logout"))
    evil = client.post(
        LOGIN,
        {
            "contract": account.contract,
            "password": ACCOUNT_PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert evil["Location"] == "/cabinet/"


def test_first_login_with_paper_password_forces_a_new_one(client: Client) -> None:
    account = AccountFactory(must_change_password=True)
    response = login(client, account)
    assert response["Location"] == "/cabinet/password/"
    assert client.get("/cabinet/")["Location"] == "/cabinet/password/"
    bad = client.post(
        "/cabinet/password/",
        {
            "current_password": ACCOUNT_PASSWORD,
            "new_password": account.contract,
            "new_password2": account.contract,
        },
    )
    assert bad.status_code == 200 and "has-error" in bad.content.decode()
    done = client.post(
        "/cabinet/password/",
        {
            "current_password": ACCOUNT_PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert done["Location"] == "/cabinet/"
    assert client.get("/cabinet/").status_code == 200


def test_changing_password_ends_other_sessions_but_not_this_one() -> None:
    account = AccountFactory()
    mine, other = Client(), Client()
    login(mine, account)
    login(other, account)
    assert other.get("/cabinet/").status_code == 200
    mine.post(
        "/cabinet/password/",
        {
            "current_password": ACCOUNT_PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert mine.get("/cabinet/").status_code == 200
    assert other.get("/cabinet/")["Location"].startswith(LOGIN)


def test_staff_reset_ends_every_session(client: Client, support_user) -> None:
    account = AccountFactory()
    login(client, account)
    account_reset_password(account_id=account.pk, actor=support_user)
    assert client.get("/cabinet/")["Location"].startswith(LOGIN)


def _shift_session(client: Client, key: str, seconds: int) -> None:
    session = client.session
    session[key] = int(time.time()) - seconds
    session.save()


def test_idle_timeout(client: Client) -> None:
    account = AccountFactory()
    login(client, account)
    _shift_session(client, SESSION_SEEN_AT, 29 * 60)
    assert client.get("/cabinet/").status_code == 200
    _shift_session(client, SESSION_SEEN_AT, 31 * 60)
    response = client.get("/cabinet/")
    assert response["Location"].startswith(LOGIN)
    page = client.get(LOGIN).content.decode()
    with translation.override("ru"):
        assert translation.gettext("Your session has ended. Please log in again.") in page


def test_absolute_timeout(client: Client) -> None:
    account = AccountFactory()
    login(client, account)
    _shift_session(client, SESSION_LOGIN_AT, 12 * 3600 + 1)
    assert client.get("/cabinet/")["Location"].startswith(LOGIN)


def test_closed_account_session_ends(client: Client) -> None:
    account = AccountFactory()
    login(client, account)
    account.status = AccountStatus.CLOSED
    account.save()
    assert client.get("/cabinet/")["Location"].startswith(LOGIN)


def test_logout_is_post_only(client: Client) -> None:
    account = AccountFactory()
    login(client, account)
    assert client.get("/cabinet/logout/").status_code == 405
    assert client.post("/cabinet/logout/")["Location"] == LOGIN
    assert client.get("/cabinet/")["Location"].startswith(LOGIN)


def test_forgot_password_explains_the_office_and_hotline(client: Client, settings) -> None:
    html = client.get("/cabinet/forgot/").content.decode()
    assert settings.ABONENT_PROVIDER["phone"] in html
    assert settings.ABONENT_PROVIDER["address"] in html
    assert 'type="password"' not in html


def test_status_explained_in_plain_words(client: Client) -> None:
    account = AccountFactory(status=AccountStatus.NEW, balance_kop=20_000)
    login(client, account)
    html = client.get("/cabinet/").content.decode()
    with translation.override("ru"):
        assert "800" in html  # 1 000 ₽ deposit − 200 ₽ on the balance


def test_csrf_is_enforced_on_every_cabinet_form() -> None:
    account = AccountFactory()
    client = Client(enforce_csrf_checks=True)
    assert (
        client.post(LOGIN, {"contract": account.contract, "password": ACCOUNT_PASSWORD}).status_code
        == 403
    )
    client.get(LOGIN)
    token = client.cookies["csrftoken"].value
    ok = client.post(
        LOGIN,
        {"contract": account.contract, "password": ACCOUNT_PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert ok.status_code == 302
    assert client.post("/cabinet/password/", {}).status_code == 403
    assert client.post("/cabinet/logout/").status_code == 403
