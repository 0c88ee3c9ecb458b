"""Every write of the sandbox acquirer: payments, card payments, 3-D Secure, refunds.

Each service is atomic, locks the payment row it changes, and queues its notification in the
same transaction. A card number reaches ``payment_pay_with_card`` as an argument and leaves it
only as first six / last four digits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from . import cards, objects
from .errors import NotFound, SandboxError
from .models import CancellationReason, Card, Payment, PaymentStatus, Refund
from .webhooks import switches_for, webhook_enqueue

AMOUNT_RE = re.compile(r"^(\d{1,9})(?:\.(\d{1,2}))?$")
MAX_KEY_LENGTH = 64


def fingerprint(body: dict) -> str:
    """A hash of the request body that does not depend on key order or spacing."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_amount(value: object, *, parameter: str = "amount") -> tuple[int, str]:
    """``{"value": "1000.00", "currency": "RUB"}`` as ``(kopecks, currency)``, without floats."""
    if not isinstance(value, dict):
        raise SandboxError("amount must be an object with value and currency", parameter=parameter)
    text = value.get("value")
    match = AMOUNT_RE.match(text) if isinstance(text, str) else None
    if match is None:
        raise SandboxError(
            'amount.value must be a decimal string such as "1000.00"',
            parameter=f"{parameter}.value",
        )
    kop = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if kop <= 0:
        raise SandboxError("amount.value must be greater than zero", parameter=f"{parameter}.value")
    if value.get("currency") != "RUB":
        raise SandboxError("only RUB is supported", parameter=f"{parameter}.currency")
    return kop, "RUB"


def _check_key(idempotence_key: str | None) -> str:
    if not idempotence_key or len(idempotence_key) > MAX_KEY_LENGTH:
        raise SandboxError(
            f"Idempotence-Key header is required (1–{MAX_KEY_LENGTH} characters)",
            parameter="Idempotence-Key",
        )
    return idempotence_key


def _replay(model, *, shop_id: str, idempotence_key: str, print_: str):
    existing = model.objects.filter(shop_id=shop_id, idempotence_key=idempotence_key).first()
    if existing is not None and existing.fingerprint != print_:
        raise SandboxError(
            "Idempotence-Key was already used with a different request body",
            parameter="Idempotence-Key",
        )
    return existing


def _validate_payment_body(body: dict) -> dict:
    if not isinstance(body, dict):
        raise SandboxError("the request body must be a JSON object")
    amount_kop, currency = parse_amount(body.get("amount"))
    if body.get("capture", True) is not True:
        raise SandboxError(
            "the sandbox captures at once: capture must be true", parameter="capture"
        )
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > 128:
        raise SandboxError(
            "description must be a string of at most 128 characters", parameter="description"
        )
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict) or len(metadata) > 16:
        raise SandboxError("metadata must be an object of at most 16 keys", parameter="metadata")
    save = body.get("save_payment_method", False)
    if not isinstance(save, bool):
        raise SandboxError(
            "save_payment_method must be true or false", parameter="save_payment_method"
        )
    method_id = body.get("payment_method_id")
    return_url = ""
    if method_id is not None:
        if not isinstance(method_id, str) or not method_id:
            raise SandboxError("payment_method_id must be a string", parameter="payment_method_id")
    else:
        confirmation = body.get("confirmation")
        if not isinstance(confirmation, dict) or confirmation.get("type") != "redirect":
            raise SandboxError(
                'confirmation must be {"type": "redirect", "return_url": …} '
                "unless payment_method_id is given",
                parameter="confirmation.type",
            )
        return_url = confirmation.get("return_url")
        parts = urlsplit(return_url) if isinstance(return_url, str) else None
        if not parts or parts.scheme not in ("http", "https") or not parts.netloc:
            raise SandboxError(
                "return_url must be an http(s) URL", parameter="confirmation.return_url"
            )
    return {
        "amount_kop": amount_kop,
        "currency": currency,
        "description": description,
        "metadata": metadata,
        "save_payment_method": save,
        "return_url": return_url,
        "payment_method_id": method_id,
    }


