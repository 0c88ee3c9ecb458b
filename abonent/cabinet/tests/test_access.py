"""One subscriber can never reach another's data, and nobody reaches any without logging in.

The test walks EVERY URL pattern under /cabinet/ and EVERY operation of the API under /me (and
the token endpoint), so a page or endpoint added later is covered without editing this file:
patterns with parameters are filled with the ids of the OTHER subscriber's objects (see
``OTHER_OBJECTS``), and must answer 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from abonent.accounts.services import token_issue
from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.api import api

pytestmark = pytest.mark.django_db

PUBLIC_CABINET_PAGES = {"login", "logout", "forgot"}


# URL parameter name → how to make an object of that kind belonging to the given account.
# Later features register their objects here (ticket_id, message_id, card_id, payment_id, …).
def _other_addon(account):  # type: ignore[no-untyped-def]
    import datetime as dt

    from abonent.billing.models import AccountAddon
    from abonent.catalogue.tests.factories import AddonFactory

    return AccountAddon.objects.create(
        account=account, addon=AddonFactory(), started_on=dt.date(2026, 11, 1)
    )


def _other_message(account):  # type: ignore[no-untyped-def]
    from abonent.messaging.services import message_send_to_account

    return message_send_to_account(
        account_id=account.pk, subject="Только для Бориса", body="Личное", category="support"
    )


def _other_ticket(account):  # type: ignore[no-untyped-def]
    from abonent.support.services import ticket_open

    return ticket_open(
        account=account, category="other", subject="Обращение Бориса", text="Только для Бориса"
    )


def _other_attachment(account):  # type: ignore[no-untyped-def]
    from abonent.support.tests.factories import attachment_make

    return attachment_make(ticket=_other_ticket(account))


def _other_payment(account):  # type: ignore[no-untyped-def]
    from abonent.payments.tests.factories import PaymentFactory

    return PaymentFactory(account=account)


def _other_card(account):  # type: ignore[no-untyped-def]
    from abonent.payments.tests.factories import CardFactory

    return CardFactory(account=account)


OTHER_OBJECTS: dict[str, Callable[[object], object]] = {
    "subscription_id": _other_addon,
    "message_id": _other_message,
    "payment_id": _other_payment,
    "card_id": _other_card,
    "ticket_id": _other_ticket,
    "attachment_id": _other_attachment,
}


def cabinet_patterns() -> Iterator[tuple[str, URLPattern]]:
    resolver = get_resolver()
    for entry in resolver.url_patterns:
        # the cabinet's own URLs, and other apps' pages included under /cabinet/ (mail, …)
        if isinstance(entry, URLResolver) and (
            entry.namespace == "cabinet" or str(entry.pattern).startswith("cabinet/")
        ):
            prefix = str(entry.pattern)
            for pattern in entry.url_patterns:
                assert isinstance(pattern, URLPattern)
                yield prefix + str(pattern.pattern), pattern


def fill(route: str, values: dict[str, object]) -> str:
    def repl(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[-1]
        assert name in OTHER_OBJECTS, f"register a factory for <{name}> in OTHER_OBJECTS"
        return str(values[name])

    return "/" + re.sub(r"<([^>]+)>", repl, route)


def api_operations() -> Iterator[tuple[str, str]]:
    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        if path.startswith("/api/v1/me") or path == "/api/v1/auth/token":
            for method in methods:
                if method == "post" and path == "/api/v1/auth/token":
                    continue  # the login itself
                yield method, path


@pytest.fixture
def two_subscribers():
    mine = AccountFactory(holder_name="Алиса Первая", address="ул. Первая, 1", balance_kop=11_100)
    other = AccountFactory(holder_name="Борис Второй", address="ул. Вторая, 2", balance_kop=99_900)
    other_ids = {name: getattr(make(other), "pk", make) for name, make in OTHER_OBJECTS.items()}
    return mine, other, other_ids


def test_the_walk_finds_pages_and_endpoints() -> None:
    names = {p.name for _, p in cabinet_patterns()}
    assert {"home", "login", "password", "inbox", "message"} <= names
    assert ("get", "/api/v1/me") in set(api_operations())


def test_anonymous_visitors_reach_no_private_cabinet_page(two_subscribers) -> None:
    _mine, _other, ids = two_subscribers
    client = Client()
    for route, pattern in cabinet_patterns():
        if pattern.name in PUBLIC_CABINET_PAGES:
            continue
        url = fill(route, ids)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (302, 405), (method, url, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/cabinet/login/"), url


def test_a_subscriber_sees_only_their_own_pages(two_subscribers) -> None:
    mine, other, ids = two_subscribers
    client = Client()
    client.post("/cabinet/login/", {"contract": mine.contract, "password": ACCOUNT_PASSWORD})
    for route, pattern in cabinet_patterns():
        if pattern.name in PUBLIC_CABINET_PAGES:
            continue
        url = fill(route, ids)
        response = client.get(url)
        if pattern.pattern.converters:
            assert response.status_code == 404, (url, response.status_code)
            continue
        assert response.status_code in (200, 302, 405), (url, response.status_code)
        body = response.content.decode()
        for secret in (other.contract, other.holder_name, other.address, "999,00"):
            assert secret not in body, (url, secret)


def test_api_refuses_anonymous_and_foreign_tokens(two_subscribers) -> None:
    mine, other, ids = two_subscribers
    raw, _ = token_issue(account=mine)
    client = Client()
    for method, path in api_operations():
        url = re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 0)), path)
        anonymous = client.generic(method.upper(), url, "{}", content_type="application/json")
        assert anonymous.status_code == 401, (method, url, anonymous.status_code)
        assert "detail" in anonymous.json()
        if method == "delete" and path == "/api/v1/auth/token":
            continue
        own = client.generic(
            method.upper(),
            url,
            "{}",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )
        if "{" in path:
            assert own.status_code == 404, (method, url, own.status_code)
        else:
            assert own.status_code < 500, (method, url, own.status_code)
        body = own.content.decode()
        for secret in (other.contract, other.holder_name, other.address):
            assert secret not in body, (method, url, secret)
