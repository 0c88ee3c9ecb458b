"""Paper passwords and the rules for passwords subscribers choose."""

from __future__ import annotations

import secrets

from django.utils.translation import gettext_lazy as _

from abonent.core.errors import ApplicationError

# No look-alikes: no 0/O/o, 1/l/I/i, 5/S/s, 2/Z/z, 8/B, u/v.
PAPER_ALPHABET = "34679ACDEFGHJKLMNPQRTUVWXYabcdefghjkmnpqrtwxy"
PAPER_LENGTH = 10
MIN_LENGTH = 8
COMMON = frozenset(
    """
    12345678 123456789 1234567890 87654321 11111111 00000000 password password1 qwerty123
    qwertyui qwertyuiop 1q2w3e4r 1q2w3e4r5t zaq12wsx iloveyou sunshine princess football
    baseball welcome abc12345 abcd1234 passw0rd 123123123 11223344 qazwsxedc 12341234
    parol123 parol1234 privet123 internet internet1 spnet123 abonent abonent1 letmein1
    """.split()
)


def password_generate() -> str:
    """A new paper password: 10 characters without look-alikes, at least one digit."""
    while True:
        value = "".join(secrets.choice(PAPER_ALPHABET) for _ in range(PAPER_LENGTH))
        if any(ch.isdigit() for ch in value) and any(ch.isalpha() for ch in value):
            return value


def password_check_new(*, password: str, contract: str, field: str = "new_password") -> None:
    """Refuse a chosen password that is short, the contract number, or a common one."""
    if len(password) < MIN_LENGTH:
        raise ApplicationError(
            _("The password must be at least %(n)d characters long.") % {"n": MIN_LENGTH},
            field=field,
            code="too_short",
        )
    bare = password.replace(" ", "").replace("-", "")
    if contract and contract in bare:
        raise ApplicationError(
            _("The password must not contain the contract number."), field=field, code="contract"
        )
    if password.lower() in COMMON or len(set(password)) <= 2:
        raise ApplicationError(
            _("This password is too easy to guess. Choose another one."),
            field=field,
            code="common",
        )
