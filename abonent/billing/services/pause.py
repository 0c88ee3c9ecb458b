"""Voluntary pause: the subscriber stops the service for 7–90 days and resumes any time.

While paused the account is ``suspended`` and the charge run charges nothing. Days already paid
for (a monthly fee covers the whole month) and not used because of the pause are refunded when
the pause ends, so the subscriber pays exactly for the days of service.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import Account, AccountStatus
from abonent.billing.models import AccountPause, EntryKind, LedgerEntry
from abonent.billing.periods import billing_today
from abonent.billing.services.charging import account_settle
from abonent.billing.services.common import account_lock
from abonent.core.errors import ApplicationError, NotFound


def _part(amount: int, start: dt.date, end: dt.date, a: dt.date, b: dt.date) -> int:
    """The share of a charge of ``amount`` for ``start..end`` that falls on ``a..b``."""
    span = (end - start).days + 1
    lo = max(a, start)
    hi = min(b, end)
    if hi < lo:
        return 0
    k0 = (lo - start).days
    k1 = (hi - start).days + 1
    return amount * k1 // span - amount * k0 // span


def pause_refund_amount(*, account: Account, first: dt.date, last: dt.date) -> int:
    """Money paid for days ``first..last`` of fees (tariff and add-ons), to give back."""
    total = 0
    charges = LedgerEntry.objects.filter(
        account=account,
        item__isnull=False,
        amount_kop__lt=0,
        period_start__lte=last,
        period_end__gte=first,
    )
    for charge in charges:
        total += _part(-charge.amount_kop, charge.period_start, charge.period_end, first, last)
    return total


def account_pause(*, account_id: int, days: Any, today: dt.date | None = None) -> AccountPause:
    """Pause an active account from today for ``days`` days."""
    today = today or billing_today()
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = -1
    low, high = settings.ABONENT_PAUSE_MIN_DAYS, settings.ABONENT_PAUSE_MAX_DAYS
    if not low <= days <= high:
        raise ApplicationError(
            _("A pause lasts from %(low)d to %(high)d days.") % {"low": low, "high": high},
            field="days",
            code="out_of_range",
        )
    with transaction.atomic():
        account = account_lock(account_id)
        if account.status != AccountStatus.ACTIVE:
            raise ApplicationError(
                _("Only an active account can be paused."), field=None, code="inactive"
            )
        pause = AccountPause.objects.create(
            account=account, starts_on=today, ends_on=today + dt.timedelta(days=days - 1)
        )
        account.status = AccountStatus.SUSPENDED
        account.save(update_fields=["status", "updated_at"])
        return pause


def account_resume(*, account_id: int, today: dt.date | None = None, actor: Any = None) -> Account:
    """End the pause today: refund the paid days it covered, then pay the rest of the current
    period (or stay blocked until a payment covers it)."""
    today = today or billing_today()
    with transaction.atomic():
        account = account_lock(account_id)
        pause = AccountPause.objects.filter(account=account, resumed_on__isnull=True).first()
        if pause is None or account.status != AccountStatus.SUSPENDED:
            raise NotFound(_("The account is not paused."))
        last_paused = min(today - dt.timedelta(days=1), pause.ends_on)
        refund = 0
        if last_paused >= pause.starts_on:
            refund = pause_refund_amount(account=account, first=pause.starts_on, last=last_paused)
        if refund > 0:
            account.balance_kop += refund
            LedgerEntry.objects.create(
                account=account,
                kind=EntryKind.REFUND,
                amount_kop=refund,
                balance_after_kop=account.balance_kop,
                reason=f"pause {pause.starts_on:%d.%m.%Y}–{last_paused:%d.%m.%Y}",
                key=f"pause-refund:{pause.pk}",
            )
        pause.resumed_on = today
        pause.refund_kop = refund
        pause.save(update_fields=["resumed_on", "refund_kop"])
        account.status = AccountStatus.BLOCKED
        account.save(update_fields=["balance_kop", "status", "updated_at"])
        # Days after today stay paid by the original charges (only the paused days were
        # refunded); a period that began during the pause is charged now, or the account
        # waits blocked for a payment.
        account_settle(account=account, day=today)
        return account


def pauses_expire(*, day: dt.date) -> int:
    """Resume every pause whose last day is before ``day`` (the charge run calls this first)."""
    ids = list(
        AccountPause.objects.filter(resumed_on__isnull=True, ends_on__lt=day).values_list(
            "account_id", flat=True
        )
    )
    for account_id in ids:
        account_resume(account_id=account_id, today=day)
    return len(ids)
