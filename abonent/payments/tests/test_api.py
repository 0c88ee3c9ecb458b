"""The payments API under /api/v1/me: own account only, idempotency key required."""

from __future__ import annotations

import pytest
from django.test import Client

from abonent.accounts.services import token_issue
from abonent.accounts.tests.factories import AccountFactory
from abonent.payments.models import Card, Payment
from abonent.payments.tests.factories import CardFactory, PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def me():
    account = AccountFactory(balance_kop=0)
    raw, _ = token_issue(account=account)
    return account, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client, auth, body, key="key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        "/api/v1/me/payments", body, content_type="application/json", **auth, **headers
    )


def test_anonymous_is_401() -> None:
    client = Client()
    for method, url in [
        ("post", "/api/v1/me/payments"),
        ("get", "/api/v1/me/payments"),
        ("get", "/api/v1/me/cards"),
        ("delete", "/api/v1/me/cards/1"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 401 and response.json()["code"] == "unauthorized"


def test_create_is_201_and_idempotent(acquirer, me) -> None:
    account, auth = me
    client = Client()
    first = post(client, auth, {"amount_kop": 150_000, "save_card": True})
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["status"] == "pending" and data["amount_kop"] == 150_000
    assert data["confirmation_url"].startswith("http://acquirer.test/pay/")
    again = post(client, auth, {"amount_kop": 150_000, "save_card": True})
    assert again.status_code == 201 and again.json()["id"] == data["id"]
    assert Payment.objects.count() == 1
    reused = post(client, auth, {"amount_kop": 1_000})
    assert reused.status_code == 422 and reused.json()["field"] == "idempotency_key"


def test_refusals_are_422(acquirer, me) -> None:
    _account, auth = me
    client = Client()
    missing_key = post(client, auth, {"amount_kop": 1000}, key=None)
    assert missing_key.status_code == 422
    for amount in (999, 10_000_001):
        response = post(client, auth, {"amount_kop": amount}, key=f"k{amount}")
        assert response.status_code == 422 and response.json()["field"] == "amount_kop"
    not_int = post(client, auth, {"amount_kop": "сто"}, key="s")
    assert not_int.status_code == 422
    bad_url = post(client, auth, {"amount_kop": 1000, "return_url": "javascript:x"}, key="u")
    assert bad_url.status_code == 422 and bad_url.json()["field"] == "return_url"
    assert not Payment.objects.exists()


def test_someone_elses_card_or_payment_is_404(acquirer, me) -> None:
    _account, auth = me
    client = Client()
    card = CardFactory()
    payment = PaymentFactory()
    assert post(client, auth, {"amount_kop": 1000, "card_id": card.pk}).status_code == 404
    assert client.get(f"/api/v1/me/payments/{payment.pk}", **auth).status_code == 404
    assert client.delete(f"/api/v1/me/cards/{card.pk}", **auth).status_code == 404
    assert Card.objects.filter(pk=card.pk).exists()


def test_one_click_with_a_saved_card(acquirer, me) -> None:
    account, auth = me
    card = CardFactory(account=account, token="tok-1", is_default=True)
    acquirer.add_token("tok-1")
    response = post(Client(), auth, {"amount_kop": 50_000, "card_id": card.pk})
    data = response.json()
    assert response.status_code == 201 and data["status"] == "succeeded" and data["final"]
    assert data["card"] == "Visa •••• 1111" and data["confirmation_url"] is None
    account.refresh_from_db()
    assert account.balance_kop == 50_000


def test_list_and_get(acquirer, me) -> None:
    account, auth = me
    client = Client()
    for i in range(3):
        PaymentFactory(account=account, amount_kop=1000 * (i + 1))
    PaymentFactory()  # someone else's
    page = client.get("/api/v1/me/payments?limit=2", **auth).json()
    assert page["count"] == 3 and len(page["items"]) == 2
    assert page["items"][0]["amount_kop"] == 3000
    rest = client.get("/api/v1/me/payments?limit=2&offset=2", **auth).json()
    assert [p["amount_kop"] for p in rest["items"]] == [1000]
    assert client.get("/api/v1/me/payments?limit=0", **auth).status_code == 422
    one = client.get(f"/api/v1/me/payments/{page['items'][0]['id']}", **auth)
    assert one.status_code == 200 and one.json()["status"] == "pending"


def test_cards_list_and_delete(me) -> None:
    account, auth = me
    client = Client()
    default = CardFactory(account=account, is_default=True, last4="4444", brand="MasterCard")
    other = CardFactory(account=account)
    CardFactory()
    cards = client.get("/api/v1/me/cards", **auth).json()
    assert cards["count"] == 2
    first = cards["items"][0]
    assert first["id"] == default.pk and first["title"] == "MasterCard •••• 4444"
    assert first["expiry"] == "12/30" and "token" not in first
    assert client.delete(f"/api/v1/me/cards/{default.pk}", **auth).status_code == 204
    other.refresh_from_db()
    assert other.is_default
    assert client.delete(f"/api/v1/me/cards/{default.pk}", **auth).status_code == 404
