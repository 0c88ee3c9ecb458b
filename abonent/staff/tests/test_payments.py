"""Card payments in the back office: the account page's section, cashiers' refunds (confirmed,
exactly once), and the list of payment problems."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.payments.gateways import transport_override
from abonent.payments.models import EventOutcome, PaymentEvent, PaymentStatus, Refund
from abonent.payments.services import payment_create
from abonent.payments.services.payments import payment_refresh
from abonent.payments.tests.factories import PaymentFactory
from abonent.payments.tests.fake_acquirer import SETTINGS, FakeAcquirer
from abonent.staff.tests.factories import make_staff

pytestmark = pytest.mark.django_db
REASON = "Подключение не состоялось"


@pytest.fixture
def acquirer(settings):
    for name, value in SETTINGS.items():
        setattr(settings, name, value)
    fake = FakeAcquirer()
    with transport_override(fake.transport()):
        yield fake


@pytest.fixture
def paid(acquirer):
    """An account with a succeeded 1 000 ₽ card payment."""
    account = AccountFactory(balance_kop=0)
    payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="p1")
    acquirer.pay(payment.gateway_payment_id)
    payment = payment_refresh(payment_id=payment.pk)
    assert payment.status == PaymentStatus.SUCCEEDED
    account.refresh_from_db()
    return account, payment


def signed_in(*roles: str, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(make_staff(f"u-{'-'.join(roles) or 'none'}", *roles))
    client.cookies["abonent_lang"] = "en"
    return client


def once_of(response) -> str:
    match = re.search(r'name="once" value="([^"]+)"', response.content.decode())
    assert match
    return match.group(1)


def refund_url(account, payment) -> str:
    return reverse("staff:payment_refund", args=[account.pk, payment.pk])


def test_account_page_shows_card_payments_to_cashiers_only(paid) -> None:
    account, payment = paid
    body = signed_in("cashier").get(reverse("staff:account", args=[account.pk])).content.decode()
    assert 'data-testid="account-payments"' in body
    assert refund_url(account, payment) in body
    support = signed_in("support").get(reverse("staff:account", args=[account.pk]))
    assert 'data-testid="account-payments"' not in support.content.decode()


def test_refund_confirm_then_once(paid, acquirer) -> None:
    account, payment = paid
    client = signed_in("cashier")
    form = client.get(refund_url(account, payment))
    assert 'value="1000"' in form.content.decode()  # what is left, filled in
    data = {"once": once_of(form), "amount": "400", "reason": REASON}
    preview = client.post(refund_url(account, payment), data)
    assert preview.status_code == 200
    assert 'data-testid="refund-preview"' in preview.content.decode()
    assert not Refund.objects.exists()
    done = client.post(refund_url(account, payment), {**data, "confirm": "1"})
    again = client.post(refund_url(account, payment), {**data, "confirm": "1"})
    assert done.status_code == again.status_code == 302
    refund = Refund.objects.get()
    assert refund.amount_kop == 40_000 and refund.status == "succeeded"
    entry = LedgerEntry.objects.get(account=account, kind=EntryKind.REFUND)
    assert entry.amount_kop == -40_000
    payment.refresh_from_db()
    assert payment.refunded_kop == 40_000
    assert len([r for r in acquirer.requests if r.url.path.endswith("/refunds")]) == 1


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("1000,01", REASON, "more than is left"),
        ("0", REASON, "positive amount"),
        ("abc", REASON, "Enter an amount in roubles"),
        ("100", "", "Give the reason"),
        ("100", "мало", "at least 5 characters"),
    ],
)
def test_refund_errors_keep_input(paid, amount, reason, message) -> None:
    account, payment = paid
    client = signed_in("admin")
    form = client.get(refund_url(account, payment))
    data = {"once": once_of(form), "amount": amount, "reason": reason}
    response = client.post(refund_url(account, payment), {**data, "confirm": "1"})
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body
    assert f'value="{amount}"' in body
    assert not Refund.objects.exists()


def test_refund_of_a_failed_payment_or_anothers_is_refused(acquirer) -> None:
    account = AccountFactory()
    failed = PaymentFactory(account=account, status=PaymentStatus.FAILED)
    client = signed_in("cashier")
    form = client.get(refund_url(account, failed))
    response = client.post(
        refund_url(account, failed),
        {"once": once_of(form), "amount": "10", "reason": REASON, "confirm": "1"},
    )
    assert response.status_code == 422
    assert "Only a successful payment" in response.content.decode()
    theirs = PaymentFactory(status=PaymentStatus.SUCCEEDED)
    assert client.get(refund_url(account, theirs)).status_code == 404


def test_refund_needs_csrf(paid) -> None:
    account, payment = paid
    client = signed_in("cashier", enforce_csrf_checks=True)
    form = client.get(refund_url(account, payment))
    response = client.post(
        refund_url(account, payment),
        {"once": once_of(form), "amount": "10", "reason": REASON, "confirm": "1"},
    )
    assert response.status_code == 403
    assert not Refund.objects.exists()


def test_problems_list_failed_payments_and_refused_events(django_assert_num_queries) -> None:
    account = AccountFactory()
    PaymentFactory(
        account=account, status=PaymentStatus.FAILED, failure_reason="insufficient_funds"
    )
    PaymentFactory(account=account, status=PaymentStatus.SUCCEEDED, amount_kop=12_345)
    PaymentEvent.objects.create(
        gateway="sandbox",
        event_type="payment.succeeded",
        gateway_object_id="gw-x",
        outcome=EventOutcome.MISMATCH,
        detail="amount differs",
        signature_ok=True,
    )
    PaymentEvent.objects.create(gateway="sandbox", outcome=EventOutcome.APPLIED)
    client = signed_in("cashier")
    client.get(reverse("staff:payment_problems"))
    with django_assert_num_queries(7):
        response = client.get(reverse("staff:payment_problems"))
    body = response.content.decode()
    assert "Not enough money on the card." in body
    assert "123.45" not in body and "123,45" not in body
    assert "amount differs" in body and "gw-x" in body
    assert body.count("<tr>") == 2 + 2  # two header rows, one payment, one event
