"""Reads of payments for the cabinet, the API and staff. Subscriber reads are owner-scoped:
another account's payment or card is ``NotFound``, never told apart from a missing one."""

from __future__ import annotations

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from abonent.core.errors import NotFound
from abonent.core.money import format_money
from abonent.payments.models import (
    REFUND_REFUSED,
    AutopaySetting,
    Card,
    EventOutcome,
    Payment,
    PaymentEvent,
    PaymentPurpose,
    PaymentStatus,
    Refund,
    RefundStatus,
)

# The gateways' cancellation reasons (YooKassa's codes, which the sandbox uses too), in words.
FAILURE_TEXTS = {
    "insufficient_funds": _("Not enough money on the card."),
    "card_expired": _("The card has expired."),
    "expired_on_confirmation": _("The payment was not confirmed in time."),
    "3d_secure_failed": _("The bank's confirmation (3-D Secure) failed."),
    "general_decline": _("The bank declined the payment."),
    "canceled_by_merchant": _("The payment was canceled."),
    "permission_revoked": _("Payments with this card are no longer allowed; add it again."),
    "fraud_suspected": _("The bank declined the payment."),
    "gateway_refused": _("The payment service refused the payment."),
    "card_removed": _("The card was removed before the payment was made."),
    "no_card": _("There is no saved card to charge."),
}


def payment_list_for_account(*, account_id: int) -> QuerySet[Payment]:
    """The account's payments, newest first (for history pages and the API)."""
    return Payment.objects.filter(account_id=account_id).order_by("-created_at", "-id")


def payment_get_for_account(*, account_id: int, payment_id: int) -> Payment:
    """One of the account's payments; ``NotFound`` for anyone else's."""
    payment = Payment.objects.filter(account_id=account_id, pk=payment_id).first()
    if payment is None:
        raise NotFound(_("No such payment."))
    return payment


def payment_status_text(payment: Payment) -> str:
    """What people are told about a payment's state: its status, and why it failed."""
    if payment.is_card_check and payment.status == PaymentStatus.SUCCEEDED:
        return _card_check_text(payment)
    if payment.status == PaymentStatus.SUCCEEDED:
        return str(_("The payment went through; the money is on your balance."))
    if payment.status == PaymentStatus.PENDING:
        return str(_("Waiting for the bank's answer…"))
    reason = FAILURE_TEXTS.get(payment.failure_reason)
    if reason is not None:
        return str(reason)
    if payment.status == PaymentStatus.CANCELED:
        return str(pgettext_lazy("payment", "The payment was canceled."))
    return str(_("The payment did not go through."))


def _card_check_text(payment: Payment) -> str:
    """A card check that went through: the card attached (or not), its money back (or not)."""
    values = {"card": payment.card_title, "amount": format_money(payment.amount_kop)}
    if payment.failure_reason == REFUND_REFUSED:
        text = _(
            "The card %(card)s is checked, but the payment service did not return "
            "%(amount)s of the check: we will return it ourselves."
        )
    elif payment.failure_reason == "card_not_saved":
        text = _(
            "The bank confirmed the card but did not let us save it. %(amount)s of the check "
            "goes back to it; your balance does not change."
        )
    elif payment.refunded_kop >= payment.amount_kop:
        text = _(
            "The card %(card)s is attached. %(amount)s of the check has been returned to it; "
            "your balance did not change."
        )
    else:
        text = _(
            "The card %(card)s is attached. %(amount)s of the check is being returned to it; "
            "your balance does not change."
        )
    return str(text % values)


def card_list_for_account(*, account_id: int) -> QuerySet[Card]:
    """The account's saved cards, the default first."""
    return Card.objects.filter(account_id=account_id).order_by("-is_default", "-created_at", "-id")


def card_get_for_account(*, account_id: int, card_id: int) -> Card:
    """One of the account's cards; ``NotFound`` for anyone else's."""
    card = Card.objects.filter(account_id=account_id, pk=card_id).first()
    if card is None:
        raise NotFound(_("No such card."), field="card_id")
    return card


def autopay_get(*, account_id: int) -> AutopaySetting | None:
    """The account's autopay setting, or None when it was never set."""
    return (
        AutopaySetting.objects.filter(account_id=account_id).select_related("last_payment").first()
    )


def payment_problem_list() -> QuerySet[Payment]:
    """For cashiers: failed and canceled payments, and card checks whose money the gateway
    refused to return (someone must return it by hand), newest first."""
    return Payment.objects.filter(
        Q(status__in=[PaymentStatus.FAILED, PaymentStatus.CANCELED])
        | Q(purpose=PaymentPurpose.CARD_CHECK, failure_reason=REFUND_REFUSED)
    ).select_related("account")


def payment_event_refused_list() -> QuerySet[PaymentEvent]:
    """For staff: notifications refused (bad signature, mismatch, unknown, error)."""
    return PaymentEvent.objects.filter(
        outcome__in=[
            EventOutcome.REJECTED,
            EventOutcome.MISMATCH,
            EventOutcome.UNKNOWN,
            EventOutcome.ERROR,
        ]
    )


def payment_refundable_kop(*, payment: Payment) -> int:
    """What is left of a succeeded payment to refund: its amount less the refunds that went
    through or are still pending (0 for a payment that did not succeed)."""
    if payment.status != PaymentStatus.SUCCEEDED or payment.is_card_check:
        return 0  # a card check's money goes back by itself
    engaged = (
        Refund.objects.filter(payment_id=payment.pk)
        .exclude(status=RefundStatus.FAILED)
        .aggregate(total=Sum("amount_kop"))["total"]
        or 0
    )
    return max(payment.amount_kop - engaged, 0)
