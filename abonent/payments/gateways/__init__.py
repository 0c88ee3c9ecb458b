"""Gateways by name. ``gateway_get(name)`` builds one from settings; tests route its HTTP
through ``transport_override(transport)`` (a fake server, or the in-process site)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
from django.utils.translation import gettext_lazy as _

from abonent.core.errors import NotFound
from abonent.payments import conf
from abonent.payments.gateways.base import Gateway
from abonent.payments.gateways.sandbox import SandboxGateway
from abonent.payments.gateways.yookassa import YooKassaGateway

_transport: httpx.BaseTransport | None = None


@contextlib.contextmanager
def transport_override(transport: httpx.BaseTransport | None) -> Iterator[None]:
    """Send every gateway's HTTP through ``transport`` inside the block (tests, the demo)."""
    global _transport
    previous, _transport = _transport, transport
    try:
        yield
    finally:
        _transport = previous


def gateway_get(name: str) -> Gateway:
    """The gateway called ``name``, configured from settings; ``NotFound`` for any other."""
    if name == conf.SANDBOX:
        return SandboxGateway(
            base_url=conf.sandbox_api_url(),
            shop_id=conf.sandbox_shop_id(),
            secret_key=conf.sandbox_secret_key(),
            webhook_secret=conf.sandbox_webhook_secret(),
            tolerance_seconds=conf.webhook_tolerance_seconds(),
            timeout=conf.http_timeout_seconds(),
            transport=_transport,
        )
    if name == conf.YOOKASSA:
        return YooKassaGateway(
            base_url=conf.yookassa_api_url(),
            shop_id=conf.yookassa_shop_id(),
            secret_key=conf.yookassa_secret_key(),
            allowed_ips=conf.yookassa_allowed_ips(),
            timeout=conf.http_timeout_seconds(),
            transport=_transport,
        )
    raise NotFound(_("No such payment gateway."))
