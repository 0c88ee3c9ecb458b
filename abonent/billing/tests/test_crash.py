"""The charge run killed with SIGKILL and run again, and a payment during a run, on PostgreSQL.

The run is the real command (``python -m abonent charge``) in a subprocess pointed at the test
database, with the rows committed by this (transactional) test. The test waits until the run
has started (its ``ChargeRun`` row appears), kills it after a seeded random delay within the
time an uninterrupted run takes, runs the charge again to completion, and compares the result
with an uninterrupted run on the same starting data: the new ledger entries as a multiset of
(account, kind, amount, item, period, balance after, key, reason), the accounts' balances,
statuses and tariffs, and the tariff changes, pauses and promised payments the run closed.
Between seeds the starting state is restored: the entries the run added are deleted and the
rows it updated are written back from a snapshot (the test's own data, not a ledger in use).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Max

from abonent.accounts.models import Account, AccountStatus
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import (
    AccountAddon,
    AccountPause,
    ChargeRun,
    EntryKind,
    LedgerEntry,
    PromisedPayment,
    TariffChange,
)
from abonent.billing.services.audit import ledger_audit
from abonent.billing.services.charging import charge_run
from abonent.billing.services.pause import account_pause
from abonent.billing.services.posting import ledger_post
from abonent.billing.services.promised import promised_take
from abonent.billing.services.tariff_change import tariff_change_request
from abonent.catalogue.models import AddonPeriod, FeePeriod
from abonent.catalogue.tests.factories import AddonFactory, TariffFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a killed client's transaction needs PostgreSQL"
    ),
]

NOV1 = dt.date(2026, 11, 1)
DAY = dt.date(2026, 12, 1)  # monthly and daily fees, add-ons, changes, pauses, promises
ACCOUNTS = 600
BATCH = 7
SEEDS = 20
PROJECT = Path(__file__).resolve().parents[3]


# --- the starting data -----------------------------------------------------------------------


@dataclass
class Accounts:
    """The ids of the starting data: all, and those a charge run touches before charging."""

    ids: list[int]
    changed: set[int]
    paused: set[int]
    promised: set[int]


def build_accounts(rng: random.Random) -> Accounts:
    """A realistic mix: monthly and daily tariffs, add-ons, some short of money, and a few
    accounts whose tariff change, pause or promised payment falls due on ``DAY``."""
    monthly = TariffFactory(fee_kop=60_000, fee_period=FeePeriod.MONTH)
    cheaper = TariffFactory(fee_kop=45_000, fee_period=FeePeriod.MONTH, kind=monthly.kind)
    daily = TariffFactory(fee_kop=2_000, fee_period=FeePeriod.DAY, kind=monthly.kind)
    addons = [
        AddonFactory(fee_kop=15_000, period=AddonPeriod.MONTH, kind=monthly.kind),
        AddonFactory(fee_kop=500, period=AddonPeriod.DAY, kind=monthly.kind),
    ]
    template = AccountFactory.build(status=AccountStatus.ACTIVE, tariff=monthly)
    accounts = []
    for n in range(ACCOUNTS):
        accounts.append(
            Account(
                contract=f"9{n:07d}",
                holder_name=f"Crash {n}",
                address=template.address,
                building_type=template.building_type,
                phone=f"+7999{n:07d}",
                tariff=daily if n % 3 == 0 else monthly,
                service_start=NOV1,
                status=AccountStatus.ACTIVE,
                credit_limit_kop=20_000 if n % 11 == 0 else 0,
                password=template.password,
            )
        )
    accounts = Account.objects.bulk_create(accounts)
    ids = [a.pk for a in accounts]
    for account in accounts:
        # Enough for November and most for December; about a fifth are short on the 1st.
        amount = rng.choice([150_000, 200_000, 100_000, 80_000, 62_000, 30_000])
        ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=amount, settle=False)
    AccountAddon.objects.bulk_create(
        AccountAddon(account=a, addon=addons[n % 2], started_on=NOV1)
        for n, a in enumerate(accounts)
        if n % 4 == 1
    )
    charge_run(day=NOV1, batch_size=500)
    active = list(Account.objects.filter(pk__in=ids, status=AccountStatus.ACTIVE).order_by("id"))
    monthly_active = [a for a in active if a.tariff_id == monthly.pk]
    daily_active = [a for a in active if a.tariff_id == daily.pk]
    for account in monthly_active[:12]:  # monthly → cheaper monthly, and daily → monthly
        tariff_change_request(account_id=account.pk, to_tariff_id=cheaper.pk, today=NOV1)
    for account in daily_active[:12]:
        tariff_change_request(
            account_id=account.pk, to_tariff_id=monthly.pk, today=dt.date(2026, 11, 30)
        )
    for account in monthly_active[20:32]:  # paused on the 20th for 7 days: ends before DAY
        account_pause(account_id=account.pk, days=7, today=dt.date(2026, 11, 20))
    blocked = Account.objects.filter(pk__in=ids, status=AccountStatus.BLOCKED).order_by("id")
    for account in blocked[:10]:  # promised on the 25th for 5 days: expired by DAY
        promised_take(account_id=account.pk, today=dt.date(2026, 11, 25))
    return Accounts(
        ids=ids,
        changed=set(TariffChange.objects.values_list("account_id", flat=True)),
        paused=set(AccountPause.objects.values_list("account_id", flat=True)),
        promised=set(PromisedPayment.objects.values_list("account_id", flat=True)),
    )


@dataclass
class Snapshot:
    """The rows a charge run may touch, as they were before it."""

    last_entry: int
    accounts: list[Account]
    changes: list[TariffChange]
    pauses: list[AccountPause]
    promises: list[PromisedPayment]


def snapshot_take() -> Snapshot:
    return Snapshot(
        last_entry=LedgerEntry.objects.aggregate(last=Max("id"))["last"] or 0,
        accounts=list(Account.objects.all()),
        changes=list(TariffChange.objects.all()),
        pauses=list(AccountPause.objects.all()),
        promises=list(PromisedPayment.objects.all()),
    )


def snapshot_restore(snapshot: Snapshot) -> None:
    """Back to the starting state: this test's own data, rewound between seeds."""
    LedgerEntry.objects.filter(id__gt=snapshot.last_entry).delete()
    ChargeRun.objects.all().delete()
    Account.objects.bulk_update(snapshot.accounts, ["balance_kop", "status", "tariff"])
    TariffChange.objects.bulk_update(snapshot.changes, ["status", "decided_at"])
    AccountPause.objects.bulk_update(snapshot.pauses, ["resumed_on", "refund_kop"])
    PromisedPayment.objects.bulk_update(snapshot.promises, ["status"])


