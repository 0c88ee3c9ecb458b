"""Settings of payments, read at call time with defaults, so ``override_settings`` works and
``settings.py`` need not know this app. Every name is ``ABONENT_…`` in the environment's
settings module."""

from __future__ import annotations

from django.conf import settings

SANDBOX = "sandbox"
YOOKASSA = "yookassa"
GATEWAYS = (SANDBOX, YOOKASSA)

# YooKassa's published notification addresses (https://yookassa.ru/developers/using-api/webhooks).
YOOKASSA_IPS_DEFAULT = (
    "185.71.76.0/27",
    "185.71.77.0/27",
    "77.75.153.0/25",
    "77.75.156.11",
    "77.75.156.35",
    "77.75.154.128/25",
    "2a02:5180::/32",
)


def _get(name: str, default: object) -> object:
    return getattr(settings, name, default)


def active_gateway() -> str:
    """The gateway new payments go through: ``ABONENT_PAYMENT_GATEWAY``; by default the
    sandbox in the demo and tests, none in production (payments are then refused)."""
    default = (
        SANDBOX if getattr(settings, "DEMO", False) or getattr(settings, "TESTING", False) else ""
    )
    return str(_get("ABONENT_PAYMENT_GATEWAY", default))


def gateway_enabled(name: str) -> bool:
    """Whether webhooks of ``name`` are accepted: the active gateway, and the sandbox only
    where it is on (demo, tests, or ``ABONENT_SANDBOX_ENABLED``)."""
    if name == active_gateway():
        return True
    if name == SANDBOX:
        return bool(_get("ABONENT_SANDBOX_ENABLED", active_gateway() == SANDBOX))
    if name == YOOKASSA:
        return bool(_get("ABONENT_YOOKASSA_SHOP_ID", ""))
    return False


def sandbox_api_url() -> str:
    return str(_get("ABONENT_SANDBOX_API_URL", "http://127.0.0.1:8000/sandbox-acquirer/api/v3/"))


def sandbox_shop_id() -> str:
    return str(_get("ABONENT_SANDBOX_SHOP_ID", "100500"))


def sandbox_secret_key() -> str:
    return str(_get("ABONENT_SANDBOX_SECRET_KEY", "test_sandbox_secret_key"))


def sandbox_webhook_secret() -> str:
    return str(_get("ABONENT_SANDBOX_WEBHOOK_SECRET", "test_sandbox_webhook_secret"))


def webhook_tolerance_seconds() -> int:
    """How old (or how far in the future) a signed webhook's timestamp may be."""
    return int(_get("ABONENT_PAYMENT_WEBHOOK_TOLERANCE_SECONDS", 300))  # type: ignore[call-overload]


def yookassa_api_url() -> str:
    return str(_get("ABONENT_YOOKASSA_API_URL", "https://api.yookassa.ru/v3/"))


def yookassa_shop_id() -> str:
    return str(_get("ABONENT_YOOKASSA_SHOP_ID", ""))


def yookassa_secret_key() -> str:
    return str(_get("ABONENT_YOOKASSA_SECRET_KEY", ""))


def yookassa_allowed_ips() -> tuple[str, ...]:
    """Networks YooKassa's notifications may come from; a list or a comma-separated string."""
    value = _get("ABONENT_YOOKASSA_ALLOWED_IPS", YOOKASSA_IPS_DEFAULT)
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split(",") if p.strip())
    return tuple(str(v) for v in value)  # type: ignore[attr-defined]


def min_amount_kop() -> int:
    """The smallest payment: 10 ₽."""
    return int(_get("ABONENT_PAYMENT_MIN_KOP", 10_00))  # type: ignore[call-overload]


def max_amount_kop() -> int:
    """The largest payment: 100 000 ₽."""
    return int(_get("ABONENT_PAYMENT_MAX_KOP", 100_000_00))  # type: ignore[call-overload]


def card_check_kop() -> int:
    """The card check's payment (refunded at once), which saves a card without a top-up: 1 ₽."""
    return int(_get("ABONENT_CARD_CHECK_KOP", 1_00))  # type: ignore[call-overload]


def currency() -> str:
    return str(_get("ABONENT_PAYMENT_CURRENCY", "RUB"))


def http_timeout_seconds() -> int:
    """Timeout of one call to a gateway (connect and read), whole seconds."""
    return int(_get("ABONENT_PAYMENT_HTTP_TIMEOUT_SECONDS", 15))  # type: ignore[call-overload]


def return_url_base() -> str:
    """Where the acquirer sends the browser back: this site's origin (from the cabinet URL)."""
    from urllib.parse import urlsplit

    default = str(_get("ABONENT_CABINET_URL", "http://127.0.0.1:8000/cabinet/"))
    parts = urlsplit(str(_get("ABONENT_PAYMENT_RETURN_BASE_URL", default)))
    return f"{parts.scheme}://{parts.netloc}"


def webhook_fast_path() -> bool:
    """Whether a webhook's common credit goes through its one SQL statement on PostgreSQL
    (``services/fast_credit.py``); off, every notification takes the ORM path. On by default:
    ``ABONENT_PAYMENT_WEBHOOK_FAST_PATH=False`` is for comparing the two."""
    return bool(_get("ABONENT_PAYMENT_WEBHOOK_FAST_PATH", True))
