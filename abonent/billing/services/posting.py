"""Posting to the ledger: the one place where balances change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import Account
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.billing.periods import billing_today
from abonent.billing.services.charging import account_settle
from abonent.core.errors import ApplicationError, NotFound


def _check(amount_kop: int, kind: str) -> None:
    if not isinstance(amount_kop, int) or isinstance(amount_kop, bool):
        raise TypeError("amount_kop must be int kopecks")
    if amount_kop == 0:
        raise ApplicationError(_("The amount must not be zero."), field="amount_kop")
    if kind not in EntryKind.values:
        raise ApplicationError(_("Unknown kind of entry."), field="kind")


def ledger_post(
    *,
    account_id: int,
    kind: str,
    amount_kop: int,
    reason: str = "",
    key: str | None = None,
    actor: Any = None,
    settle: bool = True,
    day: dt.date | None = None,
    at: dt.datetime | None = None,
) -> LedgerEntry:
    """Append one entry and move the cached balance with it, in one transaction.

    The account row is locked first, so concurrent postings serialise. With a ``key``, a
    retried posting returns the entry made the first time instead of posting twice. Money in
    (a positive amount) settles the account in the same transaction: a ``new`` account with
    the deposit, or a ``blocked`` one that covers the rest of the period, becomes active and
    pays that period at once (``settle=False`` skips it, for imports and demo history).
    ``at`` backdates the entry (imports and the demo's history only).
    """
    _check(amount_kop, kind)
    if key is not None:
        existing = LedgerEntry.objects.filter(key=key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            account = Account.objects.select_for_update().filter(pk=account_id).first()
            if account is None:
                raise NotFound(_("No such account."))
            return ledger_post_locked(
                account=account,
                kind=kind,
                amount_kop=amount_kop,
                reason=reason,
                key=key,
                actor=actor,
                settle=settle,
                day=day,
                at=at,
            )
    except IntegrityError:
        if key is None:
            raise
        existing = LedgerEntry.objects.filter(key=key).first()
        if existing is None:
            raise
        return existing


def ledger_post_locked(
    *,
    account: Account,
    kind: str,
    amount_kop: int,
    reason: str = "",
    key: str | None = None,
    actor: Any = None,
    settle: bool = True,
    day: dt.date | None = None,
    at: dt.datetime | None = None,
    notices_later: bool = False,
) -> LedgerEntry:
    """``ledger_post`` for a caller whose transaction already holds ``account`` locked (read
    with ``select_for_update`` in this transaction, so its balance is current): no second
    lock, no savepoint, no look-up of ``key`` first.

    The caller answers for the key being new: it holds a lock that makes the operation happen
    once (the webhook holds the payment row, whose status says whether it was credited). The
    unique key stays the last word: a duplicate raises ``IntegrityError`` and rolls the
    caller's transaction back with it, nothing half-written. Settling and the notices are as
    in ``ledger_post``; ``notices_later`` leaves writing the notices to the worker (a task row
    in this transaction: the webhook's request stays short).

    A card payment's webhook writes the same rows in one SQL statement in its common case (an
    ``active`` account, PostgreSQL: ``payments/services/fast_credit.py``); a change to what a
    posting writes must be made there too, and ``payments/tests/test_fast_credit.py``, which
    compares the two row by row, says when it was not.
    """
    _check(amount_kop, kind)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_post_locked needs the caller's transaction")
    account.balance_kop += amount_kop
    account.save(update_fields=["balance_kop", "updated_at"])
    entry = LedgerEntry.objects.create(
        account=account,
        kind=kind,
        amount_kop=amount_kop,
        balance_after_kop=account.balance_kop,
        reason=reason[:255],
        key=key,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **({"created_at": at} if at is not None else {}),
    )
    was = account.status
    if amount_kop > 0 and settle:
        # Money arrived: a new account may start, a blocked one resume, at once.
        account_settle(account=account, day=day or billing_today(), at=at)
    if settle and at is None:  # notices, in this transaction; imports tell nobody
        # Lazy: messaging reads billing, so a top-level import would be a cycle.
        from abonent.messaging import notifications

        notifications.ledger_posted(account=account, entry=entry, was=was, later=notices_later)
    return entry
