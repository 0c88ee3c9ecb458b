"""The notification endpoint and the return page."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from django.test import Client

from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.payments.gateways import transport_override
from abonent.payments.models import EventOutcome, Payment, PaymentEvent, PaymentStatus
from abonent.payments.services import payment_create
from abonent.payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"


def post_webhook(client, acquirer, event, obj, gateway="sandbox", **kwargs):
    headers, body = acquirer.notification(event, obj, **kwargs)
    return client.post(
        f"/payments/webhooks/{gateway}/",
        body,
        content_type="application/json",
        headers=headers,
    )


def logged_in(account) -> Client:
    client = Client()
    response = client.post(
        "/cabinet/login/", {"contract": account.contract, "password": ACCOUNT_PASSWORD}
    )
    assert response.status_code == 302
    return client


def test_webhook_endpoint_statuses(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="v")
    obj = acquirer.pay(payment.gateway_payment_id)
    client = Client(enforce_csrf_checks=True)
    assert post_webhook(client, acquirer, "payment.succeeded", obj, secret="x").status_code == 400
    wrong = {**obj, "amount": {"value": "1.00", "currency": "RUB"}}
    assert post_webhook(client, acquirer, "payment.succeeded", wrong).status_code == 422
    ok = post_webhook(client, acquirer, "payment.succeeded", obj)
    assert ok.status_code == 200 and ok.json() == {"outcome": "applied"}
    assert post_webhook(client, acquirer, "payment.succeeded", obj).json() == {
        "outcome": "duplicate"
    }
    assert (
        post_webhook(client, acquirer, "payment.succeeded", obj, gateway="paypal").status_code
        == 404
    )
    assert client.get("/payments/webhooks/sandbox/").status_code == 405
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 1


def test_yookassa_webhook_rereads_the_payment(settings) -> None:
    settings.ABONENT_YOOKASSA_SHOP_ID = "100500"
    settings.ABONENT_YOOKASSA_SECRET_KEY = "test_secret"
    settings.ABONENT_YOOKASSA_API_URL = "http://yookassa.test/v3/"
    settings.ABONENT_YOOKASSA_ALLOWED_IPS = "185.71.76.0/27, 77.75.156.11"
    account = AccountFactory(balance_kop=0)
    notification = json.loads((FIXTURES / "yookassa_notification.json").read_text())
    gid = notification["object"]["id"]
    payment = PaymentFactory(
        account=account, gateway="yookassa", gateway_payment_id=gid, amount_kop=200
    )
    state = {"status": "pending"}
    reads: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        reads.append(request.url.path)
        recorded = json.loads((FIXTURES / "yookassa_payment_succeeded.json").read_text())
        return httpx.Response(200, json={**recorded, "status": state["status"]})

    body = json.dumps(notification)
    client = Client()
    with transport_override(httpx.MockTransport(api)):
        foreign = client.post(
            "/payments/webhooks/yookassa/",
            body,
            content_type="application/json",
            REMOTE_ADDR="203.0.113.9",
        )
        assert foreign.status_code == 400 and not reads
        # the body says succeeded, YooKassa itself still says pending: nothing is credited
        early = client.post(
            "/payments/webhooks/yookassa/",
            body,
            content_type="application/json",
            REMOTE_ADDR="185.71.76.10",
        )
        assert early.status_code == 200 and early.json()["outcome"] == "ignored"
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.PENDING
        state["status"] = "succeeded"
        late = client.post(
            "/payments/webhooks/yookassa/",
            body,
            content_type="application/json",
            REMOTE_ADDR="77.75.156.11",
        )
        assert late.json()["outcome"] == "applied"
    assert reads == [f"/v3/payments/{gid}"] * 2
    entry = LedgerEntry.objects.get(kind=EntryKind.PAYMENT)
    assert entry.amount_kop == 200 and entry.key == f"yookassa:{gid}"
    assert PaymentEvent.objects.filter(outcome=EventOutcome.REJECTED).count() == 1


def test_return_page_shows_our_record_and_refreshes_until_final(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="rp")
    client = logged_in(account)
    url = f"/payments/return/{payment.pk}/"
    pending = client.get(url + "?status=succeeded")  # query parameters are never trusted
    assert pending.status_code == 200
    body = pending.content.decode()
    assert 'data-status="pending"' in body and 'http-equiv="refresh"' in body
    assert client.get(url + "status/").json()["status"] == "pending"
    # the webhook is late: the page asks the gateway itself
    acquirer.pay(payment.gateway_payment_id)
    done = client.get(url).content.decode()
    assert 'data-status="succeeded"' in done and 'http-equiv="refresh"' not in done
    status = client.get(url + "status/").json()
    assert status["final"] is True and status["amount_kop"] == 100_000
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 1


def test_webhook_before_the_subscriber_returns(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="wb")
    post_webhook(Client(), acquirer, "payment.succeeded", acquirer.pay(payment.gateway_payment_id))
    page = logged_in(account).get(f"/payments/return/{payment.pk}/").content.decode()
    assert 'data-status="succeeded"' in page


def test_failed_payment_shows_the_reason(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="fr")
    post_webhook(
        Client(), acquirer, "payment.canceled", acquirer.decline(payment.gateway_payment_id)
    )
    client = logged_in(account)
    client.cookies.load({"abonent_lang": "en"})
    page = client.get(f"/payments/return/{payment.pk}/").content.decode()
    assert 'data-status="failed"' in page and "Not enough money on the card." in page


def test_return_page_is_only_for_its_own_account(acquirer) -> None:
    mine, other = AccountFactory(), AccountFactory()
    theirs = payment_create(account_id=other.pk, amount_kop=100_000, idempotency_key="t")
    url = f"/payments/return/{theirs.pk}/"
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/cabinet/login/")
    client = logged_in(mine)
    assert client.get(url).status_code == 404
    assert client.get(url + "status/").status_code == 404
    assert client.get("/payments/return/999999/").status_code == 404
    assert Payment.objects.get(pk=theirs.pk).status == PaymentStatus.PENDING


def test_the_return_page_speaks_russian(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="ru")
    post_webhook(
        Client(), acquirer, "payment.canceled", acquirer.decline(payment.gateway_payment_id)
    )
    page = logged_in(account).get(f"/payments/return/{payment.pk}/").content.decode()
    assert "На карте недостаточно денег." in page and "Платёж не прошёл" in page
