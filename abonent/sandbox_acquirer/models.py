"""The sandbox acquirer's own tables: merchant payments, saved cards, refunds, webhook queue.

No table holds a card number or a CVC: a card is its token and display data (first six and last
four digits, expiry, brand) only.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


def new_token() -> str:
    """A random identifier in YooKassa's form (no digit run long enough to pass for a card)."""
    return str(uuid.uuid4())


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "pending"
    WAITING_FOR_CAPTURE = "waiting_for_capture", "waiting_for_capture"
    SUCCEEDED = "succeeded", "succeeded"
    CANCELED = "canceled", "canceled"


class CancellationReason(models.TextChoices):
    INSUFFICIENT_FUNDS = "insufficient_funds", "insufficient_funds"
    EXPIRED_ON_CONFIRMATION = "expired_on_confirmation", "expired_on_confirmation"
    CARD_EXPIRED = "card_expired", "card_expired"
    THREE_D_SECURE_FAILED = "3d_secure_failed", "3d_secure_failed"
    GENERAL_DECLINE = "general_decline", "general_decline"


class Card(models.Model):
    """A card the sandbox has seen: its token and what may be shown, never the number or CVC.

    ``saved`` is true once the merchant asked to save it with a successful payment; only saved
    cards can be charged by ``payment_method_id``. ``decline_reason`` makes every later charge
    of this token fail (cards saved through the sandbox's decline rules, see the protocol doc).
    """

    token = models.CharField(primary_key=True, max_length=36, default=new_token, editable=False)
    shop_id = models.CharField(max_length=64)
    first6 = models.CharField(max_length=6)
    last4 = models.CharField(max_length=4)
    expiry_month = models.CharField(max_length=2)
    expiry_year = models.CharField(max_length=4)
    brand = models.CharField(max_length=32)
    saved = models.BooleanField(default=False)
    decline_reason = models.CharField(
        max_length=32, choices=CancellationReason.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.brand} {self.first6}…{self.last4}"


class Payment(models.Model):
    """A merchant's payment: created over the API, paid on the hosted page or by a saved card.

    Idempotency is the database's: one row per ``(shop_id, idempotence_key)``; ``fingerprint``
    (a hash of the request body) tells a retry from a different request with a reused key.
    """

    id = models.CharField(primary_key=True, max_length=36, default=new_token, editable=False)
    shop_id = models.CharField(max_length=64)
    idempotence_key = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    amount_kop = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="RUB")
    description = models.CharField(max_length=128, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    return_url = models.CharField(max_length=2048, blank=True, default="")
    save_payment_method = models.BooleanField(default=False)
    card = models.ForeignKey(Card, null=True, blank=True, on_delete=models.PROTECT)
    three_ds_pending = models.BooleanField(default=False)
    cancellation_reason = models.CharField(
        max_length=32, choices=CancellationReason.choices, blank=True, default=""
    )
    base_url = models.CharField(max_length=512, blank=True, default="")
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop_id", "idempotence_key"], name="sandbox_payment_idempotence"
            ),
            models.CheckConstraint(condition=Q(amount_kop__gt=0), name="sandbox_payment_amount"),
        ]

    def __str__(self) -> str:
        return f"sandbox payment {self.id} ({self.status})"


class Refund(models.Model):
    """A refund of (part of) a succeeded payment; one per ``(shop_id, idempotence_key)``."""

    id = models.CharField(primary_key=True, max_length=36, default=new_token, editable=False)
    shop_id = models.CharField(max_length=64)
    idempotence_key = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_kop = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="RUB")
    description = models.CharField(max_length=250, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop_id", "idempotence_key"], name="sandbox_refund_idempotence"
            ),
            models.CheckConstraint(condition=Q(amount_kop__gt=0), name="sandbox_refund_amount"),
        ]

    def __str__(self) -> str:
        return f"sandbox refund {self.id}"


class WebhookDelivery(models.Model):
    """One notification to send to the merchant, retried with backoff until answered 2xx.

    ``next_attempt_at`` is null once delivered or given up; ``delivered_at`` tells which.
    """

    event = models.CharField(max_length=32)
    object_id = models.CharField(max_length=36, db_index=True)
    payload = models.JSONField()
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["next_attempt_at"], name="sandbox_webhook_due")]

    def __str__(self) -> str:
        return f"{self.event} {self.object_id} (attempts: {self.attempts})"
