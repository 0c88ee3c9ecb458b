"""Attaching a card without topping up: a small payment (``ABONENT_CARD_CHECK_KOP``, 1 ₽) that
asks the gateway to save the card, refunded through the gateway as soon as it succeeds.

It is a payment like any other on the way in (the same record, the same gateway call, the same
state machine: the webhook or the return page's poll, whichever comes first), with one
difference: it never touches the ledger — the subscriber's balance does not move, neither when
the check succeeds nor when its money goes back. Exactly once: the refund is one row per
payment (a unique key, written under the payment's lock when the check succeeds), and the
gateway is asked with a key derived from that row, so a duplicate or a retry never refunds
twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

from django.db import transaction
from django.utils import timezone

from abonent.payments import conf
from abonent.payments.gateways.base import GatewayUnavailable
from abonent.payments.models import (
    REFUND_REFUSED,
    Payment,
    PaymentKind,
    PaymentPurpose,
    Refund,
    RefundStatus,
)
from abonent.payments.services.payments import _check_key, _check_return_url, payment_start
from abonent.payments.services.refunds import refund_send

logger = logging.getLogger("abonent.payments")

# The refund of a card check: one per payment (Refund's key is unique per payment).
REFUND_KEY = "card-check"
REFUND_REASON = "Card check: the money goes back at once"
# A refund the gateway did not answer is asked again later, with growing pauses.
RETRY_FIRST_SECONDS = 60
RETRY_MAX_SECONDS = 3600
RETRY_ATTEMPTS = 24


def card_check_create(*, account_id: int, idempotency_key: str, return_url: str = "") -> Payment:
    """Start a card check: a payment of ``ABONENT_CARD_CHECK_KOP`` that saves the card; its
    ``confirmation_url`` is the acquirer's card page (3-D Secure there as for any payment).
    Idempotent by ``(account, idempotency_key)``, like ``payment_create``; a key used for a
    top-up is refused here, and the other way round."""
    key = _check_key(idempotency_key)
    if return_url:
        return_url = _check_return_url(return_url)
    return payment_start(
        account_id=account_id,
        amount_kop=conf.card_check_kop(),
        key=key,
        return_url=return_url,
        save_card=True,
        card=None,
        kind=PaymentKind.MANUAL,
        purpose=PaymentPurpose.CARD_CHECK,
    )


def card_check_refund_schedule(*, payment: Payment) -> Refund:
    """Inside the transaction that marked the check succeeded (the payment locked): the
    ``pending`` refund, a task row to resume it, and a first attempt right after the commit."""
    from abonent.payments.tasks import card_check_refund_task

    refund = Refund.objects.create(
        payment=payment,
        gateway=payment.gateway,
        amount_kop=payment.amount_kop,
        idempotency_key=REFUND_KEY,
        reason=REFUND_REASON,
    )
    card_check_refund_task.enqueue(payment_id=payment.pk)
    transaction.on_commit(
        functools.partial(card_check_refund_quietly, payment_id=payment.pk), robust=True
    )
    return refund


def card_check_refund(*, payment_id: int) -> Refund | None:
    """Ask the gateway to return a succeeded card check's money, if it has not yet: the refund
    row (None when the check has none: it did not succeed), as it stands afterwards. Raises
    ``GatewayUnavailable`` when the gateway did not answer (the refund stays ``pending``)."""
    refund = (
        Refund.objects.select_related("payment")
        .filter(payment_id=payment_id, idempotency_key=REFUND_KEY)
        .first()
    )
    if refund is None or refund.status != RefundStatus.PENDING:
        return refund
    refund = refund_send(refund=refund, payment=refund.payment, actor=None)
    if refund.status == RefundStatus.FAILED:
        # On the payment, for the subscriber's page and the cashiers' list of problems.
        Payment.objects.filter(pk=payment_id).update(
            failure_reason=REFUND_REFUSED, updated_at=timezone.now()
        )
        logger.error(
            "card check %s: the gateway refused to refund it (%s); return %s kopecks by hand",
            payment_id,
            refund.failure_reason,
            refund.amount_kop,
        )
    return refund


def card_check_refund_quietly(*, payment_id: int) -> Refund | None:
    """``card_check_refund`` for callers that must not fail because of it (after a commit, the
    return page): a gateway that does not answer is logged; the task tries again later."""
    try:
        return card_check_refund(payment_id=payment_id)
    except GatewayUnavailable:
        logger.warning("card check %s: the gateway did not answer the refund", payment_id)
        return None


def card_check_retry_at(*, attempt: int, now: dt.datetime | None = None) -> dt.datetime | None:
    """When to ask again after ``attempt`` unanswered tries (None: stop, staff see it)."""
    if attempt >= RETRY_ATTEMPTS:
        return None
    delay = min(RETRY_FIRST_SECONDS * 2 ** (attempt - 1), RETRY_MAX_SECONDS)
    return (now or timezone.now()) + dt.timedelta(seconds=delay)
