"""Property-based tests of the billing engine (hypothesis).

Random scenarios over a few accounts and a span of days: payments of random sizes (some
retried with the same key), charge runs for consecutive days (sometimes run again the same
day), tariff changes between monthly and daily tariffs, add-ons connected and disconnected,
pauses and resumes, promised payments, and corrections of either sign. Steps are applied in
date order through the services' ``today=`` / ``day=`` parameters, and after every step the
money invariants are checked (``check_invariants``; ``run_and_check`` adds those of a run).

Each example runs in a savepoint of the test's transaction (pytest-django's) that is rolled
back when the example ends, so every example starts from an empty ledger and the examples
never see each other's rows; hypothesis' example database is off so that no files appear in
the working tree. 40 examples by default (derandomized when ``CI=true``);
``ABONENT_PROPERTY_EXAMPLES=300`` searches harder.

The credit-limit invariant, exactly: a fee is only ever charged when ``balance + credit_limit``
covers it (every charge entry leaves ``balance_after + credit_limit >= 0``), so the engine never
takes an account below its limit. A negative correction is posted by staff unconditionally
and the engine does not block on it, so an *active* account may be below its limit only after
such a correction put it there; it stays active until money comes back, a pause ends or the
next charge run finds a fee due (which it then cannot pay: blocked). ``ledger_audit`` reports
such accounts, and the test accepts exactly those reports.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass, field

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Max
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from abonent.accounts.models import Account, AccountStatus
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import (
    AccountAddon,
    EntryKind,
    LedgerEntry,
    TariffChange,
    TariffChangeStatus,
)
from abonent.billing.periods import days_in_month, month_end, month_start, prorate
from abonent.billing.selectors import account_forecast
from abonent.billing.services.addons import addon_connect, addon_disconnect
from abonent.billing.services.audit import ledger_audit
from abonent.billing.services.charging import TARIFF_ITEM, addon_item, charge_run
from abonent.billing.services.pause import _part, account_pause, account_resume
from abonent.billing.services.posting import ledger_post
from abonent.billing.services.promised import promised_take
from abonent.billing.services.tariff_change import tariff_change_cancel, tariff_change_request
from abonent.catalogue.models import Addon, AddonPeriod, FeePeriod, Tariff
from abonent.catalogue.tests.factories import AddonFactory, TariffFactory
from abonent.core.errors import ApplicationError

pytestmark = pytest.mark.django_db

ACCOUNTS = 3
NOV1 = dt.date(2026, 11, 1)
DAY = dt.timedelta(days=1)
# Starts near month ends (a leap February among them) so that spans cross boundaries.
STARTS = [dt.date(2026, 1, 27), dt.date(2028, 2, 26), dt.date(2026, 4, 29), dt.date(2026, 12, 20)]
ENGINE = settings(
    max_examples=int(os.environ.get("ABONENT_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    database=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # No "explain" phase: it re-runs a failing example a hundred times to annotate it.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)

# --- scenarios -------------------------------------------------------------------------------

account_no = st.integers(0, ACCOUNTS - 1)
money = st.one_of(st.integers(1, 150_000), st.sampled_from([1, 100_000, 60_000, 2_000]))
operation = st.one_of(
    st.tuples(st.just("pay"), account_no, money),
    st.tuples(st.just("pay_twice"), account_no, money),
    st.tuples(st.just("correct"), account_no, st.integers(-90_000, 90_000).filter(bool)),
    st.tuples(st.just("change"), account_no, st.sampled_from(["month", "month2", "day"])),
    st.tuples(st.just("cancel_change"), account_no),
    st.tuples(st.just("connect"), account_no, st.sampled_from(list(AddonPeriod.values))),
    st.tuples(st.just("disconnect"), account_no, st.integers(0, 2)),
    st.tuples(st.just("pause"), account_no, st.integers(7, 12)),
    st.tuples(st.just("resume"), account_no),
    st.tuples(st.just("promise"), account_no),
    st.tuples(st.just("run_again"), st.just(0)),
)


@dataclass
class Scenario:
    """What one example does: the catalogue's prices, the accounts, the days and the steps."""

    start: dt.date
    days: int
    fees: dict[str, int]
    accounts: list[tuple[str, int, int]]  # (tariff key, first payment, credit limit)
    steps: list[tuple[int, tuple]]  # (day index, operation), in date order


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    days = draw(st.integers(1, 40))
    fees = {
        "month": draw(st.sampled_from([60_000, 59_999, 31_001, 100_000])),
        "month2": draw(st.sampled_from([45_000, 29_999])),
        "day": draw(st.sampled_from([2_000, 1_999, 3_333])),
        "addon_month": draw(st.sampled_from([15_000, 9_999])),
        "addon_day": draw(st.sampled_from([500, 777])),
        "addon_once": draw(st.sampled_from([30_000, 1])),
    }
    accounts = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["month", "month2", "day"]),
                st.sampled_from([0, 99_999, 100_000, 130_000, 180_000]) | money,
                st.sampled_from([0, 0, 20_000]),
            ),
            min_size=ACCOUNTS,
            max_size=ACCOUNTS,
        )
    )
    steps = draw(st.lists(st.tuples(st.integers(0, days - 1), operation), max_size=30))
    steps.sort(key=lambda step: step[0])  # stable: the order within a day is kept
    return Scenario(draw(st.sampled_from(STARTS)), days, fees, accounts, steps)


