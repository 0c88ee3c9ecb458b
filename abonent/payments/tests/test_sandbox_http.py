"""Against the sandbox acquirer of this project, over HTTP only (httpx's WSGI transport into
the in-process site): payments never imports it. Skipped while its API is not there."""

from __future__ import annotations

import httpx
import pytest
from django.core.wsgi import get_wsgi_application

from abonent.accounts.tests.factories import AccountFactory
from abonent.payments.gateways import transport_override
from abonent.payments.gateways.base import GatewayError
from abonent.payments.models import PaymentStatus
from abonent.payments.services import payment_create, payment_refresh

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandbox_site(settings):
    settings.ABONENT_PAYMENT_GATEWAY = "sandbox"
    settings.ABONENT_SANDBOX_API_URL = "http://testserver/sandbox-acquirer/api/v3/"
    settings.ABONENT_SANDBOX_SHOP_ID = "test-shop"
    settings.ABONENT_SANDBOX_SECRET_KEY = "test-secret"
    transport = httpx.WSGITransport(app=get_wsgi_application())
    probe = httpx.Client(transport=transport, base_url="http://testserver")
    answer = probe.get("/sandbox-acquirer/api/v3/payments/probe", auth=("test-shop", "test-secret"))
    if answer.status_code == 404 and "json" not in answer.headers.get("content-type", ""):
        pytest.skip("the sandbox acquirer's API is not mounted yet")
    with transport_override(transport):
        yield


def test_a_payment_through_the_sandbox_acquirer(sandbox_site) -> None:
    account = AccountFactory()
    try:
        payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="s1")
    except GatewayError as exc:  # pragma: no cover - tells what the sandbox refused
        pytest.fail(f"the sandbox refused: {exc}")
    assert payment.status == PaymentStatus.PENDING and payment.gateway_payment_id
    assert "/sandbox-acquirer/" in payment.confirmation_url
    again = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="s1")
    assert again.gateway_payment_id == payment.gateway_payment_id
    assert payment_refresh(payment_id=payment.pk).status == PaymentStatus.PENDING


def test_a_card_check_through_the_sandbox_acquirer(sandbox_site) -> None:
    """Attach a card on the sandbox's own card page (over HTTP, as a browser would): the card
    saved, the rouble refunded by the sandbox right after the success's commit, no ledger."""
    import re

    from abonent.billing.models import LedgerEntry
    from abonent.payments.models import Card, Payment, Refund
    from abonent.payments.services import card_check_create

    account = AccountFactory(balance_kop=12_000)
    check = card_check_create(account_id=account.pk, idempotency_key="cc1")
    assert check.status == PaymentStatus.PENDING and check.amount_kop == 100
    browser = httpx.Client(
        transport=httpx.WSGITransport(app=get_wsgi_application()), base_url="http://testserver"
    )
    page = browser.get(check.confirmation_url.replace("http://testserver", ""))
    assert page.status_code == 200 and "1,00" in page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "the card form carries a CSRF token"
    sent = browser.post(
        page.url.path,
        data={
            "csrfmiddlewaretoken": token.group(1),
            "number": "2200 0000 0000 0004",
            "expiry": "12/30",
            "cvc": "123",
            "holder": "TEST",
        },
    )
    assert sent.status_code == 302, sent.text[:500]
    done = payment_refresh(payment_id=check.pk)  # the return page's poll
    assert done.status == PaymentStatus.SUCCEEDED
    card = Card.objects.get(account=account)
    assert card.last4 == "0004" and done.card_id == card.pk
    refund = Refund.objects.get(payment=check)
    assert refund.status == "succeeded" and refund.gateway_refund_id
    assert Payment.objects.get(pk=check.pk).refunded_kop == 100
    assert not LedgerEntry.objects.filter(account=account).exists()
    account.refresh_from_db()
    assert account.balance_kop == 12_000
