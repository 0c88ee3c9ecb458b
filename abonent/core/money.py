"""Money is integer kopecks everywhere; this module is the only place that turns it into text."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

NBSP = "\u00a0"
THIN_NBSP = "\u202f"


def rubles(amount_kop: int) -> Decimal:
    """Kopecks as an exact ``Decimal`` number of roubles (for gateway payloads and exports)."""
    return (Decimal(amount_kop) / 100).quantize(Decimal("0.01"))


def format_money(amount_kop: int, lang: str | None = None, *, cents: bool = True) -> str:
    """Render kopecks for people: "1 000,00 ₽" in Russian, "₽1,000.00" in English.

    ``cents=False`` drops a zero kopeck part ("500 ₽", "₽500") for price tags.
    """
    if not isinstance(amount_kop, int) or isinstance(amount_kop, bool):
        raise TypeError(f"amount_kop must be int kopecks, not {type(amount_kop).__name__}")
    lang = (lang or translation.get_language() or "ru")[:2]
    sign = "-" if amount_kop < 0 else ""
    whole, kop = divmod(abs(amount_kop), 100)
    show_kop = cents or kop != 0
    if lang == "en":
        text = f"{whole:,}"
        if show_kop:
            text += f".{kop:02d}"
        return f"{sign}₽{text}"
    text = f"{whole:,}".replace(",", NBSP)
    if show_kop:
        text += f",{kop:02d}"
    return f"{sign}{text}{NBSP}₽"


def parse_rubles(text: str) -> int:
    """Parse what a person typed as roubles ("1 000,50", "1000.5", "500") into kopecks.

    Raises ``ValueError`` on anything else. No floats are involved.
    """
    cleaned = text.strip().replace(NBSP, "").replace(" ", "").replace("₽", "").replace(",", ".")
    if not cleaned or cleaned.count(".") > 1:
        raise ValueError(text)
    whole, _, frac = cleaned.partition(".")
    negative = whole.startswith("-")
    whole = whole.removeprefix("-")
    if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        raise ValueError(text)
    kop = int(whole) * 100 + int(frac.ljust(2, "0") or 0)
    return -kop if negative else kop
