"""Charging fees: the daily charge run (set-based SQL over ranges of accounts) and the
settlement of one account when money arrives (activation, unblocking).

Every charge is a ledger entry whose natural key ``(account, item, period_start)`` the database
keeps unique (``charge_once``); the run only inserts what has no entry yet, in one transaction
per range of accounts whose rows it holds locked, so a re-run, a concurrent run, or a run killed
half-way and started again charges every account exactly once.

Rules (docs/money-and-ledger.md): an account pays the fees due on a day (tariff and add-ons
together) when ``balance + credit_limit`` covers their sum; otherwise it becomes ``blocked``
and nothing is charged. Monthly fees are charged on the 1st for the whole month; a start in
the middle of a month is prorated by days. Daily fees are charged each day for that day.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from abonent.accounts.models import Account, AccountStatus
from abonent.billing.models import (
    AccountAddon,
    ChargeRun,
    EntryKind,
    LedgerEntry,
    TariffChange,
    TariffChangeStatus,
)
from abonent.billing.periods import days_in_month, month_end, month_start, prorate
from abonent.catalogue.models import AddonPeriod, FeePeriod

BATCH_SIZE = 5000
TARIFF_ITEM = "tariff"


def addon_item(addon_id: int) -> str:
    """The charge item of an add-on."""
    return f"addon:{addon_id}"


@dataclass
class RunResult:
    """What one charge run did."""

    day: dt.date
    charged_accounts: int = 0
    charges: int = 0
    blocked_accounts: int = 0
    total_kop: int = 0
    tariff_changes: int = 0
    batches: int = 0
    run_id: int | None = None
    notes: list[str] = field(default_factory=list)


# --- the run ---------------------------------------------------------------------------------

_DUE_TABLE = "abonent_charge_due"
_TOTAL_TABLE = "abonent_charge_total"


def _ensure_work_tables(cursor) -> None:  # type: ignore[no-untyped-def]
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_DUE_TABLE} ("  # noqa: S608
        " account_id bigint NOT NULL, item varchar(32) NOT NULL, kind varchar(20) NOT NULL,"
        " period_start date NOT NULL, period_end date NOT NULL, amount bigint NOT NULL)"
    )
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_TOTAL_TABLE} ("  # noqa: S608
        " account_id bigint PRIMARY KEY, total bigint NOT NULL, payable boolean NOT NULL)"
    )


# The latest charge of an item starting on or before the day is the only one that can cover
# it (charges of one item never overlap): one index seek on charge_once per due fee.
# A monthly tariff is due on the 1st, and also from the day a change away from a daily tariff
# made it the account's tariff in the middle of a month: the rest of that month, prorated
# (``periods.prorate`` for day..month_end, which is the whole fee on the 1st).
_DUE_SQL = f"""
    INSERT INTO {_DUE_TABLE} (account_id, item, kind, period_start, period_end, amount)
    SELECT d.account_id, d.item, d.kind, d.period_start, d.period_end, d.amount
    FROM (
        SELECT a.id AS account_id, 'tariff' AS item, 'fee' AS kind,
               %(day)s AS period_start,
               CASE WHEN t.fee_period = 'month' THEN %(month_end)s ELSE %(day)s END
                   AS period_end,
               CASE WHEN t.fee_period = 'month'
                    THEN t.fee_kop - t.fee_kop * %(days_before)s / %(month_days)s
                    ELSE t.fee_kop END AS amount
        FROM accounts_account a JOIN catalogue_tariff t ON t.id = a.tariff_id
        WHERE a.id >= %(lo)s AND a.id < %(hi)s AND a.status = 'active'
          AND t.fee_kop > 0
          AND (t.fee_period = 'day' OR (t.fee_period = 'month' AND (%(first)s
               OR a.id IN (SELECT c.account_id FROM billing_tariffchange c
                           WHERE c.status = 'applied' AND c.effective_on > %(month_start)s
                             AND c.effective_on <= %(day)s))))
        UNION ALL
        SELECT a.id, 'addon:' || s.addon_id, 'addon_fee', %(day)s,
               CASE WHEN ad.period = 'month' THEN %(month_end)s ELSE %(day)s END,
               ad.fee_kop
        FROM accounts_account a
             JOIN billing_accountaddon s ON s.account_id = a.id
             JOIN catalogue_addon ad ON ad.id = s.addon_id
        WHERE a.id >= %(lo)s AND a.id < %(hi)s AND a.status = 'active'
          AND ad.fee_kop > 0 AND s.started_on <= %(day)s
          AND (s.ends_on IS NULL OR s.ends_on >= %(day)s)
          AND (ad.period = 'day' OR (ad.period = 'month' AND %(first)s))
    ) d
    WHERE COALESCE((
        SELECT e.period_end FROM billing_ledgerentry e
        WHERE e.account_id = d.account_id AND e.item = d.item AND e.period_start <= %(day)s
        ORDER BY e.period_start DESC LIMIT 1), %(before)s) < %(day)s