# --- the world of one example ----------------------------------------------------------------


@dataclass
class World:
    """The catalogue and accounts of one example, and what the test knows about them."""

    tariffs: dict[str, Tariff]
    addons: dict[str, Addon]
    ids: list[int]
    first_tariff: dict[int, Tariff]
    # Active accounts that a negative correction took below their credit limit.
    overdrawn: set[int] = field(default_factory=set)


def build_world(scenario: Scenario) -> World:
    fees = scenario.fees
    tariffs = {
        "month": TariffFactory(fee_kop=fees["month"], fee_period=FeePeriod.MONTH),
        "month2": TariffFactory(fee_kop=fees["month2"], fee_period=FeePeriod.MONTH),
        "day": TariffFactory(fee_kop=fees["day"], fee_period=FeePeriod.DAY),
    }
    addons = {
        period: AddonFactory(fee_kop=fees[f"addon_{period}"], period=period)
        for period in AddonPeriod.values
    }
    ids: list[int] = []
    first_tariff: dict[int, Tariff] = {}
    for key, _payment, credit in scenario.accounts:
        account = AccountFactory(
            status=AccountStatus.NEW,
            tariff=tariffs[key],
            credit_limit_kop=credit,
            service_start=scenario.start,
        )
        ids.append(account.pk)
        first_tariff[account.pk] = tariffs[key]
    return World(tariffs, addons, ids, first_tariff)


def held_items(account: Account, day: dt.date) -> list[tuple[str, int, str]]:
    """(item, fee, period) of everything the account holds on ``day`` that is charged by
    periods: its tariff and the monthly and daily add-ons open on that day."""
    items = [(TARIFF_ITEM, account.tariff.fee_kop, account.tariff.fee_period)]
    subscriptions = AccountAddon.objects.filter(account=account, started_on__lte=day).exclude(
        ends_on__lt=day
    )
    for sub in subscriptions.select_related("addon"):
        if sub.addon.period != AddonPeriod.ONCE:
            items.append((addon_item(sub.addon_id), sub.addon.fee_kop, sub.addon.period))
    return items


def unpaid_on(account: Account, day: dt.date) -> int:
    """What the account would have to pay to be in service on ``day``: every item it holds
    that no charge covers that day, monthly ones for the rest of the month (the test's own
    model of the rules, written apart from the engine)."""
    total = 0
    for item, fee, period in held_items(account, day):
        covered = LedgerEntry.objects.filter(
            account=account, item=item, period_start__lte=day, period_end__gte=day
        ).exists()
        if fee > 0 and not covered:
            total += prorate(fee, day, month_end(day)) if period == "month" else fee
    return total


def accounts_of(world: World) -> dict[int, Account]:
    return {a.pk: a for a in Account.objects.select_related("tariff").filter(pk__in=world.ids)}


