"""Factories for connection requests."""

from __future__ import annotations

import factory
from django.utils import timezone

from abonent.catalogue.tests.factories import TariffFactory
from abonent.leads.models import Lead, LeadStatus


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    tariff = factory.SubFactory(TariffFactory)
    name = "Иван Петров"
    phone = factory.Sequence(lambda n: f"+7916{n:07d}")
    consent_at = factory.LazyFunction(timezone.now)
    status = LeadStatus.NEW
