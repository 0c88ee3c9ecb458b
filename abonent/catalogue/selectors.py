"""Reads of the catalogue for the public site, the API and the back office."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from abonent.catalogue.models import Addon, BuildingType, ServiceKind, Tariff
from abonent.core.errors import NotFound


def tariff_public_list(*, kind_slug: str = "", building_type: str = "") -> QuerySet[Tariff]:
    """Tariffs a visitor can order, in catalogue order."""
    qs = Tariff.objects.filter(is_public=True, is_archived=False, kind__is_public=True)
    if kind_slug:
        qs = qs.filter(kind__slug=kind_slug)
    if building_type:
        qs = qs.filter(building_type__in=[building_type, BuildingType.ANY])
    return qs.select_related("kind")


def tariff_featured_list(*, limit: int = 4) -> list[Tariff]:
    """Tariffs the provider features on the home page."""
    return list(tariff_public_list().filter(is_featured=True)[:limit])


def tariff_public_get(*, slug: str) -> Tariff:
    """A public tariff by its code, or ``NotFound``."""
    tariff = tariff_public_list().filter(slug=slug).first()
    if tariff is None:
        raise NotFound("No such tariff.")
    return tariff


def addon_public_list(*, kind_slug: str = "") -> QuerySet[Addon]:
    """Add-ons a subscriber can connect."""
    qs = Addon.objects.filter(is_public=True, is_archived=False).select_related("kind")
    if kind_slug:
        qs = qs.filter(kind__slug=kind_slug)
    return qs


@dataclass
class TariffGroup:
    """Tariffs of one service kind and one building type, for the tariffs page."""

    kind: ServiceKind
    building_type: str
    tariffs: list[Tariff] = field(default_factory=list)

    @property
    def building_label(self) -> str:
        """ "Apartment block" / "Private house", or empty when it does not matter."""
        if self.building_type == BuildingType.ANY:
            return ""
        return str(BuildingType(self.building_type).label)


def service_kind_public_list() -> list[ServiceKind]:
    """Public service kinds with their public tariffs prefetched (one query each)."""
    return list(
        ServiceKind.objects.filter(is_public=True).prefetch_related(
            Prefetch(
                "tariffs",
                queryset=Tariff.objects.filter(is_public=True, is_archived=False),
                to_attr="public_tariffs",
            )
        )
    )


def tariff_groups(*, kind_slug: str = "", building_type: str = "") -> list[TariffGroup]:
    """Public tariffs grouped by service kind, then building type, in catalogue order."""
    groups: list[TariffGroup] = []
    for tariff in tariff_public_list(kind_slug=kind_slug, building_type=building_type):
        last = groups[-1] if groups else None
        if (
            last is None
            or last.kind.pk != tariff.kind_id
            or last.building_type != tariff.building_type
        ):
            last = TariffGroup(kind=tariff.kind, building_type=tariff.building_type)
            groups.append(last)
        last.tariffs.append(tariff)
    return groups
