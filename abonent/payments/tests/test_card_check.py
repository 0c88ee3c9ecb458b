"""Attaching a card without paying: a 1 ₽ check that saves the card and is refunded through
the gateway at once, exactly once, whatever order and how often its notifications come —
and never a ledger entry, never a move of the balance."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from abonent.accounts.models import Account
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import LedgerEntry
from abonent.core.errors import ApplicationError
from abonent.messaging.management.commands.worker import worker_round
from abonent.payments.gateways.base import GatewayUnavailable
from abonent.payments.models import (
    Card,
    EventOutcome,
    Payment,
    PaymentPurpose,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from abonent.payments.selectors import (
    payment_problem_list,
    payment_refundable_kop,
    payment_status_text,
)
from abonent.payments.services import (
    card_check_create,
    payment_create,
    payment_refresh,
    refund_create,
    webhook_process,
)
from abonent.payments.services.card_check import card_check_refund

pytestmark = pytest.mark.django_db

BALANCE = 12_000


def deliver(acquirer, event, obj):  # type: ignore[no-untyped-def]
    headers, body = acquirer.notification(event, obj)
    return webhook_process(
        gateway_name="sandbox", headers=headers, raw_body=body, client_ip="127.0.0.1"
    )


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


@pytest.fixture
def account():  # type: ignore[no-untyped-def]
    return AccountFactory(balance_kop=BALANCE)


def untouched(account) -> None:  # type: ignore[no-untyped-def]
    """The balance is where it was and the account has no ledger entry at all."""
    assert Account.objects.get(pk=account.pk).balance_kop == BALANCE
    assert not LedgerEntry.objects.filter(account=account).exists()


def check_paid(acquirer, account, key: str = "c1"):  # type: ignore[no-untyped-def]
    """A card check created and paid on the acquirer's page (the card saved there)."""
    payment = card_check_create(account_id=account.pk, idempotency_key=key)
    return payment, acquirer.pay(payment.gateway_payment_id)


def test_create_asks_for_one_rouble_that_saves_the_card(acquirer, account) -> None:
    payment = card_check_create(account_id=account.pk, idempotency_key="c")
    assert payment.purpose == PaymentPurpose.CARD_CHECK and payment.is_card_check
    assert payment.amount_kop == 100 and payment.save_card
    assert payment.status == PaymentStatus.PENDING
    assert payment.confirmation_url.startswith("http://acquirer.test/pay/")
    import json

    (request,) = acquirer.payment_requests()
    sent = json.loads(request.content)
    assert sent["amount"] == {"value": "1.00", "currency": "RUB"}
    assert sent["save_payment_method"] is True and "confirmation" in sent
    assert sent["description"].startswith("Card check")
    # idempotent by key; a key of a top-up is refused here, and the other way round
    assert card_check_create(account_id=account.pk, idempotency_key="c").pk == payment.pk
    assert len(acquirer.payments) == 1
    with pytest.raises(ApplicationError) as err:
        payment_create(account_id=account.pk, amount_kop=100, idempotency_key="c")
    assert err.value.code in ("idempotency_key_reused", "amount_out_of_range")
    payment_create(account_id=account.pk, amount_kop=50_000, idempotency_key="t")
    with pytest.raises(ApplicationError) as err:
        card_check_create(account_id=account.pk, idempotency_key="t")
    assert err.value.code == "idempotency_key_reused"
    untouched(account)


def test_webhook_saves_the_card_and_refunds_once_under_duplicates(
    acquirer, account, django_capture_on_commit_callbacks
) -> None:
    payment, obj = check_paid(acquirer, account)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outcomes = [deliver(acquirer, "payment.succeeded", obj).outcome for _ in range(3)]
    assert outcomes == ["applied", "duplicate", "duplicate"]
    assert len(callbacks) == 1  # one attempt at the refund, by the one that applied
    payment.refresh_from_db()
    card = Card.objects.get(account=account)
    assert payment.status == PaymentStatus.SUCCEEDED and payment.card == card
    assert card.last4 == "1111" and card.is_default
    assert payment.ledger_entry is None and payment.refunded_kop == 100
    refund = Refund.objects.get(payment=payment)
    assert refund.status == RefundStatus.SUCCEEDED and refund.ledger_entry is None
    assert refund.actor is None and refund.gateway_refund_id in acquirer.refunds
    assert [r["amount"] for r in acquirer.refunds.values()] == [
        {"value": "1.00", "currency": "RUB"}
    ]
    assert "is attached" in payment_status_text(payment)
    assert "returned" in payment_status_text(payment)
    untouched(account)


