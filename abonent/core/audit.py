"""The audit log: every staff change to money, credentials, tariffs and leads leaves a row."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.db import models

from abonent.core.models import AuditEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The named fields of a model instance as JSON-ready values (foreign keys as ids)."""
    result: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        result[name] = _jsonable(getattr(obj, attname))
    return result


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Write one audit row. Call it inside the transaction of the change it describes."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_repr=(user.get_username() if user else "system")[:150],
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        before=_jsonable(before or {}),
        after=_jsonable(after or {}),
        ip=ip,
    )
