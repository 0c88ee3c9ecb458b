"""YooKassa (API v3) with a shop's id and secret key.

YooKassa does not sign its notifications: they are accepted only from its published address
ranges (``ABONENT_YOOKASSA_ALLOWED_IPS``), and the service never trusts their body: it re-reads
the payment by ``GET payments/{id}`` (YooKassa's own recommendation).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Mapping

from abonent.payments.gateways.base import (
    HttpGateway,
    WebhookEvent,
    WebhookRejected,
    parse_notification,
)


class YooKassaGateway(HttpGateway):
    """YooKassa: the same HTTP shape as the sandbox, notifications checked by address."""

    name = "yookassa"
    refetch_on_webhook = True

    def __init__(self, *, allowed_ips: Iterable[str], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._networks = [ipaddress.ip_network(n, strict=False) for n in allowed_ips]

    def ip_allowed(self, client_ip: str) -> bool:
        try:
            address = ipaddress.ip_address(client_ip)
        except ValueError:
            return False
        return any(address in network for network in self._networks)

    def verify_and_parse_webhook(
        self, *, headers: Mapping[str, str], body: bytes, client_ip: str, now: dt.datetime
    ) -> WebhookEvent:
        if not self.ip_allowed(client_ip):
            raise WebhookRejected(f"address {client_ip} is not YooKassa's")
        return parse_notification(body)
