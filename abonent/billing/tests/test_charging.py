"""The charge run and settlement: fees, proration, blocking, unblocking, tariff changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from abonent.accounts.models import Account, AccountStatus
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import (
    AccountAddon,
    EntryKind,
    LedgerEntry,
    TariffChange,
    TariffChangeStatus,
)
from abonent.billing.periods import prorate
from abonent.billing.services.audit import ledger_audit
from abonent.billing.services.charging import charge_run
from abonent.billing.services.posting import ledger_post
from abonent.catalogue.models import AddonPeriod, FeePeriod
from abonent.catalogue.tests.factories import AddonFactory, TariffFactory

pytestmark = pytest.mark.django_db
NOV1 = dt.date(2026, 11, 1)


def account_with(balance: int, *, fee: int = 50_000, period: str = FeePeriod.MONTH, **kw):
    account = AccountFactory(
        tariff=TariffFactory(fee_kop=fee, fee_period=period), status=AccountStatus.ACTIVE, **kw
    )
    if balance:
        ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=balance, settle=False)
    account.refresh_from_db()
    return account


def fees(account: Account) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(account=account, item__isnull=False).order_by("id"))


def assert_audit_ok() -> None:
    report = ledger_audit()
    assert report.ok, report.problems


def test_monthly_fee_on_the_first_once() -> None:
    account = account_with(60_000)
    result = charge_run(day=NOV1)
    assert (result.charges, result.charged_accounts, result.total_kop) == (1, 1, 50_000)
    again = charge_run(day=NOV1)
    assert again.charges == 0
    account.refresh_from_db()
    assert account.balance_kop == 10_000
    [fee] = fees(account)
    assert fee.amount_kop == -50_000 and fee.balance_after_kop == 10_000
    assert (fee.period_start, fee.period_end) == (NOV1, dt.date(2026, 11, 30))
    assert charge_run(day=dt.date(2026, 11, 2)).charges == 0
    assert_audit_ok()


def test_daily_fee_every_day() -> None:
    account = account_with(10_000, fee=2_500, period=FeePeriod.DAY)
    for day in range(1, 5):
        charge_run(day=dt.date(2026, 11, day))
        charge_run(day=dt.date(2026, 11, day))
    account.refresh_from_db()
    assert account.balance_kop == 0 and account.status == AccountStatus.ACTIVE
    charge_run(day=dt.date(2026, 11, 5))
    account.refresh_from_db()
    assert account.status == AccountStatus.BLOCKED and account.balance_kop == 0
    assert len(fees(account)) == 4
    assert_audit_ok()


def test_short_of_money_is_blocked_and_not_charged() -> None:
    account = account_with(49_999)
    result = charge_run(day=NOV1)
    assert result.blocked_accounts == 1 and result.charges == 0
    account.refresh_from_db()
    assert account.status == AccountStatus.BLOCKED and account.balance_kop == 49_999


def test_credit_limit_counts() -> None:
    account = account_with(40_000, credit_limit_kop=10_000)
    charge_run(day=NOV1)
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE and account.balance_kop == -10_000
    assert_audit_ok()


def test_tariff_and_addons_are_paid_together_or_not_at_all() -> None:
    account = account_with(60_000)
    monthly = AddonFactory(fee_kop=15_000, period=AddonPeriod.MONTH)
    daily = AddonFactory(fee_kop=1_000, period=AddonPeriod.DAY)
    for addon in (monthly, daily):
        AccountAddon.objects.create(account=account, addon=addon, started_on=NOV1)
    charge_run(day=NOV1)
    account.refresh_from_db()
    assert account.status == AccountStatus.BLOCKED and account.balance_kop == 60_000
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=10_000, day=NOV1)
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    assert account.balance_kop == 70_000 - 50_000 - 15_000 - 1_000
    assert {f.item for f in fees(account)} == {"tariff", f"addon:{monthly.pk}", f"addon:{daily.pk}"}
    assert_audit_ok()


def test_new_account_starts_with_the_deposit_and_pays_prorated(settings) -> None:
    settings.ABONENT_CONNECTION_DEPOSIT_KOP = 100_000
    account = AccountFactory(status=AccountStatus.NEW, tariff=TariffFactory(fee_kop=60_000))
    day = dt.date(2026, 11, 21)
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=99_999, day=day)
    account.refresh_from_db()
    assert account.status == AccountStatus.NEW
    assert charge_run(day=dt.date(2026, 12, 1)).charges == 0  # new accounts are never charged
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=1, day=day)
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    [fee] = fees(account)
    assert fee.amount_kop == -prorate(60_000, day, dt.date(2026, 11, 30)) == -20_000
    assert (fee.period_start, fee.period_end) == (day, dt.date(2026, 11, 30))
    charge_run(day=dt.date(2026, 12, 1))
    account.refresh_from_db()
    assert account.balance_kop == 100_000 - 20_000 - 60_000
    assert_audit_ok()


def test_payment_unblocks_at_once_with_the_rest_of_the_month() -> None:
    account = account_with(10_000, fee=30_000)
    charge_run(day=NOV1)
    day = dt.date(2026, 11, 11)
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=5_000, day=day)
    account.refresh_from_db()
    assert account.status == AccountStatus.BLOCKED  # 150 ₽ does not cover 20 days of 300 ₽
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=10_000, day=day)
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    assert account.balance_kop == 25_000 - 20_000
    charge_run(day=dt.date(2026, 11, 12))
    assert len(fees(account)) == 1
    assert_audit_ok()


def test_tariff_change_applies_at_the_boundary_before_charging() -> None:
    account = account_with(200_000)
    cheaper = TariffFactory(fee_kop=30_000)
    TariffChange.objects.create(
        account=account,
        from_tariff=account.tariff,
        to_tariff=cheaper,
        status=TariffChangeStatus.PENDING,
        effective_on=dt.date(2026, 12, 1),
    )
    charge_run(day=NOV1)
    account.refresh_from_db()
    assert account.balance_kop == 150_000
    result = charge_run(day=dt.date(2026, 12, 1))
    assert result.tariff_changes == 1
    account.refresh_from_db()
    assert account.tariff == cheaper and account.balance_kop == 120_000
    assert TariffChange.objects.get().status == TariffChangeStatus.APPLIED


def test_suspended_closed_and_new_pay_nothing() -> None:
    for status in (AccountStatus.SUSPENDED, AccountStatus.CLOSED, AccountStatus.NEW):
        account = account_with(100_000)
        Account.objects.filter(pk=account.pk).update(status=status)
    assert charge_run(day=NOV1).charges == 0
    assert set(Account.objects.values_list("balance_kop", flat=True)) == {100_000}


def test_many_accounts_across_batches() -> None:
    accounts = [account_with(60_000 if i % 3 else 100) for i in range(23)]
    result = charge_run(day=NOV1, batch_size=4)
    assert result.batches >= 6
    assert result.charged_accounts == sum(1 for i in range(23) if i % 3)
    assert result.blocked_accounts == sum(1 for i in range(23) if not i % 3)
    assert charge_run(day=NOV1, batch_size=7).charges == 0
    assert len(accounts) == 23
    assert_audit_ok()


def test_charge_command_prints_a_summary_and_refuses_bad_dates(capsys) -> None:
    account_with(60_000)
    call_command("charge", "--date", "2026-11-01")
    assert "charged 1 accounts" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("charge", "--date", "01.11.2026")


def test_audit_finds_a_tampered_balance(capsys) -> None:
    account = account_with(60_000)
    Account.objects.filter(pk=account.pk).update(balance_kop=1)
    report = ledger_audit()
    assert not report.ok and "sum of the ledger" in report.problems[0]
    with pytest.raises(SystemExit) as exit_:
        call_command("audit")
    assert exit_.value.code == 1
