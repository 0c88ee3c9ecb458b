"""Fixtures of the back-office tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db.models import F

from abonent.core.models import RateLimitEvent


@pytest.fixture
def pass_time(db) -> Callable[[int], None]:
    """Move every rate-limit event ``minutes`` into the past (as if that much time went by)."""

    def move(minutes: int) -> None:
        RateLimitEvent.objects.update(created_at=F("created_at") - dt.timedelta(minutes=minutes))

    return move
