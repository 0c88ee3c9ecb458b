"""Writes the back office owns: staff sign-in with a brute-force lockout.

Failed attempts are counted per username and per client IP in ``RateLimitEvent`` (shared by
every web node). When a counter reaches its limit within the window, a lock event is written and
every attempt for that username (or from that IP) is refused, the right password included, until
the lock is ``ABONENT_STAFF_LOGIN_LOCK_SECONDS`` old. Attempts refused while locked are not
counted, so the lock ends on time and nobody can extend it forever.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from abonent.core.errors import ApplicationError, RateLimited
from abonent.core.models import RateLimitEvent
from abonent.core.ratelimit import ratelimit_exceeded, ratelimit_hit

logger = logging.getLogger(__name__)

SCOPE_USER = "staff_login_user"
SCOPE_IP = "staff_login_ip"
SCOPE_USER_LOCK = "staff_login_user_lock"
SCOPE_IP_LOCK = "staff_login_ip_lock"


def login_limit_user() -> int:
    """Failed attempts for one username that lock it."""
    return int(getattr(settings, "ABONENT_STAFF_LOGIN_LIMIT_USER", 10))


def login_limit_ip() -> int:
    """Failed attempts from one IP that lock it."""
    return int(getattr(settings, "ABONENT_STAFF_LOGIN_LIMIT_IP", 30))


def login_window_seconds() -> int:
    """The window in which failed attempts are counted."""
    return int(getattr(settings, "ABONENT_STAFF_LOGIN_WINDOW_SECONDS", 15 * 60))


def login_lock_seconds() -> int:
    """How long a lock lasts."""
    return int(getattr(settings, "ABONENT_STAFF_LOGIN_LOCK_SECONDS", 15 * 60))


def _user_key(username: str) -> str:
    return (username or "").strip().lower()[:128]


def _locked_error() -> RateLimited:
    minutes = max(1, login_lock_seconds() // 60)
    return RateLimited(
        _(
            "Too many failed sign-in attempts. Signing in is locked for %(minutes)d minutes; "
            "try again later or ask an administrator."
        )
        % {"minutes": minutes},
        code="locked",
    )


def staff_login_locked(*, username: str, ip: str) -> bool:
    """True while this username or this IP is locked out of the back office."""
    lock = login_lock_seconds()
    return ratelimit_exceeded(
        scope=SCOPE_USER_LOCK, key=_user_key(username), limit=1, window_seconds=lock
    ) or ratelimit_exceeded(scope=SCOPE_IP_LOCK, key=ip, limit=1, window_seconds=lock)


def _record_failure(*, username: str, ip: str) -> bool:
    """Count one failed attempt; lock what reached its limit. True when something got locked."""
    key = _user_key(username)
    window = login_window_seconds()
    locked = False
    with transaction.atomic():
        ratelimit_hit(scope=SCOPE_USER, key=key)
        ratelimit_hit(scope=SCOPE_IP, key=ip)
        if ratelimit_exceeded(
            scope=SCOPE_USER, key=key, limit=login_limit_user(), window_seconds=window
        ):
            ratelimit_hit(scope=SCOPE_USER_LOCK, key=key)
            locked = True
        if ratelimit_exceeded(
            scope=SCOPE_IP, key=ip, limit=login_limit_ip(), window_seconds=window
        ):
            ratelimit_hit(scope=SCOPE_IP_LOCK, key=ip)
            locked = True
    if locked:
        logger.warning("staff sign-in locked: username=%r ip=%s", key, ip)
    return locked


def staff_authenticate(
    *, request: HttpRequest | None, username: str, password: str, ip: str
) -> Any:
    """Check a staff member's username and password, honouring the lockout.

    Returns the user (active, ``is_staff``). Raises ``RateLimited`` while the username or the IP is
    locked (even for the right password) and ``ApplicationError`` for a wrong username or
    password, never telling which of the two was wrong.
    """
    if staff_login_locked(username=username, ip=ip):
        raise _locked_error()
    user = authenticate(request, username=(username or "").strip(), password=password or "")
    if user is None or not user.is_staff or not user.is_active:
        if _record_failure(username=username, ip=ip):
            raise _locked_error()
        raise ApplicationError(
            _("Wrong username or password. Note that both are case-sensitive."),
            code="invalid_login",
        )
    # A successful sign-in forgives this username's earlier typos (the IP counter stays).
    RateLimitEvent.objects.filter(scope=SCOPE_USER, key=_user_key(username)).delete()
    return user
