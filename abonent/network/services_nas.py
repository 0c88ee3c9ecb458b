"""Writes of the back office's network section: the NAS list (the routers FreeRADIUS answers:
create, change, delete), the values of the RADIUS groups' attributes, and putting a NAS type's
speed attributes back to the defaults.

Each is atomic and leaves its audit row in the same transaction; the shared secret never goes
into the audit log, only the fact that it was set or changed. FreeRADIUS reads its clients from
the ``nas`` view when it starts, so a change takes effect after a restart (the pages say so).

Kept apart from ``services.py`` (credentials and groups), which another change owns.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from abonent.core.audit import audit_record, snapshot
from abonent.core.errors import ApplicationError, NotFound
from abonent.network.models import GroupAttribute, Nas, NasType, ReplyTemplate
from abonent.network.selectors import nas_open_sessions
from abonent.network.selectors_coa import reply_template_defaults
from abonent.network.services import SPEED_PLACEHOLDERS, radius_attribute_names

AUDITED = ["nasname", "shortname", "type", "coa_port", "description"]
SECRET_MIN = 8
SECRET_MAX = 64


def nas_address_clean(value: str) -> str:
    """An IP address (``10.0.0.1``) or a network (``10.0.0.0/24``) in its canonical form."""
    text = (value or "").strip()
    if not text:
        raise ApplicationError(_("Enter the NAS's IP address."), field="nasname")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    try:
        return str(ipaddress.ip_network(text, strict=True))
    except ValueError:
        raise ApplicationError(
            _("Enter an IP address such as 10.0.0.1 or a network such as 10.0.0.0/24."),
            field="nasname",
        ) from None


def nas_secret_clean(value: str) -> str:
    """A shared secret: 8 to 64 printable Latin characters without spaces (every NAS vendor
    accepts those)."""
    secret = value or ""
    if not SECRET_MIN <= len(secret) <= SECRET_MAX:
        raise ApplicationError(
            _("The secret must be %(min)s to %(max)s characters long.")
            % {"min": SECRET_MIN, "max": SECRET_MAX},
            field="secret",
        )
    if not all("!" <= ch <= "~" for ch in secret):
        raise ApplicationError(
            _("Use Latin letters, digits and punctuation in the secret, without spaces."),
            field="secret",
        )
    return secret


def _fields_clean(
    *, nas_id: int | None, nasname: str, shortname: str, type: str, coa_port: int, description: str
) -> dict[str, Any]:
    address = nas_address_clean(nasname)
    short = (shortname or "").strip()
    if not short:
        raise ApplicationError(_("Enter a short name, such as bras-1."), field="shortname")
    if len(short) > 32:
        raise ApplicationError(_("The short name is at most 32 characters."), field="shortname")
    if type not in NasType.values:
        raise ApplicationError(_("Choose the NAS type."), field="type")
    if not 1 <= int(coa_port) <= 65535:
        raise ApplicationError(_("A port is a number from 1 to 65535."), field="coa_port")
    text = (description or "").strip()
    if len(text) > 200:
        raise ApplicationError(_("The description is at most 200 characters."), field="description")
    others = Nas.objects.filter(nasname=address)
    if nas_id is not None:
        others = others.exclude(pk=nas_id)
    if others.exists():
        raise ApplicationError(
            _("A NAS with the address %(address)s is already registered.") % {"address": address},
            field="nasname",
            code="duplicate",
        )
    return {
        "nasname": address,
        "shortname": short,
        "type": type,
        "coa_port": int(coa_port),
        "description": text,
    }


def _save(nas: Nas, fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            if fields is None:
                nas.save()
            else:
                nas.save(update_fields=fields)
    except IntegrityError:
        raise ApplicationError(
            _("A NAS with the address %(address)s is already registered.")
            % {"address": nas.nasname},
            field="nasname",
            code="duplicate",
        ) from None


def nas_create(
    *,
    actor: Any,
    nasname: str,
    shortname: str,
    type: str,
    secret: str,
    coa_port: int = 3799,
    description: str = "",
) -> Nas:
    """Register a NAS (audited without its secret)."""
    data = _fields_clean(
        nas_id=None,
        nasname=nasname,
        shortname=shortname,
        type=type,
        coa_port=coa_port,
        description=description,
    )
    secret = nas_secret_clean(secret)
    with transaction.atomic():
        nas = Nas(secret=secret, **data)
        _save(nas)
        audit_record(
            actor=actor,
            action="network.nas_create",
            obj=nas,
            after={**snapshot(nas, AUDITED), "secret_set": True},
        )
    return nas


def nas_update(
    *,
    nas_id: int,
    actor: Any,
    nasname: str,
    shortname: str,
    type: str,
    coa_port: int,
    description: str = "",
    secret: str = "",
) -> Nas:
    """Change a NAS; an empty ``secret`` keeps the current one. Audited before → after, the
    secret only as "changed"."""
    data = _fields_clean(
        nas_id=nas_id,
        nasname=nasname,
        shortname=shortname,
        type=type,
        coa_port=coa_port,
        description=description,
    )
    new_secret = nas_secret_clean(secret) if secret else ""
    with transaction.atomic():
        nas = Nas.objects.select_for_update().filter(pk=nas_id).first()
        if nas is None:
            raise NotFound(_("No such NAS."))
        before = snapshot(nas, AUDITED)
        changed = [name for name, value in data.items() if getattr(nas, name) != value]
        for name in changed:
            setattr(nas, name, data[name])
        secret_changed = bool(new_secret) and new_secret != nas.secret
        if secret_changed:
            nas.secret = new_secret
            changed.append("secret")
        if not changed:
            return nas
        _save(nas, changed)
        after = snapshot(nas, AUDITED)
        if secret_changed:
            before["secret_changed"] = False
            after["secret_changed"] = True
        audit_record(
            actor=actor,
            action="network.nas_update",
            obj=nas,
            before={k: v for k, v in before.items() if after.get(k) != v},
            after={k: v for k, v in after.items() if before.get(k) != v},
        )
    return nas


def nas_delete(*, nas_id: int, actor: Any) -> str:
    """Remove a NAS that has no open session (refused with ``code="in_use"`` otherwise);
    returns its name for the message."""
    with transaction.atomic():
        nas = Nas.objects.select_for_update().filter(pk=nas_id).first()
        if nas is None:
            raise NotFound(_("No such NAS."))
        open_sessions = nas_open_sessions(nasname=nas.nasname)
        if open_sessions:
            raise ApplicationError(
                ngettext(
                    "%(name)s has %(count)s open session: it cannot be deleted while a "
                    "subscriber is online through it. Disconnect the session or wait until it "
                    "ends, then delete the NAS.",
                    "%(name)s has %(count)s open sessions: it cannot be deleted while "
                    "subscribers are online through it. Disconnect the sessions or wait until "
                    "they end, then delete the NAS.",
                    open_sessions,
                )
                % {"name": nas, "count": open_sessions},
                code="in_use",
            )
        name = str(nas)
        audit_record(
            actor=actor, action="network.nas_delete", obj=nas, before=snapshot(nas, AUDITED)
        )
        nas.delete()
    return name


def group_attribute_value_clean(value: str) -> str:
    """A RADIUS attribute's value: one line, 1 to 253 characters."""
    text = (value or "").strip()
    if not text:
        raise ApplicationError(_("Enter the value."), field="value")
    if len(text) > 253 or "\n" in text:
        raise ApplicationError(_("Enter a value of at most 253 characters."), field="value")
    return text


