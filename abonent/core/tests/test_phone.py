"""Russian phone numbers as people write them."""

from __future__ import annotations

import pytest

from abonent.core.errors import ApplicationError
from abonent.core.phone import format_phone, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 (496) 552-22-22", "+74965522222"),
        ("+7 916 123-45-67", "+79161234567"),
        ("9161234567", "+79161234567"),
        ("79161234567", "+79161234567"),
        ("89161234567", "+79161234567"),
        ("8-916-123-45-67", "+79161234567"),
        ("7-916-123-45-67", "+79161234567"),
        ("+7(916)1234567", "+79161234567"),
        ("  +7 916 123 45 67  ", "+79161234567"),
        ("8.916.123.45.67", "+79161234567"),
        ("(496) 552-22-22", "+74965522222"),
    ],
)
def test_normalize_phone_accepts_common_spellings(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "required"),
        ("   ", "required"),
        (None, "required"),
        ("звоните мне", "invalid_phone"),
        ("8 916 ABC-45-67", "invalid_phone"),
        ("12345", "invalid_phone"),
        ("916123456", "invalid_phone"),
        ("891612345678", "invalid_phone"),
        ("+7 916 123-45-678", "invalid_phone"),
        ("+1 212 555 0100", "invalid_phone"),
        ("+44 20 7946 0958", "invalid_phone"),
        ("++79161234567", "invalid_phone"),
        ("+7 916 +123-45-67", "invalid_phone"),
        ("8 916 123-45-67+", "invalid_phone"),
        ("0161234567", "invalid_phone"),
        ("7161234567", "invalid_phone"),
        ("69161234567", "invalid_phone"),
    ],
)
def test_normalize_phone_rejects(raw: str, code: str) -> None:
    with pytest.raises(ApplicationError) as info:
        normalize_phone(raw)
    assert info.value.field == "phone"
    assert info.value.code == code
    assert info.value.status == 422
    assert str(info.value.message)


def test_normalize_phone_reports_the_given_field() -> None:
    with pytest.raises(ApplicationError) as info:
        normalize_phone("nope", field="contact_phone")
    assert info.value.field == "contact_phone"


def test_format_phone() -> None:
    assert format_phone("+79161234567") == "+7 916 123-45-67"
    assert format_phone(normalize_phone("8 (496) 552-22-22")) == "+7 496 552-22-22"


@pytest.mark.parametrize("odd", ["", "+7916", "89161234567", "+449161234567x"])
def test_format_phone_leaves_what_it_does_not_understand(odd: str) -> None:
    assert format_phone(odd) == odd
