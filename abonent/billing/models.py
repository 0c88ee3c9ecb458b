"""The ledger: every change of an account's balance is one append-only entry here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from abonent.accounts.models import Account


class EntryKind(models.TextChoices):
    """What moved the money."""

    PAYMENT = "payment", pgettext_lazy("ledger entry kind", "Payment")
    FEE = "fee", pgettext_lazy("ledger entry kind", "Tariff fee")
    ADDON_FEE = "addon_fee", pgettext_lazy("ledger entry kind", "Add-on fee")
    REFUND = "refund", pgettext_lazy("ledger entry kind", "Refund")
    CORRECTION = "correction", pgettext_lazy("ledger entry kind", "Correction")
    PROMISED_PAYMENT = "promised_payment", pgettext_lazy("ledger entry kind", "Promised payment")
    PROMISED_EXPIRY = (
        "promised_expiry",
        pgettext_lazy("ledger entry kind", "Promised payment expired"),
    )


class LedgerEntry(models.Model):
    """One signed amount in kopecks on an account. Never updated, never deleted.

    ``key`` is the natural key of an idempotent operation (a charge, a payment credit); the
    database keeps it unique, so a retried operation finds the first entry instead of adding
    a second one. ``balance_after_kop`` is the balance right after this entry.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    amount_kop = models.BigIntegerField(_("amount, kopecks"))
    balance_after_kop = models.BigIntegerField(_("balance after, kopecks"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    key = models.CharField(max_length=128, null=True, blank=True, unique=True)
    # A charge's natural key is (account, item, period_start), kept unique by the database:
    # item is "tariff" or "addon:<id>"; the period is the span of days the fee pays for.
    item = models.CharField(max_length=32, null=True, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["account", "-created_at", "-id"])]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_kop=0), name="ledger_amount_not_zero"),
            models.UniqueConstraint(fields=["account", "item", "period_start"], name="charge_once"),
            models.CheckConstraint(
                condition=Q(item__isnull=True) | Q(period_start__isnull=False),
                name="charge_has_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_kop} on {self.account_id}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        """Entries are inserted once; updating one is a bug."""
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("ledger entries are append-only")
        super().save(*args, **kwargs)


class AccountAddon(models.Model):
    """An add-on connected to an account, from ``started_on`` until ``ends_on`` (inclusive).

    An open subscription has no ``ends_on``; at most one open row per add-on and account.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="addons")
    addon = models.ForeignKey(
        "catalogue.Addon", on_delete=models.PROTECT, related_name="subscriptions"
    )
    started_on = models.DateField(_("connected on"))
    ends_on = models.DateField(_("disconnected after"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["started_on", "id"]
        verbose_name = _("connected add-on")
        verbose_name_plural = _("connected add-ons")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "addon"],
                condition=Q(ends_on__isnull=True),
                name="addon_open_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.addon_id} on {self.account_id} from {self.started_on}"


class TariffChangeStatus(models.TextChoices):
    """Where a tariff change request stands."""

    PENDING = "pending", _("Waiting for the period boundary")
    AWAITING_APPROVAL = "awaiting_approval", _("Waiting for approval")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_CHANGE_STATUSES = [TariffChangeStatus.PENDING, TariffChangeStatus.AWAITING_APPROVAL]


class TariffChange(models.Model):
    """A subscriber's request to move to another tariff at the next period boundary."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="tariff_changes")
    from_tariff = models.ForeignKey("catalogue.Tariff", on_delete=models.PROTECT, related_name="+")
    to_tariff = models.ForeignKey("catalogue.Tariff", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=TariffChangeStatus.choices)
    effective_on = models.DateField(_("takes effect on"))
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("tariff change")
        verbose_name_plural = _("tariff changes")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status__in=["pending", "awaiting_approval"]),
                name="tariff_change_open_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_tariff_id} → {self.to_tariff_id} ({self.status})"


class ChargeRun(models.Model):
    """One execution of the charge run for a billing day: when, what it did."""

    day = models.DateField(_("billing day"), db_index=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    charged_accounts = models.PositiveIntegerField(default=0)
    charges = models.PositiveIntegerField(default=0)
    blocked_accounts = models.PositiveIntegerField(default=0)
    total_kop = models.BigIntegerField(default=0)
    tariff_changes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("charge run")
        verbose_name_plural = _("charge runs")

    def __str__(self) -> str:
        return f"charge run {self.day} ({self.started_at:%Y-%m-%d %H:%M})"


class AccountPause(models.Model):
    """A voluntary pause ("добровольная блокировка"): no fees accrue from ``starts_on`` until
    the subscriber resumes (``resumed_on``) or ``ends_on`` passes. Days already paid for and
    not used are refunded at the resume."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="pauses")
    starts_on = models.DateField(_("paused from"))
    ends_on = models.DateField(_("paused until"))
    resumed_on = models.DateField(_("resumed on"), null=True, blank=True)
    refund_kop = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(resumed_on__isnull=True), name="pause_open_once"
            ),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="pause_span"),
        ]

    def __str__(self) -> str:
        return f"pause of {self.account_id} {self.starts_on}..{self.ends_on}"


class PromisedStatus(models.TextChoices):
    """Where a promised payment stands."""

    ACTIVE = "active", _("Active")
    COVERED = "covered", _("Covered")
    UNCOVERED = "uncovered", _("Expired uncovered")


class PromisedPayment(models.Model):
    """A temporary credit ("обещанный платёж") that expires by itself after some days."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="promises")
    amount_kop = models.BigIntegerField(_("amount, kopecks"))
    taken_on = models.DateField(_("taken on"))
    expires_on = models.DateField(_("expires on"))
    status = models.CharField(max_length=12, choices=PromisedStatus.choices, default="active")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_on", "-id"]
        verbose_name = _("promised payment")
        verbose_name_plural = _("promised payments")
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(status="active"), name="promise_active_once"
            ),
            models.CheckConstraint(condition=Q(amount_kop__gt=0), name="promise_positive"),
        ]

    def __str__(self) -> str:
        return f"promise {self.amount_kop} to {self.account_id} until {self.expires_on}"
