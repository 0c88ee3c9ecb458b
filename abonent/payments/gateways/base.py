"""The one interface between payments and acquirers, and the HTTP client both adapters share.

Both the sandbox acquirer and YooKassa speak YooKassa's API v3 (docs/payments-protocol.md):
``HttpGateway`` implements it once; the two adapters differ in their addresses, credentials
and in how a notification is authenticated. Amounts cross the wire as decimal strings with two
places and are turned into integer kopecks here, without floats.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.utils.translation import gettext_lazy as _

from abonent.core.errors import ApplicationError
from abonent.core.money import rubles

logger = logging.getLogger("abonent.payments.gateways")

_VALUE = re.compile(r"(\d{1,12})(?:\.(\d{1,2}))?")


class GatewayError(ApplicationError):
    """The acquirer refused the request (4xx): the payment cannot go on as asked."""

    status = 422
    code = "gateway_refused"

    def __init__(self, message: str, *, gateway_code: str = "", parameter: str = "") -> None:
        super().__init__(message)
        self.gateway_code = gateway_code
        self.parameter = parameter


class GatewayUnavailable(ApplicationError):
    """No answer, a 5xx, or an answer we cannot read: try again later with the same key."""

    status = 503
    code = "gateway_unavailable"


class WebhookRejected(Exception):
    """A notification that is not authentic, not fresh, or not readable (answer 400)."""


def kopecks_from_value(value: str) -> int:
    """``"1000.50"`` → ``100050``; anything but a plain non-negative decimal raises ValueError."""
    match = _VALUE.fullmatch(str(value).strip())
    if match is None:
        raise ValueError(f"not an amount: {value!r}")
    whole, frac = match.group(1), match.group(2) or ""
    return int(whole) * 100 + int(frac.ljust(2, "0") or 0)


def value_from_kopecks(amount_kop: int) -> str:
    """``100050`` → ``"1000.50"`` (core.money.rubles, as text)."""
    if not isinstance(amount_kop, int) or isinstance(amount_kop, bool):
        raise TypeError("amount_kop must be int kopecks")
    return str(rubles(amount_kop))


@dataclass(frozen=True)
class GatewayCard:
    """A payment method as the gateway reports it: its token and what people may see."""

    token: str
    saved: bool
    brand: str = ""
    first6: str = ""
    last4: str = ""
    expiry_month: int | None = None
    expiry_year: int | None = None


@dataclass(frozen=True)
class GatewayPayment:
    """A payment as the gateway sees it."""

    id: str
    status: str  # pending | waiting_for_capture | succeeded | canceled
    amount_kop: int
    currency: str
    paid: bool = False
    confirmation_url: str = ""
    card: GatewayCard | None = None
    failure_reason: str = ""  # cancellation_details.reason
    receipt_url: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayRefund:
    """A refund as the gateway sees it."""

    id: str
    status: str  # pending | succeeded | canceled
    amount_kop: int
    currency: str
    payment_id: str


@dataclass(frozen=True)
class WebhookEvent:
    """An authenticated notification: its event name and the object it carries."""

    event: str
    object_id: str
    body: dict[str, Any]
    payment: GatewayPayment | None = None
    refund: GatewayRefund | None = None


class Gateway:
    """What payments needs from an acquirer."""

    name = ""
    # True: a notification's body is not trusted; the service re-reads the object by GET.
    refetch_on_webhook = False

    def create_payment(
        self,
        *,
        amount_kop: int,
        currency: str,
        description: str,
        idempotency_key: str,
        return_url: str,
        save_card: bool = False,
        card_token: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> GatewayPayment:
        raise NotImplementedError

    def get_payment(self, gateway_payment_id: str) -> GatewayPayment:
        raise NotImplementedError

    def refund(
        self,
        *,
        gateway_payment_id: str,
        amount_kop: int,
        currency: str,
        idempotency_key: str,
        description: str = "",
    ) -> GatewayRefund:
        raise NotImplementedError

    def get_refund(self, gateway_refund_id: str) -> GatewayRefund:
        raise NotImplementedError

    def verify_and_parse_webhook(
        self, *, headers: Mapping[str, str], body: bytes, client_ip: str, now: dt.datetime
    ) -> WebhookEvent:
        """Authenticate and parse a notification, or raise ``WebhookRejected``."""
        raise NotImplementedError


def _amount(obj: Mapping[str, Any]) -> tuple[int, str]:
    amount = obj.get("amount") or {}
    return kopecks_from_value(str(amount.get("value", ""))), str(amount.get("currency", ""))


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def parse_payment(obj: Mapping[str, Any]) -> GatewayPayment:
    """A YooKassa-shaped payment object as a ``GatewayPayment`` (ValueError if malformed)."""
    if not isinstance(obj, Mapping) or not obj.get("id") or not obj.get("status"):
        raise ValueError("not a payment object")
    amount_kop, currency = _amount(obj)
    method = obj.get("payment_method") or {}
    card = None
    if isinstance(method, Mapping) and method.get("id"):
        info = method.get("card") or {}
        card = GatewayCard(
            token=str(method["id"]),
            saved=bool(method.get("saved")),
            brand=str(info.get("card_type", "")),
            first6=str(info.get("first6", ""))[:6],
            last4=str(info.get("last4", ""))[:4],
            expiry_month=_int_or_none(info.get("expiry_month")),
            expiry_year=_int_or_none(info.get("expiry_year")),
        )
    confirmation = obj.get("confirmation") or {}
    cancellation = obj.get("cancellation_details") or {}
    metadata = obj.get("metadata") or {}
    return GatewayPayment(
        id=str(obj["id"]),
        status=str(obj["status"]),
        amount_kop=amount_kop,
        currency=currency,
        paid=bool(obj.get("paid")),
        confirmation_url=str(confirmation.get("confirmation_url", "") or ""),
        card=card,
        failure_reason=str(cancellation.get("reason", "") or ""),
        receipt_url=str(obj.get("receipt_url", "") or ""),
        metadata=dict(metadata) if isinstance(metadata, Mapping) else {},
    )


def parse_refund(obj: Mapping[str, Any]) -> GatewayRefund:
    """A YooKassa-shaped refund object as a ``GatewayRefund`` (ValueError if malformed)."""
    if not isinstance(obj, Mapping) or not obj.get("id") or not obj.get("status"):
        raise ValueError("not a refund object")
    amount_kop, currency = _amount(obj)
    return GatewayRefund(
        id=str(obj["id"]),
        status=str(obj["status"]),
        amount_kop=amount_kop,
        currency=currency,
        payment_id=str(obj.get("payment_id", "")),
    )


def parse_notification(body: bytes) -> WebhookEvent:
    """The JSON of a notification as a ``WebhookEvent`` (``WebhookRejected`` if malformed)."""
    try:
        data = json.loads(body)
        event = str(data["event"])
        obj = data["object"]
        if event.startswith("refund."):
            refund = parse_refund(obj)
            return WebhookEvent(event=event, object_id=refund.id, body=data, refund=refund)
        payment = parse_payment(obj)
        return WebhookEvent(event=event, object_id=payment.id, body=data, payment=payment)
    except (ValueError, KeyError, TypeError) as exc:
        raise WebhookRejected(f"unreadable notification: {exc}") from None


class HttpGateway(Gateway):
    """YooKassa's API v3 over HTTP: Basic auth, an ``Idempotence-Key`` on every POST.

    ``transport`` is httpx's: tests pass a ``MockTransport`` or a ``WSGITransport`` to the
    in-process site; production leaves it ``None`` (the network).
    """

    def __init__(
        self,
        *,
        base_url: str,
        shop_id: str,
        secret_key: str,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._auth = httpx.BasicAuth(shop_id, secret_key)
        self._timeout = timeout
        self._transport = transport

    def _request(
        self,
        method: str,
        path: str,
        *,
        payload: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if idempotency_key is not None:
            headers["Idempotence-Key"] = idempotency_key
        try:
            with httpx.Client(
                base_url=self.base_url,
                auth=self._auth,
                timeout=self._timeout,
                transport=self._transport,
            ) as client:
                response = client.request(method, path, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            logger.warning("%s %s %s: %s", self.name, method, path, type(exc).__name__)
            raise GatewayUnavailable(
                _("The payment service is not answering. Try again.")
            ) from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 500 or not isinstance(data, dict):
            logger.warning("%s %s %s: HTTP %s", self.name, method, path, response.status_code)
            raise GatewayUnavailable(_("The payment service is not answering. Try again."))
        if response.status_code >= 400:
            logger.warning(
                "%s %s %s: HTTP %s %s %s",
                self.name,
                method,
                path,
                response.status_code,
                data.get("code", ""),
                data.get("parameter", ""),
            )
            raise GatewayError(
                str(data.get("description") or _("The payment service refused the payment.")),
                gateway_code=str(data.get("code", "")),
                parameter=str(data.get("parameter", "")),
            )
        return data

    def create_payment(
        self,
        *,
        amount_kop: int,
        currency: str,
        description: str,
        idempotency_key: str,
        return_url: str,
        save_card: bool = False,
        card_token: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> GatewayPayment:
        payload: dict[str, Any] = {
            "amount": {"value": value_from_kopecks(amount_kop), "currency": currency},
            "capture": True,
            "description": description[:128],
            "metadata": metadata or {},
        }
        if card_token:
            payload["payment_method_id"] = card_token
        else:
            payload["confirmation"] = {"type": "redirect", "return_url": return_url}
            payload["save_payment_method"] = bool(save_card)
        data = self._request("POST", "payments", payload=payload, idempotency_key=idempotency_key)
        return self._payment(data)

    def get_payment(self, gateway_payment_id: str) -> GatewayPayment:
        return self._payment(self._request("GET", f"payments/{gateway_payment_id}"))

    def refund(
        self,
        *,
        gateway_payment_id: str,
        amount_kop: int,
        currency: str,
        idempotency_key: str,
        description: str = "",
    ) -> GatewayRefund:
        payload = {
            "payment_id": gateway_payment_id,
            "amount": {"value": value_from_kopecks(amount_kop), "currency": currency},
            "description": description[:250],
        }
        data = self._request("POST", "refunds", payload=payload, idempotency_key=idempotency_key)
        return self._refund(data)

    def get_refund(self, gateway_refund_id: str) -> GatewayRefund:
        return self._refund(self._request("GET", f"refunds/{gateway_refund_id}"))

    def _refund(self, data: dict[str, Any]) -> GatewayRefund:
        try:
            return parse_refund(data)
        except ValueError:
            raise GatewayUnavailable(
                _("The payment service answered something unreadable.")
            ) from None

    def _payment(self, data: dict[str, Any]) -> GatewayPayment:
        try:
            return parse_payment(data)
        except ValueError:
            raise GatewayUnavailable(
                _("The payment service answered something unreadable.")
            ) from None
