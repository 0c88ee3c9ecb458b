"""The subscriber's mail in the API: /api/v1/me/messages with a bearer token."""

from __future__ import annotations

import pytest
from django.test import Client

from abonent.accounts.services import token_issue
from abonent.accounts.tests.factories import AccountFactory
from abonent.messaging.models import MessageCategory
from abonent.messaging.selectors import unread_count
from abonent.messaging.services import message_send_to_account
from abonent.messaging.tests.factories import inbox_fill

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return AccountFactory()


@pytest.fixture
def api(account) -> Client:  # type: ignore[no-untyped-def]
    raw, _ = token_issue(account=account)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def send(account, **kwargs):  # type: ignore[no-untyped-def]
    params = {"subject": "Тема", "body": "Текст", "category": MessageCategory.BILLING}
    params.update(kwargs)
    return message_send_to_account(account_id=account.pk, **params)


def test_list_is_paginated(account, api) -> None:  # type: ignore[no-untyped-def]
    inbox_fill(account_id=account.pk, count=30)  # every third unread: 10
    data = api.get("/api/v1/me/messages").json()
    assert data["count"] == 30 and len(data["items"]) == 20 and data["unread"] == 10
    ids = [item["id"] for item in data["items"]]
    assert ids == sorted(ids, reverse=True)
    rest = api.get("/api/v1/me/messages?offset=20&limit=20").json()
    assert rest["count"] == 30 and len(rest["items"]) == 10
    assert set(ids).isdisjoint(item["id"] for item in rest["items"])
    unread = api.get("/api/v1/me/messages?unread=true&limit=5").json()
    assert unread["count"] == 10 and all(not item["is_read"] for item in unread["items"])
    news = api.get("/api/v1/me/messages?category=news&limit=100").json()
    assert news["count"] == 7 and {item["category"] for item in news["items"]} == {"news"}
    assert unread_count(account_id=account.pk) == 10  # listing marks nothing read


def test_item_shape(account, api, support_user) -> None:  # type: ignore[no-untyped-def]
    send(account, subject="Счёт", body="Оплатите до 1 числа", sender=support_user)
    item = api.get("/api/v1/me/messages", HTTP_ACCEPT_LANGUAGE="ru").json()["items"][0]
    assert item["subject"] == "Счёт" and item["body"] == "Оплатите до 1 числа"
    assert item["category"] == "billing" and item["sender"] == "staff"
    assert item["read_at"] is None and item["is_read"] is False
    assert set(item) >= {"id", "category_label", "created_at"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=-1", "offset"),
        ("category=x", "category"),
    ],
)
def test_bad_queries_are_422(api, query, field) -> None:  # type: ignore[no-untyped-def]
    response = api.get(f"/api/v1/me/messages?{query}")
    assert response.status_code == 422 and response.json()["field"] == field


def test_reading_one_marks_it_read(account, api) -> None:  # type: ignore[no-untyped-def]
    message = send(account)
    response = api.get(f"/api/v1/me/messages/{message.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == message.pk and data["is_read"] and data["read_at"]
    assert unread_count(account_id=account.pk) == 0
    again = api.get(f"/api/v1/me/messages/{message.pk}").json()
    assert again["read_at"] == data["read_at"]


def test_another_accounts_message_is_404(account, api) -> None:  # type: ignore[no-untyped-def]
    other = AccountFactory()
    theirs = send(other, subject="Секрет Бориса")
    response = api.get(f"/api/v1/me/messages/{theirs.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert "Секрет" not in response.content.decode()
    assert unread_count(account_id=other.pk) == 1
    assert api.get("/api/v1/me/messages").json()["count"] == 0


def test_read_all(account, api) -> None:  # type: ignore[no-untyped-def]
    send(account), send(account)
    other = AccountFactory()
    send(other)
    assert api.post("/api/v1/me/messages/read-all").json() == {"marked": 2, "unread": 0}
    assert api.post("/api/v1/me/messages/read-all").json() == {"marked": 0, "unread": 0}
    assert unread_count(account_id=other.pk) == 1


def test_text_comes_back_as_json_data(account, api) -> None:  # type: ignore[no-untyped-def]
    message = send(account, subject="<script>alert(1)</script>", body="<img src=x onerror=1>")
    response = api.get(f"/api/v1/me/messages/{message.pk}")
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["subject"] == "<script>alert(1)</script>"  # data, for the app to escape


def test_without_token_401() -> None:
    for method, url in (("get", "/api/v1/me/messages"), ("post", "/api/v1/me/messages/read-all")):
        assert getattr(Client(), method)(url).status_code == 401
