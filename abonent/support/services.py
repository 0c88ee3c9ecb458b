"""Writes of support tickets: opening, replying, closing and reopening, taking.

Every write is one transaction that locks the ticket row, writes its messages and files, and
writes an audit row for each change of status or assignee. A staff reply marks the ticket
answered and leaves the subscriber a note in "Почта" in the same transaction.

Attachments are checked (``support.uploads``) before the transaction starts; files written
to disk by a transaction that then fails are removed again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import Account
from abonent.core.access import Role, has_role
from abonent.core.audit import audit_record
from abonent.core.errors import ApplicationError, NotFound, PermissionDenied
from abonent.support.models import (
    SUBJECT_MAX,
    TEXT_MAX,
    Attachment,
    CannedAnswer,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatus,
)
from abonent.support.uploads import MAX_FILES, CheckedImage, UploadRefused, image_check

SUPPORT_ROLES: tuple[str, ...] = (Role.SUPPORT, Role.ADMIN)


# --- Checks ---------------------------------------------------------------------------------------


def _clean_subject(subject: str) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        raise ApplicationError(_("Write a subject."), field="subject")
    if len(subject) > SUBJECT_MAX:
        raise ApplicationError(
            _("The subject is too long (at most %(n)d characters).") % {"n": SUBJECT_MAX},
            field="subject",
        )
    return subject


def _clean_text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ApplicationError(_("Write the text of the message."), field="text")
    if len(text) > TEXT_MAX:
        raise ApplicationError(
            _("The text is too long (at most %(n)d characters).") % {"n": TEXT_MAX},
            field="text",
        )
    return text


def files_check(files: Iterable[Any]) -> list[CheckedImage]:
    """Check every upload by its content; the first refusal is a 422 on ``files`` that names
    the file."""
    files = [f for f in files if f is not None]
    if len(files) > MAX_FILES:
        raise ApplicationError(
            _("Attach at most %(n)d images.") % {"n": MAX_FILES}, field="files", code="too_many"
        )
    checked = []
    for upload in files:
        try:
            checked.append(image_check(upload))
        except UploadRefused as exc:
            raise ApplicationError(str(exc), field="files", code="bad_file") from None
    return checked


def _require_support(staff: Any) -> None:
    if not has_role(staff, *SUPPORT_ROLES):
        raise PermissionDenied(_("Only support staff and administrators handle tickets."))


def _lock(*, ticket_id: int, account_id: int | None) -> Ticket:
    """The ticket row, locked; for a subscriber only their own (``NotFound`` otherwise)."""
    qs = Ticket.objects.select_for_update().select_related("account")
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    ticket = qs.filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("No such ticket."))
    return ticket


def _store(message: TicketMessage, images: Sequence[CheckedImage], written: list[str]) -> None:
    from uuid import uuid4

    for image in images:
        attachment = Attachment(
            message=message,
            original_name=image.name,
            content_type=image.content_type,
            size=image.size,
        )
        attachment.file.save(f"{uuid4().hex}{image.extension}", ContentFile(image.data), save=False)
        written.append(attachment.file.name)
        attachment.save()


def _cleanup(written: list[str]) -> None:
    from abonent.support.models import private_storage

    for name in written:
        private_storage.delete(name)


def _who(*, staff: Any, ticket: Ticket) -> dict[str, Any]:
    if staff is not None:
        return {"by": "staff"}
    return {"by": "subscriber", "contract": ticket.account.contract}


def _audit_status(ticket: Ticket, before: str, *, staff: Any) -> None:
    audit_record(
        actor=staff,
        action="ticket.status",
        obj=ticket,
        before={"status": before},
        after={"status": ticket.status, **_who(staff=staff, ticket=ticket)},
    )


# --- Opening and replying -------------------------------------------------------------------------


def ticket_open(
    *, account: Account, category: str, subject: str, text: str, files: Iterable[Any] = ()
) -> Ticket:
    """The subscriber opens a ticket: subject, category, text and up to three images (PNG,
    JPEG, WebP or GIF by content, at most 5 MB each). Audited."""
    if category not in TicketCategory.values:
        raise ApplicationError(_("Choose what the problem is about."), field="category")
    subject = _clean_subject(subject)
    text = _clean_text(text)
    images = files_check(files)
    written: list[str] = []
    try:
        with transaction.atomic():
            now = timezone.now()
            ticket = Ticket.objects.create(
                account=account,
                category=category,
                subject=subject,
                status=TicketStatus.OPEN,
                last_message_at=now,
                waiting_since=now,
            )
            message = TicketMessage.objects.create(ticket=ticket, text=text, created_at=now)
            _store(message, images, written)
            audit_record(
                actor=None,
                action="ticket.open",
                obj=ticket,
                after={
                    "status": ticket.status,
                    "category": category,
                    "by": "subscriber",
                    "contract": account.contract,
                },
            )
    except BaseException:
        _cleanup(written)
        raise
    return ticket


def ticket_reply(
    *,
    ticket_id: int,
    text: str,
    files: Iterable[Any] = (),
    account_id: int | None = None,
    staff: Any = None,
) -> TicketMessage:
    """Add a message to a ticket, by its subscriber (``account_id``: ``NotFound`` for another
    account's ticket) or by support staff (``staff``).

    The subscriber's message puts the ticket in the staff queue again (a closed ticket is
    reopened); a staff reply marks it answered, assigns it to the replier when nobody has it,
    and sends the subscriber a note in "Почта"."""
    if (account_id is None) == (staff is None):
        raise ValueError("give exactly one of account_id and staff")
    if staff is not None:
        _require_support(staff)
    text = _clean_text(text)
    images = files_check(files)
    written: list[str] = []
    try:
        with transaction.atomic():
            ticket = _lock(ticket_id=ticket_id, account_id=account_id)
            now = timezone.now()
            before = ticket.status
            message = TicketMessage.objects.create(
                ticket=ticket, author_staff=staff, text=text, created_at=now
            )
            _store(message, images, written)
            fields = ["last_message_at", "status", "waiting_since", "updated_at"]
            ticket.last_message_at = now
            if staff is not None:
                ticket.status = TicketStatus.ANSWERED
                ticket.waiting_since = None
                ticket.answered_by = staff
                fields.append("answered_by")
                if ticket.assigned_to_id is None:
                    ticket.assigned_to = staff
                    fields.append("assigned_to")
            else:
                ticket.status = TicketStatus.OPEN
                if before != TicketStatus.OPEN or ticket.waiting_since is None:
                    ticket.waiting_since = now
            ticket.save(update_fields=fields)
            if ticket.status != before:
                _audit_status(ticket, before, staff=staff)
            if staff is not None:
                notify_ticket_answered(ticket=ticket, message=message, staff=staff)
    except BaseException:
        _cleanup(written)
        raise
    return message


def notify_ticket_answered(*, ticket: Ticket, message: TicketMessage, staff: Any) -> None:
    """Tell the subscriber about a staff reply: in "Почта" and, if they want it, by e-mail,
    once per reply (messaging's notification key). Called inside the reply's transaction."""
    from abonent.messaging import notifications  # lazy: messaging is a later layer

    notifications.notify(
        ticket.account_id,
        "ticket_answered",
        {
            "ticket_id": ticket.pk,
            "reply_id": message.pk,
            "subject": ticket.subject,
            "text": message.text,
            "url": settings.ABONENT_CABINET_URL.rstrip("/") + f"/support/{ticket.pk}/",
            "sender": staff,
        },
    )


# --- Status and assignee --------------------------------------------------------------------------


def ticket_status_set(
    *, ticket_id: int, status: str, account_id: int | None = None, staff: Any = None
) -> Ticket:
    """Change a ticket's status. Subscribers (``account_id``) may close their ticket or reopen
    it; staff may set any status. Reopening puts it in the queue from now. Audited; setting
    the status it already has changes nothing."""
    if (account_id is None) == (staff is None):
        raise ValueError("give exactly one of account_id and staff")
    if staff is not None:
        _require_support(staff)
    if status not in TicketStatus.values or (
        staff is None and status not in (TicketStatus.OPEN, TicketStatus.CLOSED)
    ):
        raise ApplicationError(_("Unknown status."), field="status")
    with transaction.atomic():
        ticket = _lock(ticket_id=ticket_id, account_id=account_id)
        before = ticket.status
        if before == status:
            return ticket
        ticket.status = status
        ticket.waiting_since = timezone.now() if status == TicketStatus.OPEN else None
        ticket.save(update_fields=["status", "waiting_since", "updated_at"])
        _audit_status(ticket, before, staff=staff)
    return ticket


def ticket_close(*, ticket_id: int, account_id: int | None = None, staff: Any = None) -> Ticket:
    """Close a ticket (the subscriber's own, or any for staff)."""
    return ticket_status_set(
        ticket_id=ticket_id, status=TicketStatus.CLOSED, account_id=account_id, staff=staff
    )


def ticket_reopen(*, ticket_id: int, account_id: int | None = None, staff: Any = None) -> Ticket:
    """Reopen a closed ticket: it waits for staff again."""
    return ticket_status_set(
        ticket_id=ticket_id, status=TicketStatus.OPEN, account_id=account_id, staff=staff
    )


def ticket_take(*, ticket_id: int, staff: Any) -> Ticket:
    """A support staff member takes a ticket: it is assigned to them. Audited."""
    _require_support(staff)
    with transaction.atomic():
        ticket = _lock(ticket_id=ticket_id, account_id=None)
        before = ticket.assigned_to_id
        if before == staff.pk:
            return ticket
        ticket.assigned_to = staff
        ticket.save(update_fields=["assigned_to", "updated_at"])
        audit_record(
            actor=staff,
            action="ticket.take",
            obj=ticket,
            before={"assigned_to": before},
            after={"assigned_to": staff.pk},
        )
    return ticket


# --- Canned answers -------------------------------------------------------------------------------


def canned_answer_save(
    *, staff: Any, title: str, text: str, answer_id: int | None = None
) -> CannedAnswer:
    """Add a canned answer, or change one. Audited."""
    _require_support(staff)
    title = " ".join((title or "").split())
    if not title:
        raise ApplicationError(_("Write a title."), field="title")
    if len(title) > 100:
        raise ApplicationError(_("The title is too long (at most 100 characters)."), field="title")
    text = _clean_text(text)
    with transaction.atomic():
        if CannedAnswer.objects.filter(title=title).exclude(pk=answer_id).exists():
            raise ApplicationError(_("A canned answer with this title exists."), field="title")
        if answer_id is None:
            answer = CannedAnswer.objects.create(title=title, text=text)
            before: dict[str, Any] = {}
        else:
            answer = CannedAnswer.objects.select_for_update().filter(pk=answer_id).first()
            if answer is None:
                raise NotFound(_("No such canned answer."))
            before = {"title": answer.title, "text": answer.text}
            answer.title, answer.text = title, text
            answer.save(update_fields=["title", "text"])
        audit_record(
            actor=staff,
            action="canned_answer.save",
            obj=answer,
            before=before,
            after={"title": title, "text": text},
        )
    return answer


def canned_answer_delete(*, staff: Any, answer_id: int) -> None:
    """Remove a canned answer. Audited."""
    _require_support(staff)
    with transaction.atomic():
        answer = CannedAnswer.objects.select_for_update().filter(pk=answer_id).first()
        if answer is None:
            raise NotFound(_("No such canned answer."))
        audit_record(
            actor=staff,
            action="canned_answer.delete",
            obj=answer,
            before={"title": answer.title, "text": answer.text},
        )
        answer.delete()
