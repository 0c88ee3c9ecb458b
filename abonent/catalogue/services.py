"""Writes to the catalogue (admins only). Every change is audited; used tariffs are archived."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from abonent.catalogue.models import Addon, ServiceKind, Tariff
from abonent.core.audit import audit_record, snapshot
from abonent.core.errors import ApplicationError

TARIFF_FIELDS = [
    "kind",
    "building_type",
    "slug",
    "name",
    "name_en",
    "description",
    "description_en",
    "fee_kop",
    "fee_period",
    "download_kbps",
    "upload_kbps",
    "channels",
    "is_public",
    "is_archived",
    "needs_approval",
    "is_featured",
    "position",
]
ADDON_FIELDS = [
    "kind",
    "slug",
    "name",
    "name_en",
    "description",
    "description_en",
    "fee_kop",
    "period",
    "is_public",
    "is_archived",
    "grants_static_ip",
    "position",
]
KIND_FIELDS = [
    "slug",
    "category",
    "name",
    "name_en",
    "summary",
    "summary_en",
    "icon",
    "position",
    "is_public",
]


M = TypeVar("M", bound=models.Model)


def _save(*, obj: M, fields: list[str], data: dict[str, Any], actor: Any, label: str) -> M:
    creating = obj.pk is None
    before = {} if creating else snapshot(obj, fields)
    for name, value in data.items():
        if name not in fields:
            raise ApplicationError(_("Unknown field."), field=name)
        setattr(obj, name, value)
    try:
        obj.full_clean()
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise ApplicationError(messages[0], field=name) from exc
    with transaction.atomic():
        obj.save()
        audit_record(
            actor=actor,
            action=f"{label}.{'create' if creating else 'update'}",
            obj=obj,
            before=before,
            after=snapshot(obj, fields),
        )
    return obj


def tariff_save(*, tariff: Tariff | None = None, data: dict[str, Any], actor: Any) -> Tariff:
    """Create or change a tariff; audited (before → after)."""
    if "fee_kop" in data and (not isinstance(data["fee_kop"], int) or data["fee_kop"] < 0):
        raise ApplicationError(_("The fee must be a non-negative amount."), field="fee_kop")
    return _save(
        obj=tariff or Tariff(), fields=TARIFF_FIELDS, data=data, actor=actor, label="tariff"
    )


def addon_save(*, addon: Addon | None = None, data: dict[str, Any], actor: Any) -> Addon:
    """Create or change an add-on; audited."""
    if "fee_kop" in data and (not isinstance(data["fee_kop"], int) or data["fee_kop"] < 0):
        raise ApplicationError(_("The fee must be a non-negative amount."), field="fee_kop")
    return _save(obj=addon or Addon(), fields=ADDON_FIELDS, data=data, actor=actor, label="addon")


def service_kind_save(
    *, kind: ServiceKind | None = None, data: dict[str, Any], actor: Any
) -> ServiceKind:
    """Create or change a service kind; audited."""
    return _save(
        obj=kind or ServiceKind(), fields=KIND_FIELDS, data=data, actor=actor, label="service_kind"
    )


def tariff_in_use(*, tariff: Tariff) -> bool:
    """Has anything ever referred to this tariff (requests now; accounts later)."""
    for rel in tariff._meta.related_objects:
        accessor = rel.get_accessor_name()
        if accessor and getattr(tariff, accessor).exists():
            return True
    return False


def tariff_remove(*, tariff: Tariff, actor: Any) -> str:
    """Delete an unused tariff; archive one that is or was in use. Returns "deleted"/"archived"."""
    with transaction.atomic():
        if tariff_in_use(tariff=tariff):
            before = snapshot(tariff, ["is_archived"])
            tariff.is_archived = True
            tariff.save(update_fields=["is_archived", "updated_at"])
            audit_record(
                actor=actor,
                action="tariff.archive",
                obj=tariff,
                before=before,
                after=snapshot(tariff, ["is_archived"]),
            )
            return "archived"
        audit_record(
            actor=actor, action="tariff.delete", obj=tariff, before=snapshot(tariff, TARIFF_FIELDS)
        )
        tariff.delete()
        return "deleted"


def addon_remove(*, addon: Addon, actor: Any) -> str:
    """Delete an unused add-on; archive one in use. Returns "deleted"/"archived"."""
    with transaction.atomic():
        in_use = any(
            getattr(addon, rel.get_accessor_name()).exists()
            for rel in addon._meta.related_objects
            if rel.get_accessor_name()
        )
        if in_use:
            addon.is_archived = True
            addon.save(update_fields=["is_archived", "updated_at"])
            audit_record(
                actor=actor,
                action="addon.archive",
                obj=addon,
                before={"is_archived": False},
                after={"is_archived": True},
            )
            return "archived"
        audit_record(
            actor=actor, action="addon.delete", obj=addon, before=snapshot(addon, ADDON_FIELDS)
        )
        addon.delete()
        return "deleted"
