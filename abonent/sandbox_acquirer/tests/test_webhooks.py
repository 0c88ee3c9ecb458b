"""Webhook delivery: signature, backoff, give-up, the duplicate / late / reorder switches."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from abonent.sandbox_acquirer.models import WebhookDelivery
from abonent.sandbox_acquirer.webhooks import deliver_due

from .conftest import FakeTransport, pay_card

pytestmark = pytest.mark.django_db

SECRET = "test_sandbox_webhook_secret"


def later(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def paid_payment(api, client, number="4111 1111 1111 1111", **extra) -> dict:
    payment = api.create_payment(**extra)
    response = pay_card(client, payment, number)
    assert response.status_code == 302  # the browser is sent back; nobody follows the redirect
    return payment


def test_event_is_signed_as_documented(api, client, transport):
    payment = paid_payment(api, client)
    now = later(1)
    assert deliver_due(now, transport=transport) == 1
    (call,) = transport.calls
    assert call["url"] == "http://127.0.0.1:8000/payments/webhooks/sandbox/"
    headers = call["headers"]
    assert headers["Content-Type"] == "application/json"
    timestamp = headers["X-Sandbox-Timestamp"]
    assert timestamp == str(int(now.timestamp()))
    expected = hmac.new(
        SECRET.encode(), f"{timestamp}.".encode() + call["body"], hashlib.sha256
    ).hexdigest()
    assert headers["X-Sandbox-Signature"] == f"v1={expected}"
    body = json.loads(call["body"])
    assert body["type"] == "notification"
    assert body["event"] == "payment.succeeded"
    assert body["object"]["id"] == payment["id"]
    assert body["object"]["status"] == "succeeded"
    assert body["object"]["amount"] == {"value": "1000.00", "currency": "RUB"}
    row = WebhookDelivery.objects.get()
    assert row.delivered_at == now and row.next_attempt_at is None and row.attempts == 1


@override_settings(
    ABONENT_SANDBOX_WEBHOOK_URL="http://merchant.test/hook", ABONENT_SANDBOX_WEBHOOK_SECRET="s3"
)
def test_url_and_secret_come_from_settings(api, client, transport):
    paid_payment(api, client)
    deliver_due(later(1), transport=transport)
    call = transport.calls[0]
    assert call["url"] == "http://merchant.test/hook"
    ts = call["headers"]["X-Sandbox-Timestamp"]
    mac = hmac.new(b"s3", ts.encode() + b"." + call["body"], hashlib.sha256).hexdigest()
    assert call["headers"]["X-Sandbox-Signature"] == "v1=" + mac


def test_retry_with_backoff_then_success(api, client):
    paid_payment(api, client)
    transport = FakeTransport([500, 503, ConnectionRefusedError("down"), 200])
    start = later(0)
    assert deliver_due(start, transport=transport) == 0
    row = WebhookDelivery.objects.get()
    assert row.attempts == 1 and row.last_error == "HTTP 500"
    assert row.next_attempt_at == start + dt.timedelta(seconds=1)
    # not due yet: nothing is sent
    assert deliver_due(start + dt.timedelta(seconds=0.5), transport=transport) == 0
    assert len(transport.calls) == 1
    t = start + dt.timedelta(seconds=1)
    deliver_due(t, transport=transport)
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at == t + dt.timedelta(seconds=2)
    t += dt.timedelta(seconds=2)
    deliver_due(t, transport=transport)
    row.refresh_from_db()
    assert row.attempts == 3 and "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at == t + dt.timedelta(seconds=4)
    t += dt.timedelta(seconds=4)
    assert deliver_due(t, transport=transport) == 1
    row.refresh_from_db()
    assert row.delivered_at == t and row.next_attempt_at is None and row.last_error == ""
    assert len(transport.calls) == 4
    # every attempt carries the same body
    assert len({call["body"] for call in transport.calls}) == 1


def test_gives_up_after_ten_attempts(api, client):
    paid_payment(api, client)
    transport = FakeTransport([500] * 20)
    t = later(0)
    for _ in range(15):
        deliver_due(t, transport=transport)
        t += dt.timedelta(seconds=600)
    row = WebhookDelivery.objects.get()
    assert row.attempts == 10 and len(transport.calls) == 10
    assert row.next_attempt_at is None and row.delivered_at is None


@override_settings(ABONENT_SANDBOX_DELIVERY=["duplicate"])
def test_duplicate_switch_sends_each_event_twice(api, client, transport):
    payment = paid_payment(api, client)
    api.post(
        "refunds", {"payment_id": payment["id"], "amount": {"value": "1.00", "currency": "RUB"}}
    )
    assert deliver_due(later(1), transport=transport) == 4
    assert transport.events() == [
        "payment.succeeded",
        "payment.succeeded",
        "refund.succeeded",
        "refund.succeeded",
    ]
    bodies = [call["body"] for call in transport.calls]
    assert bodies[0] == bodies[1] and bodies[2] == bodies[3]


def test_duplicate_switch_by_payment_metadata(api, client, transport):
    paid_payment(api, client, metadata={"payment_id": "1", "sandbox_delivery": "duplicate"})
    other = paid_payment(api, client)
    assert deliver_due(later(1), transport=transport) == 3
    assert WebhookDelivery.objects.filter(object_id=other["id"]).count() == 1


@override_settings(ABONENT_SANDBOX_DELIVERY="late", ABONENT_SANDBOX_LATE_SECONDS=30)
def test_late_switch_delays_the_first_attempt(api, client, transport):
    paid_payment(api, client)
    assert deliver_due(later(25), transport=transport) == 0
    assert transport.calls == []
    assert deliver_due(later(31), transport=transport) == 1


def test_reorder_switch_delivers_a_later_event_first(api, client, transport):
    payment = paid_payment(api, client, metadata={"sandbox_delivery": ["reorder"]})
    refund = api.post(
        "refunds", {"payment_id": payment["id"], "amount": {"value": "5.00", "currency": "RUB"}}
    )
    assert refund.status_code == 200
    deliver_due(later(1), transport=transport)
    deliver_due(later(6), transport=transport)
    assert transport.events() == ["refund.succeeded", "payment.succeeded"]


def test_events_go_out_although_the_browser_never_returns(api, client, transport):
    """The payer closes the tab on the 3-D Secure page after confirming: the shop still hears."""
    payment = api.create_payment()
    pay_card(client, payment, "4000 0000 0000 3220")
    client.post(f"/sandbox-acquirer/pay/{payment['id']}/3ds", {"code": "123456"})
    # nobody requests the return URL; only the queue is worked
    assert deliver_due(later(1), transport=transport) == 1
    assert json.loads(transport.calls[0]["body"])["object"]["status"] == "succeeded"


def test_abandoned_payment_notifies_cancellation(api, client, transport):
    payment = api.create_payment()
    client.post(f"/sandbox-acquirer/pay/{payment['id']}/cancel")
    deliver_due(later(1), transport=transport)
    body = json.loads(transport.calls[0]["body"])
    assert body["event"] == "payment.canceled"
    assert body["object"]["cancellation_details"]["reason"] == "expired_on_confirmation"


def test_a_claimed_row_is_not_sent_twice(api, client, transport):
    paid_payment(api, client)
    t = later(1)
    row = WebhookDelivery.objects.get()
    # another runner claims it first
    WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=t + dt.timedelta(seconds=60))
    assert deliver_due(t, transport=transport) == 0
    assert transport.calls == []


class _Recorder(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        length = int(self.headers["Content-Length"])
        _Recorder.received.append({"body": self.rfile.read(length), "headers": dict(self.headers)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def merchant_server():
    _Recorder.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_management_command_delivers_over_http(api, client, merchant_server, capsys):
    with override_settings(ABONENT_SANDBOX_WEBHOOK_URL=merchant_server):
        paid_payment(api, client)
        call_command("sandbox_deliver")
    assert "delivered: 1" in capsys.readouterr().out
    (request,) = _Recorder.received
    ts = request["headers"]["X-Sandbox-Timestamp"]
    mac = hmac.new(SECRET.encode(), ts.encode() + b"." + request["body"], hashlib.sha256)
    assert request["headers"]["X-Sandbox-Signature"] == "v1=" + mac.hexdigest()
    assert WebhookDelivery.objects.get().delivered_at is not None


@pytest.mark.django_db(transaction=True)
def test_background_delivery_after_commit(api, client, merchant_server):
    with override_settings(
        ABONENT_SANDBOX_WEBHOOK_URL=merchant_server, ABONENT_SANDBOX_DELIVER_ON_COMMIT=True
    ):
        paid_payment(api, client)
        deadline = time.monotonic() + 10
        while not _Recorder.received and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(_Recorder.received) == 1
    assert json.loads(_Recorder.received[0]["body"])["event"] == "payment.succeeded"
