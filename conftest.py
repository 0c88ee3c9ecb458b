"""Shared pytest fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture
def manager(db):
    from abonent.staff.tests.factories import StaffFactory

    return StaffFactory(username="manager", roles=["manager"])


@pytest.fixture
def admin_user(db):
    from abonent.staff.tests.factories import StaffFactory

    return StaffFactory(username="admin", roles=["admin"])


@pytest.fixture
def support_user(db):
    from abonent.staff.tests.factories import StaffFactory

    return StaffFactory(username="support", roles=["support"])


@pytest.fixture
def cashier(db):
    from abonent.staff.tests.factories import StaffFactory

    return StaffFactory(username="cashier", roles=["cashier"])
