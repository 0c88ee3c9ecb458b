"""Creating payments and moving them with what the gateway says: the one place that credits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import Account, AccountStatus
from abonent.billing.models import EntryKind
from abonent.billing.services.posting import ledger_post_locked
from abonent.core.errors import ApplicationError, NotFound
from abonent.core.money import format_money
from abonent.payments import conf
from abonent.payments.gateways import gateway_get
from abonent.payments.gateways.base import GatewayCard, GatewayError, GatewayPayment
from abonent.payments.models import (
    Card,
    EventOutcome,
    Payment,
    PaymentKind,
    PaymentPurpose,
    PaymentStatus,
)

logger = logging.getLogger("abonent.payments")

MAX_KEY_CHARS = 64
# YooKassa's reasons that mean "nobody paid" rather than "the bank said no".
_CANCELED_REASONS = {"expired_on_confirmation", "canceled_by_merchant"}


@dataclass(frozen=True)
class ApplyResult:
    """The payment after applying the gateway's state, and what applying did."""

    payment: Payment
    outcome: str  # an EventOutcome value


def _check_amount(amount_kop: int) -> None:
    if not isinstance(amount_kop, int) or isinstance(amount_kop, bool):
        raise TypeError("amount_kop must be int kopecks")
    low, high = conf.min_amount_kop(), conf.max_amount_kop()
    if not low <= amount_kop <= high:
        raise ApplicationError(
            _("Enter an amount from %(min)s to %(max)s.")
            % {"min": format_money(low, cents=False), "max": format_money(high, cents=False)},
            field="amount_kop",
            code="amount_out_of_range",
        )


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY_CHARS or not key.isprintable():
        raise ApplicationError(
            _("Send an idempotency key of 1 to %(n)d characters.") % {"n": MAX_KEY_CHARS},
            field="idempotency_key",
        )
    return key


def _check_return_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 1000:
        raise ApplicationError(_("Enter an http(s) address to return to."), field="return_url")
    return url


def payment_return_url(payment: Payment) -> str:
    """Our return page for the payment, as an absolute address for the acquirer."""
    return conf.return_url_base() + reverse("payments:return", args=[payment.pk])


def payment_create(
    *,
    account_id: int,
    amount_kop: int,
    idempotency_key: str,
    return_url: str = "",
    save_card: bool = False,
    card_id: int | None = None,
    kind: str = PaymentKind.MANUAL,
) -> Payment:
    """Start a payment: our ``pending`` record first, then the gateway, outside any lock.

    Idempotent by ``(account, idempotency_key)``: a retried request returns the same payment (a
    key reused for another amount or card is refused). A payment whose gateway call failed
    half-way is resumed with the same gateway key, so the gateway makes one payment at most.
    With ``card_id`` the saved card is charged at once and may succeed at once; otherwise the
    payment's ``confirmation_url`` is the acquirer's card page.
    """
    _check_amount(amount_kop)
    key = _check_key(idempotency_key)
    if return_url:
        return_url = _check_return_url(return_url)
    card = None
    if card_id is not None:
        card = Card.objects.filter(pk=card_id, account_id=account_id).first()
        if card is None:
            raise NotFound(_("No such card."), field="card_id")
        save_card = False
    return payment_start(
        account_id=account_id,
        amount_kop=amount_kop,
        key=key,
        return_url=return_url,
        save_card=save_card,
        card=card,
        kind=kind,
        purpose=PaymentPurpose.TOPUP,
    )


_DESCRIPTIONS = {
    PaymentPurpose.TOPUP: _("Top-up of contract %(contract)s"),
    PaymentPurpose.CARD_CHECK: _("Card check for contract %(contract)s"),
}


