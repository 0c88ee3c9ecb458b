"""The HTTP API: authentication, idempotency, validation errors, reading, refunds."""

from __future__ import annotations

import pytest
from django.test import override_settings

from abonent.sandbox_acquirer.models import Payment, Refund, WebhookDelivery

from .conftest import RETURN_URL, auth_header, payment_body

pytestmark = pytest.mark.django_db


def test_create_payment_answers_the_documented_object(api):
    response = api.post("payments", payment_body("1000.50"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "pending"
    assert body["paid"] is False
    assert body["amount"] == {"value": "1000.50", "currency": "RUB"}
    assert body["metadata"] == {"payment_id": "77", "account": "10042"}
    assert body["confirmation"]["type"] == "redirect"
    assert body["confirmation"]["confirmation_url"] == (
        f"http://testserver/sandbox-acquirer/pay/{body['id']}"
    )
    assert body["created_at"].endswith("Z") and len(body["created_at"]) == 24
    assert Payment.objects.get(pk=body["id"]).amount_kop == 100050
    assert "payment_method" not in body and "receipt_url" not in body


@pytest.mark.parametrize(
    "auth",
    [None, auth_header(secret="wrong"), auth_header(shop_id="1"), "Basic !!!", "Bearer x"],
)
def test_create_requires_basic_auth(api, auth):
    headers = {"Idempotence-Key": "k1"}
    if auth:
        headers["Authorization"] = auth
    response = api.client.post(
        "/sandbox-acquirer/api/v3/payments",
        data=payment_body(),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 401
    assert response.json()["type"] == "error"
    assert response.json()["code"] == "invalid_credentials"
    assert not Payment.objects.exists()


def test_same_key_same_body_returns_the_same_payment(api):
    first = api.post("payments", payment_body(), key="key-1").json()
    again = api.post("payments", payment_body(), key="key-1")
    assert again.status_code == 200
    assert again.json() == first
    assert Payment.objects.count() == 1


def test_same_key_different_body_is_refused(api):
    api.post("payments", payment_body("10.00"), key="key-1")
    response = api.post("payments", payment_body("11.00"), key="key-1")
    assert response.status_code == 400
    assert response.json() == {
        "type": "error",
        "code": "invalid_request",
        "description": "Idempotence-Key was already used with a different request body",
        "parameter": "Idempotence-Key",
    }
    assert Payment.objects.count() == 1


def test_idempotence_key_is_required(api):
    response = api.post("payments", payment_body(), key=None)
    assert response.status_code == 400
    assert response.json()["parameter"] == "Idempotence-Key"


@pytest.mark.parametrize(
    ("change", "parameter"),
    [
        ({"amount": {"value": "10", "currency": "USD"}}, "amount.currency"),
        ({"amount": {"value": "10.001", "currency": "RUB"}}, "amount.value"),
        ({"amount": {"value": 10.5, "currency": "RUB"}}, "amount.value"),
        ({"amount": {"value": "0.00", "currency": "RUB"}}, "amount.value"),
        ({"amount": {"value": "-1.00", "currency": "RUB"}}, "amount.value"),
        ({"amount": "10.00"}, "amount"),
        ({"capture": False}, "capture"),
        ({"description": "x" * 129}, "description"),
        ({"metadata": ["x"]}, "metadata"),
        ({"save_payment_method": "yes"}, "save_payment_method"),
        ({"confirmation": {"type": "embedded"}}, "confirmation.type"),
        (
            {"confirmation": {"type": "redirect", "return_url": "javascript:x"}},
            "confirmation.return_url",
        ),
        ({"confirmation": None, "payment_method_id": "nope"}, "payment_method_id"),
    ],
)
def test_validation_errors_name_the_parameter(api, change, parameter):
    body = payment_body()
    body.update(change)
    if body.get("confirmation") is None:
        body.pop("confirmation")
    response = api.post("payments", body)
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["type"] == "error"
    assert error["code"] == "invalid_request"
    assert error["parameter"] == parameter
    assert error["description"]
    assert not Payment.objects.exists()


def test_invalid_json_is_an_error(api):
    response = api.client.post(
        "/sandbox-acquirer/api/v3/payments",
        data="{nope",
        content_type="application/json",
        headers={"Authorization": auth_header(), "Idempotence-Key": "k"},
    )
    assert response.status_code == 400
    assert response.json()["type"] == "error"


def test_get_payment(api):
    created = api.create_payment()
    response = api.get(f"payments/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


def test_get_unknown_payment_is_404(api):
    response = api.get("payments/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_get_requires_auth(api):
    created = api.create_payment()
    assert api.get(f"payments/{created['id']}", auth=auth_header(secret="x")).status_code == 401


def test_wrong_method_is_405_json(api):
    response = api.client.get(
        "/sandbox-acquirer/api/v3/payments", headers={"Authorization": auth_header()}
    )
    assert response.status_code == 405
    assert response.json()["type"] == "error"


@override_settings(ABONENT_SANDBOX_ENABLED=False)
def test_everything_is_404_when_disabled(api, client):
    assert api.post("payments", payment_body()).status_code == 404
    assert client.get("/sandbox-acquirer/pay/x").status_code == 404
    assert client.get("/sandbox-acquirer/receipts/x").status_code == 404


@pytest.fixture
def paid(api, client):
    from .conftest import pay_card

    payment = api.create_payment("1000.00")
    pay_card(client, payment, "4111 1111 1111 1111")
    return payment


def refund_body(payment_id: str, value: str) -> dict:
    return {
        "payment_id": payment_id,
        "amount": {"value": value, "currency": "RUB"},
        "description": "Возврат",
    }


def test_refund_answers_the_documented_object(api, paid):
    response = api.post("refunds", refund_body(paid["id"], "300.00"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["amount"] == {"value": "300.00", "currency": "RUB"}
    assert body["payment_id"] == paid["id"]
    assert body["id"] and body["created_at"].endswith("Z")
    assert WebhookDelivery.objects.filter(event="refund.succeeded").count() == 1


def test_refund_is_idempotent(api, paid):
    first = api.post("refunds", refund_body(paid["id"], "300.00"), key="r-1").json()
    second = api.post("refunds", refund_body(paid["id"], "300.00"), key="r-1").json()
    assert first == second
    assert Refund.objects.count() == 1
    assert WebhookDelivery.objects.filter(event="refund.succeeded").count() == 1
    different = api.post("refunds", refund_body(paid["id"], "1.00"), key="r-1")
    assert different.status_code == 400
    assert different.json()["parameter"] == "Idempotence-Key"


def test_over_refund_is_refused(api, paid):
    assert api.post("refunds", refund_body(paid["id"], "600.00")).status_code == 200
    response = api.post("refunds", refund_body(paid["id"], "400.01"))
    assert response.status_code == 400
    assert response.json()["parameter"] == "amount.value"
    assert api.post("refunds", refund_body(paid["id"], "400.00")).status_code == 200
    assert api.post("refunds", refund_body(paid["id"], "0.01")).status_code == 400
    assert sum(r.amount_kop for r in Refund.objects.all()) == 100000


def test_refund_of_a_pending_or_unknown_payment_is_refused(api):
    pending = api.create_payment()
    response = api.post("refunds", refund_body(pending["id"], "1.00"))
    assert response.status_code == 400
    assert response.json()["parameter"] == "payment_id"
    unknown = api.post("refunds", refund_body("00000000-0000-0000-0000-000000000000", "1.00"))
    assert unknown.status_code == 404


def test_succeeded_payment_has_receipt(api, paid, client):
    body = api.get(f"payments/{paid['id']}").json()
    assert body["status"] == "succeeded" and body["paid"] is True
    assert body["receipt_registration"] == "succeeded"
    assert body["receipt_url"] == f"http://testserver/sandbox-acquirer/receipts/{paid['id']}"
    page = client.get(f"/sandbox-acquirer/receipts/{paid['id']}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "1\u00a0000,00\u00a0₽" in html
    assert "Пополнение счёта 10042" in html
    assert client.get(f"/sandbox-acquirer/receipts/{api.create_payment()['id']}").status_code == 404


@override_settings(ABONENT_SANDBOX_PUBLIC_URL="https://pay.example/sandbox-acquirer/")
def test_public_url_setting_overrides_links(api):
    body = api.create_payment()
    assert body["confirmation"]["confirmation_url"] == (
        f"https://pay.example/sandbox-acquirer/pay/{body['id']}"
    )


def test_return_url_is_kept(api):
    assert api.create_payment()["confirmation"]["return_url"] == RETURN_URL
