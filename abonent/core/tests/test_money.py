"""Kopecks ↔ text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from abonent.core.money import NBSP, format_money, parse_rubles, rubles


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (0, f"0,00{NBSP}₽"),
        (5, f"0,05{NBSP}₽"),
        (100_000, f"1{NBSP}000,00{NBSP}₽"),
        (123_456_789, f"1{NBSP}234{NBSP}567,89{NBSP}₽"),
        (-150, f"-1,50{NBSP}₽"),
    ],
)
def test_format_money_russian(amount: int, expected: str) -> None:
    assert format_money(amount, "ru") == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(0, "₽0.00"), (100_000, "₽1,000.00"), (123_456_789, "₽1,234,567.89"), (-150, "-₽1.50")],
)
def test_format_money_english(amount: int, expected: str) -> None:
    assert format_money(amount, "en") == expected


def test_format_money_uses_nonbreaking_spaces_only() -> None:
    text = format_money(100_000_000, "ru")
    assert " " not in text
    assert text.count(NBSP) == 3


def test_format_money_without_cents_drops_only_zero_kopecks() -> None:
    assert format_money(50_000, "ru", cents=False) == f"500{NBSP}₽"
    assert format_money(50_000, "en", cents=False) == "₽500"
    assert format_money(50_050, "ru", cents=False) == f"500,50{NBSP}₽"


def test_format_money_follows_active_language() -> None:
    with translation.override("en"):
        assert format_money(100) == "₽1.00"
    with translation.override("ru"):
        assert format_money(100) == f"1,00{NBSP}₽"
    with translation.override("en-us"):
        assert format_money(100) == "₽1.00"


@pytest.mark.parametrize("bad", [1.5, 100.0, True, False, Decimal("1"), "100", None])
def test_format_money_rejects_non_int(bad: object) -> None:
    with pytest.raises(TypeError):
        format_money(bad)  # type: ignore[arg-type]


def test_rubles_is_exact_decimal() -> None:
    assert rubles(100_001) == Decimal("1000.01")
    assert rubles(-5) == Decimal("-0.05")
    assert str(rubles(7)) == "0.07"


@pytest.mark.parametrize(
    ("text", "kop"),
    [
        ("500", 50_000),
        ("1000.5", 100_050),
        ("1 000,50", 100_050),
        (f"1{NBSP}000,05{NBSP}₽", 100_005),
        ("0,01", 1),
        ("  42 ", 4_200),
        ("-12,30", -1_230),
        ("7.", 700),
    ],
)
def test_parse_rubles_accepts(text: str, kop: int) -> None:
    assert parse_rubles(text) == kop


@pytest.mark.parametrize(
    "text", ["", "   ", "abc", "1.2.3", "1,234", "1.001", "--5", "5-", "1e3", "₽", "12,3a", ".5"]
)
def test_parse_rubles_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rubles(text)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_format_then_parse_round_trips(lang: str) -> None:
    amounts = list(range(-1_050, 1_050, 7)) + [10**k + d for k in range(2, 13) for d in (-1, 0, 1)]
    for amount in amounts:
        text = format_money(amount, lang)
        if lang == "en":
            text = text.replace("₽", "").replace(",", "")
        assert parse_rubles(text) == amount, text