def test_out_of_order_events_and_a_second_worker_refund_nothing_more(
    acquirer, account, django_capture_on_commit_callbacks
) -> None:
    payment, obj = check_paid(acquirer, account)
    canceled = {**obj, "status": "canceled", "cancellation_details": {"reason": "x"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(acquirer, "payment.succeeded", obj).outcome == EventOutcome.APPLIED
    refund = Refund.objects.get(payment=payment)
    # the refund's own notification, a late "canceled" and a late "pending": nothing changes
    refund_obj = acquirer.refunds[refund.gateway_refund_id]
    assert deliver(acquirer, "refund.succeeded", refund_obj).outcome == EventOutcome.DUPLICATE
    assert deliver(acquirer, "payment.canceled", canceled).outcome == EventOutcome.DUPLICATE
    assert deliver(acquirer, "payment.waiting_for_capture", obj).status == 200
    # the task written with the success runs later (a worker): the refund is already done
    assert DBTaskResult.objects.filter(task_path__endswith="card_check_refund_task").count() == 1
    worker_round()
    assert payment_refresh(payment_id=payment.pk).status == PaymentStatus.SUCCEEDED
    assert card_check_refund(payment_id=payment.pk).status == RefundStatus.SUCCEEDED
    assert len(acquirer.refunds) == 1 and Refund.objects.count() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.refunded_kop == 100
    untouched(account)


def test_the_return_page_first_then_the_webhook(
    acquirer, account, django_capture_on_commit_callbacks
) -> None:
    payment, obj = check_paid(acquirer, account)
    with django_capture_on_commit_callbacks(execute=True):
        refreshed = payment_refresh(payment_id=payment.pk)
    assert refreshed.status == PaymentStatus.SUCCEEDED
    assert deliver(acquirer, "payment.succeeded", obj).outcome == EventOutcome.DUPLICATE
    assert Card.objects.filter(account=account).count() == 1
    assert len(acquirer.refunds) == 1
    assert Payment.objects.get(pk=payment.pk).refunded_kop == 100
    untouched(account)


def test_a_refund_the_gateway_did_not_answer_is_resumed_with_the_same_key(
    acquirer, account, django_capture_on_commit_callbacks
) -> None:
    payment, obj = check_paid(acquirer, account)
    acquirer.fail_next = ["timeout"]  # the first attempt, right after the commit
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(acquirer, "payment.succeeded", obj).outcome == EventOutcome.APPLIED
    refund = Refund.objects.get(payment=payment)
    assert refund.status == RefundStatus.PENDING and not acquirer.refunds
    payment.refresh_from_db()
    assert payment.card_check_refund_pending
    assert "being returned" in payment_status_text(payment)
    acquirer.fail_next = ["500"]  # the worker's first try: asked again later
    worker_round()
    retry = DBTaskResult.objects.filter(task_path__endswith="card_check_refund_task").latest(
        "enqueued_at"
    )
    assert retry.args_kwargs["kwargs"] == {"payment_id": payment.pk, "attempt": 2}
    assert retry.run_after is not None
    # the return page polls meanwhile: it asks the gateway itself
    assert payment_refresh(payment_id=payment.pk).refunded_kop == 100
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and len(acquirer.refunds) == 1
    keys = {
        r.headers["idempotence-key"] for r in acquirer.requests if r.url.path.endswith("/refunds")
    }
    assert keys == {f"refund-{refund.pk}"}
    untouched(account)


def test_a_refused_refund_is_left_for_cashiers(
    acquirer, account, django_capture_on_commit_callbacks, caplog
) -> None:
    payment, obj = check_paid(acquirer, account)
    obj = dict(obj)  # the notification carries it as it was
    acquirer.payments[payment.gateway_payment_id]["status"] = "canceled"  # refunds refused
    with django_capture_on_commit_callbacks(execute=True):
        deliver(acquirer, "payment.succeeded", obj)
    refund = Refund.objects.get(payment=payment)
    assert refund.status == RefundStatus.FAILED
    payment.refresh_from_db()
    assert payment.failure_reason == "refund_refused" and not payment.card_check_refund_pending
    assert list(payment_problem_list()) == [payment]
    assert "return it ourselves" in payment_status_text(payment)
    assert "refund by hand" in caplog.text or "by hand" in caplog.text
    untouched(account)


def test_a_declined_card_saves_nothing_and_shows_why(acquirer, account) -> None:
    payment = card_check_create(account_id=account.pk, idempotency_key="d")
    obj = acquirer.decline(payment.gateway_payment_id, "insufficient_funds")
    assert deliver(acquirer, "payment.canceled", obj).outcome == EventOutcome.APPLIED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason == "insufficient_funds"
    assert payment_status_text(payment) == "Not enough money on the card."
    assert not Card.objects.exists() and not Refund.objects.exists() and not acquirer.refunds
    # a late "succeeded" for the same check after the decline is not the card's (nothing saved
    # as a declined card never is), but a success after all would save it and refund it
    untouched(account)


def test_a_card_the_bank_did_not_let_us_save(
    acquirer, account, django_capture_on_commit_callbacks
) -> None:
    payment = card_check_create(account_id=account.pk, idempotency_key="u")
    acquirer.payments[payment.gateway_payment_id]["_save"] = False
    obj = acquirer.pay(payment.gateway_payment_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(acquirer, "payment.succeeded", obj).outcome == EventOutcome.APPLIED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.card is None
    assert payment.failure_reason == "card_not_saved"
    assert "did not let us save it" in payment_status_text(payment)
    assert not Card.objects.exists() and payment.refunded_kop == 100
    untouched(account)


def test_a_mismatched_amount_is_refused_and_nothing_saved(acquirer, account) -> None:
    payment, obj = check_paid(acquirer, account)
    forged = {**obj, "amount": {"value": "100.00", "currency": "RUB"}}
    assert deliver(acquirer, "payment.succeeded", forged).outcome == EventOutcome.MISMATCH
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not Card.objects.exists() and not Refund.objects.exists()
    untouched(account)


def test_cashiers_cannot_refund_a_card_check(
    acquirer, account, cashier, django_capture_on_commit_callbacks
) -> None:
    payment, obj = check_paid(acquirer, account)
    acquirer.fail_next = ["timeout"]  # its own refund still pending
    with django_capture_on_commit_callbacks(execute=True):
        deliver(acquirer, "payment.succeeded", obj)
    payment.refresh_from_db()
    assert payment_refundable_kop(payment=payment) == 0
    with pytest.raises(ApplicationError):
        refund_create(
            payment_id=payment.pk,
            amount_kop=100,
            actor=cashier,
            idempotency_key="form",
            reason="Return the check",
        )
    assert Refund.objects.count() == 1
    with pytest.raises(GatewayUnavailable):
        acquirer.fail_next = ["timeout"]
        card_check_refund(payment_id=payment.pk)
    untouched(account)


def test_through_yookassa_with_its_refund(
    settings, yookassa_server, account, django_capture_on_commit_callbacks
) -> None:
    """The YooKassa adapter against the local server answering with recorded shapes: the
    notification's body is not trusted (the payment is read back), the card is saved and the
    check refunded through YooKassa."""
    import json

    from abonent.payments.tests.recorded_yookassa import CARD_CHECK_ID, RecordedYooKassa

    settings.ABONENT_PAYMENT_GATEWAY = "yookassa"
    settings.ABONENT_YOOKASSA_API_URL = yookassa_server
    settings.ABONENT_YOOKASSA_SHOP_ID = "100500"
    settings.ABONENT_YOOKASSA_SECRET_KEY = "test_secret"  # noqa: S105 - the local server's
    payment = card_check_create(account_id=account.pk, idempotency_key="yk")
    assert payment.gateway == "yookassa" and payment.gateway_payment_id == CARD_CHECK_ID
    assert payment.confirmation_url.startswith("https://yoomoney.ru/")
    body = json.dumps(
        {
            "type": "notification",
            "event": "payment.succeeded",
            # not trusted: YooKassa's answer to GET payments/{id} is what counts
            "object": {
                "id": CARD_CHECK_ID,
                "status": "succeeded",
                "amount": {"value": "1.00", "currency": "RUB"},
            },
        }
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            webhook_process(
                gateway_name="yookassa", headers={}, raw_body=body, client_ip="185.71.76.5"
            )
    payment.refresh_from_db()
    card = Card.objects.get(account=account)
    assert (card.gateway, card.brand, card.last4, card.expiry_year) == (
        "yookassa",
        "Mir",
        "0015",
        2031,
    )
    assert payment.status == PaymentStatus.SUCCEEDED and payment.card == card
    refund = Refund.objects.get(payment=payment)
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.gateway_refund_id == "2f0c3b4a-0015-5000-a000-1f6a5e2c7d10"
    refunds = [r for r in RecordedYooKassa.seen if r[:2] == ("POST", "/v3/refunds")]
    assert len(refunds) == 1
    _, _, headers, sent = refunds[0]
    assert headers["Idempotence-Key"] == f"refund-{refund.pk}"
    assert json.loads(sent)["amount"] == {"value": "1.00", "currency": "RUB"}
    assert json.loads(sent)["payment_id"] == CARD_CHECK_ID
    untouched(account)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and parallel writers need PostgreSQL"
)
def test_concurrent_copies_of_the_success_refund_once(acquirer) -> None:
    """30 copies of the check's ``payment.succeeded`` at once, from separate connections: one
    applies it (and, after its commit, asks for the refund), the others are duplicates."""
    from abonent.payments.tests.test_concurrency import run_parallel

    account = AccountFactory(balance_kop=BALANCE)
    payment, obj = check_paid(acquirer, account)
    copies = 30
    results, errors = run_parallel(
        [acquirer.notification("payment.succeeded", obj)] * copies, copies
    )
    assert not errors, errors[:3]
    assert sorted(r.outcome for r in results).count("applied") == 1
    assert all(r.status == 200 for r in results)
    assert Refund.objects.filter(payment=payment).count() == 1
    assert Refund.objects.get(payment=payment).status == RefundStatus.SUCCEEDED
    assert len(acquirer.refunds) == 1 and Card.objects.filter(account=account).count() == 1
    assert Payment.objects.get(pk=payment.pk).refunded_kop == 100
    untouched(account)
