"""API shapes of the subscriber's mail."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class MessageOut(Schema):
    """One message in the caller's inbox. ``body`` is plain text: show it as text (escape it),
    making web addresses clickable if you like."""

    id: int
    category: str = Field(description="support, billing, security or news.")
    category_label: str
    subject: str
    body: str
    sender: str = Field(description='"staff" when a staff member wrote it, "system" otherwise.')
    created_at: dt.datetime
    read_at: dt.datetime | None
    is_read: bool


class MessagePageOut(Schema):
    """A page of the inbox, newest first; ``count`` is the number of messages that match."""

    items: list[MessageOut]
    count: int
    unread: int = Field(description="Unread messages in the whole inbox.")


class ReadAllOut(Schema):
    """How many messages were unread and are read now."""

    marked: int
    unread: int