def payment_start(
    *,
    account_id: int,
    amount_kop: int,
    key: str,
    return_url: str,
    save_card: bool,
    card: Card | None,
    kind: str,
    purpose: str,
) -> Payment:
    """The common part of ``payment_create`` and ``card_check_create`` (arguments checked):
    the ``pending`` record, idempotent by ``(account, key)``, then the gateway call."""
    payment = Payment.objects.filter(account_id=account_id, idempotency_key=key).first()
    if payment is None:
        gateway_name = card.gateway if card is not None else conf.active_gateway()
        if not gateway_name:
            raise ApplicationError(_("Card payments are not available."), code="payments_off")
        account = Account.objects.filter(pk=account_id).only("status", "contract").first()
        if account is None:
            raise NotFound(_("No such account."))
        if account.status == AccountStatus.CLOSED:
            raise ApplicationError(_("The contract is closed."), code="account_closed")
        description = _DESCRIPTIONS[PaymentPurpose(purpose)] % {"contract": account.contract}
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    account_id=account_id,
                    kind=kind,
                    purpose=purpose,
                    amount_kop=amount_kop,
                    currency=conf.currency(),
                    gateway=gateway_name,
                    idempotency_key=key,
                    description=str(description)[:128],
                    return_url=return_url,
                    save_card=save_card,
                    card=card,
                    card_title=card.title if card else "",
                )
        except IntegrityError:
            payment = Payment.objects.get(account_id=account_id, idempotency_key=key)
    if (
        payment.amount_kop != amount_kop
        or payment.purpose != purpose
        or (card is not None and payment.card_id != card.pk)
    ):
        raise ApplicationError(
            _("This idempotency key was used for another payment."),
            field="idempotency_key",
            code="idempotency_key_reused",
        )
    if payment.is_final or payment.gateway_payment_id:
        return payment
    return _payment_send(payment=payment)


def _payment_send(*, payment: Payment) -> Payment:
    """Ask the gateway for the payment (no transaction open: this waits on the network)."""
    gateway = gateway_get(payment.gateway)
    token = payment.card.token if payment.card_id and payment.card else None
    if payment.card_title and token is None:
        return _payment_fail(payment=payment, reason="card_removed")
    try:
        gp = gateway.create_payment(
            amount_kop=payment.amount_kop,
            currency=payment.currency,
            description=payment.description,
            idempotency_key=f"payment-{payment.pk}",
            return_url=payment.return_url or payment_return_url(payment),
            save_card=payment.save_card,
            card_token=token,
            metadata={"payment_id": str(payment.pk), "account": str(payment.account.contract)},
        )
    except GatewayError:
        return _payment_fail(payment=payment, reason="gateway_refused")
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if not locked.gateway_payment_id:
            locked.gateway_payment_id = gp.id
            locked.confirmation_url = gp.confirmation_url[:1000]
            locked.save(update_fields=["gateway_payment_id", "confirmation_url", "updated_at"])
        return payment_apply_gateway_state(payment=locked, gateway_payment=gp).payment


def _payment_fail(*, payment: Payment, reason: str) -> Payment:
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status == PaymentStatus.PENDING:
            _finish(locked, PaymentStatus.FAILED, reason)
        return locked


def _finish(payment: Payment, status: str, reason: str = "") -> None:
    payment.status = status
    payment.failure_reason = reason[:64]
    payment.finished_at = timezone.now()
    payment.save(update_fields=["status", "failure_reason", "finished_at", "updated_at"])
    if status != PaymentStatus.SUCCEEDED and payment.kind == PaymentKind.AUTOPAY:
        _notify_autopay_failed(payment)


def _notify_autopay_failed(payment: Payment) -> None:
    """Tell the subscriber, in the same transaction, that autopay could not top up."""
    from abonent.messaging.services import message_send_to_account
    from abonent.payments.selectors import payment_status_text

    account = payment.account
    with translation.override(account.language or "ru"):
        message_send_to_account(
            account_id=account.pk,
            subject=gettext("Autopay could not top up your balance"),
            body=gettext(
                "We tried to charge %(amount)s to your card and the payment did not go "
                "through: %(reason)s Top up the balance in your personal account so that "
                "access is not suspended."
            )
            % {"amount": format_money(payment.amount_kop), "reason": payment_status_text(payment)},
            category="billing",
        )


