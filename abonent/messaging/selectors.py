"""Reads of provider mail. A subscriber reaches a message only through these, scoped to the
account: another account's message is ``NotFound``, never told apart from a missing one."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import Account, AccountStatus
from abonent.core.errors import ApplicationError, NotFound
from abonent.messaging.models import MessageCategory, MessageRecipient
from abonent.messaging.segments import Segment


def inbox_for_account(
    *, account_id: int, unread_only: bool = False, category: str = ""
) -> QuerySet[MessageRecipient]:
    """The account's messages, newest first, each with its text (one query per page: the
    ``(account, message)`` index, the message joined). An unknown category is a 422."""
    if category and category not in MessageCategory.values:
        raise ApplicationError(
            _("Unknown category; use one of: %(categories)s.")
            % {"categories": ", ".join(MessageCategory.values)},
            field="category",
        )
    qs = (
        MessageRecipient.objects.filter(account_id=account_id)
        .select_related("message")
        .order_by("-message_id")
    )
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if category:
        qs = qs.filter(message__category=category)
    return qs


def unread_count(*, account_id: int) -> int:
    """How many of the account's messages are unread (the partial index on unread rows)."""
    return MessageRecipient.objects.filter(account_id=account_id, read_at__isnull=True).count()


def unread_count_for_request(request: HttpRequest) -> int | None:
    """The unread count of the request's logged-in account, counted once per request (the
    header's badge and the inbox page share it); None without an account."""
    account = getattr(request, "account", None)
    if account is None:
        return None
    cached = getattr(request, "_mail_unread", None)
    if cached is None:
        cached = unread_count(account_id=account.pk)
        request._mail_unread = cached  # type: ignore[attr-defined]
    return cached


def message_get_for_account(*, account_id: int, message_id: int) -> MessageRecipient:
    """The account's copy of one message, with the message; ``NotFound`` when the account did
    not receive it (whether or not it exists)."""
    item = (
        MessageRecipient.objects.select_related("message")
        .filter(account_id=account_id, message_id=message_id)
        .first()
    )
    if item is None:
        raise NotFound(_("No such message."))
    return item


def segment_accounts(*, segment: Segment) -> QuerySet[Account]:
    """The accounts a broadcast to the segment reaches: every filter given must hold. Closed
    accounts are left out unless the segment asks for the status ``closed`` itself.

    "Address contains" ignores case. PostgreSQL's ``icontains`` folds Cyrillic; SQLite's folds
    Latin letters only, so the text is also tried lower-case, upper-case and capitalised
    ("богородское" finds "пос. Богородское" there too).
    """
    qs = Account.objects.all()
    if segment.status:
        qs = qs.filter(status=segment.status)
    else:
        qs = qs.exclude(status=AccountStatus.CLOSED)
    if segment.service_kind:
        qs = qs.filter(tariff__kind__slug=segment.service_kind)
    if segment.tariff_id is not None:
        qs = qs.filter(tariff_id=segment.tariff_id)
    if segment.address_contains:
        text = segment.address_contains
        variants = {text, text.lower(), text.upper(), text.capitalize(), text.title()}
        condition = Q(address__icontains=text)
        for variant in variants:
            condition |= Q(address__contains=variant)
        qs = qs.filter(condition)
    if segment.balance_below_kop is not None:
        qs = qs.filter(balance_kop__lt=segment.balance_below_kop)
    return qs
