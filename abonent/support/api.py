"""Support tickets in the API, under ``/api/v1/me/tickets``. Every endpoint acts on the
token's own account only, through the owner-scoped support selectors and services.

Replies and new tickets are JSON text. Images are attached on the cabinet's web form only;
attachments already on a ticket are listed with a ``url`` that downloads them with the same
bearer token.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from abonent.accounts.api import token_auth
from abonent.core.errors import ApplicationError
from abonent.support.models import Ticket, TicketMessage
from abonent.support.schemas import (
    AttachmentOut,
    ReplyIn,
    TicketDetailOut,
    TicketIn,
    TicketMessageOut,
    TicketOut,
    TicketPageOut,
)
from abonent.support.selectors import (
    attachment_get_for_account,
    staff_name,
    ticket_get_for_account,
    ticket_messages,
    tickets_for_account,
)
from abonent.support.services import ticket_open, ticket_reply
from abonent.support.views import attachment_response

router = Router(tags=["support"], auth=token_auth)

PAGE_DEFAULT = 20
PAGE_MAX = 100


def _ticket_fields(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "category": ticket.category,
        "category_label": str(ticket.get_category_display()),
        "subject": ticket.subject,
        "status": ticket.status,
        "status_label": str(ticket.get_status_display()),
        "answered_by": staff_name(ticket.answered_by) if ticket.answered_by_id else "",
        "created_at": ticket.created_at,
        "last_message_at": ticket.last_message_at,
    }


def message_out(message: TicketMessage) -> TicketMessageOut:
    """The API shape of one message (its attachments prefetched)."""
    ticket_id = message.ticket_id
    return TicketMessageOut(
        id=message.pk,
        author="support" if message.from_staff else "you",
        author_name=staff_name(message.author_staff) if message.from_staff else "",
        text=message.text,
        created_at=message.created_at,
        attachments=[
            AttachmentOut(
                id=a.pk,
                name=a.original_name,
                content_type=a.content_type,
                size=a.size,
                url=reverse(
                    "api-v1:support_attachment",
                    kwargs={"ticket_id": ticket_id, "attachment_id": a.pk},
                ),
            )
            for a in message.attachments.all()
        ],
    )


def ticket_detail_out(ticket: Ticket) -> TicketDetailOut:
    return TicketDetailOut(
        **_ticket_fields(ticket),
        messages=[message_out(m) for m in ticket_messages(ticket=ticket)],
    )


@router.get("/tickets", response=TicketPageOut, summary="The caller's support tickets")
def list_tickets(
    request: HttpRequest,
    limit: Annotated[int, Query(description=f"1–{PAGE_MAX} (default {PAGE_DEFAULT}).")] = (
        PAGE_DEFAULT
    ),
    offset: Annotated[int, Query(description="Tickets to skip.")] = 0,
) -> TicketPageOut:
    """The most recently active first, with status and who answered."""
    if not 1 <= limit <= PAGE_MAX:
        raise ApplicationError(
            _("Choose from 1 to %(max)d tickets per page.") % {"max": PAGE_MAX}, field="limit"
        )
    if offset < 0:
        raise ApplicationError(_("The offset cannot be negative."), field="offset")
    qs = tickets_for_account(account_id=request.account.pk)  # type: ignore[attr-defined]
    page = list(qs[offset : offset + limit])
    count = offset + len(page) if len(page) < limit and (page or offset == 0) else qs.count()
    return TicketPageOut(items=[TicketOut(**_ticket_fields(t)) for t in page], count=count)


@router.post(
    "/tickets", response={201: TicketDetailOut}, summary="Open a ticket (text; no attachments)"
)
def create_ticket(request: HttpRequest, payload: TicketIn) -> Status[TicketDetailOut]:
    """422 with the field on a missing subject or text or an unknown category. Images can be
    attached on the cabinet's web form."""
    ticket = ticket_open(
        account=request.account,  # type: ignore[attr-defined]
        category=payload.category,
        subject=payload.subject,
        text=payload.text,
    )
    return Status(201, ticket_detail_out(ticket))


@router.get("/tickets/{ticket_id}", response=TicketDetailOut, summary="One ticket")
def get_ticket(request: HttpRequest, ticket_id: int) -> TicketDetailOut:
    """With its conversation, oldest message first. 404 for a ticket that is not the caller's."""
    account_id = request.account.pk  # type: ignore[attr-defined]
    return ticket_detail_out(ticket_get_for_account(account_id=account_id, ticket_id=ticket_id))


@router.post(
    "/tickets/{ticket_id}/messages",
    response={201: TicketMessageOut},
    summary="Reply to a ticket (text)",
)
def reply_ticket(
    request: HttpRequest, ticket_id: int, payload: ReplyIn
) -> Status[TicketMessageOut]:
    """The ticket waits for support again (a closed one is reopened). 404 for a ticket that is
    not the caller's, 422 for an empty or too long text."""
    account_id = request.account.pk  # type: ignore[attr-defined]
    ticket_get_for_account(account_id=account_id, ticket_id=ticket_id)
    message = ticket_reply(ticket_id=ticket_id, account_id=account_id, text=payload.text)
    return Status(201, message_out(message))


@router.get(
    "/tickets/{ticket_id}/attachments/{attachment_id}",
    url_name="support_attachment",
    summary="Download an attachment",
    response={200: None},
)
def get_attachment(request: HttpRequest, ticket_id: int, attachment_id: int) -> HttpResponse:
    """The image with its content type (checked from its content when it was uploaded),
    ``Content-Disposition: inline`` and ``X-Content-Type-Options: nosniff``. 404 for anything
    that is not the caller's."""
    attachment = attachment_get_for_account(
        account_id=request.account.pk,  # type: ignore[attr-defined]
        ticket_id=ticket_id,
        attachment_id=attachment_id,
    )
    return attachment_response(attachment)
