"""The sandbox acquirer that ships with the project, over HTTP (never imported: it could be a
service of its own). Its notifications are signed: ``X-Sandbox-Signature: v1=<hex HMAC-SHA256
of "<timestamp>.<raw body>">`` with ``X-Sandbox-Timestamp`` within five minutes."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping

from abonent.payments.gateways.base import (
    HttpGateway,
    WebhookEvent,
    WebhookRejected,
    parse_notification,
)

TIMESTAMP_HEADER = "x-sandbox-timestamp"
SIGNATURE_HEADER = "x-sandbox-signature"


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature header's value for a body sent at ``timestamp`` (unix seconds)."""
    message = f"{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class SandboxGateway(HttpGateway):
    """The built-in acquirer: YooKassa's shape, HMAC-signed notifications.

    A signed notification's body is the acquirer's own word, so the service compares its amount
    and currency with our record instead of asking again (``refetch_on_webhook`` False).
    """

    name = "sandbox"
    refetch_on_webhook = False

    def __init__(self, *, webhook_secret: str, tolerance_seconds: int = 300, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._webhook_secret = webhook_secret
        self._tolerance = tolerance_seconds

    def verify_and_parse_webhook(
        self, *, headers: Mapping[str, str], body: bytes, client_ip: str, now: dt.datetime
    ) -> WebhookEvent:
        lower = {k.lower(): v for k, v in headers.items()}
        timestamp = lower.get(TIMESTAMP_HEADER, "")
        signature = lower.get(SIGNATURE_HEADER, "")
        if not timestamp.isdigit() or not signature:
            raise WebhookRejected("missing timestamp or signature")
        if not self._webhook_secret:
            raise WebhookRejected("no webhook secret configured")
        expected = sign(self._webhook_secret, timestamp, body)
        if not hmac.compare_digest(expected, signature.strip()):
            raise WebhookRejected("bad signature")
        if abs(now.timestamp() - int(timestamp)) > self._tolerance:
            raise WebhookRejected("stale timestamp")
        return parse_notification(body)
