"""Words shown to a visitor after a request, shared by the page and the API."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from abonent.core.money import format_money


def next_steps_text() -> str:
    """What happens after a request: the call back, the free connection, the deposit."""
    return _(
        "A manager will call you back to agree the address and time of the connection. "
        "Connection is free; to get access, top up your account with %(deposit)s."
    ) % {"deposit": format_money(settings.ABONENT_CONNECTION_DEPOSIT_KOP, cents=False)}
