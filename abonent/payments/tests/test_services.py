"""Payment services against the in-process acquirer: idempotency, limits, crediting exactly
once whatever order and how often the notifications come, refunds, cards."""

from __future__ import annotations

import time

import pytest

from abonent.accounts.models import Account, AccountStatus
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.core.errors import ApplicationError, NotFound
from abonent.core.models import AuditEntry
from abonent.payments.gateways.base import GatewayUnavailable
from abonent.payments.models import Card, EventOutcome, Payment, PaymentEvent, PaymentStatus
from abonent.payments.services import (
    autopay_set,
    card_remove,
    card_set_default,
    payment_create,
    payment_refresh,
    refund_create,
    webhook_process,
)
from abonent.payments.tests.factories import CardFactory

pytestmark = pytest.mark.django_db


def deliver(acquirer, event, obj, **kwargs):
    headers, body = acquirer.notification(event, obj, **kwargs)
    return webhook_process(
        gateway_name="sandbox", headers=headers, raw_body=body, client_ip="127.0.0.1"
    )


def credits(account) -> list[int]:
    return list(
        LedgerEntry.objects.filter(account=account, kind=EntryKind.PAYMENT).values_list(
            "amount_kop", flat=True
        )
    )


@pytest.fixture
def account():
    return AccountFactory(balance_kop=0)


def test_create_writes_pending_then_asks_the_gateway(acquirer, account) -> None:
    payment = payment_create(account_id=account.pk, amount_kop=150_050, idempotency_key="k1")
    assert payment.status == PaymentStatus.PENDING
    assert payment.gateway == "sandbox" and payment.gateway_payment_id in acquirer.payments
    assert payment.confirmation_url.startswith("http://acquirer.test/pay/")
    (request,) = acquirer.payment_requests()
    import json

    sent = json.loads(request.content)
    assert sent["amount"] == {"value": "1500.50", "currency": "RUB"}
    assert sent["metadata"]["payment_id"] == str(payment.pk)
    assert sent["confirmation"]["return_url"].endswith(f"/payments/return/{payment.pk}/")
    assert request.headers["idempotence-key"] == f"payment-{payment.pk}"
    assert credits(account) == []


def test_create_is_idempotent_by_key(acquirer, account) -> None:
    first = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="same")
    again = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="same")
    assert again.pk == first.pk
    assert Payment.objects.count() == 1 and len(acquirer.payments) == 1
    with pytest.raises(ApplicationError) as err:
        payment_create(account_id=account.pk, amount_kop=200_000, idempotency_key="same")
    assert err.value.field == "idempotency_key"
    other = AccountFactory()
    theirs = payment_create(account_id=other.pk, amount_kop=100_000, idempotency_key="same")
    assert theirs.pk != first.pk  # keys are per account


@pytest.mark.parametrize(
    ("amount", "ok"),
    [
        (999, False),
        (1000, True),
        (10_000_000, True),
        (10_000_001, False),
        (0, False),
        (-500, False),
    ],
)
def test_limits(acquirer, account, amount, ok) -> None:
    if ok:
        assert payment_create(account_id=account.pk, amount_kop=amount, idempotency_key="x").pk
    else:
        with pytest.raises(ApplicationError) as err:
            payment_create(account_id=account.pk, amount_kop=amount, idempotency_key="x")
        assert err.value.field == "amount_kop"
        assert not Payment.objects.exists() and not acquirer.requests


def test_no_float_amounts(acquirer, account) -> None:
    with pytest.raises(TypeError):
        payment_create(account_id=account.pk, amount_kop=100.0, idempotency_key="f")  # type: ignore[arg-type]


def test_a_card_must_be_the_accounts_own(acquirer, account) -> None:
    card = CardFactory()  # another account's
    with pytest.raises(NotFound):
        payment_create(account_id=account.pk, amount_kop=1000, idempotency_key="c", card_id=card.pk)
    assert not Payment.objects.exists()


