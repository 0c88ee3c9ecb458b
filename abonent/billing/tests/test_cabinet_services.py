"""The subscriber-facing billing services: tariff changes, add-ons, pause, promised payment,
and the forecast of the next charge."""

from __future__ import annotations

import datetime as dt

import pytest

from abonent.accounts.models import AccountStatus
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import (
    AccountAddon,
    EntryKind,
    LedgerEntry,
    PromisedPayment,
    PromisedStatus,
    TariffChangeStatus,
)
from abonent.billing.selectors import account_forecast
from abonent.billing.services.addons import addon_connect, addon_disconnect
from abonent.billing.services.audit import ledger_audit
from abonent.billing.services.charging import charge_run
from abonent.billing.services.pause import account_pause, account_resume
from abonent.billing.services.posting import ledger_post
from abonent.billing.services.promised import promised_take
from abonent.billing.services.tariff_change import (
    tariff_change_cancel,
    tariff_change_decide,
    tariff_change_request,
)
from abonent.catalogue.models import AddonPeriod, FeePeriod
from abonent.catalogue.tests.factories import AddonFactory, TariffFactory
from abonent.core.errors import ApplicationError, NotFound

pytestmark = pytest.mark.django_db
NOV1 = dt.date(2026, 11, 1)


def active(balance: int, fee: int = 60_000, period: str = FeePeriod.MONTH, **kw):
    account = AccountFactory(
        status=AccountStatus.ACTIVE, tariff=TariffFactory(fee_kop=fee, fee_period=period), **kw
    )
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=balance, settle=False)
    account.refresh_from_db()
    return account


def audit_ok() -> None:
    report = ledger_audit()
    assert report.ok, report.problems


class TestTariffChange:
    def test_request_applies_on_the_first_of_next_month(self) -> None:
        account = active(200_000)
        target = TariffFactory(fee_kop=40_000, kind=account.tariff.kind)
        change = tariff_change_request(
            account_id=account.pk, to_tariff_id=target.pk, today=dt.date(2026, 11, 15)
        )
        assert change.effective_on == dt.date(2026, 12, 1)
        assert change.status == TariffChangeStatus.PENDING
        charge_run(day=dt.date(2026, 12, 1))
        account.refresh_from_db()
        assert account.tariff == target and account.balance_kop == 160_000

    def test_daily_moves_next_day_and_can_be_cancelled(self) -> None:
        account = active(10_000, fee=2_000, period=FeePeriod.DAY)
        monthly = TariffFactory(fee_kop=50_000, kind=account.tariff.kind)
        change = tariff_change_request(
            account_id=account.pk, to_tariff_id=monthly.pk, today=dt.date(2026, 11, 15)
        )
        assert change.effective_on == dt.date(2026, 11, 16)
        tariff_change_cancel(account_id=account.pk)
        change.refresh_from_db()
        assert change.status == TariffChangeStatus.CANCELLED
        with pytest.raises(NotFound):
            tariff_change_cancel(account_id=account.pk)

    def test_other_service_kind_or_building_is_refused(self) -> None:
        account = active(10_000)
        from abonent.catalogue.tests.factories import ServiceKindFactory

        tv = TariffFactory(kind=ServiceKindFactory(slug="tv", category="tv"))
        house = TariffFactory(kind=account.tariff.kind, building_type="house")
        for tariff in (tv, house, account.tariff):
            with pytest.raises(ApplicationError) as err:
                tariff_change_request(account_id=account.pk, to_tariff_id=tariff.pk)
            assert err.value.field == "tariff_id"

    def test_needs_approval_waits_for_staff(self, admin_user) -> None:
        account = active(500_000)
        giga = TariffFactory(kind=account.tariff.kind, needs_approval=True, fee_kop=100_000)
        change = tariff_change_request(
            account_id=account.pk, to_tariff_id=giga.pk, today=dt.date(2026, 11, 15)
        )
        assert change.status == TariffChangeStatus.AWAITING_APPROVAL
        charge_run(day=dt.date(2026, 12, 1))
        account.refresh_from_db()
        assert account.tariff != giga
        with pytest.raises(ApplicationError):
            tariff_change_decide(change_id=change.pk, actor=admin_user, approve=False)
        approved = tariff_change_decide(
            change_id=change.pk, actor=admin_user, approve=True, today=dt.date(2026, 12, 3)
        )
        assert approved.effective_on == dt.date(2027, 1, 1)
        charge_run(day=dt.date(2027, 1, 1))
        account.refresh_from_db()
        assert account.tariff == giga


