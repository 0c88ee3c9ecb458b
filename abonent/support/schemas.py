"""API shapes of support tickets."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class TicketIn(Schema):
    """A new ticket. Images can be attached on the cabinet's web form only."""

    category: str = Field(description="no_connection, slow_speed, payments, tariff or other.")
    subject: str = Field(description="At most 150 characters.")
    text: str = Field(description="Plain text, at most 5 000 characters.")


class ReplyIn(Schema):
    """A reply: plain text (required; an empty one is refused with 422)."""

    text: str = Field(default="", description="Plain text, at most 5 000 characters.")


class AttachmentOut(Schema):
    """An image attached to a message; ``url`` downloads it with the same bearer token."""

    id: int
    name: str
    content_type: str
    size: int
    url: str


class TicketMessageOut(Schema):
    """One message of the conversation. ``text`` is plain text: show it escaped."""

    id: int
    author: str = Field(description='"you" for the subscriber, "support" for staff.')
    author_name: str = Field(description="The staff member's first name; empty for yours.")
    text: str
    created_at: dt.datetime
    attachments: list[AttachmentOut]


class TicketOut(Schema):
    """A ticket in the caller's list."""

    id: int
    category: str
    category_label: str
    subject: str
    status: str = Field(description="open (waiting for support), answered or closed.")
    status_label: str
    answered_by: str = Field(description="Who answered last (first name), or empty.")
    created_at: dt.datetime
    last_message_at: dt.datetime


class TicketDetailOut(TicketOut):
    """A ticket with its conversation, oldest message first."""

    messages: list[TicketMessageOut]


class TicketPageOut(Schema):
    """A page of the caller's tickets, the most recently active first."""

    items: list[TicketOut]
    count: int
