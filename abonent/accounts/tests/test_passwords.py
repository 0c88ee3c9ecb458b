"""Paper passwords and chosen passwords."""

from __future__ import annotations

import pytest

from abonent.accounts.passwords import (
    PAPER_ALPHABET,
    PAPER_LENGTH,
    password_check_new,
    password_generate,
)
from abonent.core.errors import ApplicationError


def test_paper_passwords_have_no_look_alikes() -> None:
    for ch in "0Oo1lIi":
        assert ch not in PAPER_ALPHABET
    values = {password_generate() for _ in range(300)}
    assert len(values) == 300
    for value in values:
        assert len(value) == PAPER_LENGTH
        assert set(value) <= set(PAPER_ALPHABET)
        assert any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short7", "too_short"),
        ("12345678", "contract"),
        ("x12345678y", "contract"),
        ("qwertyuiop", "common"),
        ("aaaaaaaaaa", "common"),
    ],
)
def test_bad_choices_are_refused(password: str, code: str) -> None:
    with pytest.raises(ApplicationError) as err:
        password_check_new(password=password, contract="12345678")
    assert err.value.code == code
    assert err.value.field == "new_password"


def test_good_choice_passes() -> None:
    password_check_new(password="Сосна-у-реки-7", contract="12345678")
