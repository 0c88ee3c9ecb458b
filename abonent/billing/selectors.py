"""Reads of billing for the cabinet, the API and staff: forecast, ledger, add-ons."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet

from abonent.accounts.models import Account, AccountStatus
from abonent.billing.models import (
    AccountAddon,
    LedgerEntry,
    TariffChange,
    TariffChangeStatus,
)
from abonent.billing.periods import month_end, next_month_start, prorate
from abonent.catalogue.models import AddonPeriod, FeePeriod, Tariff

HORIZON_DAYS = 400


@dataclass
class ForecastItem:
    """One fee of the next charge."""

    name: str
    amount_kop: int


@dataclass
class Forecast:
    """When the next charge comes, how much, and how long the balance lasts."""

    next_date: dt.date | None
    next_amount_kop: int
    items: list[ForecastItem] = field(default_factory=list)
    lasts_until: dt.date | None = None  # the last day paid for; None: beyond the horizon
    days_left: int | None = None
    needed_kop: int = 0  # what to top up to start or resume


def _fees_on(
    day: dt.date, tariff: Tariff, addons: list[AccountAddon], switched_on: dt.date | None = None
) -> list[ForecastItem]:
    """Fees the charge run takes on ``day``; a monthly tariff that became the account's tariff
    in the middle of a month (``switched_on``) is due that day for the rest of the month."""
    items: list[ForecastItem] = []
    if tariff.fee_kop:
        if tariff.fee_period == FeePeriod.DAY or day.day == 1:
            items.append(ForecastItem(tariff.title, tariff.fee_kop))
        elif day == switched_on:
            items.append(ForecastItem(tariff.title, prorate(tariff.fee_kop, day, month_end(day))))
    for sub in addons:
        addon = sub.addon
        if sub.ends_on is not None and sub.ends_on < day or sub.started_on > day:
            continue
        if addon.fee_kop and (
            addon.period == AddonPeriod.DAY or (addon.period == AddonPeriod.MONTH and day.day == 1)
        ):
            items.append(ForecastItem(addon.title, addon.fee_kop))
    return items


def account_forecast(*, account: Account, today: dt.date) -> Forecast:
    """The next charge (tariff after a pending change, plus add-ons) and the day the balance
    runs out, by walking the calendar forward from ``today``."""
    addons = list(
        AccountAddon.objects.filter(account=account)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("addon")
    )
    # Only a change that will be applied counts; one awaiting approval may never be.
    change = (
        TariffChange.objects.filter(account=account, status=TariffChangeStatus.PENDING)
        .select_related("to_tariff")
        .first()
    )
    if account.status in (AccountStatus.NEW, AccountStatus.BLOCKED):
        # What starting or resuming costs today: the rest of the period of the tariff and of
        # the add-ons, less what is already paid (the same computation settlement uses).
        from abonent.billing.services.charging import account_due_now

        due_now = account_due_now(account=account, day=today)
        due = sum(d.amount_kop for d in due_now)
        names = {"tariff": account.tariff.title}
        names.update({f"addon:{s.addon_id}": s.addon.title for s in addons})
        floor = (
            settings.ABONENT_CONNECTION_DEPOSIT_KOP if account.status == AccountStatus.NEW else 0
        )
        needed = max(
            due - account.balance_kop - account.credit_limit_kop, floor - account.balance_kop, 0
        )
        return Forecast(
            next_date=today,
            next_amount_kop=due,
            items=[ForecastItem(names.get(d.item, d.item), d.amount_kop) for d in due_now],
            needed_kop=needed,
        )
    if account.status != AccountStatus.ACTIVE:
        return Forecast(next_date=None, next_amount_kop=0)
    money = account.balance_kop + account.credit_limit_kop
    forecast = Forecast(next_date=None, next_amount_kop=0)
    day = today
    for _ in range(HORIZON_DAYS):
        day += dt.timedelta(days=1)
        switched = change is not None and change.effective_on <= day
        tariff = change.to_tariff if switched else account.tariff
        items = _fees_on(day, tariff, addons, change.effective_on if switched else None)
        if not items:
            continue
        total = sum(i.amount_kop for i in items)
        if forecast.next_date is None:
            forecast.next_date, forecast.next_amount_kop, forecast.items = day, total, items
        if money < total:
            forecast.lasts_until = day - dt.timedelta(days=1)
            forecast.days_left = (forecast.lasts_until - today).days
            break
        money -= total
    return forecast


def next_boundary(*, account: Account, today: dt.date) -> dt.date:
    """The first day of the account's next billing period."""
    if account.tariff.fee_period == FeePeriod.MONTH:
        return next_month_start(today)
    return today + dt.timedelta(days=1)


def ledger_list(
    *,
    account_id: int,
    kind: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[LedgerEntry]:
    """The account's ledger, newest first, filtered by kind and dates (inclusive)."""
    qs = LedgerEntry.objects.filter(account_id=account_id)
    if kind:
        qs = qs.filter(kind=kind)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.order_by("-created_at", "-id")


def account_addons(*, account_id: int, today: dt.date) -> list[AccountAddon]:
    """The add-ons connected now or until the end of a paid period."""
    return list(
        AccountAddon.objects.filter(account_id=account_id)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("addon", "addon__kind")
        .order_by("started_on", "id")
    )
