"""Demo subscribers: accounts in every status, with a few months of money history made by the
billing engine itself.

An account is made by ``accounts.services.account_create`` (the demo manager signs it) and found
again by its ``legacy_contract`` (the spec's ``DEMO-n`` key), so a re-run keeps the same
accounts and contract numbers and makes no history for them again.

The history of the accounts made by this run is lived through day by day, from the earliest
contract to today, with the real services and backdated times (``at=``):

- at 00:05 of the day, ``charge_run(day=...)`` charges what is due (its natural key
  ``(account, item, period_start)`` keeps every charge unique, so a later ``abonent charge`` for
  the same day charges nothing again) and blocks those who cannot pay;
- during the day, the spec's payments go through ``ledger_post(..., day=..., at=...)`` with a
  key each; money in settles the account (the deposit activates a ``new`` one and pays its
  first, prorated, period; enough money unblocks a ``blocked`` one);
- a voluntary pause is taken with ``account_pause(today=...)``, an add-on connected with
  ``addon_connect(today=..., at=...)``; then the static-IP add-on's address is given
  (``network.static_ip.static_ip_sync``).

Today is charged too, so the statuses ``abonent demo`` prints are today's (on the 1st, a
subscriber who cannot pay the month is blocked now, not when ``abonent serve`` catches up); a
later ``abonent charge`` for today is a re-run that charges nothing.

Statuses are therefore what the money rules make of the spec's payments; the spec's ``expect``
only states what that should be (the tests check it on awkward dates too). Nothing here sets a
status or touches a ledger row.

The charge run charges every active account in the database, not only the demo's: the demo
runs only in a demo database (``abonent demo`` refuses otherwise).
"""

from __future__ import annotations

import calendar
import datetime as dt
import zlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.utils import timezone

from abonent.accounts.models import Account, ApiToken
from abonent.accounts.services import account_create
from abonent.billing.models import EntryKind
from abonent.billing.services.addons import addon_connect
from abonent.billing.services.charging import charge_run
from abonent.billing.services.pause import account_pause
from abonent.billing.services.posting import ledger_post
from abonent.catalogue.models import Addon, Tariff
from abonent.core.phone import normalize_phone
from abonent.demo.people_data import DEFAULT_PASSWORD, OFFICE_CASH, SUBSCRIBERS
from abonent.leads.models import Lead, LeadStatus
from abonent.network.static_ip import static_ip_sync

ADDON_TIME = dt.time(20, 30)  # add-ons are connected in the cabinet in the evening
CHARGE_TIME = dt.time(0, 5)  # the daily charge, as the deploy/ timer and `abonent serve` run it
SIGN_TIME = dt.time(10, 0)  # contracts are signed in the office in the morning


@dataclass
class SubscriberLogin:
    """A demo subscriber and, when this run set it, the cabinet password."""

    contract: str
    holder_name: str
    status: str
    tariff: str
    balance_kop: int
    created: bool = False
    password: str | None = None


@dataclass
class DemoPayment:
    """One payment of a demo subscriber's history."""

    account_id: int
    day: dt.date
    at: dt.datetime
    amount_kop: int
    reason: str
    key: str
    by_cashier: bool


