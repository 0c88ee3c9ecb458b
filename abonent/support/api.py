"""JSON API of support (under /api/v1/me)."""

from ninja import Router

router = Router(tags=["support"])