class TestAddons:
    def test_connect_pays_the_rest_of_the_month_and_disconnect_ends_with_it(self) -> None:
        account = active(100_000)
        addon = AddonFactory(fee_kop=30_000, period=AddonPeriod.MONTH, kind=account.tariff.kind)
        sub = addon_connect(account_id=account.pk, addon_id=addon.pk, today=dt.date(2026, 11, 21))
        account.refresh_from_db()
        assert account.balance_kop == 100_000 - 10_000
        with pytest.raises(ApplicationError) as err:
            addon_connect(account_id=account.pk, addon_id=addon.pk, today=dt.date(2026, 11, 21))
        assert err.value.code == "duplicate"
        ended = addon_disconnect(
            account_id=account.pk, subscription_id=sub.pk, today=dt.date(2026, 11, 22)
        )
        assert ended.ends_on == dt.date(2026, 11, 30)
        charge_run(day=dt.date(2026, 12, 1))
        assert not LedgerEntry.objects.filter(
            period_start=dt.date(2026, 12, 1), item=f"addon:{addon.pk}"
        ).exists()
        audit_ok()

    def test_reconnecting_a_leaving_addon_keeps_it_without_paying_twice(self) -> None:
        account = active(100_000)
        addon = AddonFactory(fee_kop=30_000, kind=account.tariff.kind)
        sub = addon_connect(account_id=account.pk, addon_id=addon.pk, today=dt.date(2026, 11, 21))
        addon_disconnect(account_id=account.pk, subscription_id=sub.pk, today=dt.date(2026, 11, 21))
        again = addon_connect(account_id=account.pk, addon_id=addon.pk, today=dt.date(2026, 11, 25))
        assert again.pk == sub.pk and again.ends_on is None
        assert LedgerEntry.objects.filter(item=f"addon:{addon.pk}").count() == 1

    def test_not_enough_money_connects_nothing(self) -> None:
        account = active(1_000)
        addon = AddonFactory(fee_kop=300_000, period=AddonPeriod.ONCE, kind=account.tariff.kind)
        with pytest.raises(ApplicationError) as err:
            addon_connect(account_id=account.pk, addon_id=addon.pk)
        assert err.value.code == "insufficient_funds"
        assert not AccountAddon.objects.exists()

    def test_someone_elses_subscription_is_not_found(self) -> None:
        mine, other = active(100_000), active(100_000)
        addon = AddonFactory(fee_kop=1_000, kind=other.tariff.kind)
        sub = addon_connect(account_id=other.pk, addon_id=addon.pk)
        with pytest.raises(NotFound):
            addon_disconnect(account_id=mine.pk, subscription_id=sub.pk)


class TestPause:
    def test_pause_refunds_the_paused_days_and_resume_keeps_the_rest(self) -> None:
        account = active(60_000, fee=30_000)
        charge_run(day=NOV1)
        account_pause(account_id=account.pk, days=10, today=dt.date(2026, 11, 11))
        account.refresh_from_db()
        assert account.status == AccountStatus.SUSPENDED
        resumed = account_resume(account_id=account.pk, today=dt.date(2026, 11, 16))
        assert resumed.status == AccountStatus.ACTIVE
        # 5 paused days of a 300 ₽ month = 50 ₽ back.
        assert resumed.balance_kop == 60_000 - 30_000 + 5_000
        audit_ok()

    def test_pause_across_the_first_pays_the_new_month_from_the_resume(self) -> None:
        account = active(100_000, fee=30_000)
        charge_run(day=NOV1)
        account_pause(account_id=account.pk, days=30, today=dt.date(2026, 11, 21))
        assert charge_run(day=dt.date(2026, 12, 1)).charges == 0
        resumed = account_resume(account_id=account.pk, today=dt.date(2026, 12, 11))
        assert resumed.status == AccountStatus.ACTIVE
        refund = 10 * 30_000 // 30
        december = 30_000 * 31 // 31 - 30_000 * 10 // 31
        assert resumed.balance_kop == 100_000 - 30_000 + refund - december
        audit_ok()

    def test_pause_ends_by_itself(self) -> None:
        account = active(100_000, fee=30_000)
        charge_run(day=NOV1)
        account_pause(account_id=account.pk, days=7, today=dt.date(2026, 11, 2))
        charge_run(day=dt.date(2026, 11, 9))
        account.refresh_from_db()
        assert account.status == AccountStatus.ACTIVE
        audit_ok()

    @pytest.mark.parametrize("days", [0, 6, 91, "x"])
    def test_length_limits(self, days) -> None:
        account = active(100_000)
        with pytest.raises(ApplicationError) as err:
            account_pause(account_id=account.pk, days=days)
        assert err.value.field == "days"


