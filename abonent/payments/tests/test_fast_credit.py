"""The webhook's fast path (``services/fast_credit.py``, PostgreSQL) against the ORM path: the
same notification, delivered once with the fast path off and once with it on, must leave the
same rows, column by column — the account, the ledger entry, the payment, the notification's
record and the notices' task row — and the same answer. The cases the fast path must leave to
the ORM (settlement, mismatches, card checks, cards to save, final payments) are run too: on
them it must write nothing of its own. On SQLite the fast path is off and both runs are the
ORM's: the comparison then holds trivially, and the rest of the suite covers the ORM path."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from abonent.accounts.models import Account, AccountStatus
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import LedgerEntry
from abonent.catalogue.tests.factories import TariffFactory
from abonent.messaging.management.commands.worker import worker_round
from abonent.messaging.models import NotificationKind, NotificationLog
from abonent.payments.gateways.sandbox import sign
from abonent.payments.models import Payment, PaymentEvent, PaymentPurpose, PaymentStatus
from abonent.payments.services import webhook_process
from abonent.payments.services.fast_credit import fast_credit_possible
from abonent.payments.tests.factories import PaymentFactory
from abonent.payments.tests.fake_acquirer import SETTINGS, VISA, WEBHOOK_SECRET

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"
# Columns that differ between any two runs by nature: keys made by the database or the
# clock (each compared on its own below), and the gateway's id (one per run).
VARYING = {"id", "created_at", "updated_at", "finished_at", "received_at", "enqueued_at"}


def notification(
    payment: Payment,
    *,
    amount_kop: int | None = None,
    currency: str = "RUB",
    card: dict[str, Any] | None = None,
    status: str = "succeeded",
) -> tuple[dict[str, str], bytes]:
    whole, kop = divmod(payment.amount_kop if amount_kop is None else amount_kop, 100)
    obj: dict[str, Any] = {
        "id": payment.gateway_payment_id,
        "status": status,
        "paid": status == "succeeded",
        "amount": {"value": f"{whole}.{kop:02d}", "currency": currency},
        "metadata": {"payment_id": str(payment.pk)},
        "receipt_url": f"http://acquirer.test/receipts/{payment.gateway_payment_id}",
        "description": "Пополнение «тест»",
    }
    if card is not None:  # a token of its own: a saved card belongs to one account
        obj["payment_method"] = {**card, "id": f"tok-{payment.gateway_payment_id}"}
    body = json.dumps({"type": "notification", "event": f"payment.{status}", "object": obj})
    ts = str(int(time.time()))
    headers = {
        "X-Sandbox-Timestamp": ts,
        "X-Sandbox-Signature": sign(WEBHOOK_SECRET, ts, body.encode()),
    }
    return headers, body.encode()


def row(obj: Any, **renames: Any) -> dict[str, Any]:
    values = {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}
    values = {k: v for k, v in values.items() if k not in VARYING}
    values.update(renames)
    return values


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in after.items() if before.get(k) != v}


def state(payment_pk: int, before: dict[str, dict[str, Any]], tag: str) -> dict[str, Any]:
    """What the notification did, with its own ids and the gateway's id made symbolic: the
    columns of the payment and the account it changed, and the rows it added."""
    payment = Payment.objects.get(pk=payment_pk)
    gid = payment.gateway_payment_id

    def same(value: Any) -> Any:
        if isinstance(value, str):
            value = value.replace(gid, "<gid>")
            value = value.replace(f"card payment {payment_pk}", "card payment <pk>")
            return value.replace(f'"payment_id": "{payment_pk}"', '"payment_id": "<pk>"')
        if isinstance(value, dict):
            return json.loads(same(json.dumps(value, ensure_ascii=False)))
        return value

    account = Account.objects.get(pk=payment.account_id)
    entries = list(LedgerEntry.objects.filter(account=account).order_by("pk"))
    entry_ids = {e.pk: f"<entry {i}>" for i, e in enumerate(entries)}
    events = list(PaymentEvent.objects.filter(gateway_object_id=gid).order_by("pk"))
    tasks = [
        t
        for t in DBTaskResult.objects.filter(task_path__endswith="notify_ledger_posted")
        if t.args_kwargs["kwargs"]["entry_id"] in entry_ids
    ]
    clock = [
        *(e.created_at for e in entries if e.kind == "payment"),
        *(t.enqueued_at for t in tasks),
    ]
    if clock:  # a credit: everything it wrote carries (about) the same moment
        clock += [payment.updated_at, payment.finished_at, account.updated_at]
        assert all(abs(c - clock[0]) < dt.timedelta(seconds=30) for c in clock), tag
        assert all(e.received_at <= c for e in events for c in clock), tag
    payment_row = row(
        payment,
        ledger_entry_id=entry_ids.get(payment.ledger_entry_id),
        card_id="<card>" if payment.card_id else None,
        finished=payment.finished_at is not None,
    )
    return {
        "payment": {k: same(v) for k, v in changed(before["payment"], payment_row).items()},
        "account": changed(before["account"], row(account)),
        "entries": [
            {k: same(v) for k, v in row(e, account_id="<account>").items()} for e in entries
        ],
        "events": [
            {k: same(v) for k, v in row(e, payment_id="<pk>" if e.payment_id else None).items()}
            for e in events
        ],
        "tasks": [
            row(
                t,
                args_kwargs={
                    "args": t.args_kwargs["args"],
                    "kwargs": {
                        **t.args_kwargs["kwargs"],
                        "entry_id": entry_ids[t.args_kwargs["kwargs"]["entry_id"]],
                    },
                },
            )
            for t in tasks
        ],
    }


def one_run(settings, case: dict[str, Any], *, fast: bool) -> tuple[str, dict[str, Any], int]:  # type: ignore[no-untyped-def]
    """A fresh account and payment as ``case`` says, one notification: the outcome, the rows,
    and the statements the webhook sent."""
    settings.ABONENT_PAYMENT_WEBHOOK_FAST_PATH = fast
    tariff = TariffFactory(fee_kop=30_000)
    account = AccountFactory(
        tariff=tariff,
        status=case.get("account_status", AccountStatus.ACTIVE),
        balance_kop=case.get("balance_kop", 0),
        credit_limit_kop=case.get("credit_limit_kop", 0),
        email="s@example.ru",
    )
    payment = PaymentFactory(
        account=account,
        amount_kop=case.get("amount_kop", 120_000),
        purpose=case.get("purpose", PaymentPurpose.TOPUP),
        status=case.get("payment_status", PaymentStatus.PENDING),
        card_title=case.get("card_title", ""),
        description="Пополнение",
    )
    headers, body = notification(payment, **case.get("notification", {}))
    before = {
        "payment": row(payment, ledger_entry_id=None, finished=False),
        "account": row(Account.objects.get(pk=account.pk)),
    }
    with CaptureQueriesContext(connection) as ctx:
        result = webhook_process(
            gateway_name="sandbox", headers=headers, raw_body=body, client_ip="127.0.0.1"
        )
    tag = "fast" if fast else "orm"
    return result.outcome, state(payment.pk, before, tag), len(ctx.captured_queries)


CARD_NOT_SAVED = {"type": "bank_card", "id": "tok-x", "saved": False, "card": VISA}
CARD_SAVED = {"type": "bank_card", "id": "tok-saved", "saved": True, "card": VISA}
COMMON = {
    "plain": {},
    "negative balance within the credit limit": {"balance_kop": -5_000, "credit_limit_kop": 10_000},
    "card not saved: its title kept": {"notification": {"card": CARD_NOT_SAVED}},
    "card not saved, a title already there": {
        "card_title": "Mir •••• 0004",
        "notification": {"card": CARD_NOT_SAVED},
    },
}
ORM_ONLY = {
    "new account reaching the deposit": {"account_status": AccountStatus.NEW},
    "new account short of the deposit": {
        "account_status": AccountStatus.NEW,
        "amount_kop": 50_000,
    },
    "blocked account paying": {"account_status": AccountStatus.BLOCKED, "balance_kop": -1_000},
    "blocked account paying too little": {
        "account_status": AccountStatus.BLOCKED,
        "balance_kop": -100_000,
        "amount_kop": 5_000,
    },
    "suspended account": {"account_status": AccountStatus.SUSPENDED},
    "amount differs": {"notification": {"amount_kop": 120_001}},
    "currency differs": {"notification": {"currency": "USD"}},
    "card to save": {"notification": {"card": CARD_SAVED}},
    "already succeeded": {"payment_status": PaymentStatus.SUCCEEDED},
    "failed before, succeeded now": {"payment_status": PaymentStatus.FAILED},
    "canceled": {"notification": {"status": "canceled"}},
}


@pytest.fixture(autouse=True)
def _acquirer_settings(settings):  # type: ignore[no-untyped-def]
    for name, value in SETTINGS.items():
        setattr(settings, name, value)


@pytest.mark.parametrize("name", list(COMMON) + list(ORM_ONLY))
def test_the_fast_path_leaves_the_rows_the_orm_path_leaves(settings, name) -> None:  # type: ignore[no-untyped-def]
    case = {**COMMON, **ORM_ONLY}[name]
    orm_outcome, orm_rows, orm_statements = one_run(settings, case, fast=False)
    fast_outcome, fast_rows, fast_statements = one_run(settings, case, fast=True)
    assert fast_outcome == orm_outcome
    for part, orm in orm_rows.items():
        assert fast_rows[part] == orm, part
    if name in COMMON:
        assert orm_outcome == "applied"
        assert orm_rows["tasks"], "a credit enqueues its notices"
    if POSTGRES and name in COMMON:
        assert fast_statements == 3  # SAVEPOINT, the statement, RELEASE
    else:
        assert fast_statements <= orm_statements + 1  # at most the fast attempt, empty


@pytest.mark.skipif(not POSTGRES, reason="the fast path is PostgreSQL's")
def test_the_fast_path_is_taken_on_postgresql_only_when_it_may(settings) -> None:  # type: ignore[no-untyped-def]
    from abonent.payments.gateways.base import GatewayCard, GatewayPayment

    gp = GatewayPayment(id="x", status="succeeded", amount_kop=100, currency="RUB")
    assert fast_credit_possible(gp)
    assert not fast_credit_possible(
        GatewayPayment(id="x", status="canceled", amount_kop=1, currency="RUB")
    )
    card = GatewayCard(token="t", saved=True)
    assert not fast_credit_possible(
        GatewayPayment(id="x", status="succeeded", amount_kop=1, currency="RUB", card=card)
    )
    settings.ABONENT_PAYMENT_WEBHOOK_FAST_PATH = False
    assert not fast_credit_possible(gp)


def test_the_fast_paths_task_row_is_run_by_the_worker(settings) -> None:  # type: ignore[no-untyped-def]
    outcome, rows, _ = one_run(settings, {}, fast=True)
    assert outcome == "applied"
    worker_round()
    [log] = NotificationLog.objects.all()
    assert log.kind == NotificationKind.PAYMENT_RECEIVED
    assert not DBTaskResult.objects.filter(status="READY").exists()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite keeps the ORM path")
def test_sqlite_keeps_the_orm_path() -> None:
    from abonent.payments.gateways.base import GatewayPayment

    gp = GatewayPayment(id="x", status="succeeded", amount_kop=100, currency="RUB")
    assert not fast_credit_possible(gp)
