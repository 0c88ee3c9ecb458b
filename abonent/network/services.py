"""Writes of network access: credentials, the RADIUS groups' defaults, and the retention of
FreeRADIUS's logs."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import Account
from abonent.core.audit import audit_record
from abonent.core.errors import ApplicationError, NotFound
from abonent.network.models import (
    AttributeList,
    ChangeState,
    GroupAttribute,
    NasType,
    NetworkCredential,
    ReplyTemplate,
    SessionChange,
)

# Letters and digits without look-alikes: a network password is typed into a router by hand.
PASSWORD_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"  # noqa: S105
PASSWORD_LENGTH = 12
RESTRICTED_GROUP = "restricted"
# What a blocked account gets: the NAS's address list that reaches only the cabinet and the
# payment pages, and a low speed. Staff may change these rows; missing ones are put back by
# ``group_defaults_ensure``.
RESTRICTED_DEFAULTS = [
    (AttributeList.REPLY, "Mikrotik-Address-List", ":=", "abonent-blocked"),
    (AttributeList.REPLY, "Mikrotik-Rate-Limit", ":=", "1024k/1024k"),
]
# The speed of an active account per NAS type (``ReplyTemplate``; see its placeholders).
# Staff may change these rows; ``reply_templates_ensure`` seeds them into an empty table.
REPLY_TEMPLATE_DEFAULTS = [
    ("mikrotik", "Mikrotik-Rate-Limit", ":=", "{up}k/{down}k"),
    ("other", "Mikrotik-Rate-Limit", ":=", "{up}k/{down}k"),
    # accel-ppp's shaper with "[shaper] attr=Filter-Id": "down/up" in kbit/s.
    ("accel-ppp", "Filter-Id", ":=", "{down}/{up}"),
    # Cisco IOS PPP: a rate-limit per direction on the virtual-access interface, in bit/s with
    # one second of traffic (in bytes) as the bursts.
    (
        "cisco",
        "Cisco-AVPair",
        "+=",
        "lcp:interface-config#1=rate-limit output {down_bps} {down_bytes} {down_bytes} "
        "conform-action transmit exceed-action drop",
    ),
    (
        "cisco",
        "Cisco-AVPair",
        "+=",
        "lcp:interface-config#2=rate-limit input {up_bps} {up_bytes} {up_bytes} "
        "conform-action transmit exceed-action drop",
    ),
    # Juniper (ERX/MX): policies defined on the router, one per speed.
    ("juniper", "ERX-Egress-Policy-Name", ":=", "abonent-down-{down}k"),
    ("juniper", "ERX-Ingress-Policy-Name", ":=", "abonent-up-{up}k"),
]
_MAC = re.compile(r"^[0-9A-F]{12}$")


class RadiusNeedsPostgres(ApplicationError):
    """Network access (the RADIUS schema) exists on PostgreSQL only."""


def radius_require_postgres() -> None:
    """Raise a clear error when the database is not PostgreSQL."""
    if connection.vendor != "postgresql":
        raise RadiusNeedsPostgres(
            _(
                "Network access through FreeRADIUS needs PostgreSQL: the RADIUS views and the "
                "radacct/radpostauth tables exist only there (this database is %(vendor)s)."
            )
            % {"vendor": connection.vendor}
        )


def network_password_generate() -> str:
    """A new network password: 12 letters and digits without look-alikes."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def mac_normalize(value: str) -> str:
    """``aa:bb:cc:dd:ee:ff``, ``aabb.ccdd.eeff``… → ``AA-BB-CC-DD-EE-FF`` (FreeRADIUS's
    ``rewrite_calling_station_id`` form); empty stays empty."""
    raw = re.sub(r"[^0-9A-Fa-f]", "", value or "").upper()
    if not value:
        return ""
    if not _MAC.match(raw):
        raise ApplicationError(_("Enter a MAC address such as AA-BB-CC-DD-EE-FF."), field="mac")
    return "-".join(raw[i : i + 2] for i in range(0, 12, 2))


