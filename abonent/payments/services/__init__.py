"""Writes of payments. Every money-moving service is atomic and keyword-only; gateways are
called outside row locks, after a ``pending`` record was written to resume from."""

from abonent.payments.services.autopay import AutopayResult, autopay_run
from abonent.payments.services.card_check import card_check_create, card_check_refund
from abonent.payments.services.cards import autopay_set, card_remove, card_set_default
from abonent.payments.services.payments import (
    ApplyResult,
    payment_apply_gateway_state,
    payment_create,
    payment_refresh,
    payment_return_url,
)
from abonent.payments.services.refunds import refund_create
from abonent.payments.services.webhooks import WebhookResult, webhook_process

__all__ = [
    "ApplyResult",
    "AutopayResult",
    "WebhookResult",
    "autopay_run",
    "autopay_set",
    "card_check_create",
    "card_check_refund",
    "card_remove",
    "card_set_default",
    "payment_apply_gateway_state",
    "payment_create",
    "payment_refresh",
    "payment_return_url",
    "refund_create",
    "webhook_process",
]
