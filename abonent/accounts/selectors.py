"""Reads of accounts: the subscriber's own, and staff searches."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from abonent.accounts.contract import contract_clean
from abonent.accounts.models import Account
from abonent.core.errors import NotFound


def account_get(*, account_id: int) -> Account:
    """One account with its tariff, or ``NotFound``."""
    account = (
        Account.objects.select_related("tariff", "tariff__kind", "lead")
        .filter(pk=account_id)
        .first()
    )
    if account is None:
        raise NotFound("No such account.")
    return account


def account_search(*, query: str = "", status: str = "") -> QuerySet[Account]:
    """Staff search by contract number (ours or the previous system's), phone, name or address."""
    qs = Account.objects.select_related("tariff")
    if status:
        qs = qs.filter(status=status)
    text = " ".join((query or "").split())
    if not text:
        return qs
    digits = "".join(ch for ch in text if ch.isdigit())
    condition = Q(holder_name__icontains=text) | Q(address__icontains=text)
    number = contract_clean(text)
    if number.isdigit():
        condition |= Q(contract=number) | Q(legacy_contract=number)
    else:
        condition |= Q(legacy_contract=text)
    if len(digits) >= 4:
        phone_digits = digits[1:] if len(digits) == 11 and digits[0] in "78" else digits
        condition |= Q(phone__contains=phone_digits)
    return qs.filter(condition)
