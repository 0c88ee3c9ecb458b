"""API shapes of connection requests."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class LeadIn(Schema):
    """A connection request. ``consent`` must be true."""

    tariff_id: int
    name: str
    phone: str
    address: str = ""
    comment: str = ""
    consent: bool = False


class LeadOut(Schema):
    """The accepted request."""

    id: int
    status: str
    tariff_id: int
    name: str
    phone: str
    created_at: dt.datetime
    next_steps: str
