"""Refunds of card payments: a cashier's (the gateway's refund, then one negative ledger
entry) and a card check's (the gateway's refund alone: the check never reached the ledger)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext_lazy as _

from abonent.billing.models import EntryKind
from abonent.billing.services.posting import ledger_post
from abonent.core.audit import audit_record, snapshot
from abonent.core.errors import ApplicationError, NotFound
from abonent.payments.gateways import gateway_get
from abonent.payments.gateways.base import GatewayError, GatewayRefund
from abonent.payments.models import EventOutcome, Payment, PaymentStatus, Refund, RefundStatus

logger = logging.getLogger("abonent.payments")

MIN_REASON_CHARS = 5
_AUDITED = ["payment", "amount_kop", "status", "gateway_refund_id", "reason", "ledger_entry"]


def refund_create(
    *, payment_id: int, amount_kop: int, actor: Any, idempotency_key: str, reason: str
) -> Refund:
    """Refund part or all of a succeeded payment to its card, exactly once per key.

    The ``pending`` refund is written first (idempotent by ``(payment, key)``), then the
    gateway is asked outside any lock with a key derived from our refund, so a retry never
    refunds twice; its success posts one ``refund`` entry of ``-amount`` keyed
    ``"refund:<gateway>:<refund id>"`` and is audited with the cashier's name.
    """
    if not isinstance(amount_kop, int) or isinstance(amount_kop, bool):
        raise TypeError("amount_kop must be int kopecks")
    if amount_kop <= 0:
        raise ApplicationError(_("Enter a positive amount to refund."), field="amount_kop")
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON_CHARS:
        raise ApplicationError(
            _("Give the reason in a few words (at least %(n)d characters).")
            % {"n": MIN_REASON_CHARS},
            field="reason",
        )
    key = (idempotency_key or "").strip()[:80]
    if not key:
        raise ApplicationError(_("An idempotency key is required."), field="idempotency_key")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None:
            raise NotFound(_("No such payment."))
        refund = Refund.objects.filter(payment=payment, idempotency_key=key).first()
        if refund is None:
            if payment.is_card_check:
                raise ApplicationError(_("A card check is refunded automatically."))
            if payment.status != PaymentStatus.SUCCEEDED:
                raise ApplicationError(_("Only a successful payment can be refunded."))
            engaged = (
                Refund.objects.filter(payment=payment)
                .exclude(status=RefundStatus.FAILED)
                .aggregate(total=Sum("amount_kop"))["total"]
                or 0
            )
            if engaged + amount_kop > payment.amount_kop:
                raise ApplicationError(
                    _("That is more than is left of the payment to refund."), field="amount_kop"
                )
            try:
                with transaction.atomic():
                    refund = Refund.objects.create(
                        payment=payment,
                        gateway=payment.gateway,
                        amount_kop=amount_kop,
                        idempotency_key=key,
                        reason=reason[:255],
                        actor=actor if getattr(actor, "is_authenticated", False) else None,
                    )
            except IntegrityError:  # pragma: no cover - the payment row lock serialises
                refund = Refund.objects.get(payment=payment, idempotency_key=key)
    if refund.amount_kop != amount_kop:
        raise ApplicationError(
            _("This idempotency key was used for another refund."), field="idempotency_key"
        )
    if refund.status != RefundStatus.PENDING:
        return refund
    return refund_send(refund=refund, payment=payment, actor=actor)


def refund_send(*, refund: Refund, payment: Payment, actor: Any) -> Refund:
    """Ask the gateway for a ``pending`` refund (no lock held: this waits on the network), with
    a key derived from our refund, so asking again never refunds twice; apply its answer. A
    refusal marks the refund failed (audited); ``GatewayUnavailable`` leaves it pending, to be
    asked again."""
    try:
        gr = gateway_get(payment.gateway).refund(
            gateway_payment_id=str(payment.gateway_payment_id),
            amount_kop=refund.amount_kop,
            currency=payment.currency,
            idempotency_key=f"refund-{refund.pk}",
            description=refund.reason,
        )
    except GatewayError as exc:
        with transaction.atomic():
            locked = Refund.objects.select_for_update().get(pk=refund.pk)
            if locked.status == RefundStatus.PENDING:
                locked.status = RefundStatus.FAILED
                locked.failure_reason = str(exc)[:255]
                locked.save(update_fields=["status", "failure_reason", "updated_at"])
                audit_record(
                    actor=actor,
                    action="payment.refund_failed",
                    obj=locked,
                    after=snapshot(locked, _AUDITED),
                )
            return locked
    _refund_apply(refund_id=refund.pk, gateway_refund=gr, actor=actor)
    refund.refresh_from_db()
    return refund


def _refund_apply(*, refund_id: int, gateway_refund: GatewayRefund, actor: Any) -> str:
    """Move a refund to the gateway's state; its success posts the negative entry once."""
    gr = gateway_refund
    with transaction.atomic():
        payment_id = Refund.objects.filter(pk=refund_id).values_list("payment_id", flat=True).get()
        payment = Payment.objects.select_for_update().get(pk=payment_id)  # payment, then refund
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.gateway_refund_id and refund.gateway_refund_id != gr.id:
            logger.error("refund %s: gateway id %s is not ours", refund.pk, gr.id)
            return EventOutcome.MISMATCH
        if refund.status == RefundStatus.SUCCEEDED:
            return EventOutcome.DUPLICATE
        if gr.amount_kop != refund.amount_kop or gr.currency != payment.currency:
            logger.error("refund %s: the gateway's amount differs from ours", refund.pk)
            return EventOutcome.MISMATCH
        before = snapshot(refund, _AUDITED)
        refund.gateway_refund_id = gr.id
        fields = ["gateway_refund_id", "updated_at"]
        if gr.status == "succeeded":
            entry = None  # a card check never reached the ledger, and its refund does not
            if not payment.is_card_check:
                entry = ledger_post(
                    account_id=payment.account_id,
                    kind=EntryKind.REFUND,
                    amount_kop=-refund.amount_kop,
                    reason=f"refund of card payment {payment.pk}: {refund.reason}",
                    key=f"refund:{payment.gateway}:{gr.id}",
                    actor=refund.actor or actor,
                    settle=False,
                )
            refund.status = RefundStatus.SUCCEEDED
            refund.ledger_entry = entry
            fields += ["status", "ledger_entry"]
            Payment.objects.filter(pk=payment.pk).update(
                refunded_kop=F("refunded_kop") + refund.amount_kop
            )
        elif gr.status == "canceled":
            refund.status = RefundStatus.FAILED
            refund.failure_reason = "canceled by the gateway"
            fields += ["status", "failure_reason"]
        refund.save(update_fields=fields)
        if refund.status != RefundStatus.PENDING:
            audit_record(
                actor=refund.actor or actor,
                action="payment.refund",
                obj=refund,
                before=before,
                after=snapshot(refund, _AUDITED),
            )
        return (
            EventOutcome.APPLIED if refund.status != RefundStatus.PENDING else EventOutcome.IGNORED
        )


def refund_apply_gateway_state(*, gateway_name: str, gateway_refund: GatewayRefund) -> str:
    """A ``refund.*`` notification: find our refund by the gateway's id and apply it."""
    refund = Refund.objects.filter(
        gateway=gateway_name, gateway_refund_id=gateway_refund.id
    ).first()
    if refund is None:
        return EventOutcome.UNKNOWN
    return _refund_apply(refund_id=refund.pk, gateway_refund=gateway_refund, actor=None)
