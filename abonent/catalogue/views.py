"""Public site pages of the catalogue: the home page, the tariffs and one tariff.

Views only compose selectors and turn kopecks and kbit/s into words; they write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from abonent.catalogue.models import (
    Addon,
    AddonPeriod,
    BuildingType,
    FeePeriod,
    ServiceCategory,
    ServiceKind,
    Tariff,
)
from abonent.catalogue.selectors import (
    addon_public_list,
    service_kind_public_list,
    tariff_featured_list,
    tariff_groups,
    tariff_public_get,
)
from abonent.core.errors import NotFound
from abonent.core.money import format_money

# --- Words for prices and speeds (shared with the request form) ------------------------------


def period_suffix(period: str) -> str:
    """The short tail of a price tag: "/мес", "/сутки"; empty for a one-off payment."""
    if period == FeePeriod.MONTH:
        return pgettext("price tag", "/mo")
    if period == FeePeriod.DAY:
        return pgettext("price tag", "/day")
    if period == AddonPeriod.ONCE:
        return pgettext("price tag", "once")
    return ""


def price_tag(fee_kop: int, period: str) -> str:
    """A price as people read it on a tariff card: "500 ₽/мес", "20 ₽/сутки"."""
    suffix = period_suffix(period)
    amount = format_money(fee_kop, cents=False)
    if period == AddonPeriod.ONCE:
        return f"{amount} {suffix}"
    return f"{amount}{suffix}"


def speed_text(kbps: int) -> str:
    """kbit/s in words: "100 Мбит/с", "1 Гбит/с", "1,5 Мбит/с", "512 кбит/с" (integer maths)."""
    sep = "." if (translation.get_language() or "ru")[:2] == "en" else ","
    if kbps >= 1_000_000 and kbps % 100_000 == 0:
        whole, rest = divmod(kbps, 1_000_000)
        number = f"{whole}{sep}{rest // 100_000}" if rest else str(whole)
        return _("%(n)s Gbit/s") % {"n": number}
    if kbps >= 1000:
        whole, rest = divmod(kbps, 1000)
        number = f"{whole}{sep}{rest // 100}" if rest >= 100 else str(whole)
        return _("%(n)s Mbit/s") % {"n": number}
    return _("%(n)s kbit/s") % {"n": kbps}


def channels_text(channels: int) -> str:
    """ "120 каналов" with the right plural."""
    return ngettext("%(n)d TV channel", "%(n)d TV channels", channels) % {"n": channels}


@dataclass(frozen=True)
class TariffCard:
    """A tariff with everything its card shows, already in words."""

    tariff: Tariff
    price: str
    per: str
    download: str
    upload: str
    channels: str
    url: str
    connect_url: str

    @property
    def specs(self) -> list[str]:
        """The lines under the headline speed: upload speed, channels."""
        lines = []
        if self.upload:
            lines.append(_("Upload up to %(speed)s") % {"speed": self.upload})
        if self.channels:
            lines.append(self.channels)
        return lines


def tariff_card(tariff: Tariff) -> TariffCard:
    """Turn a tariff into its card."""
    return TariffCard(
        tariff=tariff,
        price=format_money(tariff.fee_kop, cents=False),
        per=period_suffix(tariff.fee_period),
        download=speed_text(tariff.download_kbps) if tariff.download_kbps else "",
        upload=speed_text(tariff.upload_kbps) if tariff.upload_kbps else "",
        channels=channels_text(tariff.channels) if tariff.channels else "",
        url=reverse("catalogue:tariff", args=[tariff.slug]),
        connect_url=f"{reverse('leads:connect')}?tariff={tariff.pk}",
    )


@dataclass(frozen=True)
class AddonCard:
    """An add-on with its price in words."""

    addon: Addon
    price: str
    per: str


def addon_card(addon: Addon) -> AddonCard:
    """Turn an add-on into its card."""
    per = period_suffix(addon.period)
    price = format_money(addon.fee_kop, cents=False)
    if addon.period == AddonPeriod.ONCE:
        per = f" {per}"
    return AddonCard(addon=addon, price=price, per=per)


@dataclass(frozen=True)
class KindCard:
    """A service kind on the home page: the cheapest public tariff as "from …"."""

    kind: ServiceKind
    tariff_count: int
    price_from: str
    per: str
    url: str


def kind_card(kind: ServiceKind) -> KindCard:
    """Turn a service kind (with ``public_tariffs`` prefetched) into its card."""
    tariffs: list[Tariff] = getattr(kind, "public_tariffs", [])
    monthly = [t for t in tariffs if t.fee_period == FeePeriod.MONTH] or tariffs
    cheapest = min(monthly, key=lambda t: t.fee_kop, default=None)
    return KindCard(
        kind=kind,
        tariff_count=len(tariffs),
        price_from=format_money(cheapest.fee_kop, cents=False) if cheapest else "",
        per=period_suffix(cheapest.fee_period) if cheapest else "",
        url=f"{reverse('catalogue:tariffs')}?kind={kind.slug}",
    )


# --- Pages ----------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """The provider's home: services, featured tariffs, how to connect, contacts."""
    kinds = service_kind_public_list()
    max_kbps = max(
        (
            t.download_kbps or 0
            for kind in kinds
            if kind.category == ServiceCategory.INTERNET
            for t in kind.public_tariffs  # type: ignore[attr-defined]
        ),
        default=0,
    )
    context = {
        "kinds": [kind_card(kind) for kind in kinds],
        "featured": [tariff_card(t) for t in tariff_featured_list()],
        "max_speed": speed_text(max_kbps) if max_kbps else "",
        "deposit": format_money(settings.ABONENT_CONNECTION_DEPOSIT_KOP, cents=False),
    }
    return render(request, "catalogue/home.html", context)


