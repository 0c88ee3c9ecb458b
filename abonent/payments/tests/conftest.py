"""Fixtures of the payments tests: an in-process acquirer behind every gateway call, and a
local HTTP server answering as YooKassa does."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer

import pytest

from abonent.payments.gateways import transport_override
from abonent.payments.tests.fake_acquirer import SETTINGS, FakeAcquirer
from abonent.payments.tests.recorded_yookassa import RecordedYooKassa


@pytest.fixture
def acquirer(settings):
    for name, value in SETTINGS.items():
        setattr(settings, name, value)
    fake = FakeAcquirer()
    with transport_override(fake.transport()):
        yield fake


@pytest.fixture
def yookassa_server():  # type: ignore[no-untyped-def]
    """The recorded YooKassa on a free loopback port; yields its API's base URL."""
    RecordedYooKassa.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordedYooKassa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v3/"
    server.shutdown()
    server.server_close()
