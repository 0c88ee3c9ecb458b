"""Access to back-office pages: by role, with a friendly 403 page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from abonent.core.access import Role, role_required, roles_display, user_roles

# What each section of the back office needs (any of the roles).
SECTION_ROLES: dict[str, tuple[str, ...]] = {
    "leads": (Role.MANAGER, Role.ADMIN),
    # Subscribers' accounts: everyone looks them up and reads the ledger; managers sign
    # contracts, support prints new passwords, cashiers post corrections and refunds.
    "accounts": (Role.MANAGER, Role.CASHIER, Role.SUPPORT, Role.ADMIN),
    "money": (Role.CASHIER, Role.ADMIN),
    "tariff_changes": (Role.MANAGER, Role.ADMIN),
    "contracts": (Role.MANAGER, Role.ADMIN),
    "passwords": (Role.SUPPORT, Role.ADMIN),
    # Provider mail: support staff write to one subscriber or broadcast to a segment.
    "mail": (Role.SUPPORT, Role.ADMIN),
    # Network: live sessions and credentials for support and admins (NASes: admins only).
    "network": (Role.SUPPORT, Role.ADMIN),
    "catalogue": (Role.ADMIN,),
    "audit": (Role.ADMIN,),
}


def staff_view(*roles: str) -> Callable:
    """Staff holding any of ``roles`` (any staff when none) pass; others see a 403 page.

    Anonymous visitors and non-staff users go to the login page (``core.access.role_required``).
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        guarded = role_required(*roles)(view)

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return guarded(request, *args, **kwargs)
            except PermissionDenied:
                return forbidden(request, needed=roles)

        return wrapped

    return decorator


def forbidden(request: HttpRequest, *, needed: tuple[str, ...] = ()) -> HttpResponse:
    """The back office's 403 page: which roles the page needs and which the user holds."""
    return render(
        request,
        "staff/403.html",
        {
            "needed_roles": roles_display(needed),
            "my_roles": roles_display(user_roles(request.user)),
        },
        status=403,
    )
