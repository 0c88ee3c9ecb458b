"""The ledger: every change of an account's balance is one append-only entry here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import Account


class EntryKind(models.TextChoices):
    """What moved the money."""

    PAYMENT = "payment", _("Payment")
    FEE = "fee", _("Tariff fee")
    ADDON_FEE = "addon_fee", _("Add-on fee")
    REFUND = "refund", _("Refund")
    CORRECTION = "correction", _("Correction")
    PROMISED_PAYMENT = "promised_payment", _("Promised payment")
    PROMISED_EXPIRY = "promised_expiry", _("Promised payment expired")


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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["account", "-created_at", "-id"])]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_kop=0), name="ledger_amount_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_kop} on {self.account_id}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        """Entries are inserted once; updating one is a bug."""
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("ledger entries are append-only")
        super().save(*args, **kwargs)
