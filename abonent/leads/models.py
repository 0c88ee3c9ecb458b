"""Connection requests ("Подключить") and what managers do with them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from abonent.catalogue.models import Tariff


class LeadStatus(models.TextChoices):
    """Where a request is in the manager's queue."""

    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    SCHEDULED = "scheduled", _("Scheduled")
    CONNECTED = "connected", _("Connected")
    CANCELLED = "cancelled", _("Cancelled")


class LeadSource(models.TextChoices):
    """Where a request came from."""

    SITE = "site", _("Web site")
    API = "api", _("API")
    STAFF = "staff", _("Staff")


class Lead(models.Model):
    """A visitor's request to connect a tariff: who, which phone, and the manager's progress."""

    tariff = models.ForeignKey(
        Tariff, verbose_name=_("tariff"), on_delete=models.PROTECT, related_name="leads"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=12, db_index=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    consent_at = models.DateTimeField(_("consent to personal data processing given at"))
    status = models.CharField(
        _("status"), max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    scheduled_address = models.CharField(_("connection address"), max_length=255, blank=True)
    scheduled_at = models.DateTimeField(_("connection time"), null=True, blank=True)
    source = models.CharField(max_length=8, choices=LeadSource.choices, default=LeadSource.SITE)
    language = models.CharField(max_length=8, default="ru")
    ip = models.GenericIPAddressField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("connection request")
        verbose_name_plural = _("connection requests")
        indexes = [models.Index(fields=["status", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(scheduled_at__isnull=False),
                name="lead_scheduled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name} {self.phone}"


class LeadNote(models.Model):
    """A manager's note on a request, or the record of a status change."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("note"), blank=True)
    status_from = models.CharField(max_length=16, choices=LeadStatus.choices, blank=True)
    status_to = models.CharField(max_length=16, choices=LeadStatus.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return f"note #{self.pk} on lead #{self.lead_id}"