def group_attributes_set(*, actor: Any, values: list[tuple[int, str]]) -> int:
    """Change the values of RADIUS group attributes (``restricted``'s address list or speed),
    all or none; each change audited before → after. FreeRADIUS reads them at the next
    authorisation. Returns how many changed."""
    cleaned = []
    for attribute_id, value in values:
        try:
            cleaned.append((attribute_id, group_attribute_value_clean(value)))
        except ApplicationError as exc:
            exc.field = f"attr-{attribute_id}"
            raise
    changed = 0
    with transaction.atomic():
        rows = GroupAttribute.objects.select_for_update().in_bulk([pk for pk, _v in cleaned])
        for attribute_id, text in sorted(cleaned):
            row = rows.get(attribute_id)
            if row is None:
                raise NotFound(_("No such attribute."))
            if row.value == text:
                continue
            before = {"value": row.value}
            row.value = text
            row.save(update_fields=["value"])
            audit_record(
                actor=actor,
                action="network.group_attribute_update",
                obj=row,
                before=before,
                after={"value": text},
            )
            changed += 1
    return changed


# --- Speed attributes per NAS type -------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def reply_template_attribute_clean(value: str) -> str:
    """An attribute name as ``services.reply_template_save`` accepts it (a name FreeRADIUS's
    dictionaries know, ``Name:tag`` for a tagged one), checked up front so that a form shows
    every mistake at once; the service checks again when it writes."""
    attribute = (value or "").strip()
    if not attribute:
        raise ApplicationError(_("Enter the attribute."), field="attribute")
    name = re.sub(r":\d+$", "", attribute)
    known = radius_attribute_names()
    if known is not None and name.lower() not in known:
        raise ApplicationError(
            _("FreeRADIUS does not know the attribute %(name)s.") % {"name": name},
            field="attribute",
        )
    return attribute


