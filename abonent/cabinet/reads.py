"""Owner-scoped reads the billing selectors do not offer yet (the open pause, the active promise,
add-on names for ledger lines). Each takes the account id and never returns another account's
rows. They belong in abonent.billing.selectors; they live here until the billing app adds them.
"""

from __future__ import annotations

from collections.abc import Iterable

from abonent.billing.models import AccountPause, PromisedPayment, PromisedStatus
from abonent.catalogue.models import Addon


def pause_open(*, account_id: int) -> AccountPause | None:
    """The account's pause that has not been resumed, if any."""
    return AccountPause.objects.filter(account_id=account_id, resumed_on__isnull=True).first()


def pause_last(*, account_id: int) -> AccountPause | None:
    """The account's most recent pause (for the refund shown after a resume)."""
    return AccountPause.objects.filter(account_id=account_id).order_by("-created_at", "-id").first()


def promise_active(*, account_id: int) -> PromisedPayment | None:
    """The account's promised payment that has not expired yet, if any."""
    return PromisedPayment.objects.filter(
        account_id=account_id, status=PromisedStatus.ACTIVE
    ).first()


def addon_names(*, ids: Iterable[int]) -> dict[int, str]:
    """Add-on names by id (in the page's language), in one query; catalogue data is public."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {addon.pk: addon.title for addon in Addon.objects.filter(pk__in=wanted)}
