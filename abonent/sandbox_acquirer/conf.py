"""The sandbox acquirer's settings, each read at call time with a default.

Nothing here is in ``settings.py``: a deployment sets ``ABONENT_SANDBOX_…`` only if it wants
something other than the demo defaults. Off in production unless ``ABONENT_SANDBOX_ENABLED``.
"""

from __future__ import annotations

from django.conf import settings

DELIVERY_SWITCHES = ("duplicate", "late", "reorder")


def _get(name: str, default):
    return getattr(settings, f"ABONENT_SANDBOX_{name}", default)


def enabled() -> bool:
    """Whether the sandbox answers at all (every URL is a 404 when it does not)."""
    default = bool(getattr(settings, "DEMO", False) or getattr(settings, "TESTING", False))
    return bool(_get("ENABLED", default))


def shop_id() -> str:
    return str(_get("SHOP_ID", "100500"))


def secret_key() -> str:
    return str(_get("SECRET_KEY", "test_sandbox_secret_key"))


def webhook_url() -> str:
    return str(_get("WEBHOOK_URL", "http://127.0.0.1:8000/payments/webhooks/sandbox/"))


def webhook_secret() -> str:
    return str(_get("WEBHOOK_SECRET", "test_sandbox_webhook_secret"))


def public_url() -> str:
    """Base URL of the sandbox's pages for links in payment objects ("" = the API request's)."""
    return str(_get("PUBLIC_URL", ""))


def delivery_switches() -> set[str]:
    """Switches on for every event: ``ABONENT_SANDBOX_DELIVERY = ["duplicate", "late"]``."""
    value = _get("DELIVERY", ())
    if isinstance(value, str):
        value = value.split(",")
    return {item.strip() for item in value if item.strip() in DELIVERY_SWITCHES}


def late_seconds() -> int:
    """How long the ``late`` switch holds back an event's first attempt."""
    return int(_get("LATE_SECONDS", 10))


def reorder_seconds() -> int:
    """How long the ``reorder`` switch holds back a payment event so a later one overtakes it."""
    return int(_get("REORDER_SECONDS", 5))


def max_attempts() -> int:
    return int(_get("MAX_ATTEMPTS", 10))


def webhook_timeout() -> int:
    """Seconds to wait for the shop's answer to a notification."""
    return int(_get("WEBHOOK_TIMEOUT", 5))


def deliver_on_commit() -> bool:
    """Start a best-effort delivery thread after each enqueue (the demo; never in tests)."""
    default = bool(getattr(settings, "DEMO", False)) and not getattr(settings, "TESTING", False)
    return bool(_get("DELIVER_ON_COMMIT", default))
