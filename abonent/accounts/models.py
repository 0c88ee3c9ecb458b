"""Subscribers: the contract and personal account (лицевой счёт), and their API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from abonent.catalogue.models import BuildingType, Tariff


class AccountStatus(models.TextChoices):
    """Where an account stands; what it means for access is in DESIGN.md's money rules."""

    NEW = "new", pgettext_lazy("account status", "New")
    ACTIVE = "active", pgettext_lazy("account status", "Active")
    BLOCKED = "blocked", pgettext_lazy("account status", "Blocked")
    SUSPENDED = "suspended", pgettext_lazy("account status", "Paused")
    CLOSED = "closed", pgettext_lazy("account status", "Closed")


class Account(models.Model):
    """A subscriber's contract and personal account.

    The contract number is the cabinet login. ``balance_kop`` is a cache of the sum of the
    account's ledger entries, changed only by the billing posting service in the same
    transaction as the entry. ``auth_epoch`` grows whenever the password changes or is reset:
    sessions and API tokens of an older epoch are no longer valid.
    """

    contract = models.CharField(_("contract number"), max_length=16, unique=True)
    legacy_contract = models.CharField(
        _("contract number in the previous system"), max_length=32, blank=True, db_index=True
    )
    holder_name = models.CharField(_("holder"), max_length=200)
    address = models.CharField(_("address"), max_length=255)
    building_type = models.CharField(
        _("building type"),
        max_length=16,
        choices=BuildingType.choices,
        default=BuildingType.APARTMENT,
    )
    phone = models.CharField(_("phone"), max_length=12, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AccountStatus.choices, default=AccountStatus.NEW
    )
    tariff = models.ForeignKey(
        Tariff, verbose_name=_("tariff"), on_delete=models.PROTECT, related_name="accounts"
    )
    service_start = models.DateField(_("service started"))
    balance_kop = models.BigIntegerField(_("balance, kopecks"), default=0)
    credit_limit_kop = models.BigIntegerField(_("credit limit, kopecks"), default=0)
    password = models.CharField(max_length=128, blank=True)
    must_change_password = models.BooleanField(default=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    auth_epoch = models.PositiveIntegerField(default=0)
    language = models.CharField(max_length=8, default="ru")
    lead = models.OneToOneField(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="account"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit_kop__gte=0), name="account_credit_limit_not_negative"
            ),
            models.UniqueConstraint(
                fields=["legacy_contract"],
                condition=~Q(legacy_contract=""),
                name="account_legacy_contract_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.holder_name}"

    @property
    def has_usable_password(self) -> bool:
        """False for imported accounts until staff print them a sheet."""
        return bool(self.password) and not self.password.startswith("!")


class ApiToken(models.Model):
    """A bearer token of the subscriber API. Only its SHA-256 is stored."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    auth_epoch = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.account_id})"
