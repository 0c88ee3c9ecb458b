"""API shapes of authentication and the subscriber's own account."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class TokenIn(Schema):
    """Contract number (the login) and password."""

    contract: str
    password: str


class TokenOut(Schema):
    """A bearer token; send it as ``Authorization: Bearer <token>``."""

    token: str
    expires_at: dt.datetime


class MeTariffOut(Schema):
    """The account's tariff."""

    id: int
    name: str
    service_kind: str
    fee_kop: int
    fee: str
    fee_period: str
    download_kbps: int | None
    upload_kbps: int | None


class MeOut(Schema):
    """The caller's account. Amounts are integer kopecks with a formatted string beside."""

    contract: str
    name: str
    status: str
    status_text: str
    balance_kop: int
    balance: str
    credit_limit_kop: int
    credit_limit: str
    tariff: MeTariffOut
    address: str
    phone: str
    email: str
    service_start: dt.date
    must_change_password: bool