@dataclass
class GroupView:
    """A heading and its tariff cards on the tariffs page."""

    kind: ServiceKind
    building_label: str
    cards: list[TariffCard]


def tariff_list(request: HttpRequest) -> HttpResponse:
    """All public tariffs grouped by service kind and building type, with filter chips.

    ``?kind=<slug>`` keeps one service kind; ``?building=apartment|house`` one building type
    (offered for internet). Unknown values are ignored rather than answered with an error.
    """
    kinds = service_kind_public_list()
    by_slug = {kind.slug: kind for kind in kinds}
    kind = by_slug.get(request.GET.get("kind", ""))
    building = request.GET.get("building", "")
    buildings: list[tuple[str, str]] = []
    if kind is not None and kind.category == ServiceCategory.INTERNET:
        present = {t.building_type for t in kind.public_tariffs}  # type: ignore[attr-defined]
        buildings = [
            (value, str(label))
            for value, label in BuildingType.choices
            if value != BuildingType.ANY and value in present
        ]
    if building not in {value for value, _label in buildings}:
        building = ""
    groups = [
        GroupView(
            kind=group.kind,
            building_label=group.building_label,
            cards=[tariff_card(t) for t in group.tariffs],
        )
        for group in tariff_groups(kind_slug=kind.slug if kind else "", building_type=building)
    ]
    context = {
        "kinds": [kind_card(k) for k in kinds],
        "kind": kind,
        "buildings": buildings,
        "building": building,
        "groups": groups,
    }
    return render(request, "catalogue/tariffs.html", context)


def tariff_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One public tariff: its price, speeds, description, the add-ons of its kind; 404 if gone."""
    try:
        tariff = tariff_public_get(slug=slug)
    except NotFound:
        raise Http404(_("No such tariff.")) from None
    context = {
        "card": tariff_card(tariff),
        "tariff": tariff,
        "building_label": (
            str(BuildingType(tariff.building_type).label)
            if tariff.building_type != BuildingType.ANY
            else ""
        ),
        "addons": [addon_card(a) for a in addon_public_list(kind_slug=tariff.kind.slug)],
        "deposit": format_money(settings.ABONENT_CONNECTION_DEPOSIT_KOP, cents=False),
    }
    return render(request, "catalogue/tariff_detail.html", context)
