"""Sliding-window rate limits kept in the database (shared by all web nodes)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from abonent.core.models import RateLimitEvent


def ratelimit_count(*, scope: str, key: str, window_seconds: int) -> int:
    """How many events of ``scope``/``key`` happened in the last ``window_seconds``."""
    since = timezone.now() - dt.timedelta(seconds=window_seconds)
    return RateLimitEvent.objects.filter(scope=scope, key=key, created_at__gte=since).count()


def ratelimit_exceeded(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """True when ``limit`` events or more already happened in the window."""
    return ratelimit_count(scope=scope, key=key, window_seconds=window_seconds) >= limit


def ratelimit_hit(*, scope: str, key: str) -> None:
    """Count one event now."""
    RateLimitEvent.objects.create(scope=scope, key=key[:128], created_at=timezone.now())


def ratelimit_prune(*, older_than_seconds: int = 86_400) -> int:
    """Delete events older than the longest window in use; returns how many went."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    deleted, _ = RateLimitEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def ratelimit_locked_until(
    *, scope: str, key: str, limit: int, window_seconds: int, lockout_seconds: int
) -> dt.datetime | None:
    """When ``limit`` events happened within one window, the key is locked until the last of
    them plus ``lockout_seconds``. Returns that moment while it is in the future, else None.
    """
    times = list(
        RateLimitEvent.objects.filter(scope=scope, key=key)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(times) < limit:
        return None
    newest, oldest = times[0], times[-1]
    if (newest - oldest).total_seconds() > window_seconds:
        return None
    until = newest + dt.timedelta(seconds=lockout_seconds)
    return until if until > timezone.now() else None


def ratelimit_clear(*, scope: str, key: str) -> None:
    """Forget the events of one key (for example after a successful login)."""
    RateLimitEvent.objects.filter(scope=scope, key=key).delete()
