"""The webhook's request path, which the benchmark measures: the statements one credited
notification costs (pinned, for the fast path on PostgreSQL and for the ORM path), and its
notices, left to the worker as one task row written in the credit's own transaction."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from abonent.accounts.models import AccountStatus
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.messaging.management.commands.worker import worker_round
from abonent.messaging.models import MessageRecipient, NotificationKind, NotificationLog
from abonent.messaging.tasks import notify_ledger_posted
from abonent.payments.models import PaymentStatus
from abonent.payments.services import payment_create, webhook_process

pytestmark = pytest.mark.django_db

# The ORM path: BEGIN; the payment with its account, locked (one query); the account's
# balance; the ledger entry; the notices' task row; the payment; the notification's record;
# COMMIT. In a test the transaction is a savepoint of the test's own: SAVEPOINT … RELEASE
# instead of BEGIN … COMMIT.
WEBHOOK_STATEMENTS = 8
# The fast path on PostgreSQL (services/fast_credit.py): BEGIN; all of it in one statement;
# COMMIT.
FAST_STATEMENTS = 3
POSTGRES = connection.vendor == "postgresql"


def deliver(acquirer, obj):  # type: ignore[no-untyped-def]
    headers, body = acquirer.notification("payment.succeeded", obj)
    return webhook_process(
        gateway_name="sandbox", headers=headers, raw_body=body, client_ip="127.0.0.1"
    )


def notify_tasks() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="notify_ledger_posted").count()


@pytest.mark.parametrize("fast", [True, False], ids=["fast path on", "ORM path"])
def test_the_statements_of_a_credited_webhook(acquirer, settings, fast) -> None:  # type: ignore[no-untyped-def]
    settings.ABONENT_PAYMENT_WEBHOOK_FAST_PATH = fast
    account = AccountFactory(balance_kop=0)
    payment = payment_create(account_id=account.pk, amount_kop=50_000, idempotency_key="q")
    obj = acquirer.pay(payment.gateway_payment_id)
    with CaptureQueriesContext(connection) as ctx:
        result = deliver(acquirer, obj)
    assert result.outcome == "applied"
    sqls = [q["sql"] for q in ctx.captured_queries]
    taken = POSTGRES and fast
    assert len(sqls) == (FAST_STATEMENTS if taken else WEBHOOK_STATEMENTS), "\n".join(sqls)
    assert not any("messaging_" in sql for sql in sqls), "notices are the worker's"
    with CaptureQueriesContext(connection) as ctx:
        assert deliver(acquirer, obj).outcome == "duplicate"
    # SAVEPOINT, (the fast statement, finding nothing pending), the look-up, the record, RELEASE
    assert len(ctx.captured_queries) == (5 if taken else 4)


def test_notices_are_written_by_the_worker_once(acquirer) -> None:
    account = AccountFactory(balance_kop=0, email="s@example.ru")
    payment = payment_create(account_id=account.pk, amount_kop=50_000, idempotency_key="n")
    obj = acquirer.pay(payment.gateway_payment_id)
    assert deliver(acquirer, obj).outcome == "applied"
    assert deliver(acquirer, obj).outcome == "duplicate"
    assert notify_tasks() == 1  # the duplicate enqueues nothing
    assert not NotificationLog.objects.exists()  # not yet: nothing rendered in the request
    worker_round()
    [log] = NotificationLog.objects.filter(account=account)
    assert log.kind == NotificationKind.PAYMENT_RECEIVED
    assert log.key == f"payment_received:{LedgerEntry.objects.get(kind=EntryKind.PAYMENT).pk}"
    subject = MessageRecipient.objects.get(account=account).message.subject
    assert "500,00" in subject
    # the task run again (a worker that died before recording it) writes nothing new
    entry = LedgerEntry.objects.get(kind=EntryKind.PAYMENT)
    assert notify_ledger_posted.call(entry_id=entry.pk, was="") == 0
    assert NotificationLog.objects.count() == 1


def test_a_blocked_account_is_unblocked_in_the_credits_transaction(acquirer) -> None:
    account = AccountFactory(status=AccountStatus.BLOCKED, balance_kop=-10_000)
    amount = account.tariff.fee_kop + 20_000
    payment = payment_create(account_id=account.pk, amount_kop=amount, idempotency_key="b")
    assert deliver(acquirer, acquirer.pay(payment.gateway_payment_id)).outcome == "applied"
    account.refresh_from_db()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert account.status == AccountStatus.ACTIVE  # at once, not when the worker runs
    assert LedgerEntry.objects.filter(account=account, kind=EntryKind.FEE).exists()
    task = DBTaskResult.objects.get(task_path__endswith="notify_ledger_posted")
    assert task.args_kwargs["kwargs"]["was"] == AccountStatus.BLOCKED
    worker_round()
    kinds = set(NotificationLog.objects.filter(account=account).values_list("kind", flat=True))
    assert kinds == {NotificationKind.PAYMENT_RECEIVED, NotificationKind.UNBLOCKED}