def outcome(snapshot: Snapshot) -> dict[str, object]:
    """What a run did, comparable between runs (no ids of new rows, no times)."""
    entries = LedgerEntry.objects.filter(id__gt=snapshot.last_entry).values_list(
        "account_id",
        "kind",
        "amount_kop",
        "item",
        "period_start",
        "period_end",
        "balance_after_kop",
        "key",
        "reason",
    )
    return {
        "ledger": Counter(entries),
        "accounts": sorted(Account.objects.values_list("id", "balance_kop", "status", "tariff_id")),
        "changes": sorted(TariffChange.objects.values_list("id", "status")),
        "pauses": sorted(AccountPause.objects.values_list("id", "resumed_on", "refund_kop")),
        "promises": sorted(PromisedPayment.objects.values_list("id", "status")),
    }


# --- the subprocess --------------------------------------------------------------------------


def database_url() -> str:
    """The test database (pytest-django's ``test_…`` name), for a process of our own."""
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def start_charge(batch_size: int = BATCH) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "ABONENT_TESTING": "1"}
    return subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "abonent", "charge", "--date", DAY.isoformat()]
        + ["--batch-size", str(batch_size)],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for_start(process: subprocess.Popen, timeout: float = 30) -> float:
    """Wait until the run's ChargeRun row is committed; returns that moment."""
    deadline = time.monotonic() + timeout
    while not ChargeRun.objects.filter(day=DAY).exists():
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode() if process.stderr else "exited")
        assert time.monotonic() < deadline, "the charge run did not start"
        time.sleep(0.002)
    return time.monotonic()


