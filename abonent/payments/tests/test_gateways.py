"""The adapters: amounts without floats, request shapes, errors, signatures, and YooKassa
against a local HTTP server answering with its recorded shapes."""

from __future__ import annotations

import base64
import datetime as dt
import json

import httpx
import pytest

from abonent.payments.gateways.base import (
    GatewayError,
    GatewayUnavailable,
    WebhookRejected,
    kopecks_from_value,
    value_from_kopecks,
)
from abonent.payments.gateways.sandbox import SandboxGateway, sign
from abonent.payments.gateways.yookassa import YooKassaGateway
from abonent.payments.tests.recorded_yookassa import RecordedYooKassa, recorded

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "kop"),
    [("1000.00", 100_000), ("0.01", 1), ("10", 1000), ("1000.5", 100_050), ("99999.99", 9_999_999)],
)
def test_kopecks_from_value(text, kop) -> None:
    assert kopecks_from_value(text) == kop


@pytest.mark.parametrize("text", ["", "1e3", "-1.00", "1.001", "1,00", "0x10", "1.0.0", " "])
def test_malformed_amounts_are_refused(text) -> None:
    with pytest.raises(ValueError):
        kopecks_from_value(text)


def test_value_from_kopecks() -> None:
    assert value_from_kopecks(100_050) == "1000.50"
    assert value_from_kopecks(1) == "0.01"
    with pytest.raises(TypeError):
        value_from_kopecks(10.5)  # type: ignore[arg-type]


def sandbox(handler, secret: str = "whsec") -> SandboxGateway:  # noqa: S107
    return SandboxGateway(
        base_url="http://acq.test/api/v3",
        shop_id="shop",
        secret_key="key",
        webhook_secret=secret,
        transport=httpx.MockTransport(handler),
    )


def test_request_shapes_and_auth() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=recorded("yookassa_payment_pending"))

    gateway = sandbox(handler)
    gp = gateway.create_payment(
        amount_kop=200,
        currency="RUB",
        description="d",
        idempotency_key="k1",
        return_url="http://x/r",
        save_card=True,
        metadata={"payment_id": "72"},
    )
    assert gp.status == "pending" and gp.amount_kop == 200 and gp.currency == "RUB"
    assert gp.confirmation_url.startswith("https://yoomoney.ru/")
    gateway.create_payment(
        amount_kop=200,
        currency="RUB",
        description="d",
        idempotency_key="k2",
        return_url="",
        card_token="tok",
    )
    first, second = (json.loads(r.content) for r in seen)
    assert first["confirmation"] == {"type": "redirect", "return_url": "http://x/r"}
    assert first["save_payment_method"] is True and first["capture"] is True
    assert first["amount"] == {"value": "2.00", "currency": "RUB"}
    assert second["payment_method_id"] == "tok" and "confirmation" not in second
    assert str(seen[0].url) == "http://acq.test/api/v3/payments"
    assert seen[0].headers["authorization"] == "Basic " + base64.b64encode(b"shop:key").decode()
    assert [r.headers["idempotence-key"] for r in seen] == ["k1", "k2"]


def test_errors() -> None:
    gateway = sandbox(lambda r: httpx.Response(400, json=recorded("yookassa_error")))
    with pytest.raises(GatewayError) as err:
        gateway.get_payment("x")
    assert err.value.gateway_code == "invalid_request"
    for answer in (httpx.Response(502, text="bad gateway"), httpx.Response(200, text="<html>")):
        with pytest.raises(GatewayUnavailable):
            sandbox(lambda r, a=answer: a).get_payment("x")

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(GatewayUnavailable):
        sandbox(down).get_payment("x")


