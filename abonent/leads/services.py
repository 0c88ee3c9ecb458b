"""Writes to connection requests. Pages and the API call these; nothing else writes leads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abonent.catalogue.models import Tariff
from abonent.core.audit import audit_record, snapshot
from abonent.core.errors import ApplicationError, NotFound, RateLimited
from abonent.core.phone import normalize_phone
from abonent.core.ratelimit import ratelimit_exceeded, ratelimit_hit
from abonent.leads.models import Lead, LeadNote, LeadSource, LeadStatus

NAME_MAX = 150
ADDRESS_MAX = 255
COMMENT_MAX = 2000

# Which status a request may move to from each status. Scheduled → scheduled is a new time.
TRANSITIONS: dict[str, set[str]] = {
    LeadStatus.NEW: {LeadStatus.CONTACTED, LeadStatus.SCHEDULED, LeadStatus.CANCELLED},
    LeadStatus.CONTACTED: {LeadStatus.SCHEDULED, LeadStatus.CANCELLED},
    LeadStatus.SCHEDULED: {
        LeadStatus.SCHEDULED,
        LeadStatus.CONNECTED,
        LeadStatus.CONTACTED,
        LeadStatus.CANCELLED,
    },
    LeadStatus.CONNECTED: set(),
    LeadStatus.CANCELLED: {LeadStatus.CONTACTED},
}
AUDITED_FIELDS = ["status", "scheduled_address", "scheduled_at", "assigned_to"]


def lead_clean_name(name: str) -> str:
    """A person's name as typed, trimmed; at least two letters."""
    value = " ".join((name or "").split())
    if not value:
        raise ApplicationError(_("Tell us your name."), field="name", code="required")
    if sum(ch.isalpha() for ch in value) < 2:
        raise ApplicationError(_("Enter your name in letters."), field="name", code="invalid")
    if len(value) > NAME_MAX:
        raise ApplicationError(
            _("The name is too long (at most %(n)d characters).") % {"n": NAME_MAX},
            field="name",
            code="too_long",
        )
    return value


def lead_tariff(tariff_id: Any) -> Tariff:
    """The tariff a visitor may order, or an error on the ``tariff_id`` field."""
    try:
        pk = int(tariff_id)
    except (TypeError, ValueError):
        raise ApplicationError(_("Choose a tariff."), field="tariff_id", code="required") from None
    tariff = Tariff.objects.filter(
        pk=pk, is_public=True, is_archived=False, kind__is_public=True
    ).first()
    if tariff is None:
        raise ApplicationError(
            _("This tariff is not available for connection. Choose another one."),
            field="tariff_id",
            code="unavailable",
        )
    return tariff


def lead_check_rate(*, ip: str | None, phone: str) -> None:
    """Refuse politely when this IP or this phone has sent too many requests lately."""
    window = settings.ABONENT_LEAD_RATE_WINDOW_SECONDS
    message = _(
        "We have already received your requests, thank you! A manager will call you soon. "
        "If you need to send another one, please try again later or call us."
    )
    if ratelimit_exceeded(
        scope="lead_phone",
        key=phone,
        limit=settings.ABONENT_LEAD_RATE_LIMIT_PHONE,
        window_seconds=window,
    ):
        raise RateLimited(message, field="phone")
    if ip and ratelimit_exceeded(
        scope="lead_ip", key=ip, limit=settings.ABONENT_LEAD_RATE_LIMIT_IP, window_seconds=window
    ):
        raise RateLimited(message, field=None)


