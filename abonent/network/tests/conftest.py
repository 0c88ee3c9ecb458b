"""Fixtures of the network tests: PostgreSQL and FreeRADIUS requirements, accounts."""

from __future__ import annotations

import os
import shutil

import pytest
from django.db import connection

from abonent.accounts.tests.factories import AccountFactory
from abonent.catalogue.tests.factories import TariffFactory
from abonent.network.services import credential_create

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the FreeRADIUS views and radacct/radpostauth exist on PostgreSQL only "
    "(run with DATABASE_URL=postgres://…)",
)


def require_freeradius() -> None:
    """Skip without FreeRADIUS locally; in CI (CI=true) its absence is a failure."""
    missing = [b for b in ("freeradius", "radclient") if shutil.which(b) is None]
    if not missing and os.path.isfile("/etc/freeradius/3.0/radiusd.conf"):
        return
    message = (
        f"FreeRADIUS 3 is not installed ({', '.join(missing) or '/etc/freeradius/3.0'} missing): "
        "apt-get install freeradius freeradius-postgresql freeradius-utils"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def subscriber():
    """An account of a 100/50 Mbit/s tariff with a network credential, in a given status."""
    tariff = TariffFactory(download_kbps=100_000, upload_kbps=50_000)

    def make(status: str = "active", **credential_fields):  # type: ignore[no-untyped-def]
        account = AccountFactory(tariff=tariff, status=status)
        credential = credential_create(account=account)
        if credential_fields:
            for name, value in credential_fields.items():
                setattr(credential, name, value)
            credential.save()
        return account, credential

    return make
