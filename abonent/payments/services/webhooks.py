"""Notifications from gateways: authenticate, record, re-read or compare, apply."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from abonent.core.errors import ApplicationError
from abonent.payments import conf
from abonent.payments.gateways import gateway_get
from abonent.payments.gateways.base import GatewayPayment, GatewayRefund, WebhookRejected
from abonent.payments.lock_objects import payment_lock_by_gateway_id
from abonent.payments.models import EventOutcome, Payment, PaymentEvent
from abonent.payments.services.fast_credit import (
    FastCredit,
    fast_credit_possible,
    payment_credit_fast,
)
from abonent.payments.services.payments import payment_apply_gateway_state
from abonent.payments.services.refunds import refund_apply_gateway_state

logger = logging.getLogger("abonent.payments.webhooks")

MAX_LOGGED_BODY = 64 * 1024
_STATUS = {
    EventOutcome.APPLIED: HTTPStatus.OK,
    EventOutcome.DUPLICATE: HTTPStatus.OK,
    EventOutcome.IGNORED: HTTPStatus.OK,
    EventOutcome.UNKNOWN: HTTPStatus.OK,  # not ours: retrying will not make it ours
    EventOutcome.MISMATCH: HTTPStatus.UNPROCESSABLE_ENTITY,
    EventOutcome.REJECTED: HTTPStatus.BAD_REQUEST,
    EventOutcome.ERROR: HTTPStatus.SERVICE_UNAVAILABLE,  # the gateway retries
}


@dataclass(frozen=True)
class WebhookResult:
    """What the endpoint answers: the HTTP status and the outcome recorded."""

    status: int
    outcome: str
    event_id: int | None = None


def _body_json(raw_body: bytes) -> dict[str, Any]:
    if len(raw_body) > MAX_LOGGED_BODY:
        return {"truncated": True, "size": len(raw_body)}
    try:
        data = json.loads(raw_body)
    except ValueError:
        return {"unreadable": raw_body[:512].decode("utf-8", "replace")}
    return data if isinstance(data, dict) else {"value": data}


def _client_ip(value: str) -> str | None:
    import ipaddress

    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def webhook_process(
    *, gateway_name: str, headers: Mapping[str, str], raw_body: bytes, client_ip: str
) -> WebhookResult:
    """Handle one notification. A bad signature, a stale timestamp or an address not the
    gateway's is answered 400 and changes nothing but the log. Then the event is recorded, the
    payment found (by the gateway's id, or by our id in its metadata when the gateway's answer
    to our create call was lost), its state re-read from the gateway (YooKassa) or taken from
    the signed body (sandbox), and applied once: duplicates answer 200, an amount or currency
    that differs from ours 422 (logged for staff, not credited)."""
    if gateway_name not in conf.GATEWAYS or not conf.gateway_enabled(gateway_name):
        return WebhookResult(HTTPStatus.NOT_FOUND, EventOutcome.REJECTED)
    gateway = gateway_get(gateway_name)
    ip = _client_ip(client_ip)
    try:
        event = gateway.verify_and_parse_webhook(
            headers=headers, body=raw_body, client_ip=client_ip, now=timezone.now()
        )
    except WebhookRejected as exc:
        logger.warning("%s notification refused from %s: %s", gateway_name, client_ip, exc)
        record = PaymentEvent.objects.create(
            gateway=gateway_name,
            body=_body_json(raw_body),
            signature_ok=False,
            client_ip=ip,
            outcome=EventOutcome.REJECTED,
            detail=str(exc)[:255],
        )
        return WebhookResult(HTTPStatus.BAD_REQUEST, EventOutcome.REJECTED, record.pk)
    fields = {
        "gateway": gateway_name,
        "event_type": event.event[:64],
        "gateway_object_id": event.object_id[:64],
        "body": event.body if len(raw_body) <= MAX_LOGGED_BODY else _body_json(raw_body),
        "signature_ok": True,
        "client_ip": ip,
        "received_at": timezone.now(),
    }
    # The gateway's answer (YooKassa re-reads) is fetched before the transaction: no row is
    # locked while we wait on the network. Then one transaction applies the event (payment,
    # ledger, notices) and records it with its outcome: all of it commits, or none of it.
    try:
        prepared = _prepare(gateway_name=gateway_name, event=event, gateway=gateway)
        with transaction.atomic():
            fast = _credit_fast(gateway_name, event, prepared, fields)
            if fast is not None:
                return WebhookResult(HTTPStatus.OK, EventOutcome.APPLIED, fast.event_id)
            if isinstance(prepared, tuple):
                outcome, detail, payment = prepared
            else:
                outcome, detail, payment = _apply(
                    gateway_name=gateway_name, event=event, state=prepared
                )
            record = PaymentEvent.objects.create(
                **fields, outcome=outcome, detail=detail[:255], payment=payment
            )
    except Exception:
        # nothing was applied; the log still keeps the notification (outcome "received")
        PaymentEvent.objects.create(**fields)
        raise
    return WebhookResult(_STATUS[EventOutcome(outcome)], outcome, record.pk)


def _credit_fast(  # type: ignore[no-untyped-def]
    gateway_name: str, event, prepared, fields: dict[str, Any]
) -> FastCredit | None:
    """The common credit in one statement (``fast_credit``), when the state to apply is a
    payment's and the fast path may take it; None: nothing written, take the ORM path."""
    if event.payment is None or isinstance(prepared, tuple):
        return None
    state = event.payment if prepared is None else prepared
    if state.id != event.payment.id or not fast_credit_possible(state):
        return None
    return payment_credit_fast(
        gateway_name=gateway_name,
        gp=state,
        event_type=fields["event_type"],
        object_id=fields["gateway_object_id"],
        body=fields["body"],
        client_ip=fields["client_ip"],
        received_at=fields["received_at"],
        now=timezone.now(),
    )


