"""Reads of accounts: the subscriber's own, and staff searches."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from abonent.accounts.contract import contract_clean
from abonent.accounts.models import Account, AccountStatus
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


def _case_variants(text: str) -> set[str]:
    """The usual spellings of a word's case. SQLite's LIKE folds ASCII letters only, so
    "иванов" would miss "Иванов" there; trying each spelling keeps the search portable."""
    return {text, text.lower(), text.upper(), text.title(), text.capitalize()}


def account_staff_search(*, query: str = "", status: str = "") -> QuerySet[Account]:
    """Staff search, newest first, with the tariff joined: by our contract number (spaces or
    dashes allowed), the previous system's number, any spelling of the phone (4+ digits), or
    the holder's name or address in any letter case (Cyrillic too, on SQLite as well)."""
    qs = Account.objects.select_related("tariff").order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    text = " ".join((query or "").split())
    if not text:
        return qs
    condition = Q(legacy_contract__iexact=text)
    for variant in _case_variants(text):
        condition |= Q(holder_name__icontains=variant) | Q(address__icontains=variant)
    number = contract_clean(text)
    if number.isdigit():
        condition |= Q(contract=number) | Q(legacy_contract=number)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 4 and not any(ch.isalpha() for ch in text):
        phone_digits = digits[1:] if len(digits) == 11 and digits[0] in "78" else digits
        condition |= Q(phone__contains=phone_digits)
    return qs.filter(condition)


def account_status_counts() -> dict[str, int]:
    """How many accounts are in each status (every status present, zeros included)."""
    rows = Account.objects.order_by().values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in AccountStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def account_get_for_lead(*, lead_id: int) -> Account | None:
    """The account signed from a connection request, if any."""
    return Account.objects.filter(lead_id=lead_id).first()