def payment_create(
    *,
    shop_id: str,
    idempotence_key: str | None,
    body: dict,
    base_url: str = "",
    now: dt.datetime | None = None,
) -> Payment:
    """Create a payment, or return the one this key already made with the same body.

    With ``payment_method_id`` the saved card is charged at once: the payment comes back
    succeeded or canceled and its notification is queued.
    """
    key = _check_key(idempotence_key)
    print_ = fingerprint(body)
    existing = _replay(Payment, shop_id=shop_id, idempotence_key=key, print_=print_)
    if existing is not None:
        return existing
    data = _validate_payment_body(body)
    now = now or timezone.now()
    card = None
    if data["payment_method_id"]:
        card = Card.objects.filter(
            token=data["payment_method_id"], shop_id=shop_id, saved=True
        ).first()
        if card is None:
            raise SandboxError(
                "no saved payment method with this id", parameter="payment_method_id"
            )
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                shop_id=shop_id,
                idempotence_key=key,
                fingerprint=print_,
                amount_kop=data["amount_kop"],
                currency=data["currency"],
                description=data["description"],
                metadata=data["metadata"],
                return_url=data["return_url"],
                save_payment_method=data["save_payment_method"],
                base_url=base_url,
                created_at=now,
            )
            if card is not None:
                payment.card = card
                reason = card.decline_reason
                if not reason and cards.expiry_in_past(
                    int(card.expiry_month), int(card.expiry_year), timezone.localdate(now)
                ):
                    reason = CancellationReason.CARD_EXPIRED
                _finish(payment, reason=reason, now=now)
    except IntegrityError:
        existing = _replay(Payment, shop_id=shop_id, idempotence_key=key, print_=print_)
        if existing is None:
            raise
        return existing
    return payment


def _finish(payment: Payment, *, reason: str = "", now: dt.datetime) -> None:
    """Succeed (no reason) or cancel the payment and queue its notification."""
    payment.status = PaymentStatus.CANCELED if reason else PaymentStatus.SUCCEEDED
    payment.cancellation_reason = reason
    payment.three_ds_pending = False
    payment.finished_at = now
    payment.save()
    event = "payment.canceled" if reason else "payment.succeeded"
    webhook_enqueue(
        event=event,
        obj=objects.payment_json(payment),
        switches=switches_for(payment.metadata),
        now=now,
    )


def payment_get(*, shop_id: str, payment_id: str) -> Payment:
    """The shop's payment, or ``NotFound``."""
    payment = Payment.objects.select_related("card").filter(pk=payment_id, shop_id=shop_id).first()
    if payment is None:
        raise NotFound("payment not found")
    return payment


def payment_for_payer(*, payment_id: str) -> Payment:
    """A payment the hosted page can show: one made for a redirect (has a return URL)."""
    payment = Payment.objects.select_related("card").filter(pk=payment_id).first()
    if payment is None or not payment.return_url:
        raise NotFound("payment not found")
    return payment


class CardRefused(Exception):
    """The card cannot be used in this sandbox (not a test card); shown on the form."""


