"""The e-mail outbox: rows written in the transaction of the event, sent by the worker.

Nothing is lost: a row exists exactly when its event does (same transaction), and it leaves the
``pending`` state only when the SMTP server has accepted the message (``sent``) or has refused
it ``ABONENT_EMAIL_MAX_ATTEMPTS`` times (``failed``, kept with the last error for staff to see).
While the server cannot be reached, rows stay pending and are tried again later with an
exponential backoff (1, 2, 4 … minutes, capped), however long the outage lasts.

Exactly once, as far as SMTP allows: a sender first *claims* a batch of due rows in a short
transaction (PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent workers take
different rows; SQLite: the ``IMMEDIATE`` transaction our settings use, so claims serialise),
marking them ``sending`` with a claim token and a lease. It then sends them outside any
transaction and marks each one ``sent`` right after the server accepted it. The one window left
is a crash between the server's "250 OK" and that mark: after the lease runs out the row is
claimed again and sent a second time. No protocol closes that window (SMTP has no idempotency
key); each row's ``Message-ID`` is stable, so a receiving system can drop the duplicate.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from abonent.accounts.models import Account
from abonent.messaging.emails import email_language, email_render
from abonent.messaging.models import EmailOutbox, EmailStatus

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=15)  # a claimed row not marked by then is claimed again


def outbox_add(*, account: Account, kind: str, subject: str, body: str) -> EmailOutbox | None:
    """Queue one e-mail to the account (rendered now, in its language); None without an
    address. Call it inside the transaction of the event."""
    if not account.email:
        return None
    language = email_language(account.language)
    text, html = email_render(subject=subject, body=body, language=language, kind=kind)
    now = timezone.now()
    return EmailOutbox.objects.create(
        account=account,
        kind=kind,
        to_email=account.email,
        language=language,
        subject=subject[:255],
        body_text=text,
        body_html=html,
        next_attempt_at=now,
        created_at=now,
    )


@dataclass
class SendReport:
    """What one call of the sender did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    server_down: bool = False


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try: base × 2^(attempts-1), capped."""
    base = settings.ABONENT_EMAIL_RETRY_BASE_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), settings.ABONENT_EMAIL_RETRY_MAX_SECONDS)
    return dt.timedelta(seconds=seconds)


def outbox_claim(*, limit: int, now: dt.datetime) -> tuple[str, list[int]]:
    """Take up to ``limit`` due rows for this sender; returns the claim token and their ids.
    Due: pending with ``next_attempt_at`` passed, or ``sending`` whose lease ran out (the
    claim moves ``next_attempt_at`` to the lease's end, so one index serves both)."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        due = EmailOutbox.objects.filter(
            status__in=[EmailStatus.PENDING, EmailStatus.SENDING], next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:limit])
        if ids:
            EmailOutbox.objects.filter(pk__in=ids).update(
                status=EmailStatus.SENDING, claim=token, claimed_at=now, next_attempt_at=now + LEASE
            )
    return token, ids


def _build(row: EmailOutbox) -> EmailMultiAlternatives:
    if row.message_id is not None:  # a broadcast: rendered from the immutable message now
        message = row.message
        assert message is not None  # noqa: S101 - for the type checker
        subject = message.subject
        text, html = email_render(
            subject=subject, body=message.body, language=row.language, kind=row.kind
        )
    else:
        subject, text, html = row.subject, row.body_text, row.body_html
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "abonent.local"
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to_email],
        headers={
            "Message-ID": f"<outbox-{row.pk}@{domain}>",
            "Auto-Submitted": "auto-generated",
            "Content-Language": row.language,
        },
    )
    email.attach_alternative(html, "text/html")
    return email


def _mark_sent(row: EmailOutbox, token: str) -> None:
    EmailOutbox.objects.filter(pk=row.pk, claim=token).update(
        status=EmailStatus.SENT, sent_at=timezone.now(), claim="", last_error=""
    )


def _release(ids: list[int], token: str, error: str, now: dt.datetime) -> None:
    """The server could not be reached: back to pending, later; no refusal counted."""
    for row in EmailOutbox.objects.filter(pk__in=ids, claim=token).only("pk", "attempts"):
        EmailOutbox.objects.filter(pk=row.pk, claim=token).update(
            status=EmailStatus.PENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + backoff(row.attempts + 1),
            claim="",
            last_error=error[:500],
        )


def _refused(row: EmailOutbox, token: str, error: str, now: dt.datetime) -> bool:
    """The server refused this message: try later, or mark it failed after the last try.
    Returns True when it is failed."""
    refusals = row.refusals + 1
    failed = refusals >= settings.ABONENT_EMAIL_MAX_ATTEMPTS
    EmailOutbox.objects.filter(pk=row.pk, claim=token).update(
        status=EmailStatus.FAILED if failed else EmailStatus.PENDING,
        attempts=row.attempts + 1,
        refusals=refusals,
        next_attempt_at=now + backoff(row.attempts + 1),
        claim="",
        last_error=error[:500],
    )
    return failed


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def outbox_send_due(
    *, now: dt.datetime | None = None, limit: int | None = None, max_batches: int = 20
) -> SendReport:
    """Send what is due over one SMTP connection per batch; see the module's docstring."""
    report = SendReport()
    limit = limit or settings.ABONENT_EMAIL_BATCH
    fixed_now = now
    for _batch in range(max_batches):
        now = fixed_now or timezone.now()
        token, ids = outbox_claim(limit=limit, now=now)
        if not ids:
            break
        rows = list(EmailOutbox.objects.filter(pk__in=ids).select_related("message").order_by("id"))
        try:
            smtp = get_connection(fail_silently=False)
            smtp.open()
        except OSError as exc:  # smtplib's errors are OSErrors too
            _release(ids, token, _error(exc), now)
            report.server_down = True
            logger.warning("e-mail: the SMTP server cannot be reached (%s); will retry", exc)
            break
        try:
            for index, row in enumerate(rows):
                try:
                    smtp.send_messages([_build(row)])
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                    if _refused(row, token, _error(exc), now):
                        report.failed += 1
                        logger.error("e-mail %s failed for good: %s", row.pk, exc)
                    else:
                        report.retried += 1
                except OSError as exc:  # the connection broke: the rest waits
                    _release([r.pk for r in rows[index:]], token, _error(exc), now)
                    report.server_down = True
                    report.retried += len(rows) - index
                    break
                else:
                    _mark_sent(row, token)
                    report.sent += 1
        finally:
            try:
                smtp.close()
            except OSError:  # pragma: no cover - closing a broken connection
                pass
        if report.server_down or len(ids) < limit:
            break
    return report
