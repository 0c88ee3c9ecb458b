"""Card arithmetic and the sandbox's test cards. Card numbers live only in local variables here.

Nothing in this module stores, logs or returns a full card number: ``card_display`` keeps the
first six and last four digits, which is all the rest of the sandbox ever sees.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .models import CancellationReason


class Outcome:
    SUCCESS = "success"
    DECLINE = "decline"
    THREE_DS = "3ds"
    SAVE_THEN_DECLINE = "save_then_decline"


@dataclass(frozen=True)
class TestCard:
    number: str
    outcome: str
    reason: str = ""
    label: str = ""


TEST_CARDS: dict[str, TestCard] = {
    card.number: card
    for card in (
        TestCard("4111111111111111", Outcome.SUCCESS, label="Visa"),
        TestCard("5555555555554444", Outcome.SUCCESS, label="Mastercard"),
        TestCard("2200000000000004", Outcome.SUCCESS, label="Mir"),
        TestCard(
            "4000000000000002", Outcome.DECLINE, CancellationReason.INSUFFICIENT_FUNDS, "Visa"
        ),
        TestCard("4000000000000069", Outcome.DECLINE, CancellationReason.CARD_EXPIRED, "Visa"),
        TestCard("4000000000003220", Outcome.THREE_DS, label="Visa"),
        TestCard(
            "4000000000000341",
            Outcome.SAVE_THEN_DECLINE,
            CancellationReason.INSUFFICIENT_FUNDS,
            "Visa",
        ),
    )
}

THREE_DS_CODE = "123456"


def digits_only(text: str) -> str:
    """The number as typed, without the spaces (or dashes) people put between groups."""
    return "".join(text.split()).replace("-", "")


def luhn_valid(number: str) -> bool:
    """The Luhn checksum of a string of digits."""
    if not number.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def brand_of(number: str) -> str:
    """The payment system by the number's prefix, in YooKassa's ``card_type`` spelling."""
    if number[:4] in {"2200", "2201", "2202", "2203", "2204"}:
        return "Mir"
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4] or 0) <= 2720:
        return "MasterCard"
    return "Unknown"


def parse_expiry(text: str) -> tuple[int, int] | None:
    """``MM/YY`` (or ``MM/YYYY``, ``MMYY``) as ``(month, four-digit year)``, or None."""
    cleaned = text.replace(" ", "")
    month_text, sep, year_text = cleaned.partition("/")
    if not sep and len(cleaned) == 4:
        month_text, year_text = cleaned[:2], cleaned[2:]
    if not (month_text.isdigit() and year_text.isdigit() and len(year_text) in (2, 4)):
        return None
    month, year = int(month_text), int(year_text)
    if not 1 <= month <= 12:
        return None
    if len(year_text) == 2:
        year += 2000
    return month, year


def expiry_in_past(month: int, year: int, today: dt.date) -> bool:
    """A card is valid through the last day of its expiry month."""
    return (year, month) < (today.year, today.month)
