"""Payments through acquirers, the cards they saved for us, autopay, refunds, and the raw log of
their notifications. No card number or CVC is ever here: only the gateway's token and what may
be shown (brand, first six and last four digits, expiry)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from abonent.accounts.models import Account


class PaymentStatus(models.TextChoices):
    """Our view of a payment; ``succeeded`` is final (it has credited the ledger)."""

    PENDING = "pending", pgettext_lazy("payment status", "Pending")
    SUCCEEDED = "succeeded", pgettext_lazy("payment status", "Succeeded")
    FAILED = "failed", pgettext_lazy("payment status", "Failed")
    CANCELED = "canceled", pgettext_lazy("payment status", "Canceled")


FINAL_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELED)
# The reason kept on a card check whose refund the gateway refused (returned by hand).
REFUND_REFUSED = "refund_refused"


class PaymentKind(models.TextChoices):
    """Who started the payment."""

    MANUAL = "manual", pgettext_lazy("payment kind", "By the subscriber")
    AUTOPAY = "autopay", pgettext_lazy("payment kind", "Autopay")


class PaymentPurpose(models.TextChoices):
    """What the money is for: a top-up credits the balance; a card check (a small payment that
    saves the card and is refunded at once) never touches the ledger."""

    TOPUP = "topup", pgettext_lazy("payment purpose", "Top-up")
    CARD_CHECK = "card_check", pgettext_lazy("payment purpose", "Card check")


class Card(models.Model):
    """A bank card the gateway saved for an account: its token and display data only."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="cards")
    gateway = models.CharField(max_length=16)
    token = models.CharField(max_length=128)
    brand = models.CharField(_("card type"), max_length=32, blank=True)
    first6 = models.CharField(max_length=6, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    expiry_month = models.PositiveSmallIntegerField(null=True, blank=True)
    expiry_year = models.PositiveSmallIntegerField(null=True, blank=True)
    is_default = models.BooleanField(_("default card"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "-created_at", "-id"]
        verbose_name = _("bank card")
        verbose_name_plural = _("bank cards")
        constraints = [
            models.UniqueConstraint(fields=["gateway", "token"], name="card_token_once"),
            models.UniqueConstraint(
                fields=["account"], condition=Q(is_default=True), name="card_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        """ "Visa •••• 1111"."""
        brand = self.brand or str(_("Card"))
        return f"{brand} •••• {self.last4}"

    @property
    def expiry(self) -> str:
        """ "12/30", or empty."""
        if self.expiry_month and self.expiry_year:
            return f"{self.expiry_month:02d}/{self.expiry_year % 100:02d}"
        return ""


class AutopayRule(models.TextChoices):
    """When autopay tops the balance up."""

    NEXT_CHARGE = "next_charge", _("Keep the balance able to pay the next charge")
    THRESHOLD = "threshold", _("Top up a fixed amount when the balance falls below a level")


class AutopaySetting(models.Model):
    """An account's autopay switch and rule; it charges the account's default card."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="autopay")
    enabled = models.BooleanField(default=False)
    rule = models.CharField(
        max_length=16, choices=AutopayRule.choices, default=AutopayRule.NEXT_CHARGE
    )
    threshold_kop = models.BigIntegerField(default=0)
    topup_kop = models.BigIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_payment = models.ForeignKey(
        "Payment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("autopay")
        verbose_name_plural = _("autopay")
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold_kop__gte=0) & Q(topup_kop__gte=0), name="autopay_amounts"
            ),
        ]

    def __str__(self) -> str:
        return f"autopay {self.account_id} {'on' if self.enabled else 'off'}"


class Payment(models.Model):
    """Our record of one payment through a gateway, written (``pending``) before the gateway is
    called, so a failure half-way leaves something to resume from. ``succeeded`` is final: it
    credited the ledger once, with the key ``"<gateway>:<gateway_payment_id>"``."""

    # No index of its own: the index (account, -created_at, -id) serves look-ups by account.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="payments", db_index=False
    )
    kind = models.CharField(max_length=16, choices=PaymentKind.choices, default=PaymentKind.MANUAL)
    purpose = models.CharField(
        max_length=16, choices=PaymentPurpose.choices, default=PaymentPurpose.TOPUP
    )
    amount_kop = models.BigIntegerField(_("amount, kopecks"))
    currency = models.CharField(max_length=3, default="RUB")
    status = models.CharField(
        _("status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    gateway = models.CharField(max_length=16)
    gateway_payment_id = models.CharField(max_length=64, null=True, blank=True)
    idempotency_key = models.CharField(max_length=80)
    description = models.CharField(max_length=128, blank=True)
    return_url = models.CharField(max_length=1000, blank=True)
    confirmation_url = models.CharField(max_length=1000, blank=True)
    failure_reason = models.CharField(_("reason"), max_length=64, blank=True)
    receipt_url = models.CharField(max_length=1000, blank=True)
    save_card = models.BooleanField(default=False)
    card = models.ForeignKey(
        Card, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    card_title = models.CharField(max_length=64, blank=True)  # kept when the card is removed
    refunded_kop = models.BigIntegerField(default=0)
    # Not indexed: nothing looks a payment up by its entry, and the credit's UPDATE, which sets
    # it, then changes no indexed column (PostgreSQL can keep the row on its page, HOT).
    ledger_entry = models.ForeignKey(
        "billing.LedgerEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [models.Index(fields=["account", "-created_at", "-id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "gateway_payment_id"], name="payment_gateway_id_once"
            ),
            models.UniqueConstraint(
                fields=["account", "idempotency_key"], name="payment_idempotency_key_once"
            ),
            models.CheckConstraint(condition=Q(amount_kop__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_kop__gte=0) & Q(refunded_kop__lte=F("amount_kop")),
                name="payment_refunded_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} {self.amount_kop} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_card_check(self) -> bool:
        return self.purpose == PaymentPurpose.CARD_CHECK

    @property
    def card_check_refund_pending(self) -> bool:
        """A card check that went through and whose money is not back yet (nor refused)."""
        return (
            self.is_card_check
            and self.status == PaymentStatus.SUCCEEDED
            and self.refunded_kop < self.amount_kop
            and self.failure_reason != REFUND_REFUSED
        )


class EventOutcome(models.TextChoices):
    """What became of a notification."""

    RECEIVED = "received", _("Received")
    APPLIED = "applied", _("Applied")
    DUPLICATE = "duplicate", _("Already applied")
    IGNORED = "ignored", _("Nothing to change")
    REJECTED = "rejected", _("Refused: not authentic or not fresh")
    MISMATCH = "mismatch", _("Refused: amount or currency differ from ours")
    UNKNOWN = "unknown", _("No such payment of ours")
    ERROR = "error", _("Could not be processed; the gateway will retry")


class PaymentEvent(models.Model):
    """One notification as it arrived, for staff to investigate what was refused."""

    gateway = models.CharField(max_length=16)
    event_type = models.CharField(max_length=64, blank=True)
    gateway_object_id = models.CharField(max_length=64, blank=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    body = models.JSONField(default=dict)
    signature_ok = models.BooleanField(default=False)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(
        max_length=16, choices=EventOutcome.choices, default=EventOutcome.RECEIVED
    )
    detail = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("payment notification")
        verbose_name_plural = _("payment notifications")
        # A plain index for staff looking a gateway's object up (no LIKE-pattern twin).
        indexes = [models.Index(fields=["gateway_object_id"], name="payment_event_object_idx")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_type} {self.gateway_object_id} {self.outcome}"


class RefundStatus(models.TextChoices):
    """Where a refund stands."""

    PENDING = "pending", pgettext_lazy("refund status", "Pending")
    SUCCEEDED = "succeeded", pgettext_lazy("refund status", "Succeeded")
    FAILED = "failed", pgettext_lazy("refund status", "Failed")


class Refund(models.Model):
    """Money of a succeeded payment sent back to the card by a cashier. Written ``pending``
    before the gateway is called; ``succeeded`` posts one negative ledger entry with the key
    ``"refund:<gateway>:<gateway_refund_id>"``."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_kop = models.BigIntegerField(_("amount, kopecks"))
    status = models.CharField(
        max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    gateway = models.CharField(max_length=16)
    gateway_refund_id = models.CharField(max_length=64, null=True, blank=True)
    idempotency_key = models.CharField(max_length=80)
    reason = models.CharField(_("reason"), max_length=255)
    failure_reason = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ledger_entry = models.ForeignKey(
        "billing.LedgerEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "idempotency_key"], name="refund_idempotency_key_once"
            ),
            models.UniqueConstraint(
                fields=["gateway", "gateway_refund_id"], name="refund_gateway_id_once"
            ),
            models.CheckConstraint(condition=Q(amount_kop__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"refund {self.pk} of payment {self.payment_id}"
