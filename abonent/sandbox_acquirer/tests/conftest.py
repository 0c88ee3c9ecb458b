"""Fixtures of the sandbox acquirer's tests: an authenticated API client, payments, a transport."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from django.test import Client

API = "/sandbox-acquirer/api/v3/"
RETURN_URL = "http://shop.example/payments/return/42"


def auth_header(shop_id: str = "100500", secret: str = "test_sandbox_secret_key") -> str:  # noqa: S107
    return "Basic " + base64.b64encode(f"{shop_id}:{secret}".encode()).decode()


class Api:
    """The merchant's side of the API, as the payments app would call it."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def post(self, path: str, body: dict, *, key: str | None = "auto", auth: str | None = None):
        headers = {"Authorization": auth or auth_header()}
        if key is not None:
            headers["Idempotence-Key"] = uuid.uuid4().hex if key == "auto" else key
        return self.client.post(
            API + path, data=json.dumps(body), content_type="application/json", headers=headers
        )

    def get(self, path: str, *, auth: str | None = None):
        return self.client.get(API + path, headers={"Authorization": auth or auth_header()})

    def create_payment(self, value: str = "1000.00", **extra) -> dict:
        body = payment_body(value, **extra)
        response = self.post("payments", body)
        assert response.status_code == 200, response.content
        return response.json()


def payment_body(value: str = "1000.00", **extra) -> dict:
    body = {
        "amount": {"value": value, "currency": "RUB"},
        "capture": True,
        "description": "Пополнение счёта 10042",
        "metadata": {"payment_id": "77", "account": "10042"},
        "confirmation": {"type": "redirect", "return_url": RETURN_URL},
        "save_payment_method": False,
    }
    body.update(extra)
    return body


@pytest.fixture
def api(db) -> Api:
    return Api(Client())


class FakeTransport:
    """Records every POST and answers with the queued statuses (then 200)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.calls: list[dict] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        self.calls.append({"url": url, "body": body, "headers": dict(headers)})
        status = self.statuses.pop(0) if self.statuses else 200
        if isinstance(status, Exception):
            raise status
        return status

    def events(self) -> list[str]:
        return [json.loads(call["body"])["event"] for call in self.calls]


@pytest.fixture
def transport() -> FakeTransport:
    return FakeTransport()


def pay_card(client: Client, payment: dict, number: str, **extra):
    data = {"number": number, "expiry": "12/30", "cvc": "123", "holder": "IVAN PETROV"}
    data.update(extra)
    return client.post(f"/sandbox-acquirer/pay/{payment['id']}", data)