def reply_template_value_clean(value: str) -> str:
    """A value template as ``services.reply_template_save`` accepts it: the speed placeholders
    only, at most 253 characters (checked up front, like the attribute)."""
    text = (value or "").strip()
    unknown = sorted(set(_PLACEHOLDER.findall(text)) - SPEED_PLACEHOLDERS)
    if unknown:
        raise ApplicationError(
            _(
                "Unknown placeholder {%(name)s}: use {up}, {down}, {up_bps}, {down_bps}, "
                "{up_bytes} or {down_bytes}."
            )
            % {"name": unknown[0]},
            field="value",
        )
    if not text or len(text) > 253:
        raise ApplicationError(_("Enter a value of at most 253 characters."), field="value")
    return text


# Serialises restores of the speed attributes on PostgreSQL (an empty type has no row to lock);
# SQLite serialises writers at BEGIN IMMEDIATE anyway.
_RESTORE_LOCK = 0x5EED_7E3F


def reply_templates_restore(*, actor: Any, nas_type: str) -> int:
    """Replace a NAS type's speed attributes with the defaults (``REPLY_TEMPLATE_DEFAULTS``),
    in one transaction with one audit row (the rows before and after). Nothing is written when
    they already are the defaults. Returns how many rows the type has now (0: unchanged).

    FreeRADIUS reads them at the next Access-Request of that type; sessions that are up keep
    what they were given."""
    if nas_type not in NasType.values:
        raise ApplicationError(_("Choose a NAS type."), field="nas_type")
    defaults = reply_template_defaults(nas_type)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_RESTORE_LOCK])
        current = list(
            ReplyTemplate.objects.select_for_update().filter(nas_type=nas_type).order_by("id")
        )
        before = [(row.attribute, row.op, row.value) for row in current]
        if before == defaults:
            return 0
        ReplyTemplate.objects.filter(pk__in=[row.pk for row in current]).delete()
        made = ReplyTemplate.objects.bulk_create(
            ReplyTemplate(nas_type=nas_type, attribute=attribute, op=op, value=value)
            for attribute, op, value in defaults
        )
        if made[0].pk is None:  # a backend that returns no ids: the audit row needs one
            made = list(ReplyTemplate.objects.filter(nas_type=nas_type).order_by("id"))
        audit_record(
            actor=actor,
            action="network.reply_templates_restore",
            obj=made[0],
            before={"nas_type": nas_type, "rows": [list(row) for row in before]},
            after={"nas_type": nas_type, "rows": [list(row) for row in defaults]},
        )
    return len(made)
