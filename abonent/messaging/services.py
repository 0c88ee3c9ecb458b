"""Writes of provider mail: sending to one account, broadcasting to a segment, read state.

Sending is synchronous in this slice but already set-based: a broadcast is one ``Message`` row
and one ``INSERT … SELECT`` of its recipient rows, whatever the segment's size. The background
delivery of issue 6 (accepting a broadcast at once, a worker writing the rows) will move that
one statement into a task; callers keep calling ``message_broadcast``.

Not in this slice: the staff pages for writing messages and broadcasts (the staff app is being
reworked in parallel), e-mail copies through an outbox, and the automatic notifications other
than the password reset (payment received, blocked, unblocked, …).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import Account
from abonent.core.audit import audit_record
from abonent.core.errors import ApplicationError, NotFound
from abonent.messaging.models import (
    BODY_MAX,
    SUBJECT_MAX,
    Message,
    MessageAudience,
    MessageCategory,
    MessageRecipient,
)
from abonent.messaging.segments import Segment, segment_clean
from abonent.messaging.selectors import message_get_for_account, segment_accounts


def _clean(subject: str, body: str, category: str) -> tuple[str, str]:
    subject = " ".join((subject or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    if not subject:
        raise ApplicationError(_("Write a subject."), field="subject")
    if len(subject) > SUBJECT_MAX:
        raise ApplicationError(
            _("The subject is too long (at most %(n)d characters).") % {"n": SUBJECT_MAX},
            field="subject",
        )
    if not body:
        raise ApplicationError(_("Write the text of the message."), field="body")
    if len(body) > BODY_MAX:
        raise ApplicationError(
            _("The text is too long (at most %(n)d characters).") % {"n": BODY_MAX},
            field="body",
        )
    if category not in MessageCategory.values:
        raise ApplicationError(_("Unknown category."), field="category")
    return subject, body


def message_send_to_account(
    *,
    account_id: int,
    subject: str,
    body: str,
    category: str,
    sender: Any = None,
) -> Message:
    """Send a message to one account. ``sender`` is the staff user, or None for the system.
    Call it inside the transaction of the event it tells about: the note exists exactly when
    the event does."""
    subject, body = _clean(subject, body, category)
    user = sender if getattr(sender, "is_authenticated", False) else None
    with transaction.atomic():
        if not Account.objects.filter(pk=account_id).exists():
            raise NotFound(_("No such account."))
        message = Message.objects.create(
            category=category,
            subject=subject,
            body=body,
            audience=MessageAudience.ACCOUNT,
            segment={"account_id": account_id},
            sender=user,
        )
        MessageRecipient.objects.create(message=message, account_id=account_id)
    return message


def message_broadcast(
    *,
    segment: Segment,
    subject: str,
    body: str,
    category: str = MessageCategory.NEWS,
    sender: Any,
) -> tuple[Message, int]:
    """Send one message to every account of the segment; returns it and how many accounts it
    reached. One ``INSERT … SELECT`` writes the recipient rows (synchronous for now; the
    background task of a later slice will run this same statement). Audited."""
    subject, body = _clean(subject, body, category)
    segment = segment_clean(segment)
    user = sender if getattr(sender, "is_authenticated", False) else None
    accounts = (segment_accounts(segment=segment).order_by().annotate(account_ref=F("pk"))).values(
        "account_ref"
    )
    select_sql, params = accounts.query.sql_with_params()
    table = MessageRecipient._meta.db_table
    with transaction.atomic():
        message = Message.objects.create(
            category=category,
            subject=subject,
            body=body,
            audience=MessageAudience.SEGMENT,
            segment=segment.as_json(),
            sender=user,
        )
        with connection.cursor() as cursor:
            # The table name comes from our own model and the SELECT is the ORM's, with its
            # parameters passed separately: nothing from the caller is pasted into the SQL.
            cursor.execute(
                f"INSERT INTO {table} (message_id, account_id) "  # noqa: S608
                f"SELECT %s, segment.account_ref FROM ({select_sql}) segment",
                [message.pk, *params],
            )
            count = cursor.rowcount
        audit_record(
            actor=user,
            action="message.broadcast",
            obj=message,
            after={"segment": segment.as_json(), "recipients": count, "category": category},
        )
    return message, count


def message_mark_read(*, account_id: int, message_id: int) -> MessageRecipient:
    """Mark the account's copy of a message read (the first reading's time stays) and return
    it with its message; ``NotFound`` for a message the account did not receive."""
    MessageRecipient.objects.filter(
        account_id=account_id, message_id=message_id, read_at__isnull=True
    ).update(read_at=timezone.now())
    return message_get_for_account(account_id=account_id, message_id=message_id)


def message_mark_all_read(*, account_id: int) -> int:
    """Mark every unread message of the account read; returns how many there were."""
    return MessageRecipient.objects.filter(account_id=account_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notify_password_reset(*, account: Account, actor: Any) -> Message:
    """The security notice after staff reset the account's password, in the account's
    language. Called by ``account_reset_password`` inside its transaction."""
    provider = settings.ABONENT_PROVIDER
    when = timezone.localtime()
    with translation.override(account.language or settings.LANGUAGE_CODE):
        subject = gettext("Your password has been changed")
        body = gettext(
            "On %(date)s at %(time)s your personal account password was changed by a staff "
            "member of %(provider)s. The new password is printed on a new contract and "
            "credentials sheet. Everywhere you were logged in, you have been logged out.\n\n"
            "If it was not you who asked for this, call us at once: %(phone)s."
        ) % {
            "date": formats.date_format(when, "DATE_FORMAT"),
            "time": formats.time_format(when, "H:i"),
            "provider": provider["name"],
            "phone": provider["phone"],
        }
    return message_send_to_account(
        account_id=account.pk,
        subject=subject,
        body=body,
        category=MessageCategory.SECURITY,
        sender=actor,
    )
