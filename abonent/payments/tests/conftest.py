"""Fixtures of the payments tests: an in-process acquirer behind every gateway call."""

from __future__ import annotations

import pytest

from abonent.payments.gateways import transport_override
from abonent.payments.tests.fake_acquirer import SETTINGS, FakeAcquirer


@pytest.fixture
def acquirer(settings):
    for name, value in SETTINGS.items():
        setattr(settings, name, value)
    fake = FakeAcquirer()
    with transport_override(fake.transport()):
        yield fake
