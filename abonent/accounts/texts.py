"""Plain words for subscribers about their account, shared by the cabinet and the API."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from abonent.accounts.models import Account, AccountStatus
from abonent.core.money import format_money


def status_explanation(account: Account) -> str:
    """What the account's status means for the subscriber, and what to do about it."""
    if account.status == AccountStatus.NEW:
        missing = settings.ABONENT_CONNECTION_DEPOSIT_KOP - account.balance_kop
        if missing > 0:
            return _(
                "Your contract is signed. Top up your account with %(missing)s to start: "
                "access opens once %(deposit)s is on the balance."
            ) % {
                "missing": format_money(missing, cents=False),
                "deposit": format_money(settings.ABONENT_CONNECTION_DEPOSIT_KOP, cents=False),
            }
        return _("The deposit is on your balance; access opens within a few minutes.")
    if account.status == AccountStatus.ACTIVE:
        return _("Everything works. Fees are charged in advance from your balance.")
    if account.status == AccountStatus.BLOCKED:
        return _(
            "Access is suspended: the balance is not enough for the next fee. Top up your "
            "account and access returns at once."
        )
    if account.status == AccountStatus.SUSPENDED:
        return _("Service is paused at your request; no fees are charged while it is paused.")
    return _("The contract is closed.")


def fee_period_short(period: str) -> str:
    """ "/мес" or "/сутки" after a price."""
    return _("/mo") if period == "month" else _("/day") if period == "day" else ""