def lead_create(
    *,
    tariff_id: Any,
    name: str,
    phone: str,
    consent: bool,
    address: str = "",
    comment: str = "",
    ip: str | None = None,
    language: str = "ru",
    source: str = LeadSource.SITE,
) -> Lead:
    """Accept a connection request into the managers' queue.

    Validates every field (phone normalised to +7XXXXXXXXXX), applies the per-IP and
    per-phone rate limits, and counts this request against them.
    """
    tariff = lead_tariff(tariff_id)
    clean_name = lead_clean_name(name)
    clean_phone = normalize_phone(phone)
    address = " ".join((address or "").split())
    comment = (comment or "").strip()
    if len(address) > ADDRESS_MAX:
        raise ApplicationError(_("The address is too long."), field="address", code="too_long")
    if len(comment) > COMMENT_MAX:
        raise ApplicationError(
            _("The comment is too long (at most %(n)d characters).") % {"n": COMMENT_MAX},
            field="comment",
            code="too_long",
        )
    if consent is not True:
        raise ApplicationError(
            _("We need your consent to process personal data to call you back."),
            field="consent",
            code="required",
        )
    with transaction.atomic():
        lead_check_rate(ip=ip, phone=clean_phone)
        lead = Lead.objects.create(
            tariff=tariff,
            name=clean_name,
            phone=clean_phone,
            address=address,
            comment=comment,
            consent_at=timezone.now(),
            source=source,
            language=(language or "ru")[:8],
            ip=ip,
        )
        ratelimit_hit(scope="lead_phone", key=clean_phone)
        if ip:
            ratelimit_hit(scope="lead_ip", key=ip)
    return lead


def lead_transition(
    *,
    lead_id: int,
    actor: Any,
    to_status: str,
    note: str = "",
    scheduled_address: str = "",
    scheduled_at: dt.datetime | None = None,
) -> Lead:
    """Move a request to another status, with an optional note; audited.

    ``scheduled`` needs the connection address and time.
    """
    if to_status not in LeadStatus.values:
        raise ApplicationError(_("Unknown status."), field="status", code="invalid")
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        if lead is None:
            raise NotFound(_("No such request."))
        if to_status not in TRANSITIONS[lead.status]:
            raise ApplicationError(
                _("A request in status “%(from)s” cannot move to “%(to)s”.")
                % {"from": LeadStatus(lead.status).label, "to": LeadStatus(to_status).label},
                field="status",
                code="invalid_transition",
            )
        before = snapshot(lead, AUDITED_FIELDS)
        update = ["status", "updated_at"]
        if to_status == LeadStatus.SCHEDULED:
            address = " ".join((scheduled_address or lead.address or "").split())
            if not address:
                raise ApplicationError(
                    _("Enter the connection address."), field="scheduled_address", code="required"
                )
            if scheduled_at is None:
                raise ApplicationError(
                    _("Choose the date and time of the connection."),
                    field="scheduled_at",
                    code="required",
                )
            if len(address) > 255:
                raise ApplicationError(
                    _("The address is too long."), field="scheduled_address", code="too_long"
                )
            lead.scheduled_address = address
            lead.scheduled_at = scheduled_at
            update += ["scheduled_address", "scheduled_at"]
        if lead.assigned_to_id is None and getattr(actor, "is_authenticated", False):
            lead.assigned_to = actor
            update.append("assigned_to")
        status_from = lead.status
        lead.status = to_status
        lead.save(update_fields=update)
        LeadNote.objects.create(
            lead=lead,
            author=actor if getattr(actor, "is_authenticated", False) else None,
            text=(note or "").strip(),
            status_from=status_from,
            status_to=to_status,
        )
        audit_record(
            actor=actor,
            action="lead.status",
            obj=lead,
            before=before,
            after=snapshot(lead, AUDITED_FIELDS),
        )
    return lead


def lead_add_note(*, lead_id: int, actor: Any, text: str) -> LeadNote:
    """Add a manager's note to a request; audited."""
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("The note is empty."), field="text", code="required")
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        if lead is None:
            raise NotFound(_("No such request."))
        author = actor if getattr(actor, "is_authenticated", False) else None
        note = LeadNote.objects.create(lead=lead, author=author, text=text)
        audit_record(actor=actor, action="lead.note", obj=lead, after={"note": text})
    return note
