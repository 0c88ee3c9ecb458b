"""JSON API of payments (under /api/v1/me): start a payment, the history, saved cards and
attaching one (a card check). Every endpoint acts on the token's own account only, through
owner-scoped selectors and services."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Status

from abonent.accounts.api import token_auth
from abonent.billing.schemas import ApiErrorOut
from abonent.core.errors import ApplicationError
from abonent.core.money import format_money
from abonent.payments.models import Card, Payment, PaymentStatus
from abonent.payments.schemas import (
    CardCheckIn,
    CardListOut,
    CardOut,
    PaymentIn,
    PaymentOut,
    PaymentPageOut,
)
from abonent.payments.selectors import (
    card_list_for_account,
    payment_get_for_account,
    payment_list_for_account,
    payment_status_text,
)
from abonent.payments.services import card_check_create, card_remove, payment_create

router = Router(tags=["payments"], auth=token_auth)

PAGE_DEFAULT = 20
PAGE_MAX = 100
_ERRORS: dict[int, Any] = {401: ApiErrorOut, 404: ApiErrorOut, 422: ApiErrorOut}


def payment_out(payment: Payment) -> PaymentOut:
    """The API shape of a payment."""
    pending = payment.status == PaymentStatus.PENDING
    return PaymentOut(
        id=payment.pk,
        purpose=payment.purpose,
        status=payment.status,
        status_label=str(payment.get_status_display()),
        status_text=payment_status_text(payment),
        final=payment.is_final,
        amount_kop=payment.amount_kop,
        amount=format_money(payment.amount_kop),
        kind=payment.kind,
        confirmation_url=(payment.confirmation_url or None) if pending else None,
        failure_reason=payment.failure_reason or None,
        receipt_url=payment.receipt_url or None,
        card=payment.card_title or None,
        refunded_kop=payment.refunded_kop,
        created_at=payment.created_at,
        finished_at=payment.finished_at,
    )


def card_out(card: Card) -> CardOut:
    """The API shape of a saved card (never more than its first six and last four digits)."""
    return CardOut(
        id=card.pk,
        title=card.title,
        brand=card.brand,
        first6=card.first6,
        last4=card.last4,
        expiry_month=card.expiry_month,
        expiry_year=card.expiry_year,
        expiry=card.expiry,
        is_default=card.is_default,
        created_at=card.created_at,
    )


@router.post(
    "/payments",
    response={201: PaymentOut, 503: ApiErrorOut, **_ERRORS},
    summary="Start a card payment (Idempotency-Key header required)",
)
def create_payment(
    request: HttpRequest,
    payload: PaymentIn,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key")],
) -> Status[PaymentOut]:
    """201 with the payment: ``confirmation_url`` is the acquirer's card page to send the
    subscriber to; with ``card_id`` the saved card is charged and the answer may already be
    final. The same ``Idempotency-Key`` returns the same payment; 422 on an amount outside
    10–100 000 ₽ or a key reused for another payment; 404 for a card that is not the caller's;
    503 when the payment service does not answer (retry with the same key)."""
    payment = payment_create(
        account_id=request.account.pk,  # type: ignore[attr-defined]
        amount_kop=payload.amount_kop,
        idempotency_key=idempotency_key,
        return_url=payload.return_url,
        save_card=payload.save_card,
        card_id=payload.card_id,
    )
    return Status(201, payment_out(payment))


@router.get("/payments", response={200: PaymentPageOut, **_ERRORS}, summary="The caller's payments")
def list_payments(
    request: HttpRequest,
    limit: Annotated[int, Query(description=f"1–{PAGE_MAX} (default {PAGE_DEFAULT}).")] = (
        PAGE_DEFAULT
    ),
    offset: Annotated[int, Query(description="Payments to skip.")] = 0,
) -> PaymentPageOut:
    """Newest first, with statuses, reasons and receipt links."""
    if not 1 <= limit <= PAGE_MAX:
        raise ApplicationError(
            _("Choose from 1 to %(max)d payments per page.") % {"max": PAGE_MAX}, field="limit"
        )
    if offset < 0:
        raise ApplicationError(_("The offset cannot be negative."), field="offset")
    payments = payment_list_for_account(account_id=request.account.pk)  # type: ignore[attr-defined]
    page = list(payments[offset : offset + limit])
    count = offset + len(page) if len(page) < limit and (page or offset == 0) else payments.count()
    return PaymentPageOut(items=[payment_out(p) for p in page], count=count)


@router.get("/payments/{payment_id}", response={200: PaymentOut, **_ERRORS}, summary="One payment")
def get_payment(request: HttpRequest, payment_id: int) -> PaymentOut:
    """404 for a payment that is not the caller's."""
    return payment_out(
        payment_get_for_account(account_id=request.account.pk, payment_id=payment_id)  # type: ignore[attr-defined]
    )


@router.get("/cards", response={200: CardListOut, **_ERRORS}, summary="The caller's saved cards")
def list_cards(request: HttpRequest) -> CardListOut:
    """The default card first."""
    cards = list(card_list_for_account(account_id=request.account.pk))  # type: ignore[attr-defined]
    return CardListOut(items=[card_out(c) for c in cards], count=len(cards))


@router.post(
    "/cards",
    response={201: PaymentOut, 503: ApiErrorOut, **_ERRORS},
    summary="Attach a card: a 1 ₽ check refunded at once (Idempotency-Key header required)",
)
def attach_card(
    request: HttpRequest,
    payload: CardCheckIn,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key")],
) -> Status[PaymentOut]:
    """201 with a payment of purpose ``card_check``: send the subscriber to its
    ``confirmation_url`` (the acquirer's card page). When it succeeds the card is saved (see
    ``GET /cards``) and the check's money is refunded at once; the balance never changes. The
    same ``Idempotency-Key`` returns the same check; 422 on a key used for another payment;
    503 when the payment service does not answer (retry with the same key)."""
    payment = card_check_create(
        account_id=request.account.pk,  # type: ignore[attr-defined]
        idempotency_key=idempotency_key,
        return_url=payload.return_url,
    )
    return Status(201, payment_out(payment))


@router.delete("/cards/{card_id}", response={204: None, **_ERRORS}, summary="Remove a saved card")
def delete_card(request: HttpRequest, card_id: int) -> Status[None]:
    """204; 404 for a card that is not the caller's."""
    card_remove(account_id=request.account.pk, card_id=card_id)  # type: ignore[attr-defined]
    return Status(204, None)