def _card_save(*, payment: Payment, card: GatewayCard) -> Card | None:
    """Keep the card the gateway saved for this payment's account (token and display data)."""
    existing = Card.objects.filter(gateway=payment.gateway, token=card.token).first()
    if existing is not None:
        if existing.account_id != payment.account_id:
            logger.error(
                "payment %s: the gateway's saved card %s belongs to another account",
                payment.pk,
                existing.pk,
            )
            return None
        return existing
    has_default = Card.objects.filter(account_id=payment.account_id, is_default=True).exists()
    try:
        with transaction.atomic():
            return Card.objects.create(
                account_id=payment.account_id,
                gateway=payment.gateway,
                token=card.token[:128],
                brand=card.brand[:32],
                first6=card.first6[:6],
                last4=card.last4[:4],
                expiry_month=card.expiry_month,
                expiry_year=card.expiry_year,
                is_default=not has_default,
            )
    except IntegrityError:
        return Card.objects.filter(gateway=payment.gateway, token=card.token).first()


def payment_apply_gateway_state(
    *, payment: Payment, gateway_payment: GatewayPayment, locked: bool = False
) -> ApplyResult:
    """Move our payment to the gateway's state: the place that credits the ledger (a webhook's
    common credit on PostgreSQL writes the same rows in one statement, ``fast_credit.py``).

    Locks the payment row with its account (one query). ``succeeded`` credits
    once, keyed ``"<gateway>:<gateway payment id>"``, and is final: a later ``canceled`` or
    ``pending`` never undoes it. A ``succeeded`` whose amount or currency differs from ours is
    not credited (outcome ``mismatch``, logged for staff). A card the gateway reports as saved
    is kept for the account. ``locked``: the caller's transaction already locked ``payment``
    (with its account), as the webhook does when it looks the payment up.
    """
    gp = gateway_payment
    with transaction.atomic(savepoint=not locked):
        if locked:
            p = payment
        else:
            p = Payment.objects.select_for_update().select_related("account").get(pk=payment.pk)
        if p.gateway_payment_id and p.gateway_payment_id != gp.id:
            logger.error(
                "payment %s: gateway id %s is not ours (%s)", p.pk, gp.id, p.gateway_payment_id
            )
            return ApplyResult(p, EventOutcome.MISMATCH)
        if not p.gateway_payment_id:
            p.gateway_payment_id = gp.id
            p.save(update_fields=["gateway_payment_id", "updated_at"])
        if p.status == PaymentStatus.SUCCEEDED:
            return ApplyResult(p, EventOutcome.DUPLICATE)
        if gp.status == "succeeded":
            if gp.amount_kop != p.amount_kop or gp.currency != p.currency:
                logger.error(
                    "payment %s: the gateway says %s %s, ours is %s %s; not credited",
                    p.pk,
                    gp.amount_kop,
                    gp.currency,
                    p.amount_kop,
                    p.currency,
                )
                return ApplyResult(p, EventOutcome.MISMATCH)
            if p.status != PaymentStatus.PENDING:
                logger.warning(
                    "payment %s: %s before, the gateway now says succeeded", p.pk, p.status
                )
            if p.is_card_check:
                _card_check_succeeded(p, gp)
                return ApplyResult(p, EventOutcome.APPLIED)
            # The payment row and its account are locked (one query, above or in the
            # webhook's look-up) and the status check just passed: post without a second lock.
            entry = ledger_post_locked(
                account=p.account,
                kind=EntryKind.PAYMENT,
                amount_kop=p.amount_kop,
                reason=f"card payment {p.pk}",
                key=f"{p.gateway}:{gp.id}",
                notices_later=True,
            )
            fields = [
                "status",
                "failure_reason",
                "finished_at",
                "ledger_entry",
                "receipt_url",
                "updated_at",
            ]
            if gp.card is not None:
                if gp.card.saved:
                    saved = _card_save(payment=p, card=gp.card)
                    if saved is not None:
                        p.card = saved
                        fields.append("card")
                if not p.card_title:
                    p.card_title = f"{gp.card.brand or 'Card'} •••• {gp.card.last4}"[:64]
                    fields.append("card_title")
            p.status = PaymentStatus.SUCCEEDED
            p.failure_reason = ""
            p.finished_at = timezone.now()
            p.ledger_entry = entry
            p.receipt_url = gp.receipt_url[:1000]
            p.save(update_fields=fields)
            return ApplyResult(p, EventOutcome.APPLIED)
        if gp.status == "canceled":
            if p.status != PaymentStatus.PENDING:
                return ApplyResult(p, EventOutcome.DUPLICATE)
            reason = gp.failure_reason or "general_decline"
            status = PaymentStatus.CANCELED if reason in _CANCELED_REASONS else PaymentStatus.FAILED
            _finish(p, status, reason)
            return ApplyResult(p, EventOutcome.APPLIED)
        # pending / waiting_for_capture: nothing to move; keep a confirmation URL we lacked
        if gp.confirmation_url and not p.confirmation_url and p.status == PaymentStatus.PENDING:
            p.confirmation_url = gp.confirmation_url[:1000]
            p.save(update_fields=["confirmation_url", "updated_at"])
        return ApplyResult(p, EventOutcome.IGNORED)


