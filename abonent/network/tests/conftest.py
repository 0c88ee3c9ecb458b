"""Fixtures of the network tests: PostgreSQL and FreeRADIUS requirements, accounts."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from abonent.accounts.tests.factories import AccountFactory
from abonent.catalogue.tests.factories import TariffFactory
from abonent.network.models import Nas
from abonent.network.radius_config import RadiusDatabase, radius_config_write
from abonent.network.services import (
    credential_create,
    group_defaults_ensure,
    reply_templates_ensure,
)

SECRET = "loopback-secret"

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


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def nas_type() -> str:
    """The type of the loopback NAS row (override with ``@pytest.mark.parametrize``)."""
    return "other"


@pytest.fixture
def radius_log(radius, tmp_path: Path) -> Path:
    """The debug log (``-X``) of the test's FreeRADIUS: every query it sent, per request."""
    return tmp_path / "freeradius.log"


@pytest.fixture
def radius(transactional_db, tmp_path: Path, nas_type: str):
    """A running FreeRADIUS with the generated configuration; yields (auth_port, acct_port).
    Its one client is the NAS row ``127.0.0.1`` of type ``nas_type``."""
    require_freeradius()
    group_defaults_ensure()  # transactional tests flush the migration's rows
    reply_templates_ensure()
    Nas.objects.create(nasname="127.0.0.1", shortname="loopback", secret=SECRET, type=nas_type)
    auth_port, acct_port = free_udp_port(), free_udp_port()
    out = radius_config_write(
        out=tmp_path / "raddb",
        database=RadiusDatabase.from_settings(connection.settings_dict),
        auth_port=auth_port,
        acct_port=acct_port,
        listen="127.0.0.1",
        reject_delay=0,
        threads=2,
    )
    log_path = tmp_path / "freeradius.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603
            [shutil.which("freeradius") or "freeradius", "-X", "-d", str(out)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 15
        while "Ready to process requests" not in log_path.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(log_path.read_text().splitlines()[-30:])
                pytest.fail(f"FreeRADIUS did not start (exit {process.poll()}):\n{tail}")
            time.sleep(0.05)
        yield auth_port, acct_port
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with connection.cursor() as cursor:  # not Django tables: flush leaves them
            cursor.execute("DELETE FROM radacct")
            cursor.execute("DELETE FROM radpostauth")
