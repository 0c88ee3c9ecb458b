"""Which notices also come by e-mail, per account. Only the subscriber's changes are stored
(``NotificationPreference``); every other kind follows ``EMAIL_DEFAULTS``."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import Account
from abonent.core.errors import ApplicationError, NotFound
from abonent.messaging.models import ALWAYS_EMAILED, NotificationKind, NotificationPreference

# What a subscriber gets by e-mail until they choose otherwise: everything about money and
# access (missing one costs them their connection) and support's replies; news only in the
# inbox, so that nobody is sent advertising they did not ask for.
EMAIL_DEFAULTS: dict[str, bool] = {
    NotificationKind.PAYMENT_RECEIVED: True,
    NotificationKind.LOW_BALANCE: True,
    NotificationKind.BLOCKED: True,
    NotificationKind.UNBLOCKED: True,
    NotificationKind.TARIFF_CHANGE_APPLIED: True,
    NotificationKind.TARIFF_CHANGE_REJECTED: True,
    NotificationKind.ADDON_CONNECTED: True,
    NotificationKind.TICKET_ANSWERED: True,
    NotificationKind.BROADCAST: False,
}
CHOOSABLE = [kind for kind in NotificationKind.values if kind not in ALWAYS_EMAILED]


def email_preferences(*, account_id: int) -> dict[str, bool]:
    """Every choosable kind → whether it comes by e-mail (one query)."""
    chosen = dict(
        NotificationPreference.objects.filter(account_id=account_id).values_list("kind", "by_email")
    )
    return {kind: chosen.get(kind, EMAIL_DEFAULTS[kind]) for kind in CHOOSABLE}


def email_wanted(*, account_id: int, kind: str) -> bool:
    """Whether a notice of ``kind`` goes by e-mail to the account (if it has an address)."""
    if kind in ALWAYS_EMAILED:
        return True
    chosen = (
        NotificationPreference.objects.filter(account_id=account_id, kind=kind)
        .values_list("by_email", flat=True)
        .first()
    )
    return EMAIL_DEFAULTS[kind] if chosen is None else chosen


def accounts_wanting_email(accounts: QuerySet[Account], *, kind: str) -> QuerySet[Account]:
    """Narrow ``accounts`` to those with an address that want ``kind`` by e-mail, in SQL (for
    broadcasts: one ``INSERT … SELECT`` however many accounts)."""
    chosen = NotificationPreference.objects.filter(account_id=OuterRef("pk"), kind=kind)
    accounts = accounts.exclude(email="")
    if kind in ALWAYS_EMAILED:
        return accounts
    if EMAIL_DEFAULTS[kind]:
        return accounts.filter(~Exists(chosen.filter(by_email=False)))
    return accounts.filter(Exists(chosen.filter(by_email=True)))


def email_preferences_set(
    *, account_id: int, by_email: set[str] | list[str], language: str | None = None
) -> dict[str, bool]:
    """The subscriber's choice: exactly the kinds in ``by_email`` come by e-mail; ``language``
    (when given) is the language of their notices and e-mails. Returns the new choice."""
    unknown = set(by_email) - set(CHOOSABLE)
    if unknown:
        raise ApplicationError(_("Unknown kind of notice."), field="by_email")
    languages = {code for code, _name in settings.LANGUAGES}
    if language is not None and language not in languages:
        raise ApplicationError(_("Unknown language."), field="language")
    with transaction.atomic():
        account = Account.objects.select_for_update().filter(pk=account_id).first()
        if account is None:
            raise NotFound(_("No such account."))
        NotificationPreference.objects.filter(account_id=account_id).delete()
        NotificationPreference.objects.bulk_create(
            NotificationPreference(account_id=account_id, kind=kind, by_email=kind in by_email)
            for kind in CHOOSABLE
            if (kind in by_email) != EMAIL_DEFAULTS[kind]
        )
        if language is not None and account.language != language:
            account.language = language
            account.save(update_fields=["language", "updated_at"])
    return email_preferences(account_id=account_id)
