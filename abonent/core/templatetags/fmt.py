"""Template filters for display formats: ``{{ phone|phone }}``."""

from __future__ import annotations

from django import template

from abonent.core.phone import format_phone

register = template.Library()


@register.filter
def phone(value: str | None) -> str:
    """``+79161234567`` → ``+7 916 123-45-67``."""
    return format_phone(value) if value else ""