def check_invariants(world: World, today: dt.date) -> None:
    """The money invariants that hold after every step."""
    accounts = accounts_of(world)
    for pk, account in accounts.items():
        if account.status != AccountStatus.ACTIVE or (
            account.balance_kop + account.credit_limit_kop >= 0
        ):
            world.overdrawn.discard(pk)
    # The audit finds nothing but the accounts a negative correction took below the limit.
    report = ledger_audit()
    allowed = {
        f"an active account is below its credit limit: {accounts[pk].contract}, "
        f"{accounts[pk].balance_kop}, {accounts[pk].credit_limit_kop}"
        for pk in world.overdrawn
    }
    assert set(report.problems) <= allowed, report.problems

    for pk, account in accounts.items():
        entries = list(LedgerEntry.objects.filter(account_id=pk).order_by("id"))
        # The cached balance is the sum of the ledger, and each entry's balance_after is the
        # running sum.
        running = 0
        for entry in entries:
            running += entry.amount_kop
            assert entry.balance_after_kop == running, entry
        assert account.balance_kop == running
        charges = [e for e in entries if e.item is not None]
        # No charge key twice; no day of service paid twice for one item.
        assert len({(c.item, c.period_start) for c in charges}) == len(charges)
        paid_days = Counter(
            (c.item, c.period_start + k * DAY)
            for c in charges
            for k in range((c.period_end - c.period_start).days + 1)
        )
        assert not [key for key, n in paid_days.items() if n > 1]
        # An add-on is charged only for days it is connected.
        spans: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
        for sub in AccountAddon.objects.filter(account_id=pk):
            spans.setdefault(addon_item(sub.addon_id), []).append((sub.started_on, sub.ends_on))
        for (item, day), _n in paid_days.items():
            if item != TARIFF_ITEM:
                assert any(a <= day and (b is None or day <= b) for a, b in spans[item]), (
                    account.contract,
                    item,
                    day,
                )
        # A fee is charged only when balance + credit limit covers it.
        for charge in charges:
            assert charge.amount_kop < 0
            assert charge.balance_after_kop + account.credit_limit_kop >= 0, charge
        if account.status == AccountStatus.ACTIVE:
            # In service today: everything it holds is paid for today...
            assert unpaid_on(account, today) == 0, (account.contract, today)
            # ...and it is not below its limit, unless a correction put it there.
            if account.balance_kop + account.credit_limit_kop < 0:
                assert pk in world.overdrawn, (account.contract, account.balance_kop)


def settled_at_once(world: World, account_id: int, day: dt.date) -> None:
    """After money came in, a blocked or new account that still waits could not start."""
    account = Account.objects.select_related("tariff").get(pk=account_id)
    if account.status == AccountStatus.BLOCKED:
        assert account.balance_kop + account.credit_limit_kop < unpaid_on(account, day)
    elif account.status == AccountStatus.NEW:
        assert (
            account.balance_kop < django_settings.ABONENT_CONNECTION_DEPOSIT_KOP
            or account.balance_kop + account.credit_limit_kop < unpaid_on(account, day)
        )


def run_and_check(world: World, day: dt.date, *, again: bool = False) -> None:
    """A charge run for ``day`` and what must hold of what it did."""
    before = accounts_of(world)
    last_id = LedgerEntry.objects.aggregate(last=Max("id"))["last"] or 0
    result = charge_run(day=day, batch_size=2)
    after = accounts_of(world)
    new_charges = list(LedgerEntry.objects.filter(id__gt=last_id, item__isnull=False))
    if again:
        # The same day once more: nothing is charged twice, nobody is blocked for it.
        assert (result.charges, result.blocked_accounts, new_charges) == (0, 0, [])
    charged: dict[int, list[LedgerEntry]] = {}
    for charge in new_charges:
        assert charge.period_start == day
        charged.setdefault(charge.account_id, []).append(charge)
    for pk, charges in charged.items():
        # Those charged could pay all that was due, and are in service.
        account = after[pk]
        assert account.status == AccountStatus.ACTIVE
        lowest = min(c.balance_after_kop for c in charges)
        assert lowest + account.credit_limit_kop >= 0
    for pk, account in after.items():
        if (
            before[pk].status in (AccountStatus.ACTIVE, AccountStatus.SUSPENDED)
            and account.status == AccountStatus.BLOCKED
        ):
            # Those the run blocked could not cover what was due for the day (after a promised
            # payment expired, that can be nothing at all while below the limit).
            assert account.balance_kop + account.credit_limit_kop < unpaid_on(account, day)
            assert pk not in charged


def tariff_on(world: World, account_id: int, day: dt.date) -> Tariff:
    """The tariff an account had on ``day``, from its applied changes."""
    tariff = world.first_tariff[account_id]
    for change in TariffChange.objects.filter(
        account_id=account_id, status=TariffChangeStatus.APPLIED, effective_on__lte=day
    ).order_by("effective_on", "id"):
        tariff = change.to_tariff
    return tariff


