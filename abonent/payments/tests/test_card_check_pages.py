"""Attaching a card from the cabinet's cards page and through the API: the acquirer's page, the
return page that says "card attached" (not "balance topped up"), the history's "card check …
refunded", the cashiers' view of it — and the balance never moving."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from abonent.accounts.services import token_issue
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import LedgerEntry
from abonent.payments.models import Card, Payment, PaymentPurpose, PaymentStatus, Refund
from abonent.payments.services import payment_refresh, webhook_process
from abonent.payments.tests.test_cabinet_pages import logged_in, once_of
from abonent.staff.tests.factories import make_staff

pytestmark = pytest.mark.django_db

BALANCE = 12_000


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


@pytest.fixture
def account():  # type: ignore[no-untyped-def]
    return AccountFactory(balance_kop=BALANCE)


def attach(client: Client):  # type: ignore[no-untyped-def]
    token = once_of(client.get("/cabinet/pay/cards/"))
    return client.post("/cabinet/pay/cards/attach/", {"once": token}), token


def untouched(account) -> None:  # type: ignore[no-untyped-def]
    account.refresh_from_db()
    assert account.balance_kop == BALANCE
    assert not LedgerEntry.objects.filter(account=account).exists()


def test_cards_page_offers_to_attach_a_card(acquirer, account) -> None:
    body = logged_in(account).get("/cabinet/pay/cards/").content.decode()
    assert 'data-testid="card-attach"' in body and 'action="/cabinet/pay/cards/attach/"' in body
    assert "₽1.00" in body and "your balance does not change" in body


def test_attach_sends_to_the_acquirer_once_for_a_double_click(acquirer, account) -> None:
    client = logged_in(account)
    response, token = attach(client)
    payment = Payment.objects.get(account=account)
    assert response.status_code == 302 and response["Location"] == payment.confirmation_url
    assert payment.purpose == PaymentPurpose.CARD_CHECK and payment.amount_kop == 100
    again = client.post("/cabinet/pay/cards/attach/", {"once": token})
    assert again["Location"] == payment.confirmation_url
    assert Payment.objects.count() == 1 and len(acquirer.payments) == 1
    assert client.get("/cabinet/pay/cards/attach/").status_code == 405
    stale = client.post("/cabinet/pay/cards/attach/", {"once": "forged"}, follow=True)
    assert "The form has expired" in stale.content.decode()
    assert Payment.objects.count() == 1
    untouched(account)


def test_return_page_says_card_attached_and_the_money_goes_back(
    acquirer, account, django_capture_on_commit_callbacks
) -> None:
    client = logged_in(account)
    attach(client)
    payment = Payment.objects.get(account=account)
    url = reverse("payments:return", args=[payment.pk])
    waiting = client.get(url).content.decode()
    assert "Waiting for the bank" in waiting and 'http-equiv="refresh"' in waiting
    acquirer.pay(payment.gateway_payment_id)  # the card page accepted the card
    with django_capture_on_commit_callbacks(execute=True):
        body = client.get(url).content.decode()  # the poll finds it first, before the webhook
    assert 'data-status="succeeded"' in body and 'data-purpose="card_check"' in body
    assert "Card attached" in body and "Visa •••• 1111" in body
    assert "Balance now" not in body and "Paid" not in body
    assert Card.objects.filter(account=account).count() == 1
    payment.refresh_from_db()
    assert payment.refunded_kop == 100 and Refund.objects.get().status == "succeeded"
    assert "has been returned" in client.get(url).content.decode()
    status = client.get(reverse("payments:status", args=[payment.pk])).json()
    assert status["purpose"] == "card_check" and status["final"]
    history = client.get("/cabinet/pay/history/").content.decode()
    assert 'data-testid="card-check"' in history and "Card check" in history
    assert "refunded ₽1.00" in history
    cards = client.get("/cabinet/pay/cards/").content.decode()
    assert "•••• 1111" in cards and "Main card" in cards
    untouched(account)


def test_a_declined_card_shows_the_reason_and_saves_nothing(acquirer, account) -> None:
    client = logged_in(account)
    attach(client)
    payment = Payment.objects.get(account=account)
    acquirer.decline(payment.gateway_payment_id, "card_expired")
    body = client.get(reverse("payments:return", args=[payment.pk])).content.decode()
    assert 'data-status="failed"' in body and "The card was not attached" in body
    assert "The card has expired." in body
    assert 'href="/cabinet/pay/cards/" data-testid="try-again"' in body
    assert not Card.objects.exists() and not Refund.objects.exists()
    assert Payment.objects.get().status == PaymentStatus.FAILED
    untouched(account)


def test_cashiers_see_a_card_check_as_such_without_a_refund_button(
    acquirer, account, django_capture_on_commit_callbacks
) -> None:
    client = logged_in(account)
    attach(client)
    payment = Payment.objects.get(account=account)
    headers, body = acquirer.notification(
        "payment.succeeded", acquirer.pay(payment.gateway_payment_id)
    )
    acquirer.fail_next = ["timeout"]  # its refund not through yet
    with django_capture_on_commit_callbacks(execute=True):
        webhook_process(
            gateway_name="sandbox", headers=headers, raw_body=body, client_ip="127.0.0.1"
        )
    cashier = Client()
    cashier.force_login(make_staff("cashier-cc", "cashier"))
    cashier.cookies["abonent_lang"] = "en"
    body = cashier.get(reverse("staff:account", args=[account.pk])).content.decode()
    row = body[body.index(f'data-payment="{payment.pk}"') :].split("</tr>")[0]
    assert "Card check" in row and "is being returned" in row
    assert 'data-testid="refund"' not in row
    untouched(account)


# --- The API ----------------------------------------------------------------------------------


@pytest.fixture
def auth(account):  # type: ignore[no-untyped-def]
    raw, _ = token_issue(account=account)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def api_attach(auth, key: str | None = "card-1", body=None):  # type: ignore[no-untyped-def]
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return Client().post(
        "/api/v1/me/cards", body or {}, content_type="application/json", **auth, **headers
    )


def test_api_attach_is_201_with_the_acquirers_page_and_idempotent(acquirer, account, auth) -> None:
    first = api_attach(auth, body={"return_url": "https://app.example/cards/done"})
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["purpose"] == "card_check" and data["amount_kop"] == 100
    assert data["status"] == "pending" and data["kind"] == "manual"
    assert data["confirmation_url"].startswith("http://acquirer.test/pay/")
    payment = Payment.objects.get()
    assert payment.return_url == "https://app.example/cards/done"
    again = api_attach(auth, body={"return_url": "https://app.example/cards/done"})
    assert again.status_code == 201 and again.json()["id"] == data["id"]
    assert len(acquirer.payments) == 1
    # then the card appears in GET /cards once the check went through
    acquirer.pay(payment.gateway_payment_id)
    Client().get("/api/v1/me/payments", **auth)  # a read changes nothing
    assert Client().get("/api/v1/me/cards", **auth).json()["count"] == 0
    payment_refresh(payment_id=payment.pk)
    assert Client().get("/api/v1/me/cards", **auth).json()["count"] == 1
    listed = Client().get(f"/api/v1/me/payments/{payment.pk}", **auth).json()
    assert listed["purpose"] == "card_check" and listed["status"] == "succeeded"
    untouched(account)


def test_api_attach_refusals(acquirer, account, auth) -> None:
    assert Client().post("/api/v1/me/cards").status_code == 401
    missing = api_attach(auth, key=None)
    assert missing.status_code == 422
    bad_url = api_attach(auth, key="k2", body={"return_url": "javascript:alert(1)"})
    assert bad_url.status_code == 422 and bad_url.json()["field"] == "return_url"
    Client().post(
        "/api/v1/me/payments",
        {"amount_kop": 50_000},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k3",
        **auth,
    )
    reused = api_attach(auth, key="k3")
    assert reused.status_code == 422 and reused.json()["field"] == "idempotency_key"
    assert not Payment.objects.filter(purpose=PaymentPurpose.CARD_CHECK).exists()
    untouched(account)