"""  # noqa: S608

_TOTALS_SQL = f"""
    INSERT INTO {_TOTAL_TABLE} (account_id, total, payable)
    SELECT d.account_id, d.total, a.balance_kop + a.credit_limit_kop >= d.total
    FROM (SELECT account_id, SUM(amount) AS total FROM {_DUE_TABLE} GROUP BY account_id) d
         JOIN accounts_account a ON a.id = d.account_id
    WHERE a.id >= %(lo)s AND a.id < %(hi)s
"""  # noqa: S608

_INSERT_CHARGES = f"""
    INSERT INTO billing_ledgerentry
        (account_id, kind, amount_kop, balance_after_kop, reason, item, period_start,
         period_end, created_at)
    SELECT d.account_id, d.kind, -d.amount,
           a.balance_kop - SUM(d.amount) OVER (
               PARTITION BY d.account_id ORDER BY d.item ROWS UNBOUNDED PRECEDING),
           '', d.item, d.period_start, d.period_end, %(now)s
    FROM {_DUE_TABLE} d
         JOIN {_TOTAL_TABLE} t ON t.account_id = d.account_id
         JOIN accounts_account a ON a.id = d.account_id
    WHERE t.payable AND a.id >= %(lo)s AND a.id < %(hi)s
    ORDER BY d.account_id, d.item
    ON CONFLICT DO NOTHING
"""  # noqa: S608

_COUNT_PAYABLE = f"""
    SELECT COUNT(*), COUNT(DISTINCT d.account_id), COALESCE(SUM(d.amount), 0)
    FROM {_DUE_TABLE} d JOIN {_TOTAL_TABLE} t ON t.account_id = d.account_id WHERE t.payable
"""  # noqa: S608

_BLOCK = f"""
    UPDATE accounts_account SET status = 'blocked', updated_at = %(now)s
    FROM {_TOTAL_TABLE} t
    WHERE t.account_id = accounts_account.id AND NOT t.payable
      AND accounts_account.id >= %(lo)s AND accounts_account.id < %(hi)s
"""  # noqa: S608

_DEBIT = f"""
    UPDATE accounts_account SET balance_kop = balance_kop - t.total, updated_at = %(now)s
    FROM {_TOTAL_TABLE} t
    WHERE t.account_id = accounts_account.id AND t.payable
      AND accounts_account.id >= %(lo)s AND accounts_account.id < %(hi)s
