"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def provider(request: HttpRequest) -> dict[str, Any]:
    """The provider's name and contacts, and whether this is the demo."""
    return {"provider": settings.ABONENT_PROVIDER, "demo_mode": settings.DEMO}
