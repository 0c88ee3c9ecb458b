"""Notifications to the merchant: a queue in the sandbox's own table, signed, retried.

``webhook_enqueue`` writes rows in the caller's transaction; ``deliver_due`` sends what is due
(tests call it with a fake clock and transport; ``abonent sandbox-deliver --loop`` runs it
steadily; the demo also starts a best-effort thread after each commit).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable

from django.db import close_old_connections, transaction
from django.utils import timezone

from . import conf
from .models import WebhookDelivery

logger = logging.getLogger(__name__)

Transport = Callable[[str, bytes, dict[str, str], float], int]

CLAIM_SECONDS = 60  # a claimed row is retried after this long if its sender died mid-attempt


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """``v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def switches_for(metadata: dict | None) -> set[str]:
    """The settings' delivery switches plus the payment's ``metadata["sandbox_delivery"]``."""
    switches = conf.delivery_switches()
    value = (metadata or {}).get("sandbox_delivery") or ()
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list | tuple):
        switches |= {str(item).strip() for item in value} & set(conf.DELIVERY_SWITCHES)
    return switches


def webhook_enqueue(
    *, event: str, obj: dict, switches: Iterable[str] = (), now: dt.datetime | None = None
) -> list[WebhookDelivery]:
    """Queue ``{"type": "notification", "event", "object"}`` for the merchant.

    ``duplicate`` queues it twice, ``late`` holds the first attempt back ``LATE_SECONDS``,
    ``reorder`` holds a payment event back ``REORDER_SECONDS`` so that a later event (a refund,
    another payment) is delivered before it.
    """
    switches = set(switches)
    now = now or timezone.now()
    first_attempt = now
    if "late" in switches:
        first_attempt += dt.timedelta(seconds=conf.late_seconds())
    if "reorder" in switches and event.startswith("payment."):
        first_attempt += dt.timedelta(seconds=conf.reorder_seconds())
    payload = {"type": "notification", "event": event, "object": obj}
    rows = [
        WebhookDelivery.objects.create(
            event=event,
            object_id=obj["id"],
            payload=payload,
            created_at=now,
            next_attempt_at=first_attempt,
        )
        for _ in range(2 if "duplicate" in switches else 1)
    ]
    if conf.deliver_on_commit():
        transaction.on_commit(start_background_delivery)
    return rows


def urllib_transport(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST with the standard library; the HTTP status, or an exception for no answer."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"webhook URL must be http(s): {url!r}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def backoff(attempts: int) -> dt.timedelta:
    """After the n-th failed attempt wait 2**(n-1) seconds: 1, 2, 4, … s."""
    return dt.timedelta(seconds=2 ** max(attempts - 1, 0))


def deliver_due(
    now: dt.datetime | None = None, *, transport: Transport | None = None, limit: int = 100
) -> int:
    """Send every event whose attempt is due; return how many were delivered (2xx).

    Each row is claimed by a conditional update before it is sent, so two runners never send
    the same attempt; the HTTP call happens outside any transaction.
    """
    now = now or timezone.now()
    transport = transport or urllib_transport
    url, secret, timeout = conf.webhook_url(), conf.webhook_secret(), conf.webhook_timeout()
    due = list(
        WebhookDelivery.objects.filter(next_attempt_at__lte=now).order_by("next_attempt_at", "id")[
            :limit
        ]
    )
    delivered = 0
    for row in due:
        claimed = WebhookDelivery.objects.filter(
            pk=row.pk, next_attempt_at=row.next_attempt_at, attempts=row.attempts
        ).update(next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS))
        if not claimed:
            continue
        body = json.dumps(row.payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(now.timestamp()))
        headers = {
            "Content-Type": "application/json",
            "X-Sandbox-Timestamp": timestamp,
            "X-Sandbox-Signature": sign(secret=secret, timestamp=timestamp, body=body),
        }
        try:
            status = transport(url, body, headers, timeout)
            error = "" if 200 <= status < 300 else f"HTTP {status}"
        except Exception as exc:  # any failure to get an answer is a failed attempt
            error = f"{type(exc).__name__}: {exc}"[:500]
        row.attempts += 1
        if not error:
            row.delivered_at, row.next_attempt_at, row.last_error = now, None, ""
            delivered += 1
        else:
            row.last_error = error
            gave_up = row.attempts >= conf.max_attempts()
            row.next_attempt_at = None if gave_up else now + backoff(row.attempts)
            logger.warning(
                "sandbox webhook %s %s attempt %s failed: %s%s",
                row.event,
                row.object_id,
                row.attempts,
                error,
                " (giving up)" if gave_up else "",
            )
        row.save(update_fields=["attempts", "delivered_at", "next_attempt_at", "last_error"])
    return delivered


def next_due_at() -> dt.datetime | None:
    """When the earliest pending attempt is due (None when nothing is pending)."""
    return (
        WebhookDelivery.objects.filter(next_attempt_at__isnull=False)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


# --- the demo's best-effort background delivery ---------------------------------------------
_wake = threading.Event()
_guard = threading.Lock()
_thread: threading.Thread | None = None


def start_background_delivery() -> None:
    """Wake (or start) one daemon thread that delivers until nothing is pending."""
    global _thread
    with _guard:
        _wake.set()
        if _thread is not None and _thread.is_alive():
            return
        _thread = threading.Thread(target=_delivery_loop, name="sandbox-webhooks", daemon=True)
        _thread.start()


def _delivery_loop() -> None:
    global _thread
    try:
        while True:
            _wake.clear()
            close_old_connections()
            deliver_due()
            due_at = next_due_at()
            if due_at is None:
                with _guard:
                    if not _wake.is_set():
                        _thread = None
                        return
                continue
            wait = (due_at - timezone.now()).total_seconds()
            _wake.wait(min(max(wait, 0.05), 60.0))
    except Exception:
        logger.exception("sandbox webhook delivery thread stopped")
        with _guard:
            _thread = None
    finally:
        from django.db import connection

        connection.close()