def check_proration(world: World) -> None:
    """Every charge is the prorated fee of the days it covers, and over a whole month in
    which a monthly tariff was paid for every day the charges add up to exactly the fee."""
    addon_fees = {addon_item(a.pk): a for a in Addon.objects.all()}
    for pk in world.ids:
        tariff_charges = []
        for charge in LedgerEntry.objects.filter(account_id=pk, item__isnull=False):
            start, end = charge.period_start, charge.period_end
            if charge.item == TARIFF_ITEM:
                tariff_charges.append(charge)
                tariff = tariff_on(world, pk, start)
                fee, period = tariff.fee_kop, tariff.fee_period
            else:
                fee, period = addon_fees[charge.item].fee_kop, addon_fees[charge.item].period
            if period == "month":
                assert end == month_end(start)
                assert -charge.amount_kop == prorate(fee, start, end), charge
            elif period == "day":
                assert (end, -charge.amount_kop) == (start, fee), charge
            else:
                assert (end, -charge.amount_kop) == (start, fee), charge
        months = {month_start(c.period_start) for c in tariff_charges}
        for first in months:
            last = month_end(first)
            tariffs = {tariff_on(world, pk, first + k * DAY).pk for k in range(last.day)}
            if len(tariffs) != 1 or tariff_on(world, pk, first).fee_period != "month":
                continue
            in_month = [c for c in tariff_charges if first <= c.period_start <= last]
            covered = sum((c.period_end - c.period_start).days + 1 for c in in_month)
            if covered == days_in_month(first):
                assert -sum(c.amount_kop for c in in_month) == tariff_on(world, pk, first).fee_kop


# --- applying an operation -------------------------------------------------------------------


def apply(world: World, op: tuple, day: dt.date, serial: int) -> None:
    name, index, *args = op
    account_id = world.ids[index]
    if name == "run_again":
        run_and_check(world, day, again=True)
        return
    try:
        if name in ("pay", "pay_twice"):
            key = f"test-pay:{serial}"
            first = ledger_post(
                account_id=account_id, kind=EntryKind.PAYMENT, amount_kop=args[0], key=key, day=day
            )
            if name == "pay_twice":  # a gateway's duplicate webhook
                again = ledger_post(
                    account_id=account_id,
                    kind=EntryKind.PAYMENT,
                    amount_kop=args[0],
                    key=key,
                    day=day,
                )
                assert again.pk == first.pk
            assert LedgerEntry.objects.filter(key=key).count() == 1
            settled_at_once(world, account_id, day)
        elif name == "correct":
            ledger_post(
                account_id=account_id,
                kind=EntryKind.CORRECTION,
                amount_kop=args[0],
                reason="property test",
                day=day,
            )
            account = Account.objects.get(pk=account_id)
            if args[0] < 0 and account.status == AccountStatus.ACTIVE:
                if account.balance_kop + account.credit_limit_kop < 0:
                    world.overdrawn.add(account_id)
            if args[0] > 0:
                settled_at_once(world, account_id, day)
        elif name == "change":
            tariff_change_request(
                account_id=account_id, to_tariff_id=world.tariffs[args[0]].pk, today=day
            )
        elif name == "cancel_change":
            tariff_change_cancel(account_id=account_id)
        elif name == "connect":
            addon_connect(account_id=account_id, addon_id=world.addons[args[0]].pk, today=day)
        elif name == "disconnect":
            open_ = AccountAddon.objects.filter(account_id=account_id, ends_on__isnull=True)
            subscriptions = list(open_.order_by("id"))
            if subscriptions:
                sub = subscriptions[args[0] % len(subscriptions)]
                addon_disconnect(account_id=account_id, subscription_id=sub.pk, today=day)
        elif name == "pause":
            account_pause(account_id=account_id, days=args[0], today=day)
        elif name == "resume":
            account_resume(account_id=account_id, today=day)
        elif name == "promise":
            account = Account.objects.select_related("tariff").get(pk=account_id)
            days_left = account_forecast(account=account, today=day).days_left
            promised_take(account_id=account_id, days_left=days_left, today=day)
            settled_at_once(world, account_id, day)
        else:  # pragma: no cover - a typo in the strategy
            raise AssertionError(name)
    except ApplicationError:
        pass  # a refusal (not enough money, not active, …) changes nothing


@ENGINE
@given(scenario=scenarios())
def test_random_operations_keep_the_money_right(scenario: Scenario) -> None:
    with transaction.atomic():
        world = build_world(scenario)
        steps = iter(scenario.steps)
        step = next(steps, None)
        serial = 0
        for index in range(scenario.days):
            day = scenario.start + index * DAY
            run_and_check(world, day)
            check_invariants(world, day)
            if index == 0:  # the first payments: the deposit, or not quite
                for number, (_key, payment, _credit) in enumerate(scenario.accounts):
                    if payment:
                        serial += 1
                        apply(world, ("pay", number, payment), day, serial)
                        check_invariants(world, day)
            while step is not None and step[0] == index:
                serial += 1
                apply(world, step[1], day, serial)
                check_invariants(world, day)
                step = next(steps, None)
        check_proration(world)
        transaction.set_rollback(True)


