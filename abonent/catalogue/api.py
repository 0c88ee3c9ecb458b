"""Public catalogue endpoints."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from abonent.catalogue.models import Addon, Tariff
from abonent.catalogue.schemas import (
    AddonListOut,
    AddonOut,
    ServiceKindOut,
    TariffListOut,
    TariffOut,
)
from abonent.catalogue.selectors import addon_public_list, tariff_public_list
from abonent.core.money import format_money

router = Router(tags=["catalogue"])


def tariff_out(tariff: Tariff) -> TariffOut:
    """The API shape of a tariff."""
    return TariffOut(
        id=tariff.pk,
        slug=tariff.slug,
        name=tariff.title,
        description=tariff.text,
        service_kind=ServiceKindOut(
            id=tariff.kind.pk,
            slug=tariff.kind.slug,
            category=tariff.kind.category,
            name=tariff.kind.title,
        ),
        building_type=tariff.building_type,
        fee_kop=tariff.fee_kop,
        fee=format_money(tariff.fee_kop),
        fee_period=tariff.fee_period,
        download_kbps=tariff.download_kbps,
        upload_kbps=tariff.upload_kbps,
        channels=tariff.channels,
        needs_approval=tariff.needs_approval,
    )


def addon_out(addon: Addon) -> AddonOut:
    """The API shape of an add-on."""
    return AddonOut(
        id=addon.pk,
        slug=addon.slug,
        name=addon.title,
        description=addon.text,
        service_kind=addon.kind.slug if addon.kind else None,
        fee_kop=addon.fee_kop,
        fee=format_money(addon.fee_kop),
        period=addon.period,
    )


@router.get("/tariffs", response=TariffListOut, summary="Public tariffs")
def list_tariffs(
    request: HttpRequest, service_kind: str = "", building_type: str = ""
) -> TariffListOut:
    """Tariffs a visitor can order; filter by service kind code and building type."""
    items = [
        tariff_out(t)
        for t in tariff_public_list(kind_slug=service_kind, building_type=building_type)
    ]
    return TariffListOut(items=items, count=len(items))


@router.get("/addons", response=AddonListOut, summary="Public add-ons")
def list_addons(request: HttpRequest, service_kind: str = "") -> AddonListOut:
    """Add-ons a subscriber can connect; filter by service kind code."""
    items = [addon_out(a) for a in addon_public_list(kind_slug=service_kind)]
    return AddonListOut(items=items, count=len(items))
