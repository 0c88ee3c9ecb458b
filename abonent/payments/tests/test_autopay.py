"""Autopay: the day before a charge, one attempt per period from the default card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.billing.services.charging import charge_run
from abonent.messaging.models import MessageRecipient
from abonent.payments.models import AutopaySetting, Payment, PaymentKind, PaymentStatus
from abonent.payments.services import autopay_run, autopay_set
from abonent.payments.tests.factories import CardFactory

pytestmark = pytest.mark.django_db
NOV30 = dt.date(2026, 11, 30)  # the day before a monthly charge


def subscriber(acquirer, *, balance_kop: int, token: str = "tok-auto", declined: str = ""):  # noqa: S107
    account = AccountFactory(balance_kop=balance_kop)  # monthly tariff of 500 ₽
    CardFactory(account=account, token=token, is_default=True)
    acquirer.add_token(token)
    if declined:
        acquirer.declined_tokens[token] = declined
    autopay_set(account_id=account.pk, enabled=True)
    return account


def test_autopay_tops_up_what_the_next_charge_needs_and_the_charge_run_takes_it(acquirer):
    account = subscriber(acquirer, balance_kop=12_345)
    rich = subscriber(acquirer, balance_kop=60_000, token="tok-rich")
    result = autopay_run(day=NOV30)
    assert (result.checked, result.attempted, result.succeeded) == (2, 1, 1)
    payment = Payment.objects.get(account=account)
    assert payment.kind == PaymentKind.AUTOPAY and payment.status == PaymentStatus.SUCCEEDED
    assert payment.amount_kop == 37_700  # 500 ₽ − 123,45 ₽, rounded up to whole roubles
    assert payment.idempotency_key == f"autopay:{account.pk}:2026-12-01"
    assert not Payment.objects.filter(account=rich).exists()
    charge_run(day=dt.date(2026, 12, 1))
    account.refresh_from_db()
    assert account.status == "active" and account.balance_kop == 12_345 + 37_700 - 50_000
    setting = AutopaySetting.objects.get(account=account)
    assert setting.last_payment_id == payment.pk and setting.last_attempt_at


def test_one_attempt_per_period_even_after_a_failure_which_the_subscriber_is_told(acquirer):
    account = subscriber(acquirer, balance_kop=0, declined="insufficient_funds")
    first = autopay_run(day=NOV30)
    assert (first.attempted, first.failed) == (1, 1)
    payment = Payment.objects.get(account=account)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason == "insufficient_funds"
    note = MessageRecipient.objects.get(account=account).message
    assert note.category == "billing" and "500,00" in note.body
    again = autopay_run(day=NOV30)
    assert (again.attempted, again.skipped) == (0, 1)
    assert Payment.objects.filter(account=account).count() == 1
    assert len(acquirer.payment_requests()) == 1
    assert not LedgerEntry.objects.filter(account=account, kind=EntryKind.PAYMENT).exists()


def test_nothing_to_do_far_from_a_charge_or_with_autopay_off(acquirer):
    account = subscriber(acquirer, balance_kop=0)
    assert autopay_run(day=dt.date(2026, 11, 20)).attempted == 0
    autopay_set(account_id=account.pk, enabled=False)
    assert autopay_run(day=NOV30).checked == 0


def test_threshold_rule(acquirer):
    account = subscriber(acquirer, balance_kop=5_000)
    autopay_set(
        account_id=account.pk,
        enabled=True,
        rule="threshold",
        threshold_kop=10_000,
        topup_kop=30_000,
    )
    result = autopay_run(day=dt.date(2026, 11, 10))
    assert result.succeeded == 1
    assert Payment.objects.get(account=account).amount_kop == 30_000
    assert autopay_run(day=dt.date(2026, 11, 10)).attempted == 0


def test_the_command(acquirer, capsys):
    subscriber(acquirer, balance_kop=0)
    call_command("autopay", "--date", "2026-11-30")
    assert "attempted 1: 1 paid" in capsys.readouterr().out


def test_an_attempt_the_gateway_never_answered_is_resumed_not_repeated(acquirer):
    account = subscriber(acquirer, balance_kop=0)
    acquirer.fail_next = ["timeout"]
    first = autopay_run(day=NOV30)
    assert (first.attempted, first.pending) == (1, 1)
    payment = Payment.objects.get(account=account)
    assert payment.status == PaymentStatus.PENDING and payment.gateway_payment_id is None
    second = autopay_run(day=NOV30)
    assert second.succeeded == 1
    assert Payment.objects.filter(account=account).count() == 1
    keys = {r.headers["idempotence-key"] for r in acquirer.payment_requests()}
    assert keys == {f"payment-{payment.pk}"} and len(acquirer.payments) == 1
    assert autopay_run(day=NOV30).attempted == 0  # paid: nothing more is needed
