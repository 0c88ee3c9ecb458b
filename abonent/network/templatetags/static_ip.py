"""``{% static_ip_of account as status %}``: the static IP of the static-IP add-on for pages that
are not the network's (the cabinet's add-ons page), without their views knowing the network."""

from __future__ import annotations

from typing import Any

from django import template

from abonent.network.static_ip import StaticIpStatus, static_ip_status_for

register = template.Library()


@register.simple_tag
def static_ip_of(account: Any) -> StaticIpStatus:
    """The account's static IP status (one query; see ``static_ip_status_for``)."""
    return static_ip_status_for(account_id=account.pk)
