"""Helpers for reading requests."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address; trusts ``ABONENT_TRUSTED_PROXIES`` hops of X-Forwarded-For."""
    hops = settings.ABONENT_TRUSTED_PROXIES
    if hops > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104
