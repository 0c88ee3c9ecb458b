"""Factories of payments."""

from __future__ import annotations

import factory

from abonent.accounts.tests.factories import AccountFactory
from abonent.payments.models import Card, Payment


class CardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Card

    account = factory.SubFactory(AccountFactory)
    gateway = "sandbox"
    token = factory.Sequence(lambda n: f"tok-factory-{n}")
    brand = "Visa"
    first6 = "411111"
    last4 = "1111"
    expiry_month = 12
    expiry_year = 2030


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    account = factory.SubFactory(AccountFactory)
    amount_kop = 100_000
    gateway = "sandbox"
    gateway_payment_id = factory.Sequence(lambda n: f"gw-factory-{n}")
    idempotency_key = factory.Sequence(lambda n: f"key-{n}")
