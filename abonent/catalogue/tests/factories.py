"""Factories for the catalogue."""

from __future__ import annotations

import factory

from abonent.catalogue.models import (
    Addon,
    AddonPeriod,
    BuildingType,
    FeePeriod,
    ServiceCategory,
    ServiceKind,
    Tariff,
)


class ServiceKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceKind
        django_get_or_create = ("slug",)

    slug = "internet"
    category = ServiceCategory.INTERNET
    name = "Интернет"
    name_en = "Internet"
    summary = "Высокоскоростной интернет"


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff

    kind = factory.SubFactory(ServiceKindFactory)
    building_type = BuildingType.APARTMENT
    slug = factory.Sequence(lambda n: f"tariff-{n}")
    name = factory.Sequence(lambda n: f"Тариф {n}")
    description = "Безлимитный интернет"
    fee_kop = 50_000
    fee_period = FeePeriod.MONTH
    download_kbps = 100_000
    upload_kbps = 100_000


class AddonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Addon

    kind = factory.SubFactory(ServiceKindFactory)
    slug = factory.Sequence(lambda n: f"addon-{n}")
    name = factory.Sequence(lambda n: f"Услуга {n}")
    fee_kop = 15_000
    period = AddonPeriod.MONTH
