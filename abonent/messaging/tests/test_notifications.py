"""Automatic notices: each kind fires on its event exactly once (hooks run twice, tasks run
again), in the inbox and by e-mail as the subscriber chose; low balance once a month."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tasks_db.models import DBTaskResult

from abonent.accounts.models import AccountStatus
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import EntryKind
from abonent.billing.services.addons import addon_connect
from abonent.billing.services.charging import charge_run
from abonent.billing.services.posting import ledger_post
from abonent.billing.services.tariff_change import tariff_change_decide, tariff_change_request
from abonent.catalogue.models import FeePeriod
from abonent.catalogue.tests.factories import AddonFactory, TariffFactory
from abonent.messaging.management.commands.worker import worker_round
from abonent.messaging.models import (
    EmailOutbox,
    MessageCategory,
    MessageRecipient,
    NotificationKind,
    NotificationLog,
)
from abonent.messaging.notifications import notify
from abonent.messaging.preferences import email_preferences_set

pytestmark = pytest.mark.django_db
NOV = dt.date(2026, 11, 10)


def notices(account, kind: str) -> list:  # type: ignore[no-untyped-def]
    return list(NotificationLog.objects.filter(account=account, kind=kind))


def inbox_subjects(account) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        MessageRecipient.objects.filter(account=account)
        .order_by("message_id")
        .values_list("message__subject", flat=True)
    )


def daily(balance: int, fee: int = 10_000, **kw):  # type: ignore[no-untyped-def]
    account = AccountFactory(
        tariff=TariffFactory(fee_kop=fee, fee_period=FeePeriod.DAY), email="s@example.ru", **kw
    )
    if balance:
        ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=balance, settle=False)
    account.refresh_from_db()
    return account


class TestPayment:
    def test_payment_received_once_per_entry_with_email(self) -> None:
        account = daily(0)
        for _ in range(2):  # a retried posting with the same key
            ledger_post(
                account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=50_000, key="pay-1"
            )
        [log] = notices(account, NotificationKind.PAYMENT_RECEIVED)
        assert log.message.category == MessageCategory.BILLING
        assert "500,00" in log.message.body
        assert EmailOutbox.objects.filter(kind=NotificationKind.PAYMENT_RECEIVED).count() == 1

    def test_a_correction_is_not_a_payment_notice(self, cashier) -> None:
        account = daily(0)
        ledger_post(account_id=account.pk, kind=EntryKind.CORRECTION, amount_kop=5_000)
        assert not notices(account, NotificationKind.PAYMENT_RECEIVED)

    def test_import_and_history_tell_nobody(self) -> None:
        account = daily(0)
        ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=5_000, settle=False)
        assert not NotificationLog.objects.exists()

    def test_no_email_when_the_subscriber_turned_it_off(self) -> None:
        account = daily(0)
        email_preferences_set(account_id=account.pk, by_email=[NotificationKind.BLOCKED])
        ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=5_000)
        assert len(notices(account, NotificationKind.PAYMENT_RECEIVED)) == 1  # still in the inbox
        assert not EmailOutbox.objects.exists()


class TestAccess:
    def test_unblocked_by_a_payment(self) -> None:
        account = daily(0, status=AccountStatus.BLOCKED)
        ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=30_000)
        account.refresh_from_db()
        assert account.status == AccountStatus.ACTIVE
        [log] = notices(account, NotificationKind.UNBLOCKED)
        assert log.message.subject == "Ваши услуги снова работают"
        ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=30_000)
        assert len(notices(account, NotificationKind.UNBLOCKED)) == 1
        assert len(notices(account, NotificationKind.PAYMENT_RECEIVED)) == 2

    def test_a_new_account_activated_by_its_deposit(self, settings) -> None:
        account = daily(0, status=AccountStatus.NEW)
        ledger_post(
            account_id=account.pk,
            kind=EntryKind.PAYMENT,
            amount_kop=settings.ABONENT_CONNECTION_DEPOSIT_KOP,
        )
        [log] = notices(account, NotificationKind.UNBLOCKED)
        assert log.message.subject == "Ваше подключение активно"

    def test_blocked_by_the_charge_run_through_a_task(self) -> None:
        poor, rich = daily(5_000), daily(500_000)
        result = charge_run(day=NOV)
        assert result.blocked_accounts == 1
        # the range wrote one task row, no notice yet
        assert DBTaskResult.objects.filter(task_path__endswith="notify_blocked").count() == 1
        assert not notices(poor, NotificationKind.BLOCKED)
        worker_round()
        [log] = notices(poor, NotificationKind.BLOCKED)
        assert "приостановлены" in log.message.subject
        assert not notices(rich, NotificationKind.BLOCKED)
        # the run again, and the task again: still one notice
        charge_run(day=NOV)
        from abonent.messaging.tasks import notify_blocked

        notify_blocked.call(account_ids=[poor.pk], day=NOV.isoformat())
        worker_round()
        assert len(notices(poor, NotificationKind.BLOCKED)) == 1
        assert EmailOutbox.objects.filter(kind=NotificationKind.BLOCKED).count() == 1


class TestLowBalance:
    def test_once_per_month(self, settings) -> None:
        settings.ABONENT_LOW_BALANCE_DAYS = 3
        low, fine = daily(25_000), daily(500_000)
        charge_run(day=NOV)  # 150 ₽ left: today and tomorrow paid, then not
        worker_round()
        [log] = notices(low, NotificationKind.LOW_BALANCE)
        assert log.message.subject == "Баланс заканчивается"
        assert not notices(fine, NotificationKind.LOW_BALANCE)
        charge_run(day=NOV + dt.timedelta(days=1))
        worker_round()
        assert len(notices(low, NotificationKind.LOW_BALANCE)) == 1
        ledger_post(account_id=low.pk, kind=EntryKind.PAYMENT, amount_kop=10_000)
        dec = dt.date(2026, 12, 1)
        charge_run(day=dec)
        worker_round()
        assert len(notices(low, NotificationKind.LOW_BALANCE)) == 2


class TestTariffAndAddons:
    def test_change_applied_by_the_charge_run(self) -> None:
        account = daily(500_000)
        target = TariffFactory(fee_kop=5_000, fee_period=FeePeriod.DAY, kind=account.tariff.kind)
        tariff_change_request(account_id=account.pk, to_tariff_id=target.pk, today=NOV)
        charge_run(day=NOV + dt.timedelta(days=1))
        worker_round()
        [log] = notices(account, NotificationKind.TARIFF_CHANGE_APPLIED)
        assert target.name in log.message.body
        charge_run(day=NOV + dt.timedelta(days=2))
        worker_round()
        assert len(notices(account, NotificationKind.TARIFF_CHANGE_APPLIED)) == 1

    def test_change_rejected_by_staff(self, admin_user) -> None:
        account = daily(500_000)
        target = TariffFactory(kind=account.tariff.kind, needs_approval=True)
        change = tariff_change_request(account_id=account.pk, to_tariff_id=target.pk, today=NOV)
        tariff_change_decide(
            change_id=change.pk,
            actor=admin_user,
            approve=False,
            reason="нет технической возможности",
        )
        [log] = notices(account, NotificationKind.TARIFF_CHANGE_REJECTED)
        assert "нет технической возможности" in log.message.body

    def test_addon_connected(self) -> None:
        account = daily(500_000)
        addon = AddonFactory(kind=account.tariff.kind, name="Статический IP")
        addon_connect(account_id=account.pk, addon_id=addon.pk, today=NOV)
        [log] = notices(account, NotificationKind.ADDON_CONNECTED)
        assert "Статический IP" in log.message.subject


class TestForOtherApps:
    def test_ticket_answered_once_per_reply(self) -> None:
        account = daily(0)
        context = {"ticket_id": 17, "reply_id": 170, "subject": "Нет связи"}
        notify(account.pk, NotificationKind.TICKET_ANSWERED, context)
        notify(account.pk, NotificationKind.TICKET_ANSWERED, context)
        [log] = notices(account, NotificationKind.TICKET_ANSWERED)
        assert log.message.category == MessageCategory.SUPPORT
        assert "Нет связи" in log.message.subject and "17" in log.message.body

    def test_unknown_kind(self) -> None:
        with pytest.raises(ValueError, match="payment_received"):
            notify(daily(0).pk, NotificationKind.PAYMENT_RECEIVED, {})

    def test_inbox_shows_every_notice(self) -> None:
        account = daily(0, status=AccountStatus.BLOCKED)
        ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=30_000)
        assert len(inbox_subjects(account)) == 2
