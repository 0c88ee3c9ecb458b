"""An in-process acquirer speaking docs/payments-protocol.md (YooKassa's shape), for tests.

It is ours, not the sandbox acquirer app (which payments never imports): an
``httpx.MockTransport`` handler with the protocol's idempotency, Basic auth, saved-card tokens
and signed notifications. Card numbers never appear: only first6/last4 and a token.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from abonent.payments.gateways.sandbox import sign

SHOP_ID = "test-shop"
SECRET_KEY = "test-secret"
WEBHOOK_SECRET = "test-webhook-secret"
SETTINGS = {
    "ABONENT_PAYMENT_GATEWAY": "sandbox",
    "ABONENT_SANDBOX_API_URL": "http://acquirer.test/api/v3/",
    "ABONENT_SANDBOX_SHOP_ID": SHOP_ID,
    "ABONENT_SANDBOX_SECRET_KEY": SECRET_KEY,
    "ABONENT_SANDBOX_WEBHOOK_SECRET": WEBHOOK_SECRET,
}
VISA = {
    "first6": "411111",
    "last4": "1111",
    "expiry_month": "12",
    "expiry_year": "2030",
    "card_type": "Visa",
}


@dataclass
class FakeAcquirer:
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[tuple[str, str], str] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    declined_tokens: dict[str, str] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    fail_next: list[str] = field(default_factory=list)  # "500" or "timeout" per next request
    saved_card_status: str = "succeeded"

    # --- the HTTP side -----------------------------------------------------------------------
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail_next:
            failure = self.fail_next.pop(0)
            if failure == "timeout":
                raise httpx.ReadTimeout("timed out", request=request)
            return httpx.Response(500, json={"type": "error", "code": "internal_server_error"})
        expected = "Basic " + base64.b64encode(f"{SHOP_ID}:{SECRET_KEY}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return self._error(401, "invalid_credentials", "bad credentials")
        path = request.url.path.split("/api/v3/", 1)[1]
        if request.method == "POST":
            key = request.headers.get("idempotence-key")
            if not key:
                return self._error(400, "invalid_request", "Idempotence-Key is required")
            if (path, key) in self.keys:
                store = self.payments if path == "payments" else self.refunds
                return httpx.Response(200, json=store[self.keys[(path, key)]])
            body = json.loads(request.content)
            obj = self._create_payment(body) if path == "payments" else self._create_refund(body)
            if isinstance(obj, httpx.Response):
                return obj
            self.keys[(path, key)] = obj["id"]
            return httpx.Response(200, json=obj)
        kind, _, obj_id = path.partition("/")
        store = self.payments if kind == "payments" else self.refunds
        if obj_id not in store:
            return self._error(404, "not_found", "no such object")
        return httpx.Response(200, json=store[obj_id])

    def _error(self, status: int, code: str, text: str, parameter: str = "") -> httpx.Response:
        body = {"type": "error", "code": code, "description": text, "parameter": parameter}
        return httpx.Response(status, json=body)

    def _create_payment(self, body: dict[str, Any]) -> dict[str, Any] | httpx.Response:
        value = body["amount"]["value"]
        if "." not in value or len(value.split(".")[1]) != 2:
            return self._error(400, "invalid_request", "bad amount", "amount.value")
        pid = uuid.uuid4().hex
        obj: dict[str, Any] = {
            "id": pid,
            "status": "pending",
            "paid": False,
            "amount": body["amount"],
            "description": body.get("description", ""),
            "metadata": body.get("metadata", {}),
            "created_at": "2026-11-25T12:00:00.000Z",
        }
        token = body.get("payment_method_id")
        if token:
            if token not in self.tokens:
                return self._error(400, "invalid_request", "unknown method", "payment_method_id")
            obj["payment_method"] = {
                "type": "bank_card",
                "id": token,
                "saved": True,
                "card": self.tokens[token],
            }
            if token in self.declined_tokens:
                obj["status"] = "canceled"
                obj["cancellation_details"] = {
                    "party": "issuer",
                    "reason": self.declined_tokens[token],
                }
            elif self.saved_card_status == "succeeded":
                self._succeed(obj)
        else:
            obj["confirmation"] = {
                "type": "redirect",
                "confirmation_url": f"http://acquirer.test/pay/{pid}",
                "return_url": body["confirmation"]["return_url"],
            }
            obj["_save"] = bool(body.get("save_payment_method"))
        self.payments[pid] = obj
        return obj

    def _succeed(self, obj: dict[str, Any]) -> None:
        obj["status"] = "succeeded"
        obj["paid"] = True
        obj["receipt_registration"] = "succeeded"
        obj["receipt_url"] = f"http://acquirer.test/receipts/{obj['id']}"

    def _create_refund(self, body: dict[str, Any]) -> dict[str, Any] | httpx.Response:
        payment = self.payments.get(body["payment_id"])
        if payment is None or payment["status"] != "succeeded":
            return self._error(400, "invalid_request", "payment not refundable", "payment_id")
        rid = uuid.uuid4().hex
        obj = {
            "id": rid,
            "status": "succeeded",
            "amount": body["amount"],
            "payment_id": body["payment_id"],
            "created_at": "2026-11-25T12:00:00.000Z",
        }
        self.refunds[rid] = obj
        return obj

    # --- what the subscriber does on the hosted page -----------------------------------------
    def pay(self, pid: str, card: dict[str, str] | None = None) -> dict[str, Any]:
        """The card page accepted a card (and 3-D Secure): the payment succeeds."""
        obj = self.payments[pid]
        token = "tok-" + uuid.uuid4().hex[:12]
        saved = bool(obj.pop("_save", False))
        obj["payment_method"] = {
            "type": "bank_card",
            "id": token,
            "saved": saved,
            "card": dict(card or VISA),
        }
        if saved:
            self.tokens[token] = dict(card or VISA)
        self._succeed(obj)
        return obj

    def decline(self, pid: str, reason: str = "insufficient_funds") -> dict[str, Any]:
        obj = self.payments[pid]
        obj.pop("_save", None)
        obj["status"] = "canceled"
        obj["cancellation_details"] = {"party": "issuer", "reason": reason}
        return obj

    def add_token(self, token: str, card: dict[str, str] | None = None) -> None:
        self.tokens[token] = dict(card or VISA)

    def payment_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST" and r.url.path.endswith("/payments")]

    # --- notifications ------------------------------------------------------------------------
    def notification(
        self,
        event: str,
        obj: dict[str, Any],
        *,
        at: int | None = None,
        secret: str = WEBHOOK_SECRET,
    ) -> tuple[dict[str, str], bytes]:
        clean = {k: v for k, v in obj.items() if not k.startswith("_")}
        body = json.dumps({"type": "notification", "event": event, "object": clean}).encode()
        ts = str(at if at is not None else int(time.time()))
        return {"X-Sandbox-Timestamp": ts, "X-Sandbox-Signature": sign(secret, ts, body)}, body
