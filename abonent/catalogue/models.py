"""The provider's catalogue: kinds of service, tariffs and add-ons."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _


def _localized(obj: models.Model, field: str) -> str:
    """The English variant of a field when the page is in English and it is filled in."""
    if (translation.get_language() or "ru")[:2] == "en":
        value = getattr(obj, f"{field}_en", "")
        if value:
            return value
    return getattr(obj, field)


class ServiceCategory(models.TextChoices):
    """The families of services a provider sells."""

    INTERNET = "internet", _("Internet")
    TV = "tv", _("Television")
    TELEPHONY = "telephony", _("Telephony")
    CCTV = "cctv", _("Video surveillance")
    DATACENTER = "datacenter", _("Data-centre rental")


class BuildingType(models.TextChoices):
    """Where a connection is made; internet tariffs differ by it."""

    APARTMENT = "apartment", _("Apartment block")
    HOUSE = "house", _("Private house")
    ANY = "any", _("Any building")


class FeePeriod(models.TextChoices):
    """How often a tariff's fee is charged."""

    MONTH = "month", _("per month")
    DAY = "day", _("per day")


class AddonPeriod(models.TextChoices):
    """How often an add-on's fee is charged."""

    MONTH = "month", _("per month")
    DAY = "day", _("per day")
    ONCE = "once", _("once")


class ServiceKind(models.Model):
    """A kind of service on the public site (internet, digital TV, cloud TV, telephony…)."""

    slug = models.SlugField(_("code"), max_length=40, unique=True)
    category = models.CharField(_("category"), max_length=16, choices=ServiceCategory.choices)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    summary = models.CharField(_("summary"), max_length=255, blank=True)
    summary_en = models.CharField(_("summary (English)"), max_length=255, blank=True)
    icon = models.CharField(_("icon"), max_length=32, blank=True, default="")
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_public = models.BooleanField(_("shown on the site"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("service kind")
        verbose_name_plural = _("service kinds")

    def __str__(self) -> str:
        return self.name

    @property
    def title(self) -> str:
        """The name in the page's language."""
        return _localized(self, "name")

    @property
    def blurb(self) -> str:
        """The summary in the page's language."""
        return _localized(self, "summary")


class Tariff(models.Model):
    """A plan of one service kind: its fee and period, speeds for internet, and visibility.

    A tariff that has ever been used is archived, never deleted.
    """

    kind = models.ForeignKey(
        ServiceKind, verbose_name=_("service"), on_delete=models.PROTECT, related_name="tariffs"
    )
    building_type = models.CharField(
        _("building type"), max_length=16, choices=BuildingType.choices, default=BuildingType.ANY
    )
    slug = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    fee_kop = models.BigIntegerField(_("fee, kopecks"))
    fee_period = models.CharField(
        _("fee period"), max_length=8, choices=FeePeriod.choices, default=FeePeriod.MONTH
    )
    download_kbps = models.PositiveIntegerField(_("download speed, kbit/s"), null=True, blank=True)
    upload_kbps = models.PositiveIntegerField(_("upload speed, kbit/s"), null=True, blank=True)
    channels = models.PositiveSmallIntegerField(_("TV channels"), null=True, blank=True)
    is_public = models.BooleanField(_("public"), default=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    needs_approval = models.BooleanField(_("change needs staff approval"), default=False)
    is_featured = models.BooleanField(_("featured on the home page"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind__position", "building_type", "position", "fee_kop", "id"]
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        constraints = [
            models.CheckConstraint(condition=Q(fee_kop__gte=0), name="tariff_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def title(self) -> str:
        """The name in the page's language."""
        return _localized(self, "name")

    @property
    def text(self) -> str:
        """The description in the page's language."""
        return _localized(self, "description")

    @property
    def is_available(self) -> bool:
        """Can a visitor order it now."""
        return self.is_public and not self.is_archived


class Addon(models.Model):
    """An extra service on top of a tariff (static IP, TV package, antivirus…).

    ``grants_static_ip``: a live subscription gives the account's network credential an address
    from ``ABONENT_STATIC_IP_POOL`` (``abonent.network.static_ip``).
    """

    kind = models.ForeignKey(
        ServiceKind,
        verbose_name=_("for service"),
        on_delete=models.PROTECT,
        related_name="addons",
        null=True,
        blank=True,
    )
    slug = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    fee_kop = models.BigIntegerField(_("fee, kopecks"))
    period = models.CharField(
        _("period"), max_length=8, choices=AddonPeriod.choices, default=AddonPeriod.MONTH
    )
    is_public = models.BooleanField(_("public"), default=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    grants_static_ip = models.BooleanField(
        _("grants a static IP"),
        default=False,
        help_text=_(
            "While connected, the subscriber gets an address from the static IP pool "
            "(ABONENT_STATIC_IP_POOL)."
        ),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "fee_kop", "id"]
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")
        constraints = [
            models.CheckConstraint(condition=Q(fee_kop__gte=0), name="addon_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def title(self) -> str:
        """The name in the page's language."""
        return _localized(self, "name")

    @property
    def text(self) -> str:
        """The description in the page's language."""
        return _localized(self, "description")