def test_gateway_down_leaves_pending_and_a_retry_resumes_with_the_same_gateway_key(
    acquirer, account
) -> None:
    acquirer.fail_next = ["timeout"]
    with pytest.raises(GatewayUnavailable):
        payment_create(account_id=account.pk, amount_kop=50_000, idempotency_key="r")
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PENDING and payment.gateway_payment_id is None
    acquirer.fail_next = ["500"]
    with pytest.raises(GatewayUnavailable):
        payment_create(account_id=account.pk, amount_kop=50_000, idempotency_key="r")
    resumed = payment_create(account_id=account.pk, amount_kop=50_000, idempotency_key="r")
    assert resumed.pk == payment.pk and resumed.gateway_payment_id
    keys = {r.headers["idempotence-key"] for r in acquirer.payment_requests()}
    assert keys == {f"payment-{payment.pk}"} and len(acquirer.payments) == 1


def test_gateway_refusal_fails_the_payment(acquirer, account) -> None:
    CardFactory(account=account, token="tok-unknown-to-acquirer")
    card = Card.objects.get()
    payment = payment_create(
        account_id=account.pk, amount_kop=1000, idempotency_key="g", card_id=card.pk
    )
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason == "gateway_refused"


def test_webhook_alone_credits_once_closed_tab_and_duplicates(acquirer, account) -> None:
    payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="w")
    obj = acquirer.pay(payment.gateway_payment_id)
    # the subscriber closed the tab: only the notification arrives, three times
    outcomes = [deliver(acquirer, "payment.succeeded", obj) for _ in range(3)]
    assert [o.status for o in outcomes] == [200, 200, 200]
    assert [o.outcome for o in outcomes] == ["applied", "duplicate", "duplicate"]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.receipt_url.startswith("http://acquirer.test/receipts/")
    assert credits(account) == [100_000]
    account.refresh_from_db()
    assert account.balance_kop == 100_000
    entry = LedgerEntry.objects.get(kind=EntryKind.PAYMENT)
    assert entry.key == f"sandbox:{payment.gateway_payment_id}"
    assert PaymentEvent.objects.filter(payment=payment).count() == 3


def test_webhook_before_the_create_call_returned(acquirer, account) -> None:
    """The acquirer's answer to our create call was lost; its notification finds our payment
    by the id we put in the metadata."""
    payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="m")
    gid = payment.gateway_payment_id
    Payment.objects.filter(pk=payment.pk).update(gateway_payment_id=None)
    result = deliver(acquirer, "payment.succeeded", acquirer.pay(gid))
    assert result.outcome == EventOutcome.APPLIED
    payment.refresh_from_db()
    assert payment.gateway_payment_id == gid and payment.status == PaymentStatus.SUCCEEDED


def test_out_of_order_events_never_undo_a_credit(acquirer, account) -> None:
    payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="o")
    gid = payment.gateway_payment_id
    pending = dict(acquirer.payments[gid])
    succeeded = dict(acquirer.pay(gid))
    canceled = {
        **succeeded,
        "status": "canceled",
        "cancellation_details": {"party": "issuer", "reason": "general_decline"},
    }
    assert deliver(acquirer, "payment.succeeded", succeeded).outcome == "applied"
    assert deliver(acquirer, "payment.canceled", canceled).status == 200
    assert deliver(acquirer, "payment.waiting_for_capture", pending).status == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert credits(account) == [100_000]


def test_a_decline_then_nothing_credited(acquirer, account) -> None:
    payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="d")
    obj = acquirer.decline(payment.gateway_payment_id, "insufficient_funds")
    assert deliver(acquirer, "payment.canceled", obj).outcome == "applied"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason == "insufficient_funds"
    assert credits(account) == []


def test_amount_or_currency_mismatch_is_refused_and_logged(acquirer, account, caplog) -> None:
    payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="x")
    obj = acquirer.pay(payment.gateway_payment_id)
    for amount in ({"value": "10.00", "currency": "RUB"}, {"value": "1000.00", "currency": "USD"}):
        result = deliver(acquirer, "payment.succeeded", {**obj, "amount": amount})
        assert result.status == 422 and result.outcome == EventOutcome.MISMATCH
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert credits(account) == []
    events = PaymentEvent.objects.filter(outcome=EventOutcome.MISMATCH)
    assert events.count() == 2 and "ours 100000 RUB" in events.first().detail
    assert "not credited" in caplog.text
    # the honest notification still credits afterwards
    assert deliver(acquirer, "payment.succeeded", obj).outcome == "applied"
    assert credits(account) == [100_000]


