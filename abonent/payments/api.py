"""JSON API of payments (under /api/v1/me)."""

from ninja import Router

router = Router(tags=["payments"])
