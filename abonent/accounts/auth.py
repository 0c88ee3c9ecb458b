"""The subscriber's web session: who is logged in to the cabinet, and for how long.

Kept apart from Django's staff authentication: a subscriber is an ``Account``, not a ``User``.
The session holds the account id, the account's ``auth_epoch`` at login (a password change or
reset bumps it, ending every other session), the login time (12 hours at most) and the last
activity (30 minutes idle), both from settings.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from abonent.accounts.models import Account, AccountStatus

SESSION_ID = "cab_account"
SESSION_EPOCH = "cab_epoch"
SESSION_LOGIN_AT = "cab_login_at"
SESSION_SEEN_AT = "cab_seen_at"
SESSION_EXPIRED = "cab_expired"
TOUCH_EVERY_SECONDS = 60


def cabinet_login(request: HttpRequest, account: Account) -> None:
    """Start a cabinet session for the account, with a new session id (no fixation)."""
    request.session.cycle_key()
    now = int(time.time())
    request.session[SESSION_ID] = account.pk
    request.session[SESSION_EPOCH] = account.auth_epoch
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_SEEN_AT] = now
    request.session.pop(SESSION_EXPIRED, None)
    request.account = account  # type: ignore[attr-defined]


def cabinet_adopt_epoch(request: HttpRequest, account: Account) -> None:
    """Keep this session alive after its own password change (which ends all the others)."""
    request.session.cycle_key()
    request.session[SESSION_EPOCH] = account.auth_epoch


def cabinet_logout(request: HttpRequest) -> None:
    """End the cabinet session (and anything else in this browser session)."""
    request.session.flush()
    request.account = None  # type: ignore[attr-defined]


def _end(request: HttpRequest, *, expired: bool) -> None:
    for key in (SESSION_ID, SESSION_EPOCH, SESSION_LOGIN_AT, SESSION_SEEN_AT):
        request.session.pop(key, None)
    if expired:
        request.session[SESSION_EXPIRED] = True


def cabinet_account(request: HttpRequest) -> Account | None:
    """The logged-in account, or None when there is none or its session has ended."""
    session = request.session
    account_id = session.get(SESSION_ID)
    if account_id is None:
        return None
    now = int(time.time())
    login_at = int(session.get(SESSION_LOGIN_AT, 0))
    seen_at = int(session.get(SESSION_SEEN_AT, 0))
    if (
        now - login_at > settings.ABONENT_CABINET_MAX_AGE_SECONDS
        or now - seen_at > settings.ABONENT_CABINET_IDLE_SECONDS
    ):
        _end(request, expired=True)
        return None
    account = Account.objects.select_related("tariff", "tariff__kind").filter(pk=account_id).first()
    if (
        account is None
        or account.auth_epoch != session.get(SESSION_EPOCH)
        or account.status == AccountStatus.CLOSED
    ):
        _end(request, expired=account is not None)
        return None
    if now - seen_at >= TOUCH_EVERY_SECONDS:
        session[SESSION_SEEN_AT] = now
    return account


def account_required(
    view: Callable[..., HttpResponse] | None = None, *, allow_initial_password: bool = False
) -> Any:
    """View decorator: a logged-in subscriber passes; others go to the login page. An account
    still on its paper password is sent to choose its own first (a setting)."""

    def decorator(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(func)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            account = cabinet_account(request)
            if account is None:
                login = reverse("cabinet:login")
                return HttpResponseRedirect(
                    f"{login}?{urlencode({'next': request.get_full_path()})}"
                )
            request.account = account  # type: ignore[attr-defined]
            if (
                account.must_change_password
                and settings.ABONENT_FORCE_PASSWORD_CHANGE
                and not allow_initial_password
            ):
                return HttpResponseRedirect(reverse("cabinet:password"))
            return func(request, *args, **kwargs)

        return wrapped

    return decorator(view) if view is not None else decorator
