"""``ledger_post_locked``: posting inside a caller's transaction that already holds the account
locked — no second lock, no savepoint, and the unique key still the last word."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from abonent.accounts.models import Account
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.billing.services.posting import ledger_post, ledger_post_locked
from abonent.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


def test_posts_on_the_locked_account_and_moves_the_balance() -> None:
    account = AccountFactory(balance_kop=1_000)
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        entry = ledger_post_locked(
            account=locked, kind=EntryKind.CORRECTION, amount_kop=-300, key="c:1"
        )
    assert (entry.amount_kop, entry.balance_after_kop, entry.key) == (-300, 700, "c:1")
    assert Account.objects.get(pk=account.pk).balance_kop == 700


def test_a_used_key_rolls_the_callers_transaction_back() -> None:
    account = AccountFactory(balance_kop=0)
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=500, key="gw:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        ledger_post_locked(account=locked, kind=EntryKind.PAYMENT, amount_kop=500, key="gw:1")
    assert Account.objects.get(pk=account.pk).balance_kop == 500
    assert LedgerEntry.objects.filter(key="gw:1").count() == 1


@pytest.mark.django_db(transaction=True)
def test_needs_the_callers_transaction() -> None:
    account = AccountFactory(balance_kop=0)
    with pytest.raises(RuntimeError, match="transaction"):
        ledger_post_locked(account=account, kind=EntryKind.PAYMENT, amount_kop=500)
    assert not LedgerEntry.objects.exists()


def test_checks_its_arguments_like_ledger_post() -> None:
    account = AccountFactory()
    with transaction.atomic():
        with pytest.raises(TypeError):
            ledger_post_locked(account=account, kind=EntryKind.PAYMENT, amount_kop=1.5)  # type: ignore[arg-type]
        with pytest.raises(ApplicationError) as err:
            ledger_post_locked(account=account, kind=EntryKind.PAYMENT, amount_kop=0)
        assert err.value.field == "amount_kop"
