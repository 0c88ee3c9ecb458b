"""Contract numbers: digits only, with a Damm check digit that catches every single-digit typo
and every swap of two neighbouring digits before the database is asked."""

from __future__ import annotations

import secrets

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
BODY_DIGITS = 7
LENGTH = BODY_DIGITS + 1


def damm_digit(digits: str) -> int:
    """The Damm check digit of a string of digits."""
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][ord(ch) - 48]
    return interim


def contract_is_valid(number: str) -> bool:
    """True for a well-formed contract number (right length, digits, check digit)."""
    return (
        len(number) == LENGTH
        and number.isascii()
        and number.isdigit()
        and (damm_digit(number) == 0)
    )


def contract_clean(raw: str) -> str:
    """What a person typed (spaces, dashes allowed) as bare digits."""
    return "".join(ch for ch in (raw or "") if not ch.isspace() and ch != "-")


def contract_generate() -> str:
    """A random new contract number: 7 digits (no leading zero) and the check digit.

    Random rather than sequential, so logins cannot be enumerated; uniqueness is kept by the
    database and a collision is retried by the caller.
    """
    body = str(secrets.randbelow(9 * 10 ** (BODY_DIGITS - 1)) + 10 ** (BODY_DIGITS - 1))
    return body + str(damm_digit(body))


def contract_display(number: str) -> str:
    """``12345678`` → ``1234 5678`` for reading aloud."""
    return f"{number[:4]} {number[4:]}" if len(number) == LENGTH else number