def credential_create(*, account: Account) -> NetworkCredential:
    """The account's network credential, made now if it has none (login = contract number).

    Idempotent: the one-to-one constraint keeps one row; a concurrent second call returns it.
    """
    existing = NetworkCredential.objects.filter(account_id=account.pk).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return NetworkCredential.objects.create(
                account=account, login=account.contract, password=network_password_generate()
            )
    except IntegrityError:
        existing = NetworkCredential.objects.filter(account_id=account.pk).first()
        if existing is None:
            raise
        return existing


def credential_rotate_password(*, account_id: int, actor: Any) -> NetworkCredential:
    """A new network password for the account (the old one stops working at the next login)."""
    with transaction.atomic():
        account = Account.objects.select_for_update().filter(pk=account_id).first()
        if account is None:
            raise NotFound(_("No such account."))
        credential = credential_create(account=account)
        credential.password = network_password_generate()
        credential.password_changed_at = timezone.now()
        credential.save(update_fields=["password", "password_changed_at"])
        # The password itself never goes into the audit log.
        audit_record(actor=actor, action="network.password_rotate", obj=credential)
    return credential


def credential_update(
    *,
    account_id: int,
    actor: Any,
    login: str | None = None,
    mac: str | None = None,
    static_ip: str | None = None,
) -> NetworkCredential:
    """Change the login, the MAC binding ("" unbinds) or the static IP ("" frees it)."""
    with transaction.atomic():
        account = Account.objects.select_for_update().filter(pk=account_id).first()
        if account is None:
            raise NotFound(_("No such account."))
        credential = credential_create(account=account)
        before = {"login": credential.login, "mac": credential.mac, "ip": credential.static_ip}
        fields = []
        if login is not None:
            login = login.strip()
            if not login:
                raise ApplicationError(_("Enter the network login."), field="login")
            credential.login = login
            fields.append("login")
        if mac is not None:
            credential.mac = mac_normalize(mac.strip())
            fields.append("mac")
        if static_ip is not None:
            credential.static_ip = static_ip.strip() or None
            fields.append("static_ip")
        try:
            credential.full_clean(exclude=["account", "password"])
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise ApplicationError(messages[0], field=field, code="invalid") from None
        try:
            with transaction.atomic():
                credential.save(update_fields=fields)
        except IntegrityError:
            raise ApplicationError(
                _("This login or IP address is already taken."), field="login", code="duplicate"
            ) from None
        audit_record(
            actor=actor,
            action="network.credential_update",
            obj=credential,
            before=before,
            after={"login": credential.login, "mac": credential.mac, "ip": credential.static_ip},
        )
    return credential


def group_defaults_ensure() -> None:
    """Put back the ``restricted`` group's default attributes that are missing."""
    for list_, attribute, op, value in RESTRICTED_DEFAULTS:
        GroupAttribute.objects.get_or_create(
            group=RESTRICTED_GROUP,
            list=list_,
            attribute=attribute,
            defaults={"op": op, "value": value},
        )


def reply_templates_ensure() -> int:
    """Seed the default speed reply attributes when there are none at all (staff's rows,
    even a deliberately short list, are left as they are); returns how many were made."""
    if ReplyTemplate.objects.exists():
        return 0
    made = ReplyTemplate.objects.bulk_create(
        ReplyTemplate(nas_type=nas_type, attribute=attribute, op=op, value=value)
        for nas_type, attribute, op, value in REPLY_TEMPLATE_DEFAULTS
    )
    return len(made)


