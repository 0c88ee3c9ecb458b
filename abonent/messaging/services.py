"""Writes of provider mail: sending to one account, broadcasting to a segment, read state.

A broadcast is accepted at once (``message_broadcast_accept``: the ``Message`` row, its
``BroadcastDelivery`` and a task row) and delivered by the worker (``broadcast_deliver``): per
range of account ids, one ``INSERT … SELECT`` of recipient rows and one of e-mail rows, whatever
the segment's size. ``message_broadcast`` does both in the calling process.

Automatic notices live in ``messaging.notifications``; e-mail in ``messaging.outbox``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import Account
from abonent.core.audit import audit_record
from abonent.core.errors import ApplicationError, NotFound
from abonent.messaging.models import (
    BODY_MAX,
    SUBJECT_MAX,
    BroadcastDelivery,
    EmailOutbox,
    EmailStatus,
    Message,
    MessageAudience,
    MessageCategory,
    MessageRecipient,
    NotificationKind,
)
from abonent.messaging.preferences import accounts_wanting_email
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
    account_locked: bool = False,
) -> Message:
    """Send a message to one account. ``sender`` is the staff user, or None for the system.
    Call it inside the transaction of the event it tells about: the note exists exactly when
    the event does. ``account_locked``: the caller's transaction holds the account's row
    locked, so it exists and no savepoint is needed (an error rolls the caller back)."""
    subject, body = _clean(subject, body, category)
    user = sender if getattr(sender, "is_authenticated", False) else None
    with transaction.atomic(savepoint=not account_locked):
        if not account_locked and not Account.objects.filter(pk=account_id).exists():
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


def message_broadcast_accept(
    *,
    segment: Segment,
    subject: str,
    body: str,
    category: str = MessageCategory.NEWS,
    sender: Any,
    enqueue: bool = True,
) -> Message:
    """Accept a broadcast at once: check it, write the ``Message``, its ``BroadcastDelivery``
    and the audit entry, and enqueue the task that writes the recipients (``deliver_broadcast``,
    a row in this same transaction with the database task backend). The same few queries for
    100 accounts or 100 000. ``enqueue=False`` leaves the delivery to the caller."""
    subject, body = _clean(subject, body, category)
    segment = segment_clean(segment)
    user = sender if getattr(sender, "is_authenticated", False) else None
    with transaction.atomic():
        message = Message.objects.create(
            category=category,
            subject=subject,
            body=body,
            audience=MessageAudience.SEGMENT,
            segment=segment.as_json(),
            sender=user,
        )
        BroadcastDelivery.objects.create(message=message)
        audit_record(
            actor=user,
            action="message.broadcast",
            obj=message,
            after={"segment": segment.as_json(), "category": category},
        )
        if enqueue:
            from abonent.messaging.tasks import deliver_broadcast

            deliver_broadcast.enqueue(message_id=message.pk)
    return message


def _insert_select(cursor: Any, insert: str, select: Any, extra: list[Any]) -> int:
    """``INSERT … SELECT`` with the ORM's SELECT; its parameters are passed separately, and the
    table and column names come from our own models: nothing from a caller is pasted in."""
    select_sql, params = select.query.sql_with_params()
    cursor.execute(insert.format(select=select_sql), [*extra, *params])
    return int(cursor.rowcount)


def broadcast_deliver(*, message_id: int, chunk: int | None = None) -> int:
    """Write a broadcast's recipient rows and e-mail rows, one range of account ids per
    transaction (``ABONENT_BROADCAST_CHUNK``), each range two ``INSERT … SELECT`` statements.
    Resumes from ``BroadcastDelivery.next_account_id``; a range written twice is harmless
    (``ON CONFLICT DO NOTHING`` on the unique keys). Returns the number of recipients.

    The audience is the segment's accounts when the task runs, a moment after the broadcast
    was accepted."""
    chunk = chunk or settings.ABONENT_BROADCAST_CHUNK
    delivery = BroadcastDelivery.objects.select_related("message").get(pk=message_id)
    message = delivery.message
    segment = Segment(**message.segment)
    top = Account.objects.order_by("-id").values_list("id", flat=True).first() or 0
    recipients = MessageRecipient._meta.db_table
    outbox = EmailOutbox._meta.db_table
    lo = delivery.next_account_id
    while delivery.status != BroadcastDelivery.Status.DONE:
        hi = lo + chunk
        accounts = segment_accounts(segment=segment).filter(pk__gte=lo, pk__lt=hi).order_by()
        ids = accounts.annotate(account_ref=F("pk")).values("account_ref")
        mail = (
            accounts_wanting_email(accounts, kind=NotificationKind.BROADCAST)
            .annotate(account_ref=F("pk"), to_address=F("email"), lang=F("language"))
            .values("account_ref", "to_address", "lang")
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with transaction.atomic(), connection.cursor() as cursor:
            added = _insert_select(
                cursor,
                f"INSERT INTO {recipients} (message_id, account_id) "  # noqa: S608
                # "WHERE 1 = 1": SQLite would read the ON of ON CONFLICT as a join's otherwise
                "SELECT %s, segment.account_ref FROM ({select}) segment WHERE 1 = 1 "
                "ON CONFLICT DO NOTHING",
                ids,
                [message.pk],
            )
            emails = _insert_select(
                cursor,
                f"INSERT INTO {outbox} (account_id, message_id, kind, to_email, language, "  # noqa: S608
                "subject, body_text, body_html, status, attempts, refusals, next_attempt_at, "
                "claim, last_error, created_at) "
                "SELECT m.account_ref, %s, %s, m.to_address, m.lang, '', '', '', %s, 0, 0, %s, "
                "'', '', %s FROM ({select}) m WHERE 1 = 1 ON CONFLICT DO NOTHING",
                mail,
                [message.pk, NotificationKind.BROADCAST, EmailStatus.PENDING, now, now],
            )
            done = hi > top
            BroadcastDelivery.objects.filter(pk=message_id).update(
                next_account_id=hi,
                recipients=F("recipients") + added,
                emails=F("emails") + emails,
                status=BroadcastDelivery.Status.DONE if done else BroadcastDelivery.Status.QUEUED,
                finished_at=timezone.now() if done else None,
            )
        delivery.refresh_from_db()
        lo = hi
    return delivery.recipients


def message_broadcast(
    *,
    segment: Segment,
    subject: str,
    body: str,
    category: str = MessageCategory.NEWS,
    sender: Any,
) -> tuple[Message, int]:
    """Accept a broadcast and deliver it now, in this process (small segments, tests, the
    demo); returns it and how many accounts it reached. Staff pages accept with
    ``message_broadcast_accept`` and leave the delivery to the worker."""
    message = message_broadcast_accept(
        segment=segment,
        subject=subject,
        body=body,
        category=category,
        sender=sender,
        enqueue=False,
    )
    return message, broadcast_deliver(message_id=message.pk)


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


def notify_password_reset(*, account: Account, actor: Any) -> Message | None:
    """The security notice after staff reset the account's password (inbox and e-mail), in
    the account's language. Called by ``account_reset_password`` inside its transaction."""
    from abonent.messaging.notifications import password_reset

    return password_reset(account=account, actor=actor)