def test_bad_signature_and_stale_timestamp_change_nothing(acquirer, account) -> None:
    payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="s")
    obj = acquirer.pay(payment.gateway_payment_id)
    forged = deliver(acquirer, "payment.succeeded", obj, secret="guessed")
    stale = deliver(acquirer, "payment.succeeded", obj, at=int(time.time()) - 301)
    future = deliver(acquirer, "payment.succeeded", obj, at=int(time.time()) + 301)
    headers, body = acquirer.notification("payment.succeeded", obj)
    tampered = webhook_process(
        gateway_name="sandbox",
        headers=headers,
        raw_body=body.replace(b"1000.00", b"9000.00"),
        client_ip="127.0.0.1",
    )
    unsigned = webhook_process(
        gateway_name="sandbox", headers={}, raw_body=body, client_ip="127.0.0.1"
    )
    for result in (forged, stale, future, tampered, unsigned):
        assert result.status == 400 and result.outcome == EventOutcome.REJECTED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and credits(account) == []
    assert not PaymentEvent.objects.filter(signature_ok=True).exists()
    # within the tolerance is fine
    assert deliver(acquirer, "payment.succeeded", obj, at=int(time.time()) - 290).status == 200


def test_unknown_payment_is_logged_and_answered(acquirer, account) -> None:
    obj = {"id": "nope", "status": "succeeded", "amount": {"value": "1.00", "currency": "RUB"}}
    result = deliver(acquirer, "payment.succeeded", obj)
    assert result.status == 200 and result.outcome == EventOutcome.UNKNOWN


def test_refresh_reads_the_gateway_when_the_webhook_is_late(acquirer, account) -> None:
    payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="l")
    assert payment_refresh(payment_id=payment.pk).status == PaymentStatus.PENDING
    acquirer.pay(payment.gateway_payment_id)
    assert payment_refresh(payment_id=payment.pk).status == PaymentStatus.SUCCEEDED
    # the webhook that comes afterwards is a duplicate
    obj = acquirer.payments[payment.gateway_payment_id]
    assert deliver(acquirer, "payment.succeeded", obj).outcome == EventOutcome.DUPLICATE
    assert credits(account) == [100_000]


def test_saved_card_then_one_click_and_a_blocked_account_comes_back(acquirer) -> None:
    account = AccountFactory(status=AccountStatus.BLOCKED, balance_kop=-10_000)
    first = payment_create(
        account_id=account.pk, amount_kop=1000, idempotency_key="a", save_card=True
    )
    assert acquirer.payment_requests()[0].read().count(b'"save_payment_method":true') == 1
    deliver(acquirer, "payment.succeeded", acquirer.pay(first.gateway_payment_id))
    card = Card.objects.get(account=account)
    assert (card.brand, card.first6, card.last4, card.expiry_month, card.expiry_year) == (
        "Visa",
        "411111",
        "1111",
        12,
        2030,
    )
    assert card.is_default and card.title == "Visa •••• 1111"
    fee = account.tariff.fee_kop
    second = payment_create(
        account_id=account.pk, amount_kop=fee + 20_000, idempotency_key="b", card_id=card.pk
    )
    assert second.status == PaymentStatus.SUCCEEDED  # a saved card may succeed at once
    assert second.card_id == card.pk and second.card_title == "Visa •••• 1111"
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    assert sorted(credits(account)) == sorted([1000, fee + 20_000])
    assert Card.objects.filter(account=account).count() == 1  # the same token, one card