def wait_for_other_sessions(timeout: float = 20) -> None:
    """After a kill, wait until the server has ended the dead client's session (and rolled
    back its transaction), so that nothing of it lingers into the next step."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
            assert time.monotonic() < deadline, "a killed run's session is still open"
            time.sleep(0.01)


def charged_by_ranges(snapshot: Snapshot, accounts: Accounts) -> int:
    """Accounts charged for DAY by the ranges (a pause that ends charges before them)."""
    return (
        LedgerEntry.objects.filter(id__gt=snapshot.last_entry, period_start=DAY, item="tariff")
        .exclude(account_id__in=accounts.paused)
        .values("account_id")
        .distinct()
        .count()
    )


# --- the tests -------------------------------------------------------------------------------


def test_a_run_killed_at_random_points_and_run_again_ends_as_an_uninterrupted_one() -> None:
    accounts = build_accounts(random.Random(7))
    snapshot = snapshot_take()

    # The reference: the same command, uninterrupted, timed from its start to its end.
    process = start_charge()
    started = wait_for_start(process)
    while not ChargeRun.objects.filter(day=DAY, finished_at__isnull=False).exists():
        assert process.poll() in (None, 0), process.stderr.read().decode() if process.stderr else ""
        time.sleep(0.002)
    duration = time.monotonic() - started
    assert process.wait(60) == 0, process.stderr.read().decode() if process.stderr else ""
    reference = outcome(snapshot)
    full = charged_by_ranges(snapshot, accounts)
    assert ledger_audit().ok
    assert full > ACCOUNTS // 2 and reference["ledger"]

    landed: Counter[str] = Counter()
    for seed in range(SEEDS):
        snapshot_restore(snapshot)
        rng = random.Random(seed)
        process = start_charge()
        wait_for_start(process)
        time.sleep(rng.uniform(0, duration))
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        wait_for_other_sessions()
        done = charged_by_ranges(snapshot, accounts)
        landed["before any range" if done == 0 else "mid-run" if done < full else "after"] += 1
        charge_run(day=DAY, batch_size=11)  # ranges that do not line up with the killed run's
        assert outcome(snapshot) == reference, f"seed {seed}"
        report = ledger_audit()
        assert report.ok, (seed, report.problems)
    # Kills really landed half-way: some ranges committed, others not.
    assert landed["mid-run"] >= SEEDS // 4, landed


def test_a_payment_during_a_run_lands_once_and_as_in_some_serial_order() -> None:
    accounts = build_accounts(random.Random(8))
    ids = accounts.ids
    snapshot = snapshot_take()
    # Accounts across the whole id range, paid from the last towards the first while the run
    # goes the other way: the upper half at once, before the run reaches them, the lower half
    # just after it has passed them; the payments all land while it runs. Not those
    # whose change, pause or promise the run handles before its ranges: a payment between
    # that step and their range would be a third order, as serial as the other two.
    plain = [pk for pk in ids if pk not in accounts.changed | accounts.paused | accounts.promised]
    payees = sorted(plain[5::29], reverse=True)
    amount = 40_000

    def pay(account_id: int) -> None:
        for _ in range(2):  # the gateway delivers its webhook twice
            ledger_post(
                account_id=account_id,
                kind=EntryKind.PAYMENT,
                amount_kop=amount,
                key=f"gateway:{account_id}",
                day=DAY,
            )

    def per_account(result: dict[str, object]) -> dict[int, tuple]:
        ledger: Counter = result["ledger"]  # type: ignore[assignment]
        accounts = {row[0]: row for row in result["accounts"]}  # type: ignore[attr-defined]
        return {
            pk: (sorted(e for e in ledger.elements() if e[0] == pk), accounts[pk]) for pk in ids
        }

    # The two serial orders: every payment before the run, and every payment after it.
    for pk in payees:
        pay(pk)
    charge_run(day=DAY, batch_size=BATCH)
    paid_first = per_account(outcome(snapshot))
    snapshot_restore(snapshot)
    charge_run(day=DAY, batch_size=BATCH)
    for pk in payees:
        pay(pk)
    paid_after = per_account(outcome(snapshot))
    assert paid_first != paid_after

    # And concurrently: the run in its own process, the payments from this one.
    snapshot_restore(snapshot)
    process = start_charge(batch_size=3)
    wait_for_start(process)
    for n, pk in enumerate(payees):
        if n >= len(payees) // 2:
            # The lower half once the run has committed their range (ranges of 3 ids go up).
            passed = LedgerEntry.objects.filter(
                id__gt=snapshot.last_entry, period_start=DAY, account_id__gt=pk + 3
            ).exclude(account_id__in=accounts.paused | set(payees))  # charged by a settlement
            deadline = time.monotonic() + 30
            while not passed.exists():
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.002)
        pay(pk)
    assert ChargeRun.objects.get(day=DAY).finished_at is None, "the run ended before the payments"
    assert process.wait(60) == 0, process.stderr.read().decode() if process.stderr else ""
    concurrent = per_account(outcome(snapshot))
    orders: Counter[str] = Counter()
    for pk in ids:
        assert LedgerEntry.objects.filter(key=f"gateway:{pk}").count() == (pk in payees)
        if concurrent[pk] == paid_first[pk]:
            orders["payment first"] += 1
        elif concurrent[pk] == paid_after[pk]:
            orders["run first"] += 1
        else:
            raise AssertionError(f"account {pk} ended in no serial order: {concurrent[pk]}")
    assert ledger_audit().ok
    # Both orders really happened (for accounts where they differ: not the blocked ones).
    differing = [pk for pk in payees if paid_first[pk] != paid_after[pk]]
    met = Counter(
        "payment first" if concurrent[pk] == paid_first[pk] else "run first" for pk in differing
    )
    assert met["payment first"] and met["run first"], met
