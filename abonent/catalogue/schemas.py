"""API shapes of the catalogue."""

from __future__ import annotations

from ninja import Schema


class ServiceKindOut(Schema):
    """A kind of service."""

    id: int
    slug: str
    category: str
    name: str


class TariffOut(Schema):
    """A public tariff. ``fee_kop`` is integer kopecks; ``fee`` is the same for people."""

    id: int
    slug: str
    name: str
    description: str
    service_kind: ServiceKindOut
    building_type: str
    fee_kop: int
    fee: str
    fee_period: str
    download_kbps: int | None
    upload_kbps: int | None
    channels: int | None
    needs_approval: bool


class TariffListOut(Schema):
    """A page of tariffs."""

    items: list[TariffOut]
    count: int


class AddonOut(Schema):
    """A public add-on."""

    id: int
    slug: str
    name: str
    description: str
    service_kind: str | None
    fee_kop: int
    fee: str
    period: str


class AddonListOut(Schema):
    """A page of add-ons."""

    items: list[AddonOut]
    count: int
