"""Template filters: ``money``, ``money_short`` (kopecks) and ``mbit`` (kbit/s)."""

from __future__ import annotations

from django import template

from abonent.core.money import format_money

register = template.Library()


@register.filter
def money(amount_kop: int | None) -> str:
    """Kopecks as "1 000,00 ₽" / "₽1,000.00" in the page's language."""
    return "" if amount_kop is None else format_money(int(amount_kop))


@register.filter
def money_short(amount_kop: int | None) -> str:
    """Kopecks as a price tag: "500 ₽", kopecks only when there are some."""
    return "" if amount_kop is None else format_money(int(amount_kop), cents=False)


@register.filter
def mbit(kbps: int | None) -> str:
    """kbit/s as whole Mbit/s ("100"), or with one decimal under 10 Mbit/s; no floats."""
    if kbps is None:
        return ""
    kbps = int(kbps)
    if kbps >= 10_000 or kbps % 1000 == 0:
        return str(kbps // 1000)
    return f"{kbps // 1000},{(kbps % 1000) // 100}"