class TestPromised:
    def test_blocked_account_resumes_and_promise_expires(self, settings) -> None:
        settings.ABONENT_PROMISED_AMOUNT_KOP = 50_000
        account = active(20_000, fee=30_000)
        charge_run(day=NOV1)
        account.refresh_from_db()
        assert account.status == AccountStatus.BLOCKED
        promise = promised_take(account_id=account.pk, today=NOV1)
        account.refresh_from_db()
        assert account.status == AccountStatus.ACTIVE and account.balance_kop == 40_000
        with pytest.raises(ApplicationError):
            promised_take(account_id=account.pk, today=NOV1)
        ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=10_000)
        charge_run(day=dt.date(2026, 11, 7))
        promise.refresh_from_db()
        assert promise.status == PromisedStatus.COVERED
        account.refresh_from_db()
        assert account.balance_kop == 0
        audit_ok()

    def test_uncovered_promise_blocks_and_refuses_the_next(self, settings) -> None:
        settings.ABONENT_PROMISED_AMOUNT_KOP = 50_000
        account = active(20_000, fee=30_000)
        charge_run(day=NOV1)
        promised_take(account_id=account.pk, today=NOV1)
        charge_run(day=dt.date(2026, 11, 7))
        account.refresh_from_db()
        assert account.status == AccountStatus.BLOCKED and account.balance_kop == -10_000
        assert PromisedPayment.objects.get().status == PromisedStatus.UNCOVERED
        with pytest.raises(ApplicationError):
            promised_take(account_id=account.pk, today=dt.date(2026, 12, 2))
        audit_ok()

    def test_healthy_account_does_not_need_one(self) -> None:
        account = active(500_000)
        with pytest.raises(ApplicationError):
            promised_take(account_id=account.pk, days_left=60)


class TestForecast:
    def test_monthly_next_charge_and_how_long_it_lasts(self) -> None:
        account = active(130_000, fee=50_000)
        forecast = account_forecast(account=account, today=dt.date(2026, 11, 15))
        assert forecast.next_date == dt.date(2026, 12, 1)
        assert forecast.next_amount_kop == 50_000
        assert forecast.lasts_until == dt.date(2027, 1, 31)

    def test_daily_with_addon(self) -> None:
        account = active(10_000, fee=2_000, period=FeePeriod.DAY)
        addon = AddonFactory(fee_kop=500, period=AddonPeriod.DAY, kind=account.tariff.kind)
        addon_connect(account_id=account.pk, addon_id=addon.pk, today=dt.date(2026, 11, 15))
        account.refresh_from_db()
        forecast = account_forecast(account=account, today=dt.date(2026, 11, 15))
        assert forecast.next_date == dt.date(2026, 11, 16)
        assert forecast.next_amount_kop == 2_500
        assert forecast.days_left == 9_500 // 2_500

    def test_pending_change_is_in_the_forecast(self) -> None:
        account = active(100_000, fee=50_000)
        cheaper = TariffFactory(kind=account.tariff.kind, fee_kop=20_000)
        tariff_change_request(
            account_id=account.pk, to_tariff_id=cheaper.pk, today=dt.date(2026, 11, 15)
        )
        forecast = account_forecast(account=account, today=dt.date(2026, 11, 15))
        assert forecast.next_amount_kop == 20_000

    def test_new_account_needs_the_deposit(self, settings) -> None:
        settings.ABONENT_CONNECTION_DEPOSIT_KOP = 100_000
        account = AccountFactory(status=AccountStatus.NEW)
        forecast = account_forecast(account=account, today=dt.date(2026, 11, 15))
        assert forecast.needed_kop == 100_000


class TestForecastEdges:
    def test_a_change_awaiting_approval_is_not_forecast(self) -> None:
        account = active(100_000, fee=50_000)
        giga = TariffFactory(kind=account.tariff.kind, fee_kop=90_000, needs_approval=True)
        tariff_change_request(
            account_id=account.pk, to_tariff_id=giga.pk, today=dt.date(2026, 11, 15)
        )
        forecast = account_forecast(account=account, today=dt.date(2026, 11, 15))
        assert forecast.next_amount_kop == 50_000

    def test_blocked_needs_the_tariff_and_the_addons(self) -> None:
        account = active(100, fee=30_000)
        addon = AddonFactory(fee_kop=6_000, period=AddonPeriod.MONTH, kind=account.tariff.kind)
        AccountAddon.objects.create(account=account, addon=addon, started_on=NOV1)
        charge_run(day=NOV1)
        account.refresh_from_db()
        assert account.status == AccountStatus.BLOCKED
        forecast = account_forecast(account=account, today=dt.date(2026, 11, 16))
        # 15 of 30 days of each fee.
        assert forecast.needed_kop == 15_000 + 3_000 - 100
        ledger_post(
            account_id=account.pk,
            kind=EntryKind.PAYMENT,
            amount_kop=forecast.needed_kop,
            day=dt.date(2026, 11, 16),
        )
        account.refresh_from_db()
        assert account.status == AccountStatus.ACTIVE and account.balance_kop == 0

    def test_daily_to_monthly_is_forecast_on_the_switch_day(self) -> None:
        account = active(100_000, fee=2_000, period=FeePeriod.DAY)
        monthly = TariffFactory(kind=account.tariff.kind, fee_kop=30_000)
        tariff_change_request(
            account_id=account.pk, to_tariff_id=monthly.pk, today=dt.date(2026, 11, 15)
        )
        forecast = account_forecast(account=account, today=dt.date(2026, 11, 15))
        assert forecast.next_date == dt.date(2026, 11, 16)
        assert forecast.next_amount_kop == 15 * 30_000 // 30
