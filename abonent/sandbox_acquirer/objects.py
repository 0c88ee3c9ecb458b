"""The JSON shapes the sandbox answers and notifies with (docs/payments-protocol.md)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from abonent.core.money import rubles

from . import conf
from .models import CancellationReason, Payment, PaymentStatus, Refund


def iso_time(moment: dt.datetime) -> str:
    """``2026-11-25T12:00:00.000Z``: UTC with milliseconds, as YooKassa writes it."""
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def amount_json(amount_kop: int, currency: str) -> dict:
    return {"value": f"{rubles(amount_kop)}", "currency": currency}


def base_url_for(payment: Payment) -> str:
    """Where the payer's browser finds the sandbox: the setting, else the creating request's."""
    return (conf.public_url() or payment.base_url).rstrip("/")


def _link(payment: Payment, name: str) -> str:
    path = reverse(f"sandbox_acquirer:{name}", args=[payment.id])
    root = reverse("sandbox_acquirer:pay", args=[payment.id]).removesuffix(f"pay/{payment.id}")
    return base_url_for(payment) + "/" + path.removeprefix(root)


def confirmation_url(payment: Payment) -> str:
    return _link(payment, "pay")


def receipt_url(payment: Payment) -> str:
    return _link(payment, "receipt")


def payment_json(payment: Payment) -> dict:
    """A payment object: what ``GET payments/{id}`` answers and what a notification carries."""
    body: dict = {
        "id": payment.id,
        "status": payment.status,
        "paid": payment.status == PaymentStatus.SUCCEEDED,
        "amount": amount_json(payment.amount_kop, payment.currency),
        "description": payment.description,
        "metadata": payment.metadata,
        "created_at": iso_time(payment.created_at),
        "test": True,
    }
    if payment.return_url:
        body["confirmation"] = {
            "type": "redirect",
            "return_url": payment.return_url,
            "confirmation_url": confirmation_url(payment),
        }
    card = payment.card
    if card is not None:
        body["payment_method"] = {
            "type": "bank_card",
            "id": card.token,
            "saved": card.saved,
            "card": {
                "first6": card.first6,
                "last4": card.last4,
                "expiry_month": card.expiry_month,
                "expiry_year": card.expiry_year,
                "card_type": card.brand,
            },
        }
    if payment.status == PaymentStatus.CANCELED:
        party = (
            "sandbox"
            if payment.cancellation_reason == CancellationReason.EXPIRED_ON_CONFIRMATION
            else "issuer"
        )
        body["cancellation_details"] = {"party": party, "reason": payment.cancellation_reason}
    if payment.status == PaymentStatus.SUCCEEDED:
        body["captured_at"] = iso_time(payment.finished_at or payment.updated_at)
        body["receipt_registration"] = "succeeded"
        body["receipt_url"] = receipt_url(payment)
    return body


def refund_json(refund: Refund) -> dict:
    """A refund object."""
    return {
        "id": refund.id,
        "status": "succeeded",
        "amount": amount_json(refund.amount_kop, refund.currency),
        "payment_id": refund.payment_id,
        "created_at": iso_time(refund.created_at),
        "description": refund.description,
    }