"""  # noqa: S608


class ChargeConflict(Exception):
    """A charge appeared between computing the batch and inserting it; the batch is retried."""


def _charge_batch(
    *, day: dt.date, lo: int, hi: int, now: dt.datetime, notify: bool = True
) -> tuple[int, int, int, int]:
    """Charge one id range in one transaction. Returns (charges, accounts, total, blocked)."""
    params = {
        # Raw SQL gets the datetime in the backend's own storage format (as the ORM writes it).
        "now": connection.ops.adapt_datetimefield_value(now),
        "day": day,
        "month_end": month_end(day),
        "first": day.day == 1,
        "month_start": month_start(day),
        "days_before": day.day - 1,
        "month_days": days_in_month(day),
        "lo": lo,
        "hi": hi,
        "before": day - dt.timedelta(days=1),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Lock the range's accounts in primary-key order: payments and other runs wait.
            cursor.execute(
                "SELECT id FROM accounts_account WHERE id >= %s AND id < %s ORDER BY id FOR UPDATE",
                [lo, hi],
            )
        _ensure_work_tables(cursor)
        cursor.execute(f"DELETE FROM {_DUE_TABLE}")  # noqa: S608
        cursor.execute(f"DELETE FROM {_TOTAL_TABLE}")  # noqa: S608
        cursor.execute(_DUE_SQL, params)
        cursor.execute(_TOTALS_SQL, params)
        cursor.execute(_COUNT_PAYABLE)
        expected, accounts, total = cursor.fetchone()
        if expected:
            cursor.execute(_INSERT_CHARGES, params)
            if cursor.rowcount != expected:
                raise ChargeConflict
        cursor.execute(_BLOCK, params)
        blocked = cursor.rowcount
        if blocked and notify:
            # Who was blocked: the range's unpayable rows (portable; no UPDATE … RETURNING).
            cursor.execute(f"SELECT account_id FROM {_TOTAL_TABLE} WHERE NOT payable")  # noqa: S608
            blocked_ids = [row[0] for row in cursor.fetchall()]
            # One task row in this transaction; the notices are written by the worker, not
            # under this range's locks. Lazy: messaging reads billing (an import cycle).
            from abonent.messaging import notifications

            notifications.blocked_enqueue(account_ids=blocked_ids, day=day)
        if expected:
            cursor.execute(_DEBIT, params)
    return expected, accounts, int(total), blocked


def tariff_changes_apply(*, day: dt.date) -> int:
    """Switch accounts whose requested change takes effect on or before ``day``."""
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE accounts_account SET
                tariff_id = (SELECT c.to_tariff_id FROM billing_tariffchange c
                             WHERE c.account_id = accounts_account.id AND c.status = 'pending'
                               AND c.effective_on <= %(day)s),
                updated_at = %(now)s
            WHERE id IN (SELECT account_id FROM billing_tariffchange
                         WHERE status = 'pending' AND effective_on <= %(day)s)
            """,
            {"day": day, "now": connection.ops.adapt_datetimefield_value(now)},
        )
        applied = TariffChange.objects.filter(
            status=TariffChangeStatus.PENDING, effective_on__lte=day
        ).update(status=TariffChangeStatus.APPLIED, decided_at=now)
        if applied:  # a task (row in this transaction) tells each account; lazy: import cycle
            from abonent.messaging import notifications

            notifications.tariff_changes_applied_enqueue(day=day, decided_at=now)
    return applied


def charge_run(
    *,
    day: dt.date,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    at: dt.datetime | None = None,
) -> RunResult:
    """Charge everything due on ``day``: apply tariff changes, then each range of accounts.

    Safe to run again, to run twice at once, and to kill and restart at any point. ``at`` is
    the time written on the entries (default now; the demo backdates its history).
    """
    result = RunResult(day=day)
    run = ChargeRun.objects.create(day=day)
    result.run_id = run.pk
    # Lazy imports: these modules use account_settle from this one.
    from abonent.billing.services.pause import pauses_expire
    from abonent.billing.services.promised import promised_expire

    result.tariff_changes = tariff_changes_apply(day=day)
    result.notes.append(f"pauses ended: {pauses_expire(day=day)}")
    result.notes.append(f"promised payments expired: {promised_expire(day=day)}")
    bounds = Account.objects.filter(status=AccountStatus.ACTIVE).values_list("id", flat=True)
    first = bounds.order_by("id").first()
    last = bounds.order_by("-id").first()
    if first is not None and last is not None:
        now = at or timezone.now()
        spans = range(first, last + 1, batch_size)
        for index, lo in enumerate(spans):
            for _attempt in range(5):
                try:
                    charges, accounts, total, blocked = _charge_batch(
                        day=day, lo=lo, hi=lo + batch_size, now=now, notify=at is None
                    )
                    break
                except ChargeConflict:
                    continue
            else:  # pragma: no cover - five conflicts in a row
                raise RuntimeError(f"charge batch {lo}..{lo + batch_size} keeps conflicting")
            result.charges += charges
            result.charged_accounts += accounts
            result.total_kop += total
            result.blocked_accounts += blocked
            result.batches += 1
            if progress is not None:
                progress(index + 1, len(spans))
    if at is None:  # a backdated run (the demo's history) tells nobody about the past
        from abonent.messaging import notifications  # lazy: messaging reads billing (a cycle)

        notifications.low_balance_enqueue(day=day)  # a task: balances that last < N days
    run.finished_at = timezone.now()
    run.charged_accounts = result.charged_accounts
    run.charges = result.charges
    run.blocked_accounts = result.blocked_accounts
    run.total_kop = result.total_kop
    run.tariff_changes = result.tariff_changes
    run.save()
    return result


