"""The hosted card page and the 3-D Secure page, for every test card and every bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from abonent.sandbox_acquirer.models import Card, Payment, WebhookDelivery

from .conftest import RETURN_URL, pay_card

pytestmark = pytest.mark.django_db


def status_of(payment: dict) -> Payment:
    return Payment.objects.select_related("card").get(pk=payment["id"])


def test_page_shows_the_order_and_the_sandbox_banner(api, client):
    payment = api.create_payment("1500.00")
    response = client.get(f"/sandbox-acquirer/pay/{payment['id']}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sandbox acquirer" in html or "Тестовый эквайер" in html
    assert "1\u00a0500,00\u00a0₽" in html
    assert "Пополнение счёта 10042" in html
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.parametrize(
    ("number", "brand", "last4"),
    [
        ("4111 1111 1111 1111", "Visa", "1111"),
        ("5555 5555 5555 4444", "MasterCard", "4444"),
        ("2200 0000 0000 0004", "Mir", "0004"),
    ],
)
def test_success_cards(api, client, number, brand, last4):
    payment = api.create_payment()
    response = pay_card(client, payment, number)
    assert response.status_code == 302
    assert response["Location"] == RETURN_URL
    row = status_of(payment)
    assert row.status == "succeeded"
    assert (row.card.brand, row.card.last4, row.card.first6) == (
        brand,
        last4,
        number[:7].replace(" ", "")[:6],
    )
    assert (row.card.expiry_month, row.card.expiry_year) == ("12", "2030")
    assert row.card.saved is False
    body = api.get(f"payments/{payment['id']}").json()
    assert body["payment_method"]["card"]["card_type"] == brand
    assert body["payment_method"]["saved"] is False
    assert WebhookDelivery.objects.get().event == "payment.succeeded"


@pytest.mark.parametrize(
    ("number", "reason"),
    [("4000 0000 0000 0002", "insufficient_funds"), ("4000000000000069", "card_expired")],
)
def test_decline_cards(api, client, number, reason):
    payment = api.create_payment(save_payment_method=True)
    response = pay_card(client, payment, number)
    assert response.status_code == 302 and response["Location"] == RETURN_URL
    body = api.get(f"payments/{payment['id']}").json()
    assert body["status"] == "canceled" and body["paid"] is False
    assert body["cancellation_details"] == {"party": "issuer", "reason": reason}
    assert body["payment_method"]["saved"] is False
    assert "receipt_url" not in body
    assert WebhookDelivery.objects.get().event == "payment.canceled"


def test_3ds_with_the_right_code(api, client):
    payment = api.create_payment(save_payment_method=True)
    response = pay_card(client, payment, "4000 0000 0000 3220")
    three_ds = f"/sandbox-acquirer/pay/{payment['id']}/3ds"
    assert response.status_code == 302 and response["Location"] == three_ds
    assert status_of(payment).status == "pending"
    assert not WebhookDelivery.objects.exists()
    # the card page now sends the payer on to the code page
    assert client.get(f"/sandbox-acquirer/pay/{payment['id']}")["Location"] == three_ds
    page = client.get(three_ds)
    assert page.status_code == 200 and "3220" in page.content.decode()
    response = client.post(three_ds, {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == RETURN_URL
    row = status_of(payment)
    assert row.status == "succeeded" and row.card.saved is True
    assert WebhookDelivery.objects.get().event == "payment.succeeded"


def test_3ds_with_a_wrong_code_fails(api, client):
    payment = api.create_payment()
    pay_card(client, payment, "4000000000003220")
    response = client.post(f"/sandbox-acquirer/pay/{payment['id']}/3ds", {"code": "000000"})
    assert response.status_code == 302 and response["Location"] == RETURN_URL
    body = api.get(f"payments/{payment['id']}").json()
    assert body["cancellation_details"]["reason"] == "3d_secure_failed"
    assert WebhookDelivery.objects.get().event == "payment.canceled"


def test_3ds_empty_code_stays_on_the_page(api, client):
    payment = api.create_payment()
    pay_card(client, payment, "4000000000003220")
    response = client.post(f"/sandbox-acquirer/pay/{payment['id']}/3ds", {"code": ""})
    assert response.status_code == 400
    assert status_of(payment).status == "pending"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"number": "4111 1111 1111 1112"}, "number", "check the digits"),
        ({"number": "4111 11"}, "number", "13 to 19 digits"),
        ({"number": "4242 4242 4242 4242"}, "number", "only the test cards"),
        ({"expiry": "01/20"}, "expiry", "expired"),
        ({"expiry": "13/30"}, "expiry", "MM/YY"),
        ({"cvc": "12"}, "cvc", "3 digits"),
        ({"cvc": "12a"}, "cvc", "3 digits"),
    ],
)
def test_errors_keep_holder_and_expiry_but_not_number_and_cvc(api, change, field, message):
    client = Client(headers={"Accept-Language": "en"}, enforce_csrf_checks=False)
    client.cookies["abonent_lang"] = "en"
    payment = api.create_payment()
    typed = {
        "number": "4111 1111 1111 1111",
        "expiry": "11/31",
        "cvc": "987",
        "holder": "MARIA IVANOVA",
    }
    typed.update(change)
    response = pay_card(client, payment, typed.pop("number"), **typed)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "has-error" in html
    assert 'value="MARIA IVANOVA"' in html
    if field != "expiry":
        assert 'value="11/31"' in html
    assert 'value="' + change.get("expiry", "11/31") + '"' in html
    digits = "".join(ch for ch in html if ch.isdigit() or ch == "\n")
    for secret in ("4111111111111111", "41111111111111", "4242424242424242"):
        assert f'value="{secret}' not in html
    assert 'value="987"' not in html and 'value="12"' not in html and 'value="12a"' not in html
    assert "4111 1111 1111 1112" not in html and "4242 4242 4242 4242" not in html
    assert digits  # the page rendered
    assert status_of(payment).status == "pending"
    assert not Card.objects.exists()


def test_spaces_and_dashes_in_the_number_are_allowed(api, client):
    payment = api.create_payment()
    assert pay_card(client, payment, " 4111-1111 1111-1111 ").status_code == 302
    assert status_of(payment).status == "succeeded"


def test_csrf_is_enforced_on_the_card_form(api):
    client = Client(enforce_csrf_checks=True)
    payment = api.create_payment()
    assert pay_card(client, payment, "4111 1111 1111 1111").status_code == 403
    assert status_of(payment).status == "pending"


def test_a_final_payment_sends_the_browser_back(api, client):
    payment = api.create_payment()
    pay_card(client, payment, "4111 1111 1111 1111")
    assert client.get(f"/sandbox-acquirer/pay/{payment['id']}")["Location"] == RETURN_URL
    again = pay_card(client, payment, "4000 0000 0000 0002")
    assert again["Location"] == RETURN_URL
    assert status_of(payment).status == "succeeded"
    assert WebhookDelivery.objects.count() == 1


def test_cancel_and_return(api, client):
    payment = api.create_payment()
    response = client.post(f"/sandbox-acquirer/pay/{payment['id']}/cancel")
    assert response["Location"] == RETURN_URL
    body = api.get(f"payments/{payment['id']}").json()
    assert body["status"] == "canceled"
    assert body["cancellation_details"]["reason"] == "expired_on_confirmation"


def test_unknown_payment_page_is_404(client, db):
    assert client.get("/sandbox-acquirer/pay/nope").status_code == 404


def test_russian_page(api, client):
    payment = api.create_payment()
    html = client.get(f"/sandbox-acquirer/pay/{payment['id']}").content.decode()
    assert "Номер карты" in html
    assert "только тестовые платежи" in html
