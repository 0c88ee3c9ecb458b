"""Contract numbers."""

from __future__ import annotations

import itertools

from abonent.accounts.contract import (
    LENGTH,
    contract_clean,
    contract_display,
    contract_generate,
    contract_is_valid,
    damm_digit,
)


def test_generated_numbers_are_valid_digits_of_the_right_length() -> None:
    numbers = {contract_generate() for _ in range(500)}
    assert len(numbers) > 490  # random, not sequential
    for number in numbers:
        assert len(number) == LENGTH and number.isdigit() and number[0] != "0"
        assert contract_is_valid(number)


def test_every_single_digit_typo_is_caught() -> None:
    number = contract_generate()
    for pos, digit in itertools.product(range(LENGTH), "0123456789"):
        if number[pos] == digit:
            continue
        typo = number[:pos] + digit + number[pos + 1 :]
        assert not contract_is_valid(typo), typo


def test_every_swap_of_neighbours_is_caught() -> None:
    for _ in range(50):
        number = contract_generate()
        for pos in range(LENGTH - 1):
            if number[pos] == number[pos + 1]:
                continue
            swapped = number[:pos] + number[pos + 1] + number[pos] + number[pos + 2 :]
            assert not contract_is_valid(swapped), (number, swapped)


def test_damm_known_value() -> None:
    # The textbook example: 572 → check digit 4.
    assert damm_digit("572") == 4
    assert damm_digit("5724") == 0


def test_cleaning_and_display() -> None:
    number = contract_generate()
    spaced = contract_display(number)
    assert spaced == f"{number[:4]} {number[4:]}"
    assert contract_clean(spaced) == number
    assert contract_clean(f" {number[:3]}-{number[3:]} ") == number
    assert not contract_is_valid("abcdefgh")
    assert not contract_is_valid(number + "0")
