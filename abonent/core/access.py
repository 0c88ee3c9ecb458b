"""Staff roles (Django groups, created by a migration) and the checks that use them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a staff member may do. One person may hold several."""

    MANAGER = "manager", _("Manager")
    CASHIER = "cashier", _("Cashier")
    SUPPORT = "support", _("Support")
    ADMIN = "admin", _("Administrator")


def user_roles(user: Any) -> set[str]:
    """The roles a user holds; a superuser holds them all."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.is_staff:
        return set()
    if user.is_superuser:
        return set(Role.values)
    cached = getattr(user, "_abonent_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = {role for role in Role.values if role in names}
        user._abonent_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    """True when the user holds any of ``roles``."""
    return bool(user_roles(user) & set(roles))


def role_required(*roles: str) -> Callable:
    """View decorator: staff holding any of ``roles`` pass; others get 403, anonymous → login."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated or not user.is_staff:
                from django.conf import settings
                from django.shortcuts import resolve_url

                return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
            if roles and not has_role(user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def roles_display(roles: Iterable[str]) -> list[str]:
    """Human labels of role codes, in the canonical order."""
    wanted = set(roles)
    return [str(label) for value, label in Role.choices if value in wanted]
