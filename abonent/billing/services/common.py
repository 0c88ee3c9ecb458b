"""Shared helpers of the billing services."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import Account
from abonent.core.errors import NotFound


def account_lock(account_id: int) -> Account:
    """The account row, locked for the rest of the transaction (no joins: only this row)."""
    account = Account.objects.select_for_update().filter(pk=account_id).first()
    if account is None:
        raise NotFound(_("No such account."))
    return account