def _card_check_succeeded(p: Payment, gp: GatewayPayment) -> None:
    """A card check went through (``p`` locked, pending): keep the card, and return the money
    — never through the ledger. The refund is written ``pending`` here, once (its key is unique
    per payment, and the payment row is locked); the gateway is asked after the commit, and a
    task row written in this transaction resumes it if that first attempt does not happen or
    does not get through."""
    from abonent.payments.services.card_check import card_check_refund_schedule

    fields = ["status", "failure_reason", "finished_at", "receipt_url", "updated_at"]
    saved = None
    if gp.card is not None:
        if gp.card.saved:
            saved = _card_save(payment=p, card=gp.card)
        if saved is not None:
            p.card = saved
            fields.append("card")
        if not p.card_title:
            p.card_title = f"{gp.card.brand or 'Card'} •••• {gp.card.last4}"[:64]
            fields.append("card_title")
    p.status = PaymentStatus.SUCCEEDED
    p.failure_reason = "" if saved is not None else "card_not_saved"
    p.finished_at = timezone.now()
    p.receipt_url = gp.receipt_url[:1000]
    p.save(update_fields=fields)
    card_check_refund_schedule(payment=p)


def payment_refresh(*, payment_id: int) -> Payment:
    """Ask the gateway for a pending payment's state and apply it (the return page uses it
    when the notification is late). A gateway that does not answer leaves it as it was. A
    card check that went through and whose refund has not yet: the refund is tried again."""
    payment = Payment.objects.select_related("account").filter(pk=payment_id).first()
    if payment is None:
        raise NotFound(_("No such payment."))
    if payment.is_card_check and payment.status == PaymentStatus.SUCCEEDED:
        if payment.refunded_kop < payment.amount_kop:  # its refund has not gone through yet
            from abonent.payments.services.card_check import card_check_refund_quietly

            card_check_refund_quietly(payment_id=payment.pk)
            payment.refresh_from_db()
        return payment
    if payment.is_final or not payment.gateway_payment_id:
        return payment
    try:
        gp = gateway_get(payment.gateway).get_payment(payment.gateway_payment_id)
    except ApplicationError as exc:
        logger.warning("payment %s: refresh failed: %s", payment.pk, exc.code)
        return payment
    return payment_apply_gateway_state(payment=payment, gateway_payment=gp).payment