def demo_date(when: int | tuple[int, int], *, today: dt.date) -> dt.date:
    """``n`` days ago, or ``(months ago, day of month)`` with the day clamped to the month."""
    if isinstance(when, int):
        return today - dt.timedelta(days=when)
    months_ago, day = when
    index = today.year * 12 + today.month - 1 - months_ago
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _local(day: dt.date, time: dt.time) -> dt.datetime:
    """``day`` at ``time`` in the provider's time zone (fees follow its calendar)."""
    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _payment_time(key: str, day: dt.date) -> dt.time:
    """A plausible time of day for a payment (11:00–19:59), the same on every run."""
    spread = zlib.crc32(f"{key}:{day.isoformat()}".encode())
    return dt.time(11 + spread % 9, spread // 9 % 60)


def _lead_to_convert(spec: dict[str, Any]) -> int | None:
    """The demo request this contract comes from, while it can still become one."""
    if not spec.get("from_lead"):
        return None
    lead = Lead.objects.filter(
        phone=normalize_phone(spec["phone"]),
        status__in=[LeadStatus.SCHEDULED, LeadStatus.CONNECTED],
        account__isnull=True,
    ).first()
    return lead.pk if lead is not None else None


def _set_password(account: Account, raw: str, *, created: bool) -> None:
    """The demo password, ready to use (no forced change). A changed password ends the
    account's sessions and API tokens, as a reset by staff does."""
    if not account.must_change_password and check_password(raw, account.password):
        return
    account.password = make_password(raw)
    account.must_change_password = False
    fields = ["password", "must_change_password", "updated_at"]
    if not created:
        account.password_changed_at = timezone.now()
        account.auth_epoch += 1
        fields += ["password_changed_at", "auth_epoch"]
        ApiToken.objects.filter(account=account, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    account.save(update_fields=fields)


def _sign(spec: dict[str, Any], *, tariff: Tariff, manager: Any, today: dt.date) -> Account:
    """Sign the contract on the spec's start day; the account starts ``new`` with 0 ₽."""
    start = demo_date(spec["start"], today=today)
    account = account_create(
        actor=manager,
        holder_name=spec["holder_name"],
        address=spec["address"],
        building_type=spec["building_type"],
        phone=spec["phone"],
        email=spec.get("email", ""),
        tariff_id=tariff.pk,
        service_start=start,
        lead_id=_lead_to_convert(spec),
    ).account
    # The demo's key, and the signing moved to the start day (the account row only; money
    # is backdated by the services themselves).
    Account.objects.filter(pk=account.pk).update(
        legacy_contract=spec["key"], created_at=_local(start, SIGN_TIME)
    )
    return account


def demo_history_live(
    *, made: list[tuple[dict[str, Any], Account]], cashier: Any, now: dt.datetime
) -> int:
    """Live the history of the accounts just ``made`` through the billing services, day by day
    from the earliest start to today (see the module's docstring). Returns the days charged."""
    if not made:
        return 0
    today = timezone.localdate(now, ZoneInfo(settings.TIME_ZONE))
    payments: dict[dt.date, list[DemoPayment]] = defaultdict(list)
    pauses: dict[dt.date, list[tuple[int, int]]] = defaultdict(list)
    addons: dict[dt.date, list[tuple[int, str]]] = defaultdict(list)
    first = today
    for spec, account in made:
        first = min(first, demo_date(spec["start"], today=today))
        for when, amount_kop, reason in spec["payments"]:
            day = demo_date(when, today=today)
            at = min(_local(day, _payment_time(spec["key"], day)), now)
            payments[day].append(
                DemoPayment(
                    account_id=account.pk,
                    day=day,
                    at=at,
                    amount_kop=amount_kop,
                    reason=reason,
                    # the account's id too: a subscriber made again gets payments of its own
                    key=f"demo:{spec['key']}:{account.pk}:payment:{day.isoformat()}",
                    by_cashier=reason.startswith(OFFICE_CASH),
                )
            )
        for when, slug in spec.get("addons", []):
            addons[demo_date(when, today=today)].append((account.pk, slug))
        if spec.get("paused") is not None:
            when, days = spec["paused"]
            pauses[demo_date(when, today=today)].append((account.pk, days))

    day = first
    while day <= today:
        charge_run(day=day, at=min(_local(day, CHARGE_TIME), now))
        for payment in sorted(payments[day], key=lambda p: p.at):
            ledger_post(
                account_id=payment.account_id,
                kind=EntryKind.PAYMENT,
                amount_kop=payment.amount_kop,
                reason=payment.reason,
                key=payment.key,
                actor=cashier if payment.by_cashier else None,
                day=day,
                at=payment.at,
            )
        for account_id, days in pauses[day]:
            account_pause(account_id=account_id, days=days, today=day)
        for account_id, slug in addons[day]:
            addon_connect(
                account_id=account_id,
                addon_id=Addon.objects.get(slug=slug).pk,
                today=day,
                at=min(_local(day, ADDON_TIME), now),
            )
        day += dt.timedelta(days=1)
    return (today - first).days + 1


def demo_subscribers_ensure(
    *,
    tariffs: dict[str, Tariff],
    manager: Any,
    cashier: Any,
    password: str | None,
    now: dt.datetime | None = None,
) -> list[SubscriberLogin]:
    """A subscriber in every account status, found again by its ``DEMO-n`` key.

    A missing one is signed and its history lived up to ``now`` (default: the present); an
    existing one is left as it is (its money and status may have moved since), except that
    ``password`` is set on every one; without it a new account gets ``DEFAULT_PASSWORD`` and
    an existing one keeps its password (``SubscriberLogin.password`` is then ``None``).
    """
    now = now or timezone.now()
    today = timezone.localdate(now, ZoneInfo(settings.TIME_ZONE))
    keys = [spec["key"] for spec in SUBSCRIBERS]
    existing = set(
        Account.objects.filter(legacy_contract__in=keys).values_list("legacy_contract", flat=True)
    )
    made = [
        (spec, _sign(spec, tariff=tariffs[spec["tariff"]], manager=manager, today=today))
        for spec in SUBSCRIBERS
        if spec["key"] not in existing
    ]
    demo_history_live(made=made, cashier=cashier, now=now)
    # The add-ons' static IPs now (on commit, the add-on service syncs again: nothing left to do).
    static_ip_sync(day=today)

    accounts = {
        a.legacy_contract: a
        for a in Account.objects.select_related("tariff").filter(legacy_contract__in=keys)
    }
    logins: list[SubscriberLogin] = []
    for spec in SUBSCRIBERS:
        account = accounts[spec["key"]]
        created = spec["key"] not in existing
        new_password = password
        if new_password is None and (created or not account.has_usable_password):
            new_password = DEFAULT_PASSWORD
        if new_password is not None:
            _set_password(account, new_password, created=created)
        logins.append(
            SubscriberLogin(
                contract=account.contract,
                holder_name=account.holder_name,
                status=account.status,
                tariff=account.tariff.slug,
                balance_kop=account.balance_kop,
                created=created,
                password=new_password,
            )
        )
    return logins
