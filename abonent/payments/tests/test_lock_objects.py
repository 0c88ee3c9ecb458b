"""The webhook's look-up with its SQL written once: the same objects as the ORM's query, and
both rows locked."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from abonent.accounts.models import Account
from abonent.accounts.tests.factories import AccountFactory
from abonent.payments.lock_objects import payment_lock_by_gateway_id
from abonent.payments.models import Payment
from abonent.payments.tests.factories import CardFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def fields(obj) -> dict:  # type: ignore[no-untyped-def]
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_gives_what_the_orm_gives() -> None:
    account = AccountFactory(email="a@example.ru", balance_kop=-1_500)
    card = CardFactory(account=account)
    made = PaymentFactory(account=account, card=card, save_card=True, card_title="Visa •••• 1")
    with transaction.atomic():
        found = payment_lock_by_gateway_id(
            gateway="sandbox", gateway_payment_id=made.gateway_payment_id
        )
        orm = (
            Payment.objects.select_for_update()
            .select_related("account")
            .get(gateway="sandbox", gateway_payment_id=made.gateway_payment_id)
        )
    assert found is not None and fields(found) == fields(orm)
    assert fields(found.account) == fields(orm.account)
    assert found.created_at.tzinfo is not None and found.save_card is True
    assert found.account.service_start == orm.account.service_start
    assert not found._state.adding and found._state.db == "default"
    with transaction.atomic():
        assert payment_lock_by_gateway_id(gateway="yookassa", gateway_payment_id="x") is None
        assert payment_lock_by_gateway_id(gateway="sandbox", gateway_payment_id="nope") is None


@pytest.mark.django_db(transaction=True)
def test_needs_a_transaction() -> None:
    with pytest.raises(transaction.TransactionManagementError):
        payment_lock_by_gateway_id(gateway="sandbox", gateway_payment_id="x")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_locks_the_payment_and_its_account() -> None:
    payment = PaymentFactory()
    outcome: dict[str, str] = {}

    def other(model, pk) -> None:  # type: ignore[no-untyped-def]
        try:
            with transaction.atomic():
                model.objects.select_for_update(nowait=True).get(pk=pk)
            outcome[model.__name__] = "free"
        except OperationalError:
            outcome[model.__name__] = "locked"
        finally:
            connections.close_all()

    with transaction.atomic():
        assert payment_lock_by_gateway_id(
            gateway="sandbox", gateway_payment_id=payment.gateway_payment_id
        )
        for model, pk in ((Payment, payment.pk), (Account, payment.account_id)):
            thread = threading.Thread(target=other, args=(model, pk))
            thread.start()
            thread.join(30)
    assert outcome == {"Payment": "locked", "Account": "locked"}
