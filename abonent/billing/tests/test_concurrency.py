"""Concurrent charge runs and payments on PostgreSQL: every account is charged exactly once
and every payment lands, whatever interleaves."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from abonent.accounts.models import Account, AccountStatus
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.billing.services.audit import ledger_audit
from abonent.billing.services.charging import charge_run
from abonent.billing.services.posting import ledger_post
from abonent.catalogue.tests.factories import TariffFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks and parallel writers need PostgreSQL"
    ),
]
NOV1 = dt.date(2026, 11, 1)


def in_threads(*targets) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def wrap(target):
        def run() -> None:
            try:
                barrier.wait()
                target()
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                errors.append(exc)
            finally:
                connections.close_all()

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def make_accounts(n: int) -> list[Account]:
    tariff = TariffFactory(fee_kop=50_000)
    accounts = [AccountFactory(tariff=tariff, status=AccountStatus.ACTIVE) for _ in range(n)]
    for i, account in enumerate(accounts):
        amount = 60_000 if i % 4 else 30_000
        ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=amount, settle=False)
    return accounts


def test_two_concurrent_runs_charge_each_account_once() -> None:
    accounts = make_accounts(40)
    errors = in_threads(
        lambda: charge_run(day=NOV1, batch_size=7), lambda: charge_run(day=NOV1, batch_size=11)
    )
    assert not errors, errors
    fees = LedgerEntry.objects.filter(item="tariff")
    assert fees.count() == sum(1 for i in range(40) if i % 4)
    assert set(fees.values_list("account_id", flat=True)) == {
        a.pk for i, a in enumerate(accounts) if i % 4
    }
    assert Account.objects.filter(status=AccountStatus.BLOCKED).count() == 10
    report = ledger_audit()
    assert report.ok, report.problems


def test_payments_during_a_run_all_land_and_unblock() -> None:
    accounts = make_accounts(30)
    poor = [a for i, a in enumerate(accounts) if not i % 4]

    def pay() -> None:
        for account in poor:
            ledger_post(
                account_id=account.pk,
                kind=EntryKind.PAYMENT,
                amount_kop=40_000,
                key=f"pay:{account.pk}",
                day=NOV1,
            )

    errors = in_threads(lambda: charge_run(day=NOV1, batch_size=3), pay)
    assert not errors, errors
    for account in poor:
        account.refresh_from_db()
        # Whichever came first, the account ends active, paid once, with the money in.
        assert account.status == AccountStatus.ACTIVE
        assert LedgerEntry.objects.filter(account=account, item="tariff").count() == 1
        assert LedgerEntry.objects.filter(account=account, key=f"pay:{account.pk}").count() == 1
    report = ledger_audit()
    assert report.ok, report.problems


def test_the_same_payment_posted_concurrently_credits_once() -> None:
    account = AccountFactory(status=AccountStatus.ACTIVE)
    errors = in_threads(
        *[
            (
                lambda: ledger_post(
                    account_id=account.pk,
                    kind=EntryKind.PAYMENT,
                    amount_kop=1_000,
                    key="gateway:abc",
                )
            )
            for _ in range(8)
        ]
    )
    assert not errors, errors
    account.refresh_from_db()
    assert account.balance_kop == 1_000
    assert LedgerEntry.objects.filter(account=account).count() == 1