DICTIONARY_DIRS = [Path("/usr/share/freeradius"), Path("/etc/freeradius/3.0")]
SPEED_PLACEHOLDERS = {"up", "down", "up_bps", "down_bps", "up_bytes", "down_bytes"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_ATTRIBUTE_LINE = re.compile(r"^\s*(?:ATTRIBUTE|ALIAS)\s+(\S+)", re.M)


@lru_cache(maxsize=1)
def radius_attribute_names() -> frozenset[str] | None:
    """The attribute names FreeRADIUS's dictionaries know (lower case), or None where they
    are not installed (then names are not checked)."""
    names: set[str] = set()
    for directory in DICTIONARY_DIRS:
        for path in sorted(directory.glob("dictionary*")):
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            names.update(name.lower() for name in _ATTRIBUTE_LINE.findall(text))
    return frozenset(names) if names else None


def reply_template_save(
    *,
    actor: Any,
    nas_type: str,
    attribute: str,
    value: str,
    op: str = ":=",
    template_id: int | None = None,
) -> ReplyTemplate:
    """Add a speed reply attribute for a NAS type, or change one (``template_id``).

    The attribute must be one FreeRADIUS knows (an unknown name in ``radreply`` makes it reject
    every login of that NAS type), ``Name:tag`` for a tagged one; the value may use only the
    speed placeholders. New logins get it at once; live sessions at their next CoA or login.
    """
    attribute = attribute.strip()
    value = value.strip()
    if nas_type not in NasType.values:
        raise ApplicationError(_("Choose a NAS type."), field="nas_type")
    if not attribute:
        raise ApplicationError(_("Enter the attribute."), field="attribute")
    known = radius_attribute_names()
    name = re.sub(r":\d+$", "", attribute)
    if known is not None and name.lower() not in known:
        raise ApplicationError(
            _("FreeRADIUS does not know the attribute %(name)s.") % {"name": name},
            field="attribute",
        )
    if op not in (":=", "=", "+="):
        raise ApplicationError(_("The operator is :=, = or +=."), field="op")
    unknown = sorted(set(_PLACEHOLDER.findall(value)) - SPEED_PLACEHOLDERS)
    if unknown:
        raise ApplicationError(
            _(
                "Unknown placeholder {%(name)s}: use {up}, {down}, {up_bps}, {down_bps}, "
                "{up_bytes} or {down_bytes}."
            )
            % {"name": unknown[0]},
            field="value",
        )
    if not value or len(value) > 253:
        raise ApplicationError(_("Enter a value of at most 253 characters."), field="value")
    with transaction.atomic():
        before: dict[str, Any] = {}
        template = ReplyTemplate(nas_type=nas_type)
        if template_id is not None:
            found = ReplyTemplate.objects.select_for_update().filter(pk=template_id).first()
            if found is None:
                raise NotFound(_("No such speed attribute."))
            template = found
            before = {
                "nas_type": template.nas_type,
                "attribute": template.attribute,
                "op": template.op,
                "value": template.value,
            }
        template.nas_type, template.attribute, template.op, template.value = (
            nas_type,
            attribute,
            op,
            value,
        )
        template.save()
        audit_record(
            actor=actor,
            action="network.reply_template_save",
            obj=template,
            before=before,
            after={"nas_type": nas_type, "attribute": attribute, "op": op, "value": value},
        )
    return template


def reply_template_delete(*, actor: Any, template_id: int) -> None:
    """Remove a speed reply attribute (audited)."""
    with transaction.atomic():
        template = ReplyTemplate.objects.select_for_update().filter(pk=template_id).first()
        if template is None:
            raise NotFound(_("No such speed attribute."))
        audit_record(
            actor=actor,
            action="network.reply_template_delete",
            obj=template,
            before={
                "nas_type": template.nas_type,
                "attribute": template.attribute,
                "op": template.op,
                "value": template.value,
            },
        )
        template.delete()


# --- Retention of FreeRADIUS's logs -------------------------------------------------------------

# Rows deleted per statement (each its own transaction: short locks, no long-held snapshot).
PRUNE_BATCH = 5_000
# Both walk an index from the oldest rows, so a batch costs the rows it deletes whatever the
# tables' size and physical order. radpostauth: ids follow the answers' time, so ranges of the
# primary key from the smallest id, until the first row left is within the period. radacct:
# (AcctStartTime, UserName) from the oldest start (a session that ended before the cut-off
# started before it; open sessions are skipped, never deleted).
_FIRST_ANSWER = "SELECT id, authdate FROM radpostauth WHERE id >= %(lo)s ORDER BY id LIMIT 1"
_PRUNE_ANSWERS = """
DELETE FROM radpostauth WHERE id >= %(lo)s AND id < %(hi)s AND authdate < %(before)s
"""
_PRUNE_SESSIONS = """
DELETE FROM radacct WHERE radacctid IN (
    SELECT radacctid FROM radacct
     WHERE acctstarttime < %(before)s AND acctstoptime < %(before)s
     ORDER BY acctstarttime LIMIT %(batch)s)
"""


@dataclass
class PruneResult:
    """What ``radius_logs_prune`` deleted."""

    available: bool = True
    answers: int = 0
    sessions: int = 0
    changes: int = 0
    answers_before: dt.datetime | None = None
    sessions_before: dt.datetime | None = None
    note: str = ""

    def __str__(self) -> str:
        if not self.available:
            return self.note
        return (
            f"{self.answers} authentication answers (radpostauth) before "
            f"{self.answers_before:%Y-%m-%d %H:%M} and {self.sessions} closed sessions "
            f"(radacct) that ended before {self.sessions_before:%Y-%m-%d %H:%M} deleted; "
            f"{self.changes} finished requests to NASes (Disconnect/CoA) from before "
            f"{self.answers_before:%Y-%m-%d %H:%M} deleted"
        )


def _prune_answers(before: dt.datetime, batch: int, pause: float) -> int:
    total, lo = 0, 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(_FIRST_ANSWER, {"lo": lo})
            first = cursor.fetchone()
            if first is None or first[1] >= before:
                return total
            lo = first[0]
            with transaction.atomic():
                cursor.execute(_PRUNE_ANSWERS, {"lo": lo, "hi": lo + batch, "before": before})
                total += cursor.rowcount
        lo += batch
        if pause:
            time.sleep(pause)  # let FreeRADIUS's writes and the autovacuum breathe


def _prune_sessions(before: dt.datetime, batch: int, pause: float) -> int:
    total = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_PRUNE_SESSIONS, {"before": before, "batch": batch})
            deleted = cursor.rowcount
        total += deleted
        if deleted < batch:
            return total
        if pause:
            time.sleep(pause)


