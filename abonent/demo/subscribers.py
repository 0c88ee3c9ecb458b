"""Demo subscribers: accounts in every status, with a few months of plausible money history.

An account is made by ``accounts.services.account_create`` (the demo manager signs it) and found
again by its ``legacy_contract`` (the spec's ``DEMO-n`` key), so a re-run keeps the same
accounts and contract numbers. Money moves only through ``billing.services.posting.ledger_post``
with a natural key per payment and per charged period, so it is never posted twice and the
balance always equals the ledger's sum.

The history is planned here by a small replay of DESIGN.md's money rules (fees prepaid, the
first month prorated, no fee and ``blocked`` when the balance does not cover it, the deposit
turns ``new`` into ``active``, no fees while paused). It stands in for billing's charge run and
status logic, which come in a later issue: the demo then sets the status itself and should
switch to those services. Until then ``abonent charge`` would not know the demo's fees.
"""

from __future__ import annotations

import calendar
import datetime as dt
import inspect
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.utils import timezone

from abonent.accounts.models import Account, AccountStatus, ApiToken
from abonent.accounts.services import account_create
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.billing.services.posting import ledger_post
from abonent.catalogue.models import Tariff
from abonent.core.phone import normalize_phone
from abonent.demo.people_data import DEFAULT_PASSWORD, OFFICE_CASH, SUBSCRIBERS
from abonent.leads.models import Lead, LeadStatus

# Billing's charge run (being written) makes ``ledger_post`` settle an account when money comes
# in: start a ``new`` one, charge the rest of the period. The demo replays its own history, so it
# asks ``ledger_post`` not to when it can. Once the charge run has landed, the demo should make
# its fees through it (they would then carry the charge's natural key) and drop this.
_NO_SETTLE: dict[str, Any] = (
    {"settle": False} if "settle" in inspect.signature(ledger_post).parameters else {}
)

MONTHS = "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь".split()


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
class Posting:
    """One planned ledger entry."""

    when: dt.datetime
    kind: str
    amount_kop: int
    reason: str
    key: str