def test_sandbox_signature() -> None:
    gateway = sandbox(lambda r: httpx.Response(404))
    body = json.dumps(recorded("yookassa_notification")).encode()
    ts = str(int(NOW.timestamp()))
    good = {"X-Sandbox-Timestamp": ts, "X-Sandbox-Signature": sign("whsec", ts, body)}
    event = gateway.verify_and_parse_webhook(headers=good, body=body, client_ip="::1", now=NOW)
    assert event.event == "payment.succeeded" and event.payment.amount_kop == 200
    assert event.payment.card.last4 == "4477" and event.payment.card.expiry_month == 7
    lower = {k.lower(): v for k, v in good.items()}
    assert gateway.verify_and_parse_webhook(headers=lower, body=body, client_ip="", now=NOW)
    bad = [
        {**good, "X-Sandbox-Signature": sign("other", ts, body)},
        {**good, "X-Sandbox-Signature": "v1=00"},
        {"X-Sandbox-Timestamp": ts},
        {"X-Sandbox-Signature": good["X-Sandbox-Signature"]},
    ]
    for headers in bad:
        with pytest.raises(WebhookRejected):
            gateway.verify_and_parse_webhook(headers=headers, body=body, client_ip="", now=NOW)
    for late in (301, -301):
        with pytest.raises(WebhookRejected, match="stale"):
            gateway.verify_and_parse_webhook(
                headers=good, body=body, client_ip="", now=NOW + dt.timedelta(seconds=late)
            )
    junk = b"not json"
    signed_junk = {"X-Sandbox-Timestamp": ts, "X-Sandbox-Signature": sign("whsec", ts, junk)}
    with pytest.raises(WebhookRejected, match="unreadable"):
        gateway.verify_and_parse_webhook(headers=signed_junk, body=junk, client_ip="", now=NOW)


def yookassa(url: str, secret: str = "test_secret") -> YooKassaGateway:  # noqa: S107
    return YooKassaGateway(
        base_url=url,
        shop_id="100500",
        secret_key=secret,
        allowed_ips=["185.71.76.0/27", "77.75.156.11", "2a02:5180::/32"],
    )


def test_yookassa_over_real_http(yookassa_server) -> None:
    gateway = yookassa(yookassa_server)
    created = gateway.create_payment(
        amount_kop=200,
        currency="RUB",
        description="Заказ №72",
        idempotency_key="idem-1",
        return_url="https://isp.example/payments/return/72/",
        metadata={"payment_id": "72"},
    )
    assert created.id == "22e12f66-000f-5000-8000-18db351245c7" and created.status == "pending"
    state = gateway.get_payment(created.id)
    assert state.status == "succeeded" and state.amount_kop == 200 and state.paid
    assert state.card.saved and state.card.brand == "MasterCard" and state.card.expiry_year == 2029
    refund = gateway.refund(
        gateway_payment_id=created.id, amount_kop=100, currency="RUB", idempotency_key="idem-2"
    )
    assert refund.status == "succeeded" and refund.amount_kop == 100
    method, path, headers, body = RecordedYooKassa.seen[0]
    assert (method, path, headers["Idempotence-Key"]) == ("POST", "/v3/payments", "idem-1")
    assert json.loads(body)["amount"] == {"value": "2.00", "currency": "RUB"}
    with pytest.raises(GatewayError):
        gateway.get_payment("unknown")
    with pytest.raises(GatewayError):
        yookassa(yookassa_server, secret="wrong").get_payment(created.id)


def test_yookassa_gateway_down() -> None:
    with pytest.raises(GatewayUnavailable):
        yookassa("http://127.0.0.1:9/v3/").get_payment("x")


def test_yookassa_notifications_by_address() -> None:
    gateway = yookassa("http://unused/")
    body = json.dumps(recorded("yookassa_notification")).encode()
    for ip in ("185.71.76.5", "77.75.156.11", "2a02:5180::1"):
        event = gateway.verify_and_parse_webhook(headers={}, body=body, client_ip=ip, now=NOW)
        assert event.object_id == "22e12f66-000f-5000-8000-18db351245c7"
    for ip in ("127.0.0.1", "185.71.77.200", "not-an-ip", ""):
        with pytest.raises(WebhookRejected):
            gateway.verify_and_parse_webhook(headers={}, body=body, client_ip=ip, now=NOW)
    assert gateway.refetch_on_webhook