def test_cards_default_and_removal(acquirer, account) -> None:
    a = CardFactory(account=account, is_default=True)
    b = CardFactory(account=account)
    assert card_set_default(account_id=account.pk, card_id=b.pk).is_default
    a.refresh_from_db()
    assert not a.is_default
    autopay_set(account_id=account.pk, enabled=True)
    card_remove(account_id=account.pk, card_id=b.pk)
    a.refresh_from_db()
    assert a.is_default
    with pytest.raises(NotFound):
        card_remove(account_id=AccountFactory().pk, card_id=a.pk)
    card_remove(account_id=account.pk, card_id=a.pk)
    assert not Card.objects.exists()
    assert not account.autopay.__class__.objects.get(account=account).enabled


def test_autopay_needs_a_card_and_a_valid_rule(account) -> None:
    with pytest.raises(ApplicationError):
        autopay_set(account_id=account.pk, enabled=True)
    CardFactory(account=account, is_default=True)
    with pytest.raises(ApplicationError):
        autopay_set(account_id=account.pk, enabled=True, rule="threshold", topup_kop=5)
    setting = autopay_set(
        account_id=account.pk, enabled=True, rule="threshold", threshold_kop=0, topup_kop=50_000
    )
    assert setting.enabled and setting.topup_kop == 50_000


def _paid(acquirer, account, amount=100_000, key="p") -> Payment:
    payment = payment_create(account_id=account.pk, amount_kop=amount, idempotency_key=key)
    deliver(acquirer, "payment.succeeded", acquirer.pay(payment.gateway_payment_id))
    payment.refresh_from_db()
    return payment


def test_refund_retried_twice_refunds_once(acquirer, account, cashier) -> None:
    payment = _paid(acquirer, account)
    refunds = [
        refund_create(
            payment_id=payment.pk,
            amount_kop=40_000,
            actor=cashier,
            idempotency_key="form-1",
            reason="Subscriber moved away",
        )
        for _ in range(3)
    ]
    assert len({r.pk for r in refunds}) == 1 and refunds[0].status == "succeeded"
    assert len(acquirer.refunds) == 1
    entries = LedgerEntry.objects.filter(kind=EntryKind.REFUND)
    assert [e.amount_kop for e in entries] == [-40_000]
    assert entries[0].key == f"refund:sandbox:{refunds[0].gateway_refund_id}"
    assert entries[0].created_by == cashier
    payment.refresh_from_db()
    assert payment.refunded_kop == 40_000
    assert AuditEntry.objects.filter(action="payment.refund", actor=cashier).count() == 1
    # a notification of the same refund changes nothing
    obj = acquirer.refunds[refunds[0].gateway_refund_id]
    assert deliver(acquirer, "refund.succeeded", obj).outcome == EventOutcome.DUPLICATE
    assert LedgerEntry.objects.filter(kind=EntryKind.REFUND).count() == 1
    with pytest.raises(ApplicationError):
        refund_create(
            payment_id=payment.pk,
            amount_kop=60_001,
            actor=cashier,
            idempotency_key="form-2",
            reason="Too much money",
        )


def test_refund_after_the_gateway_was_down_resumes_with_the_same_key(
    acquirer, account, cashier
) -> None:
    payment = _paid(acquirer, account)
    acquirer.fail_next = ["timeout"]
    with pytest.raises(GatewayUnavailable):
        refund_create(
            payment_id=payment.pk,
            amount_kop=100_000,
            actor=cashier,
            idempotency_key="k",
            reason="Double payment",
        )
    refund = refund_create(
        payment_id=payment.pk,
        amount_kop=100_000,
        actor=cashier,
        idempotency_key="k",
        reason="Double payment",
    )
    assert refund.status == "succeeded" and len(acquirer.refunds) == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.REFUND).count() == 1


def test_only_a_succeeded_payment_is_refunded(acquirer, account, cashier) -> None:
    payment = payment_create(account_id=account.pk, amount_kop=100_000, idempotency_key="q")
    with pytest.raises(ApplicationError):
        refund_create(
            payment_id=payment.pk,
            amount_kop=100,
            actor=cashier,
            idempotency_key="k",
            reason="Not paid yet",
        )
    assert Account.objects.get(pk=account.pk).balance_kop == 0