def demo_date(when: int | tuple[int, int], *, today: dt.date) -> dt.date:
    """``n`` days ago, or ``(months ago, day of month)`` with the day clamped to the month."""
    if isinstance(when, int):
        return today - dt.timedelta(days=when)
    months_ago, day = when
    index = today.year * 12 + today.month - 1 - months_ago
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _days_in_month(day: dt.date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _period_fee(tariff: Tariff, day: dt.date, *, key: str) -> Posting:
    """The fee for the period that ``day`` falls in, prorated from ``day`` for a month."""
    if tariff.fee_period == "day":
        return Posting(
            when=_at(day, 0, 5),
            kind=EntryKind.FEE,
            amount_kop=-tariff.fee_kop,
            reason=f"Абонентская плата за {day:%d.%m.%Y}, тариф «{tariff.name}»",
            key=f"demo:{key}:fee:{day.isoformat()}",
        )
    days = _days_in_month(day)
    left = days - day.day + 1
    reason = f"Абонентская плата за {MONTHS[day.month - 1]} {day.year}, тариф «{tariff.name}»"
    if left < days:
        reason += f" (с {day:%d.%m}, {left} из {days} дн.)"
    return Posting(
        when=_at(day, 0, 5),
        kind=EntryKind.FEE,
        amount_kop=-(tariff.fee_kop * left // days),
        reason=reason,
        key=f"demo:{key}:fee:{day.isoformat()}",
    )


def demo_money_plan(
    spec: dict[str, Any], *, tariff: Tariff, now: dt.datetime
) -> tuple[list[Posting], str]:
    """The entries a subscriber's payments lead to under the money rules, and the status.

    Events later than ``now`` are left out.
    """
    today = timezone.localdate(now)
    key = spec["key"]
    deposit = settings.ABONENT_CONNECTION_DEPOSIT_KOP
    events: list[tuple[dt.datetime, int, str, Any]] = []
    for when, amount_kop, reason in spec["payments"]:
        day = demo_date(when, today=today)
        events.append((_at(day, 12), 1, "payment", (day, amount_kop, reason)))
    if spec.get("paused") is not None:
        events.append((_at(demo_date(spec["paused"], today=today), 10), 0, "pause", None))
    start = demo_date(spec["start"], today=today)
    day = start + dt.timedelta(days=1)
    while day <= today:
        if tariff.fee_period == "day" or day.day == 1:
            events.append((_at(day, 0, 5), 0, "period", day))
        day += dt.timedelta(days=1)
    events.sort(key=lambda event: (event[0], event[1]))

    postings: list[Posting] = []
    status = AccountStatus.NEW
    balance = 0

    def charge(fee: Posting, when: dt.datetime) -> None:
        nonlocal balance
        fee.when = when
        postings.append(fee)
        balance += fee.amount_kop

    for when, _order, what, data in events:
        if when > now:
            continue
        if what == "payment":
            day, amount_kop, reason = data
            postings.append(
                Posting(
                    when=when,
                    kind=EntryKind.PAYMENT,
                    amount_kop=amount_kop,
                    reason=reason,
                    key=f"demo:{key}:payment:{day.isoformat()}",
                )
            )
            balance += amount_kop
            fee = _period_fee(tariff, day, key=key)
            opens = status == AccountStatus.NEW and balance >= deposit
            unblocks = status == AccountStatus.BLOCKED and balance + fee.amount_kop >= 0
            if opens or unblocks:
                # the deposit opens access (or a payment lifts a block) and pays the rest of
                # the current period at once
                status = AccountStatus.ACTIVE
                charge(fee, when + dt.timedelta(minutes=1))
        elif what == "pause":
            status = AccountStatus.SUSPENDED
        elif status in (AccountStatus.ACTIVE, AccountStatus.BLOCKED):
            fee = _period_fee(tariff, data, key=key)
            if balance + fee.amount_kop >= 0:
                status = AccountStatus.ACTIVE
                charge(fee, when)
            else:
                status = AccountStatus.BLOCKED
    return postings, status


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


def _create(spec: dict[str, Any], *, tariff: Tariff, manager: Any, cashier: Any) -> Account:
    """Sign the contract, replay the money, set the status; dates are moved to the past."""
    now = timezone.localtime()
    start = demo_date(spec["start"], today=now.date())
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
    postings, _status = demo_money_plan(spec, tariff=tariff, now=now)
    for posting in postings:
        entry = ledger_post(
            **_NO_SETTLE,
            account_id=account.pk,
            kind=posting.kind,
            amount_kop=posting.amount_kop,
            reason=posting.reason,
            key=posting.key,
            actor=cashier if posting.reason.startswith(OFFICE_CASH) else None,
        )
        if entry.account_id != account.pk:
            raise RuntimeError(f"demo ledger key {posting.key} belongs to another account")
        # Demo only: the entry is the one just posted, and only its time moves (to when it
        # would have happened), so the history reads like months of service.
        LedgerEntry.objects.filter(pk=entry.pk).update(created_at=posting.when)
    # Billing's status logic comes in a later issue; until then the demo sets the status itself.
    # The plan's status is the same (the tests check) but for the first minutes of a month,
    # before that month's fee is due; the spec's keeps every status in the demo.
    Account.objects.filter(pk=account.pk).update(
        status=spec["expect"], legacy_contract=spec["key"], created_at=_at(start, 10)
    )
    account.refresh_from_db()
    return account


def demo_subscribers_ensure(
    *, tariffs: dict[str, Tariff], manager: Any, cashier: Any, password: str | None
) -> list[SubscriberLogin]:
    """A subscriber in every account status, found again by its ``DEMO-n`` key.

    An existing one is left as it is (its money and status may have moved since), except that
    ``password`` is set on every one; without it a new account gets ``DEFAULT_PASSWORD`` and an
    existing one keeps its password (``SubscriberLogin.password`` is then ``None``).
    """
    logins: list[SubscriberLogin] = []
    for spec in SUBSCRIBERS:
        account = (
            Account.objects.select_related("tariff").filter(legacy_contract=spec["key"]).first()
        )
        created = account is None
        if account is None:
            account = _create(
                spec, tariff=tariffs[spec["tariff"]], manager=manager, cashier=cashier
            )
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