def test_a_change_from_daily_to_monthly_pays_the_rest_of_the_month() -> None:
    """Found by the test above: a daily account that moved to a monthly tariff in the middle
    of a month was served free until the 1st (the run charged monthly fees only on the 1st)."""
    daily = TariffFactory(fee_kop=2_000, fee_period=FeePeriod.DAY)
    monthly = TariffFactory(fee_kop=60_000, fee_period=FeePeriod.MONTH, kind=daily.kind)
    account = AccountFactory(tariff=daily, status=AccountStatus.NEW)
    ledger_post(
        account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=100_000, day=dt.date(2026, 11, 14)
    )
    tariff_change_request(
        account_id=account.pk, to_tariff_id=monthly.pk, today=dt.date(2026, 11, 14)
    )
    for day in range(15, 18):
        charge_run(day=dt.date(2026, 11, day))
    fees = LedgerEntry.objects.filter(account=account, item=TARIFF_ITEM).order_by("period_start")
    assert [(f.period_start.day, f.period_end.day, -f.amount_kop) for f in fees] == [
        (14, 14, 2_000),
        (15, 30, prorate(60_000, dt.date(2026, 11, 15), dt.date(2026, 11, 30))),
    ]
    assert ledger_audit().ok
    charge_run(day=dt.date(2026, 12, 1))
    assert list(fees.all().values_list("amount_kop", flat=True))[-1] == -60_000


def test_an_add_on_disconnected_while_blocked_is_not_charged_past_its_end() -> None:
    """Found by the test above: a blocked subscriber disconnected a monthly add-on (it ended
    today, though nothing paid for today) and then paid: the settlement charged the add-on up
    to the end of the month all the same, so disconnecting did not lower what unblocks."""
    account = AccountFactory(tariff=TariffFactory(fee_kop=60_000), status=AccountStatus.NEW)
    tv = AddonFactory(fee_kop=30_000, period=AddonPeriod.MONTH)
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=100_000, day=NOV1)
    addon_connect(account_id=account.pk, addon_id=tv.pk, today=NOV1)
    charge_run(day=dt.date(2026, 12, 1))  # 10 000 left: blocked
    day = dt.date(2026, 12, 11)
    sub = AccountAddon.objects.get(account=account)
    addon_disconnect(account_id=account.pk, subscription_id=sub.pk, today=day)
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=50_000, day=day)
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    assert not LedgerEntry.objects.filter(account=account, item=addon_item(tv.pk), period_start=day)
    assert account.balance_kop == 60_000 - prorate(60_000, day, dt.date(2026, 12, 31))
    # Connected again the same day, it is a new subscription paid at once.
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=10_000, day=day)
    addon_connect(account_id=account.pk, addon_id=tv.pk, today=day)
    [charge] = LedgerEntry.objects.filter(account=account, item=addon_item(tv.pk), period_start=day)
    assert charge.amount_kop == -prorate(30_000, day, dt.date(2026, 12, 31))


# --- the arithmetic under it ------------------------------------------------------------------


@settings(max_examples=200, deadline=None, database=None)
@given(
    fee=st.integers(0, 10_000_000),
    month=st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 1)).map(month_start),
    cuts=st.sets(st.integers(2, 31), max_size=8),
)
def test_prorated_parts_of_a_month_add_up_to_the_fee(fee: int, month: dt.date, cuts) -> None:
    """However a month is cut into consecutive spans, their prorated parts sum to the fee,
    and the pause refund's share of a whole-month charge is the same proration."""
    last = month_end(month)
    starts = [month] + sorted(month.replace(day=d) for d in cuts if d <= last.day)
    spans = [
        (start, (starts[i + 1] - DAY) if i + 1 < len(starts) else last)
        for i, start in enumerate(starts)
    ]
    parts = [prorate(fee, a, b) for a, b in spans]
    assert sum(parts) == fee and all(p >= 0 for p in parts)
    assert [_part(fee, month, last, a, b) for a, b in spans] == parts


@settings(max_examples=200, deadline=None, database=None)
@given(
    amount=st.integers(1, 10_000_000),
    start=st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31)),
    cuts=st.sets(st.integers(1, 30), max_size=6),
)
def test_pause_refund_shares_of_a_charge_add_up(amount: int, start: dt.date, cuts) -> None:
    """The shares of a charge (any span within a month) that pauses refund add up to it."""
    end = month_end(start)
    length = (end - start).days + 1
    edges = sorted({0, length} | {c for c in cuts if c < length})
    shares = [
        _part(amount, start, end, start + a * DAY, start + (b - 1) * DAY)
        for a, b in zip(edges, edges[1:], strict=False)
    ]
    assert sum(shares) == amount and all(s >= 0 for s in shares)
