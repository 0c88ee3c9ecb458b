"""Promised payment ("обещанный платёж"): a temporary credit for a blocked or nearly blocked
subscriber, once a calendar month, refused while the last one was not covered; it expires by
itself after a few days."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import Account, AccountStatus
from abonent.billing.models import EntryKind, LedgerEntry, PromisedPayment, PromisedStatus
from abonent.billing.periods import billing_today, month_start
from abonent.billing.services.charging import account_settle
from abonent.billing.services.common import account_lock
from abonent.core.errors import ApplicationError


def promised_refusal(*, account: Account, today: dt.date, days_left: int | None) -> str | None:
    """Why the account cannot take a promised payment now, or None when it can."""
    if account.status not in (AccountStatus.ACTIVE, AccountStatus.BLOCKED):
        return str(_("A promised payment is available to active and blocked accounts."))
    if account.status == AccountStatus.ACTIVE and (
        days_left is None or days_left >= settings.ABONENT_LOW_BALANCE_DAYS
    ):
        return str(_("Your balance is enough for now; a promised payment is for when it is not."))
    promises = PromisedPayment.objects.filter(account=account)
    if promises.filter(status=PromisedStatus.ACTIVE).exists():
        return str(_("You already have a promised payment."))
    if promises.filter(taken_on__gte=month_start(today)).exists():
        return str(_("A promised payment can be taken once a calendar month."))
    last = promises.order_by("-taken_on", "-id").first()
    if last is not None and last.status == PromisedStatus.UNCOVERED:
        return str(_("The last promised payment was not covered by a payment."))
    return None


def promised_take(
    *, account_id: int, days_left: int | None = None, today: dt.date | None = None
) -> PromisedPayment:
    """Credit the account for a few days; a blocked account resumes at once if it covers the
    period's fees."""
    today = today or billing_today()
    with transaction.atomic():
        account = account_lock(account_id)
        reason = promised_refusal(account=account, today=today, days_left=days_left)
        if reason:
            raise ApplicationError(reason, field=None, code="promised_refused")
        amount = settings.ABONENT_PROMISED_AMOUNT_KOP
        promise = PromisedPayment.objects.create(
            account=account,
            amount_kop=amount,
            taken_on=today,
            expires_on=today + dt.timedelta(days=settings.ABONENT_PROMISED_DAYS),
        )
        account.balance_kop += amount
        LedgerEntry.objects.create(
            account=account,
            kind=EntryKind.PROMISED_PAYMENT,
            amount_kop=amount,
            balance_after_kop=account.balance_kop,
            key=f"promise:{promise.pk}",
        )
        account.save(update_fields=["balance_kop", "updated_at"])
        account_settle(account=account, day=today)
        return promise


def promised_expire(*, day: dt.date) -> int:
    """Take back every promised payment whose time ran out before ``day`` (the charge run calls
    this). It counts as covered when the balance without it is not negative."""
    ids = list(
        PromisedPayment.objects.filter(
            status=PromisedStatus.ACTIVE, expires_on__lt=day
        ).values_list("id", flat=True)
    )
    for promise_id in ids:
        with transaction.atomic():
            promise = PromisedPayment.objects.select_for_update().get(pk=promise_id)
            if promise.status != PromisedStatus.ACTIVE:
                continue
            account = account_lock(promise.account_id)
            account.balance_kop -= promise.amount_kop
            LedgerEntry.objects.create(
                account=account,
                kind=EntryKind.PROMISED_EXPIRY,
                amount_kop=-promise.amount_kop,
                balance_after_kop=account.balance_kop,
                key=f"promise-expiry:{promise.pk}",
            )
            if (
                account.status == AccountStatus.ACTIVE
                and account.balance_kop + account.credit_limit_kop < 0
            ):
                # The fee it paid for is not covered by money of the subscriber's own.
                account.status = AccountStatus.BLOCKED
            account.save(update_fields=["balance_kop", "status", "updated_at"])
            promise.status = (
                PromisedStatus.COVERED if account.balance_kop >= 0 else PromisedStatus.UNCOVERED
            )
            promise.save(update_fields=["status"])
    return len(ids)