def payment_pay_with_card(
    *,
    payment_id: str,
    number: str,
    expiry_month: int,
    expiry_year: int,
    now: dt.datetime | None = None,
) -> Payment:
    """Pay a pending payment with a card typed on the hosted page, by the test card table.

    Returns the payment: final, or still pending with ``three_ds_pending`` set when the card
    asks for 3-D Secure. Raises ``CardRefused`` for a number that is not a test card.
    """
    test_card = cards.TEST_CARDS.get(number)
    if test_card is None:
        raise CardRefused
    now = now or timezone.now()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != PaymentStatus.PENDING or payment.three_ds_pending:
            return payment
        card = Card.objects.create(
            shop_id=payment.shop_id,
            first6=number[:6],
            last4=number[-4:],
            expiry_month=f"{expiry_month:02d}",
            expiry_year=f"{expiry_year:04d}",
            brand=cards.brand_of(number),
        )
        payment.card = card
        outcome = test_card.outcome
        if outcome == cards.Outcome.THREE_DS:
            payment.three_ds_pending = True
            payment.save(update_fields=["card", "three_ds_pending", "updated_at"])
            return payment
        if outcome == cards.Outcome.DECLINE:
            _finish(payment, reason=test_card.reason, now=now)
            return payment
        if outcome == cards.Outcome.SAVE_THEN_DECLINE:
            card.decline_reason = test_card.reason
        card.saved = payment.save_payment_method
        card.save(update_fields=["saved", "decline_reason"])
        _finish(payment, now=now)
    return payment


def payment_confirm_3ds(*, payment_id: str, code: str, now: dt.datetime | None = None) -> Payment:
    """Finish a 3-D Secure check: the test code passes, anything else fails the payment."""
    now = now or timezone.now()
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("card")
            .get(pk=payment_id)
        )
        if payment.status != PaymentStatus.PENDING or not payment.three_ds_pending:
            return payment
        if code.strip() == cards.THREE_DS_CODE:
            card = payment.card
            if card is not None and payment.save_payment_method:
                card.saved = True
                card.save(update_fields=["saved"])
            _finish(payment, now=now)
        else:
            _finish(payment, reason=CancellationReason.THREE_D_SECURE_FAILED, now=now)
    return payment


def payment_abandon(*, payment_id: str, now: dt.datetime | None = None) -> Payment:
    """The payer gave up on the hosted page: cancel as ``expired_on_confirmation``."""
    now = now or timezone.now()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status == PaymentStatus.PENDING:
            _finish(payment, reason=CancellationReason.EXPIRED_ON_CONFIRMATION, now=now)
    return payment


def refund_create(
    *, shop_id: str, idempotence_key: str | None, body: dict, now: dt.datetime | None = None
) -> Refund:
    """Refund part or all of a succeeded payment, at most what is left of it, once per key."""
    key = _check_key(idempotence_key)
    print_ = fingerprint(body)
    existing = _replay(Refund, shop_id=shop_id, idempotence_key=key, print_=print_)
    if existing is not None:
        return existing
    if not isinstance(body, dict):
        raise SandboxError("the request body must be a JSON object")
    payment_id = body.get("payment_id")
    if not isinstance(payment_id, str) or not payment_id:
        raise SandboxError("payment_id is required", parameter="payment_id")
    amount_kop, currency = parse_amount(body.get("amount"))
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > 250:
        raise SandboxError(
            "description must be a string of at most 250 characters", parameter="description"
        )
    now = now or timezone.now()
    try:
        with transaction.atomic():
            payment = (
                Payment.objects.select_for_update().filter(pk=payment_id, shop_id=shop_id).first()
            )
            if payment is None:
                raise NotFound("payment not found")
            if payment.status != PaymentStatus.SUCCEEDED:
                raise SandboxError(
                    "only a succeeded payment can be refunded", parameter="payment_id"
                )
            refunded = payment.refunds.aggregate(total=Sum("amount_kop"))["total"] or 0
            if amount_kop > payment.amount_kop - refunded:
                raise SandboxError(
                    "the refund exceeds what is left of the payment", parameter="amount.value"
                )
            refund = Refund.objects.create(
                shop_id=shop_id,
                idempotence_key=key,
                fingerprint=print_,
                payment=payment,
                amount_kop=amount_kop,
                currency=currency,
                description=description,
                created_at=now,
            )
            webhook_enqueue(
                event="refund.succeeded",
                obj=objects.refund_json(refund),
                switches=switches_for(payment.metadata),
                now=now,
            )
    except IntegrityError:
        existing = _replay(Refund, shop_id=shop_id, idempotence_key=key, print_=print_)
        if existing is None:
            raise
        return existing
    return refund
