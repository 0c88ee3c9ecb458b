"""Cashiers' corrections and refunds: signs, reasons, bounds, idempotency, audit, settling."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from abonent.accounts.models import Account, AccountStatus
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.billing.services.corrections import ledger_correct
from abonent.billing.services.posting import ledger_post
from abonent.core.errors import ApplicationError, NotFound
from abonent.core.models import AuditEntry
from abonent.staff.tests.factories import make_staff

REASON = "Двойное списание в марте"


@pytest.fixture
def cashier(db):
    return make_staff("kassa", "cashier")


@pytest.fixture
def account(db):
    account = AccountFactory(status=AccountStatus.ACTIVE)
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=100_000, settle=False)
    account.refresh_from_db()
    return account


def balance(account: Account) -> int:
    account.refresh_from_db()
    return account.balance_kop


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [12_345, -12_345])
def test_a_correction_of_either_sign_moves_the_balance(account, cashier, amount):
    result = ledger_correct(
        account_id=account.pk, amount_kop=amount, reason=REASON, actor=cashier, request_key="k1"
    )
    assert result.created
    entry = result.entry
    assert (entry.kind, entry.amount_kop, entry.reason) == (EntryKind.CORRECTION, amount, REASON)
    assert entry.created_by == cashier and entry.key == "staff:k1"
    assert balance(account) == 100_000 + amount == entry.balance_after_kop


@pytest.mark.django_db
def test_a_refund_takes_money_off_the_balance(account, cashier):
    result = ledger_correct(
        account_id=account.pk,
        amount_kop=-30_000,
        reason="Возврат наличными при расторжении",
        actor=cashier,
        kind=EntryKind.REFUND,
        request_key="r1",
    )
    assert result.entry.kind == EntryKind.REFUND and result.entry.amount_kop == -30_000
    assert balance(account) == 70_000


@pytest.mark.django_db
def test_a_positive_refund_is_refused(account, cashier):
    with pytest.raises(ApplicationError) as exc:
        ledger_correct(
            account_id=account.pk,
            amount_kop=30_000,
            reason=REASON,
            actor=cashier,
            kind=EntryKind.REFUND,
            request_key="r1",
        )
    assert exc.value.field == "amount_kop"
    assert balance(account) == 100_000


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", "ок", " a b "])
def test_the_reason_is_required(account, cashier, reason):
    with pytest.raises(ApplicationError) as exc:
        ledger_correct(
            account_id=account.pk, amount_kop=100, reason=reason, actor=cashier, request_key="k"
        )
    assert exc.value.field == "reason"
    assert not LedgerEntry.objects.filter(key="staff:k").exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [0, 100_000_001, -100_000_001])
def test_zero_and_huge_amounts_are_refused(account, cashier, amount):
    with pytest.raises(ApplicationError) as exc:
        ledger_correct(
            account_id=account.pk, amount_kop=amount, reason=REASON, actor=cashier, request_key="k"
        )
    assert exc.value.field == "amount_kop"
    assert balance(account) == 100_000


@pytest.mark.django_db
def test_the_bound_itself_is_allowed(account, cashier):
    ledger_correct(
        account_id=account.pk,
        amount_kop=-100_000_000,
        reason=REASON,
        actor=cashier,
        request_key="k",
    )
    assert balance(account) == 100_000 - 100_000_000


@pytest.mark.django_db
def test_floats_are_not_money(account, cashier):
    with pytest.raises(TypeError):
        ledger_correct(
            account_id=account.pk, amount_kop=1.5, reason=REASON, actor=cashier, request_key="k"
        )


@pytest.mark.django_db
def test_unknown_kind_and_account(account, cashier):
    with pytest.raises(ApplicationError) as exc:
        ledger_correct(
            account_id=account.pk,
            amount_kop=-100,
            reason=REASON,
            actor=cashier,
            kind="fee",
            request_key="k",
        )
    assert exc.value.field == "kind"
    with pytest.raises(NotFound):
        ledger_correct(
            account_id=account.pk + 999,
            amount_kop=100,
            reason=REASON,
            actor=cashier,
            request_key="k",
        )


@pytest.mark.django_db
def test_the_same_form_twice_posts_once(account, cashier):
    first = ledger_correct(
        account_id=account.pk, amount_kop=5_000, reason=REASON, actor=cashier, request_key="once"
    )
    again = ledger_correct(
        account_id=account.pk, amount_kop=5_000, reason=REASON, actor=cashier, request_key="once"
    )
    assert first.created and not again.created
    assert again.entry.pk == first.entry.pk
    assert balance(account) == 105_000
    assert LedgerEntry.objects.filter(key="staff:once").count() == 1
    assert AuditEntry.objects.filter(action="ledger.correction").count() == 1


@pytest.mark.django_db
def test_a_key_used_on_another_account_is_refused(account, cashier):
    other = AccountFactory()
    ledger_correct(
        account_id=account.pk, amount_kop=5_000, reason=REASON, actor=cashier, request_key="once"
    )
    with pytest.raises(ApplicationError):
        ledger_correct(
            account_id=other.pk,
            amount_kop=5_000,
            reason=REASON,
            actor=cashier,
            request_key="once",
        )
    assert balance(other) == 0


@pytest.mark.django_db
def test_a_request_key_is_required(account, cashier):
    with pytest.raises(ApplicationError):
        ledger_correct(
            account_id=account.pk, amount_kop=100, reason=REASON, actor=cashier, request_key=""
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "amount", "action"),
    [
        (EntryKind.CORRECTION, 2_500, "ledger.correction"),
        (EntryKind.CORRECTION, -2_500, "ledger.correction"),
        (EntryKind.REFUND, -2_500, "ledger.refund"),
    ],
)
def test_the_audit_row(account, cashier, kind, amount, action):
    result = ledger_correct(
        account_id=account.pk,
        amount_kop=amount,
        reason=REASON,
        actor=cashier,
        kind=kind,
        request_key="a",
    )
    row = AuditEntry.objects.get()
    assert (row.action, row.actor, row.object_type, row.object_id) == (
        action,
        cashier,
        "accounts.account",
        str(account.pk),
    )
    assert row.before == {"balance_kop": 100_000, "status": "active"}
    assert row.after == {
        "balance_kop": 100_000 + amount,
        "status": "active",
        "amount_kop": amount,
        "reason": REASON,
        "entry": result.entry.pk,
    }


@pytest.mark.django_db
def test_a_positive_correction_unblocks_at_once(cashier):
    account = AccountFactory(status=AccountStatus.BLOCKED)  # 500 ₽ a month, nothing on it
    result = ledger_correct(
        account_id=account.pk, amount_kop=50_000, reason=REASON, actor=cashier, request_key="u"
    )
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    fee = LedgerEntry.objects.get(account=account, kind=EntryKind.FEE)
    assert 0 > fee.amount_kop >= -50_000  # the rest of this month, prorated
    assert account.balance_kop == 50_000 + fee.amount_kop
    row = AuditEntry.objects.get(action="ledger.correction")
    assert row.before == {"balance_kop": 0, "status": "blocked"}
    assert row.after["status"] == "active" and row.after["balance_kop"] == account.balance_kop
    assert result.entry.balance_after_kop == 50_000


@pytest.mark.django_db
def test_a_negative_correction_does_not_unblock_or_block(cashier):
    account = AccountFactory(status=AccountStatus.BLOCKED)
    ledger_correct(
        account_id=account.pk, amount_kop=-1_000, reason=REASON, actor=cashier, request_key="n"
    )
    account.refresh_from_db()
    assert (account.status, account.balance_kop) == (AccountStatus.BLOCKED, -1_000)
    assert not LedgerEntry.objects.filter(account=account, kind=EntryKind.FEE).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="parallel writers with row locks need PostgreSQL"
)
def test_the_same_form_sent_at_once_from_two_tabs_posts_once():
    from django.db import connections

    account = AccountFactory()
    cashier = make_staff("kassa2", "cashier")
    barrier = threading.Barrier(4)
    results: list[object] = []

    def send() -> None:
        try:
            barrier.wait()
            results.append(
                ledger_correct(
                    account_id=account.pk,
                    amount_kop=7_000,
                    reason=REASON,
                    actor=cashier,
                    request_key="race",
                )
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(r.created for r in results) == 1  # type: ignore[attr-defined]
    assert balance(account) == 7_000
    assert LedgerEntry.objects.filter(account=account).count() == 1
    assert AuditEntry.objects.filter(action="ledger.correction").count() == 1
