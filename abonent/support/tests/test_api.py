"""Support in the API: list, open, read, reply, download; 404 for another account's tickets."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from abonent.accounts.services import token_issue
from abonent.accounts.tests.factories import AccountFactory
from abonent.support.models import Attachment, Ticket, TicketStatus
from abonent.support.services import ticket_open, ticket_reply
from abonent.support.tests.factories import image_bytes, upload

pytestmark = pytest.mark.django_db


def api(account):
    raw, _ = token_issue(account=account)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def call(method: str, path: str, body: dict | None = None):
        return client.generic(
            method, f"/api/v1/me{path}", json.dumps(body or {}), content_type="application/json"
        )

    return call


def test_open_list_read_and_reply(support_user) -> None:
    account = AccountFactory()
    call = api(account)
    created = call(
        "POST",
        "/tickets",
        {"category": "tariff", "subject": "Смена тарифа", "text": "Как сменить?\nСпасибо"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "open"
    assert body["messages"][0]["author"] == "you"
    assert body["messages"][0]["text"] == "Как сменить?\nСпасибо"
    ticket_id = body["id"]
    ticket_reply(ticket_id=ticket_id, staff=support_user, text="В разделе «Тариф».")
    listing = call("GET", "/tickets").json()
    assert listing["count"] == 1
    assert listing["items"][0]["status"] == "answered"
    assert listing["items"][0]["answered_by"] == "Мария"
    detail = call("GET", f"/tickets/{ticket_id}").json()
    assert [m["author"] for m in detail["messages"]] == ["you", "support"]
    reply = call("POST", f"/tickets/{ticket_id}/messages", {"text": "Спасибо!"})
    assert reply.status_code == 201
    assert Ticket.objects.get(pk=ticket_id).status == TicketStatus.OPEN


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "tariff", "subject": "", "text": "x"}, "subject"),
        ({"category": "nope", "subject": "x", "text": "x"}, "category"),
        ({"category": "tariff", "subject": "x"}, "text"),
    ],
)
def test_bad_input_is_422_with_the_field(body, field) -> None:
    response = api(AccountFactory())("POST", "/tickets", body)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_an_empty_reply_is_422() -> None:
    account = AccountFactory()
    ticket = ticket_open(account=account, category="other", subject="x", text="y")
    response = api(account)("POST", f"/tickets/{ticket.pk}/messages", {"text": " "})
    assert response.status_code == 422 and response.json()["field"] == "text"


def test_another_accounts_ticket_and_attachment_are_404() -> None:
    owner, stranger = AccountFactory(), AccountFactory()
    ticket = ticket_open(
        account=owner,
        category="other",
        subject="Личное",
        text="секрет",
        files=[upload("a.png", image_bytes("PNG"))],
    )
    attachment = Attachment.objects.get()
    call = api(stranger)
    assert call("GET", f"/tickets/{ticket.pk}").status_code == 404
    assert call("POST", f"/tickets/{ticket.pk}/messages", {"text": "x"}).status_code == 404
    assert call("GET", f"/tickets/{ticket.pk}/attachments/{attachment.pk}").status_code == 404
    assert call("GET", "/tickets").json() == {"items": [], "count": 0}
    assert ticket.messages.count() == 1


def test_attachment_downloads_with_the_token(media_root) -> None:
    account = AccountFactory()
    data = image_bytes("GIF")
    ticket = ticket_open(
        account=account, category="other", subject="x", text="y", files=[upload("x.png", data)]
    )
    call = api(account)
    url = call("GET", f"/tickets/{ticket.pk}").json()["messages"][0]["attachments"][0]["url"]
    assert url.startswith("/api/v1/me/tickets/")
    raw, _ = token_issue(account=account)
    response = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'filename="x.gif"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == data


def test_escaping_is_the_clients_job_but_the_text_is_returned_verbatim() -> None:
    account = AccountFactory()
    payload = '<img src=x onerror="alert(1)">'
    response = api(account)(
        "POST", "/tickets", {"category": "other", "subject": payload, "text": payload}
    )
    assert response.json()["subject"] == payload
    assert response["Content-Type"].startswith("application/json")
