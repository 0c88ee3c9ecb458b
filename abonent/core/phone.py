"""Russian phone numbers as people write them, normalised to +7XXXXXXXXXX."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from abonent.core.errors import ApplicationError

_ALLOWED = re.compile(r"^[\d\s()+\-.]+$")


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """Return the number as ``+7XXXXXXXXXX`` or raise ``ApplicationError``.

    Accepts the common spellings: ``8 (496) 552-22-22``, ``+7 916 123-45-67``, ``9161234567``,
    ``7-916-123-45-67``.
    """
    text = (raw or "").strip()
    if not text:
        raise ApplicationError(_("Enter a phone number."), field=field, code="required")
    if (
        not _ALLOWED.match(text)
        or text.count("+") > 1
        or ("+" in text and not text.startswith("+"))
    ):
        raise ApplicationError(
            _("Enter a Russian phone number, for example +7 916 123-45-67."),
            field=field,
            code="invalid_phone",
        )
    digits = re.sub(r"\D", "", text)
    if text.startswith("+") and not digits.startswith("7"):
        raise ApplicationError(
            _("Only Russian numbers (+7) are accepted."), field=field, code="invalid_phone"
        )
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "0127":
        raise ApplicationError(
            _("Enter a Russian phone number, for example +7 916 123-45-67."),
            field=field,
            code="invalid_phone",
        )
    return "+7" + digits


def format_phone(normalized: str) -> str:
    """``+79161234567`` → ``+7 916 123-45-67`` for display."""
    if len(normalized) != 12 or not normalized.startswith("+7"):
        return normalized
    d = normalized[2:]
    return f"+7 {d[0:3]} {d[3:6]}-{d[6:8]}-{d[8:10]}"