def _prune_changes(before: dt.datetime, batch: int, pause: float) -> int:
    """Finished Disconnect/CoA requests (any state but pending) kept as long as the answers."""
    total = 0
    while True:
        ids = list(
            SessionChange.objects.filter(finished_at__lt=before)
            .exclude(state=ChangeState.PENDING)
            .order_by("id")
            .values_list("id", flat=True)[:batch]
        )
        if not ids:
            return total
        with transaction.atomic():
            total += SessionChange.objects.filter(id__in=ids).delete()[0]
        if len(ids) < batch:
            return total
        if pause:
            time.sleep(pause)


def radius_logs_prune(
    *,
    auth_log_days: int | None = None,
    session_days: int | None = None,
    batch: int = PRUNE_BATCH,
    pause: float = 0.0,
    now: dt.datetime | None = None,
) -> PruneResult:
    """Delete FreeRADIUS's answers (``radpostauth``) older than ``auth_log_days`` and the
    sessions (``radacct``) that ended more than ``session_days`` ago (the settings
    ``ABONENT_RADIUS_AUTH_LOG_DAYS``, 30, and ``ABONENT_RADIUS_SESSION_DAYS``, 400, by default),
    ``batch`` rows per transaction, and the finished requests to NASes (``SessionChange``) as
    old as the answers. Open sessions and pending requests are never deleted. Safe to run at
    any time, and twice at once. On SQLite there are no such tables and it does nothing."""
    auth_log_days = (
        settings.ABONENT_RADIUS_AUTH_LOG_DAYS if auth_log_days is None else auth_log_days
    )
    session_days = settings.ABONENT_RADIUS_SESSION_DAYS if session_days is None else session_days
    if auth_log_days < 1 or session_days < 1 or batch < 1:
        raise ValueError("days and batch must be positive")
    if connection.vendor != "postgresql":
        return PruneResult(
            available=False,
            note="Nothing to prune: radacct and radpostauth exist on PostgreSQL only "
            f"(this database is {connection.vendor}).",
        )
    now = now or timezone.now()
    answers_before = now - dt.timedelta(days=auth_log_days)
    sessions_before = now - dt.timedelta(days=session_days)
    return PruneResult(
        answers=_prune_answers(answers_before, batch, pause),
        sessions=_prune_sessions(sessions_before, batch, pause),
        changes=_prune_changes(answers_before, batch, pause),
        answers_before=answers_before,
        sessions_before=sessions_before,
    )