# --- one account, when money arrives ----------------------------------------------------------


@dataclass
class DueCharge:
    """A fee due now for one account (used by settlement and the forecast)."""

    item: str
    kind: str
    period_start: dt.date
    period_end: dt.date
    amount_kop: int


def _covered(account_id: int, item: str, day: dt.date) -> bool:
    return LedgerEntry.objects.filter(
        account_id=account_id, item=item, period_start__lte=day, period_end__gte=day
    ).exists()


def account_due_now(*, account: Account, day: dt.date) -> list[DueCharge]:
    """The fees an account must pay to be active on ``day``: the rest of the current period
    of its tariff and open add-ons (monthly prorated from ``day``), not yet covered."""
    due: list[DueCharge] = []
    tariff = account.tariff
    if tariff.fee_kop > 0 and not _covered(account.pk, TARIFF_ITEM, day):
        if tariff.fee_period == FeePeriod.MONTH:
            amount = prorate(tariff.fee_kop, day, month_end(day))
            due.append(DueCharge(TARIFF_ITEM, EntryKind.FEE, day, month_end(day), amount))
        else:
            due.append(DueCharge(TARIFF_ITEM, EntryKind.FEE, day, day, tariff.fee_kop))
    subscriptions = (
        AccountAddon.objects.filter(account=account, started_on__lte=day)
        .filter(models_q_open(day))
        .select_related("addon")
    )
    for sub in subscriptions:
        addon = sub.addon
        item = addon_item(addon.pk)
        if (
            addon.fee_kop <= 0
            or addon.period == AddonPeriod.ONCE
            or _covered(account.pk, item, day)
        ):
            continue
        if addon.period == AddonPeriod.MONTH:
            amount = prorate(addon.fee_kop, day, month_end(day))
            due.append(DueCharge(item, EntryKind.ADDON_FEE, day, month_end(day), amount))
        else:
            due.append(DueCharge(item, EntryKind.ADDON_FEE, day, day, addon.fee_kop))
    return [d for d in due if d.amount_kop > 0]


def models_q_open(day: dt.date):  # type: ignore[no-untyped-def]
    """Subscriptions still open on ``day``."""
    from django.db.models import Q

    return Q(ends_on__isnull=True) | Q(ends_on__gte=day)


def _post_charges(
    account: Account, charges: list[DueCharge], at: dt.datetime | None = None
) -> None:
    for charge in charges:
        account.balance_kop -= charge.amount_kop
        LedgerEntry.objects.create(
            account=account,
            kind=charge.kind,
            amount_kop=-charge.amount_kop,
            balance_after_kop=account.balance_kop,
            item=charge.item,
            period_start=charge.period_start,
            period_end=charge.period_end,
            created_at=at or timezone.now(),
        )


def account_settle(*, account: Account, day: dt.date, at: dt.datetime | None = None) -> str | None:
    """Bring a locked account up to date after its balance rose: a ``new`` account with the
    connection deposit becomes active, a ``blocked`` one that covers the rest of the current
    period is unblocked; either pays that rest at once. Returns the new status, or None.

    The caller holds the account row locked inside a transaction (``ledger_post`` does).
    """
    if account.status not in (AccountStatus.NEW, AccountStatus.BLOCKED):
        return None
    if (
        account.status == AccountStatus.NEW
        and account.balance_kop < settings.ABONENT_CONNECTION_DEPOSIT_KOP
    ):
        return None
    charges = account_due_now(account=account, day=day)
    total = sum(c.amount_kop for c in charges)
    if account.balance_kop + account.credit_limit_kop < total:
        return None
    _post_charges(account, charges, at)
    account.status = AccountStatus.ACTIVE
    account.save(update_fields=["balance_kop", "status", "updated_at"])
    return AccountStatus.ACTIVE


def print_progress(done: int, total: int) -> None:
    """A one-line progress indicator for a terminal."""
    if sys.stderr.isatty():
        sys.stderr.write(f"\r  {done}/{total} ranges ({done * 100 // max(total, 1)}%)")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()
