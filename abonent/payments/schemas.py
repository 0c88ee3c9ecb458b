"""Shapes of the payments API."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class PaymentIn(Schema):
    """A payment to start: an amount in kopecks; a saved card's id for one click, or
    ``save_card`` to keep the new card; where to come back to (default: our return page)."""

    amount_kop: int
    save_card: bool = False
    card_id: int | None = None
    return_url: str = ""


class CardCheckIn(Schema):
    """A card to attach: where to come back to after the acquirer's card page (default: our
    return page)."""

    return_url: str = ""


class PaymentOut(Schema):
    id: int
    purpose: str
    status: str
    status_label: str
    status_text: str
    final: bool
    amount_kop: int
    amount: str
    kind: str
    confirmation_url: str | None = None
    failure_reason: str | None = None
    receipt_url: str | None = None
    card: str | None = None
    refunded_kop: int
    created_at: dt.datetime
    finished_at: dt.datetime | None = None


class PaymentPageOut(Schema):
    items: list[PaymentOut]
    count: int


class CardOut(Schema):
    id: int
    title: str
    brand: str
    first6: str
    last4: str
    expiry_month: int | None = None
    expiry_year: int | None = None
    expiry: str
    is_default: bool
    created_at: dt.datetime


class CardListOut(Schema):
    items: list[CardOut]
    count: int