def _one(payments: QuerySet[Payment]) -> Payment | None:
    return next(iter(payments[:1]), None)


def _find_payment(
    gateway_name: str, gateway_id: str, metadata: Mapping[str, Any], *, lock: bool = False
) -> Payment | None:
    """The payment by the gateway's id, else by our id in its metadata when we have not stored
    the gateway's id (our create call may not have yet, or its answer was lost); None when
    neither. With ``lock``, locked (with its account) in the caller's transaction: the look-up
    and the lock are one query."""
    # No ORDER BY (the model's default would sort a single row): one row at most, by a unique
    # key or the primary key.
    payments = Payment.objects.filter(gateway=gateway_name).order_by()
    if lock:
        payments = payments.select_for_update().select_related("account")
        # the usual case, the webhook's hot path: one statement whose SQL is written once
        payment = payment_lock_by_gateway_id(gateway=gateway_name, gateway_payment_id=gateway_id)
    else:
        payment = _one(payments.filter(gateway_payment_id=gateway_id))
    if payment is not None:
        return payment
    ours = str(metadata.get("payment_id", ""))
    if not ours.isdigit():
        return None
    if not lock:
        return _one(payments.filter(pk=int(ours), gateway_payment_id__isnull=True))
    # Locked by its key alone: a notification applied meanwhile may have stored this very id
    # (then it is ours, and applying it again answers "duplicate"), and a row lock re-checks a
    # condition on that column after the wait.
    payment = _one(payments.filter(pk=int(ours)))
    if payment is None or payment.gateway_payment_id not in (None, gateway_id):
        return None
    return payment


_Outcome = tuple[str, str, Payment | None]


def _prepare(  # type: ignore[no-untyped-def]
    *, gateway_name: str, event, gateway
) -> _Outcome | GatewayRefund | GatewayPayment | None:
    """Outside any transaction: the state to apply (re-read from the gateway when it wants
    that), or the outcome already known (an unknown payment, a gateway that did not answer).
    None: apply the signed body's payment state."""
    if event.refund is not None:
        if not gateway.refetch_on_webhook:
            return event.refund
        try:
            return gateway.get_refund(event.refund.id)
        except ApplicationError as exc:
            return EventOutcome.ERROR, f"could not re-read the refund: {exc.code}", None
    assert event.payment is not None  # noqa: S101 - parse_notification gives one or the other
    if not gateway.refetch_on_webhook:
        return None
    payment = _find_payment(gateway_name, event.payment.id, event.payment.metadata)
    if payment is None:
        return _unknown(gateway_name, event)
    try:
        return gateway.get_payment(event.payment.id)
    except ApplicationError as exc:
        return EventOutcome.ERROR, f"could not re-read the payment: {exc.code}", payment


def _unknown(gateway_name: str, event) -> _Outcome:  # type: ignore[no-untyped-def]
    logger.warning("%s notification for an unknown payment %s", gateway_name, event.object_id)
    return EventOutcome.UNKNOWN, "no such payment", None


def _apply(*, gateway_name: str, event, state) -> _Outcome:  # type: ignore[no-untyped-def]
    """Inside the webhook's transaction: find and lock the payment in one query and apply
    ``state`` (None: the signed body's)."""
    if event.refund is not None:
        outcome = refund_apply_gateway_state(gateway_name=gateway_name, gateway_refund=state)
        return outcome, "", None
    if state is None:
        state = event.payment
    payment = _find_payment(gateway_name, event.payment.id, event.payment.metadata, lock=True)
    if payment is None:
        return _unknown(gateway_name, event)
    result = payment_apply_gateway_state(payment=payment, gateway_payment=state, locked=True)
    detail = ""
    if result.outcome == EventOutcome.MISMATCH:
        detail = (
            f"gateway {state.amount_kop} {state.currency}, "
            f"ours {payment.amount_kop} {payment.currency}"
        )
    return result.outcome, detail, result.payment
