"""Sliding-window rate limits in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from abonent.core.models import RateLimitEvent
from abonent.core.ratelimit import (
    ratelimit_count,
    ratelimit_exceeded,
    ratelimit_hit,
    ratelimit_prune,
)

pytestmark = pytest.mark.django_db


def _event_ago(seconds: int, *, scope: str = "s", key: str = "k") -> None:
    RateLimitEvent.objects.create(
        scope=scope, key=key, created_at=timezone.now() - dt.timedelta(seconds=seconds)
    )


def test_exceeded_at_the_limit_not_before() -> None:
    for n in range(3):
        assert not ratelimit_exceeded(scope="s", key="k", limit=3, window_seconds=60), n
        ratelimit_hit(scope="s", key="k")
    assert ratelimit_exceeded(scope="s", key="k", limit=3, window_seconds=60)


def test_scopes_and_keys_are_counted_apart() -> None:
    ratelimit_hit(scope="s", key="k")
    ratelimit_hit(scope="s", key="k")
    ratelimit_hit(scope="s", key="other")
    ratelimit_hit(scope="t", key="k")
    assert ratelimit_count(scope="s", key="k", window_seconds=60) == 2
    assert ratelimit_count(scope="s", key="other", window_seconds=60) == 1
    assert ratelimit_count(scope="t", key="k", window_seconds=60) == 1
    assert ratelimit_count(scope="t", key="nobody", window_seconds=60) == 0


def test_window_slides() -> None:
    _event_ago(3_500)
    _event_ago(1_000)
    _event_ago(10)
    assert ratelimit_count(scope="s", key="k", window_seconds=3_600) == 3
    assert ratelimit_count(scope="s", key="k", window_seconds=1_800) == 2
    assert ratelimit_count(scope="s", key="k", window_seconds=60) == 1
    assert ratelimit_exceeded(scope="s", key="k", limit=3, window_seconds=3_600)
    assert not ratelimit_exceeded(scope="s", key="k", limit=3, window_seconds=1_800)


def test_long_keys_are_cut_to_fit() -> None:
    ratelimit_hit(scope="s", key="x" * 500)
    assert ratelimit_count(scope="s", key="x" * 128, window_seconds=60) == 1


def test_prune_deletes_only_old_events() -> None:
    _event_ago(200_000)
    _event_ago(90_000)
    _event_ago(100)
    assert ratelimit_prune() == 2
    assert RateLimitEvent.objects.count() == 1
    assert ratelimit_prune(older_than_seconds=50) == 1
    assert not RateLimitEvent.objects.exists()
