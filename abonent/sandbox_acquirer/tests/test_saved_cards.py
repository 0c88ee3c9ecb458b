"""The saved-card token flow: save on the hosted page, charge by payment_method_id."""

from __future__ import annotations

import pytest

from abonent.sandbox_acquirer.models import Card, WebhookDelivery

from .conftest import pay_card, payment_body

pytestmark = pytest.mark.django_db


def saved_token(api, client, number: str = "5555 5555 5555 4444") -> str:
    payment = api.create_payment("1.00", save_payment_method=True)
    pay_card(client, payment, number)
    body = api.get(f"payments/{payment['id']}").json()
    assert body["status"] == "succeeded"
    assert body["payment_method"]["saved"] is True
    return body["payment_method"]["id"]


def charge_body(token: str, value: str = "500.00") -> dict:
    body = payment_body(value, payment_method_id=token)
    body.pop("confirmation")
    return body


def test_saved_card_is_charged_at_once(api, client):
    token = saved_token(api, client)
    card = Card.objects.get(pk=token)
    assert (card.first6, card.last4, card.brand) == ("555555", "4444", "MasterCard")
    response = api.post("payments", charge_body(token))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "succeeded" and body["paid"] is True
    assert body["payment_method"]["id"] == token
    assert body["payment_method"]["card"]["last4"] == "4444"
    assert "confirmation" not in body
    events = list(WebhookDelivery.objects.order_by("id").values_list("event", "object_id"))
    assert events[-1] == ("payment.succeeded", body["id"])


def test_saved_card_charge_is_idempotent(api, client):
    token = saved_token(api, client)
    first = api.post("payments", charge_body(token), key="autopay-1").json()
    second = api.post("payments", charge_body(token), key="autopay-1").json()
    assert first == second
    assert WebhookDelivery.objects.filter(object_id=first["id"]).count() == 1


def test_card_saved_from_the_decline_later_card_declines(api, client):
    token = saved_token(api, client, "4000 0000 0000 0341")
    body = api.post("payments", charge_body(token)).json()
    assert body["status"] == "canceled"
    assert body["cancellation_details"]["reason"] == "insufficient_funds"
    assert WebhookDelivery.objects.filter(object_id=body["id"]).get().event == "payment.canceled"


def test_card_not_asked_to_be_saved_cannot_be_charged(api, client):
    payment = api.create_payment()
    pay_card(client, payment, "4111 1111 1111 1111")
    token = api.get(f"payments/{payment['id']}").json()["payment_method"]["id"]
    response = api.post("payments", charge_body(token))
    assert response.status_code == 400
    assert response.json()["parameter"] == "payment_method_id"


def test_card_saved_after_3ds_is_charged_without_it(api, client):
    payment = api.create_payment(save_payment_method=True)
    pay_card(client, payment, "4000 0000 0000 3220")
    client.post(f"/sandbox-acquirer/pay/{payment['id']}/3ds", {"code": "123456"})
    token = api.get(f"payments/{payment['id']}").json()["payment_method"]["id"]
    assert api.post("payments", charge_body(token)).json()["status"] == "succeeded"
