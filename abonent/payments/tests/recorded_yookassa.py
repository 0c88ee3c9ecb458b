"""A local HTTP server answering as YooKassa's API v3 does, with recorded shapes (the files in
``fixtures/``): a payment of 2 ₽, and a card check of 1 ₽ that saves the card, each created,
read back and refunded. The ``yookassa_server`` fixture (conftest) runs it on a free port."""

from __future__ import annotations

import base64
import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
PAYMENT_ID = "22e12f66-000f-5000-8000-18db351245c7"
CARD_CHECK_ID = "2d0f11e1-000f-5000-9000-1a7b0cd31a4e"


def recorded(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class RecordedYooKassa(BaseHTTPRequestHandler):
    """Answers with recorded shapes; ``seen`` keeps every request (method, path, headers,
    body). A payment of 1.00 that asks to save the card is the card check."""

    seen: list[tuple[str, str, dict, bytes]] = []

    def _answer(self, status: int, name: str) -> None:
        body = json.dumps(recorded(name)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        expected = "Basic " + base64.b64encode(b"100500:test_secret").decode()
        if self.headers.get("Authorization") != expected:
            self._answer(401, "yookassa_error")
            return False
        return True

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        self.seen.append(("POST", self.path, dict(self.headers), body))
        if not self._authorised():
            return
        data = json.loads(body or b"{}")
        if not self.headers.get("Idempotence-Key"):
            self._answer(400, "yookassa_error")
        elif self.path == "/v3/payments":
            check = data.get("amount", {}).get("value") == "1.00" and data.get(
                "save_payment_method"
            )
            self._answer(
                200, "yookassa_card_check_pending" if check else "yookassa_payment_pending"
            )
        elif self.path == "/v3/refunds":
            check = data.get("payment_id") == CARD_CHECK_ID
            self._answer(200, "yookassa_card_check_refund" if check else "yookassa_refund")
        else:
            self._answer(404, "yookassa_error")

    def do_GET(self) -> None:  # noqa: N802
        self.seen.append(("GET", self.path, dict(self.headers), b""))
        if not self._authorised():
            return
        if self.path == f"/v3/payments/{PAYMENT_ID}":
            self._answer(200, "yookassa_payment_succeeded")
        elif self.path == f"/v3/payments/{CARD_CHECK_ID}":
            self._answer(200, "yookassa_card_check_succeeded")
        else:
            self._answer(404, "yookassa_error")

    def log_message(self, *args) -> None:  # quiet
        pass
