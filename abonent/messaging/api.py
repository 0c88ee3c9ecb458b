"""The subscriber's mail in the API, under ``/api/v1/me/messages``. Every endpoint acts on the
token's own account only, through the owner-scoped messaging selectors and services."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from abonent.accounts.api import token_auth
from abonent.core.errors import ApplicationError
from abonent.messaging.models import MessageRecipient
from abonent.messaging.schemas import MessageOut, MessagePageOut, ReadAllOut
from abonent.messaging.selectors import inbox_for_account, unread_count
from abonent.messaging.services import message_mark_all_read, message_mark_read

router = Router(tags=["messages"], auth=token_auth)

PAGE_DEFAULT = 20
PAGE_MAX = 100


def message_out(item: MessageRecipient) -> MessageOut:
    """The API shape of the account's copy of a message."""
    message = item.message
    return MessageOut(
        id=message.pk,
        category=message.category,
        category_label=str(message.get_category_display()),
        subject=message.subject,
        body=message.body,
        sender="staff" if message.sender_id else "system",
        created_at=message.created_at,
        read_at=item.read_at,
        is_read=item.read_at is not None,
    )


@router.get("/messages", response=MessagePageOut, summary="The caller's mail, newest first")
def list_messages(
    request: HttpRequest,
    unread: Annotated[bool, Query(description="Only unread messages.")] = False,
    category: Annotated[str, Query(description="support, billing, security or news.")] = "",
    limit: Annotated[int, Query(description=f"1–{PAGE_MAX} (default {PAGE_DEFAULT}).")] = (
        PAGE_DEFAULT
    ),
    offset: Annotated[int, Query(description="Messages to skip.")] = 0,
) -> MessagePageOut:
    """Listing does not mark anything read; reading one message does. 422 with the field on a
    bad limit, offset or category."""
    if not 1 <= limit <= PAGE_MAX:
        raise ApplicationError(
            _("Choose from 1 to %(max)d messages per page.") % {"max": PAGE_MAX}, field="limit"
        )
    if offset < 0:
        raise ApplicationError(_("The offset cannot be negative."), field="offset")
    account_id = request.account.pk  # type: ignore[attr-defined]
    items = inbox_for_account(account_id=account_id, unread_only=unread, category=category)
    page = list(items[offset : offset + limit])
    count = offset + len(page) if len(page) < limit and (page or offset == 0) else items.count()
    return MessagePageOut(
        items=[message_out(item) for item in page],
        count=count,
        unread=unread_count(account_id=account_id),
    )


@router.post("/messages/read-all", response=ReadAllOut, summary="Mark every message read")
def read_all(request: HttpRequest) -> ReadAllOut:
    """Returns how many were unread."""
    account_id = request.account.pk  # type: ignore[attr-defined]
    return ReadAllOut(marked=message_mark_all_read(account_id=account_id), unread=0)


# after read-all: its path would otherwise be taken for a message id
@router.get(
    "/messages/{message_id}", response=MessageOut, summary="One message; reading marks it read"
)
def get_message(request: HttpRequest, message_id: int) -> MessageOut:
    """404 for a message the caller did not receive."""
    account_id = request.account.pk  # type: ignore[attr-defined]
    return message_out(message_mark_read(account_id=account_id, message_id=message_id))
