"""Factories for subscribers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.contrib.auth.hashers import make_password

from abonent.accounts.contract import contract_generate
from abonent.accounts.models import Account, AccountStatus
from abonent.catalogue.models import BuildingType
from abonent.catalogue.tests.factories import TariffFactory

ACCOUNT_PASSWORD = "Paper-Pass-42"


class AccountFactory(factory.django.DjangoModelFactory):
    """An account whose password is ``ACCOUNT_PASSWORD`` (or ``password__raw="..."``)."""

    class Meta:
        model = Account
        skip_postgeneration_save = True

    contract = factory.LazyFunction(contract_generate)
    holder_name = factory.Sequence(lambda n: f"Абонент Тестовый {n}")
    address = factory.Sequence(lambda n: f"г. Сергиев Посад, ул. Разина, д. {n + 1}, кв. 5")
    building_type = BuildingType.APARTMENT
    phone = factory.Sequence(lambda n: f"+7926{n:07d}")
    tariff = factory.SubFactory(TariffFactory)
    service_start = factory.LazyFunction(lambda: dt.date(2026, 1, 15))
    status = AccountStatus.ACTIVE
    must_change_password = False
    password = factory.LazyFunction(lambda: make_password(ACCOUNT_PASSWORD))

    @factory.post_generation
    def raw_password(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if extracted:
            self.password = make_password(extracted)
            self.save(update_fields=["password"])
