"""On PostgreSQL: signed notifications delivered many times, in parallel, from separate
connections, credit each payment exactly once."""

from __future__ import annotations

import queue
import random
import threading
import time

import pytest
from django.db import connection, connections
from django.db.models import Sum

from abonent.accounts.models import Account
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.billing.services.audit import ledger_audit
from abonent.catalogue.tests.factories import TariffFactory
from abonent.payments.gateways.sandbox import sign
from abonent.payments.models import Payment, PaymentEvent, PaymentStatus
from abonent.payments.services import webhook_process
from abonent.payments.tests.fake_acquirer import WEBHOOK_SECRET

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks and parallel writers need PostgreSQL"
    ),
]
PAYMENTS = 1000
COPIES = 3
SAME_EVENT_COPIES = 50
THREADS = 8


def signed(payment: Payment) -> tuple[dict[str, str], bytes]:
    import json

    whole, kop = divmod(payment.amount_kop, 100)
    obj = {
        "id": payment.gateway_payment_id,
        "status": "succeeded",
        "paid": True,
        "amount": {"value": f"{whole}.{kop:02d}", "currency": "RUB"},
        "metadata": {"payment_id": str(payment.pk)},
    }
    body = json.dumps({"type": "notification", "event": "payment.succeeded", "object": obj})
    ts = str(int(time.time()))
    return {
        "X-Sandbox-Timestamp": ts,
        "X-Sandbox-Signature": sign(WEBHOOK_SECRET, ts, body.encode()),
    }, body.encode()


def run_parallel(jobs: list, threads: int) -> tuple[list, list[BaseException]]:
    work: queue.Queue = queue.Queue()
    for job in jobs:
        work.put(job)
    results: list = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker() -> None:
        try:
            barrier.wait()
            while True:
                try:
                    headers, body = work.get_nowait()
                except queue.Empty:
                    return
                results.append(
                    webhook_process(
                        gateway_name="sandbox",
                        headers=headers,
                        raw_body=body,
                        client_ip="127.0.0.1",
                    )
                )
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(300)
    return results, errors


def test_thousands_of_duplicated_and_concurrent_notifications_credit_exactly_once(acquirer):
    tariff = TariffFactory(fee_kop=50_000)
    accounts = [AccountFactory(tariff=tariff, balance_kop=0) for _ in range(40)]
    Payment.objects.bulk_create(
        Payment(
            account=accounts[i % len(accounts)],
            amount_kop=1000 + i,
            gateway="sandbox",
            gateway_payment_id=f"gw-{i:05d}",
            idempotency_key=f"k-{i}",
        )
        for i in range(PAYMENTS + 1)
    )
    payments = list(Payment.objects.order_by("pk"))
    hot, many = payments[0], payments[1:]
    deliveries = [signed(p) for p in many for _ in range(COPIES)]
    random.Random(5).shuffle(deliveries)

    # 50 copies of one event at once, then the rest from 8 threads
    results, errors = run_parallel([signed(hot)] * SAME_EVENT_COPIES, SAME_EVENT_COPIES)
    assert not errors, errors[:3]
    assert sorted(r.outcome for r in results).count("applied") == 1
    results, errors = run_parallel(deliveries, THREADS)
    assert not errors, errors[:3]
    assert all(r.status == 200 for r in results)
    assert [r.outcome for r in results].count("applied") == PAYMENTS

    credits = LedgerEntry.objects.filter(kind=EntryKind.PAYMENT)
    assert credits.count() == PAYMENTS + 1
    expected = sum(p.amount_kop for p in payments)
    assert credits.aggregate(total=Sum("amount_kop"))["total"] == expected
    assert sorted(credits.values_list("amount_kop", flat=True)) == sorted(
        p.amount_kop for p in payments
    )
    assert not Payment.objects.exclude(status=PaymentStatus.SUCCEEDED).exists()
    assert PaymentEvent.objects.count() == PAYMENTS * COPIES + SAME_EVENT_COPIES
    for account in Account.objects.filter(pk__in=[a.pk for a in accounts]):
        mine = sum(p.amount_kop for p in payments if p.account_id == account.pk)
        fees = LedgerEntry.objects.filter(account=account).exclude(kind=EntryKind.PAYMENT)
        assert account.balance_kop == mine + sum(f.amount_kop for f in fees)
    report = ledger_audit()
    assert report.ok, report.problems
