"""Automatic notices: one function per kind, each writing the inbox message and, when the
account has an address and wants that kind by e-mail, the outbox row.

**Same transaction, not on commit.** Every notice is decided inside the transaction of its
event (the payment's, the refusal's, …), never in an ``on_commit`` callback: the message and
the e-mail then exist exactly when the event does. A callback after commit is lost when the
process dies between the commit and the callback, and an e-mail for an event that rolled back
would tell a lie. It costs the event a few inserts and the rendering of two small templates.

The charge run and card payments' webhooks are the exceptions in *how*, not in *whether*:
rendering thousands of notices inside a range transaction that holds those accounts locked
would slow every payment behind it, and a webhook answers the acquirer faster with one row to
write than with a message, its recipient, its log row and a rendered e-mail. They instead
enqueue a task row (the database task backend writes it in the same transaction) carrying the
ids; the worker writes the notices later, each in its own transaction. Durable all the same:
the task row commits or rolls back with the event.

**Exactly once.** Each notice carries a key naming its event (``payment_received:<entry id>``,
``blocked:<account>:<day>``, ``low_balance:<account>:<month>``…); ``NotificationLog`` keeps
keys unique, so a hook that runs twice or a task run again after a crash writes nothing new.

Billing and accounts call these lazily (imported inside their functions): messaging reads
billing (the forecast, tariff changes, add-ons), so a top-level import back would be a cycle,
and billing stays loadable and testable without mail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from abonent.accounts.models import Account, AccountStatus
from abonent.core.money import format_money
from abonent.messaging.emails import email_language
from abonent.messaging.models import Message, MessageCategory, NotificationKind, NotificationLog
from abonent.messaging.outbox import outbox_add
from abonent.messaging.preferences import email_wanted
from abonent.messaging.services import message_send_to_account

Compose = Callable[[Account], tuple[str, str]]


def _date(day: dt.date | dt.datetime) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _notice(
    *,
    account: Account,
    kind: str,
    key: str,
    category: str,
    compose: Compose,
    sender: Any = None,
    event_key: bool = False,
) -> Message | None:
    """Write one notice (inbox message, log row, e-mail if wanted) in a savepoint of the
    caller's transaction; None when its key was already used (it fired before).

    ``event_key``: the key names a row made in the caller's transaction, which holds the
    account locked (``ledger_post``'s hook). No other transaction can know that key before
    ours commits, so once the check below found it unused nobody can take it meanwhile: no
    savepoint is needed to survive a duplicate (none can happen; any error rolls the caller
    back, notice and event together)."""
    if NotificationLog.objects.filter(key=key).exists():
        return None
    with translation.override(email_language(account.language)):
        subject, body = compose(account)
    if event_key:
        return _notice_write(account, kind, key, category, subject, body, sender, locked=True)
    try:
        with transaction.atomic():
            return _notice_write(account, kind, key, category, subject, body, sender)
    except IntegrityError:  # the same event, notified at the same moment by someone else
        return None


def _notice_write(  # noqa: PLR0913 - the notice's parts, from _notice only
    account: Account,
    kind: str,
    key: str,
    category: str,
    subject: str,
    body: str,
    sender: Any,
    *,
    locked: bool = False,
) -> Message:
    message = message_send_to_account(
        account_id=account.pk,
        subject=subject,
        body=body,
        category=category,
        sender=sender,
        account_locked=locked,
    )
    NotificationLog.objects.create(account=account, kind=kind, key=key, message=message)
    if account.email and email_wanted(account_id=account.pk, kind=kind):
        outbox_add(account=account, kind=kind, subject=subject, body=body)
    return message


# --- money and access ------------------------------------------------------------------------


def payment_received(*, account: Account, entry: Any, in_posting: bool = False) -> Message | None:
    """Money arrived (a ledger entry of kind ``payment``). ``in_posting``: called by
    ``ledger_post``'s hook, in the transaction that made ``entry`` with the account locked."""

    def compose(a: Account) -> tuple[str, str]:
        amount = format_money(entry.amount_kop)
        subject = gettext("Payment received: %(amount)s") % {"amount": amount}
        body = gettext(
            "Thank you! %(amount)s has been credited to personal account %(contract)s. "
            "The balance is now %(balance)s."
        ) % {"amount": amount, "contract": a.contract, "balance": format_money(a.balance_kop)}
        return subject, body

    return _notice(
        account=account,
        kind=NotificationKind.PAYMENT_RECEIVED,
        key=f"payment_received:{entry.pk}",
        category=MessageCategory.BILLING,
        compose=compose,
        event_key=in_posting,
    )


def account_unblocked(
    *, account: Account, was: str, entry: Any, in_posting: bool = False
) -> Message | None:
    """A ``new`` account got its deposit, or a ``blocked`` one paid: services are on.
    ``in_posting``: as for ``payment_received``."""

    def compose(a: Account) -> tuple[str, str]:
        balance = format_money(a.balance_kop)
        if was == AccountStatus.NEW:
            subject = gettext("Your connection is active")
            body = gettext(
                "The connection deposit has arrived and your services are on. Welcome to "
                "%(provider)s! The balance is now %(balance)s."
            ) % {"provider": settings.ABONENT_PROVIDER["name"], "balance": balance}
        else:
            subject = gettext("Your services are on again")
            body = gettext(
                "The payment covered the fees due and your services are on again. "
                "The balance is now %(balance)s."
            ) % {"balance": balance}
        return subject, body

    return _notice(
        account=account,
        kind=NotificationKind.UNBLOCKED,
        key=f"unblocked:{entry.pk}",
        category=MessageCategory.BILLING,
        compose=compose,
        event_key=in_posting,
    )


def ledger_posted(*, account: Account, entry: Any, was: str, later: bool = False) -> None:
    """The hook of ``ledger_post`` (inside its transaction, the account locked): "payment
    received" for money in through a payment, "services on" when the status became active.

    ``later``: enqueue them instead (one task row in this same transaction, written by the
    worker): a card payment's webhook uses it to keep the composing and the e-mail's rendering
    off its request. As durable as writing them here: the row commits or rolls back with the
    entry, and the notices are keyed by the entry, so a task run twice writes them once."""
    received = entry.kind == "payment" and entry.amount_kop > 0
    unblocked = (
        was in (AccountStatus.NEW, AccountStatus.BLOCKED) and account.status == AccountStatus.ACTIVE
    )
    if later:
        if received or unblocked:
            from abonent.messaging.tasks import notify_ledger_posted

            notify_ledger_posted.enqueue(entry_id=int(entry.pk), was=was if unblocked else "")
        return
    if received:
        payment_received(account=account, entry=entry, in_posting=True)
    if unblocked:
        account_unblocked(account=account, was=was, entry=entry, in_posting=True)


def account_blocked(*, account: Account, day: dt.date) -> Message | None:
    """The charge run blocked the account on ``day``: not enough money for the fees."""
    from abonent.billing.selectors import account_forecast

    def compose(a: Account) -> tuple[str, str]:
        needed = account_forecast(account=a, today=day).needed_kop
        subject = gettext("Services suspended: not enough money")
        body = gettext(
            "On %(date)s the balance of personal account %(contract)s (%(balance)s) was not "
            "enough for the fees due, and your services were suspended."
        ) % {"date": _date(day), "contract": a.contract, "balance": format_money(a.balance_kop)}
        if needed > 0:
            body += " " + gettext(
                "Top up by at least %(needed)s: services resume as soon as the payment arrives."
            ) % {"needed": format_money(needed)}
        body += "\n\n" + gettext("Pay in the personal account: %(url)s") % {
            "url": settings.ABONENT_CABINET_URL
        }
        return subject, body

    return _notice(
        account=account,
        kind=NotificationKind.BLOCKED,
        key=f"blocked:{account.pk}:{day.isoformat()}",
        category=MessageCategory.BILLING,
        compose=compose,
    )


def blocked_enqueue(*, account_ids: list[int], day: dt.date) -> None:
    """The charge run's hook, inside a range's transaction: one task row for the accounts the
    range blocked (the notices are written by the worker, not under the range's locks)."""
    from abonent.messaging.tasks import notify_blocked

    notify_blocked.enqueue(account_ids=[int(i) for i in account_ids], day=day.isoformat())


def low_balance(*, account: Account, day: dt.date, lasts_until: dt.date) -> Message | None:
    """The balance lasts fewer than ``ABONENT_LOW_BALANCE_DAYS`` days; once per month."""

    def compose(a: Account) -> tuple[str, str]:
        subject = gettext("Your balance is running low")
        body = gettext(
            "The balance of personal account %(contract)s is %(balance)s: it pays for your "
            "services until %(date)s inclusive. Top up before then to stay connected: %(url)s"
        ) % {
            "contract": a.contract,
            "balance": format_money(a.balance_kop),
            "date": _date(lasts_until),
            "url": settings.ABONENT_CABINET_URL,
        }
        return subject, body

    return _notice(
        account=account,
        kind=NotificationKind.LOW_BALANCE,
        key=f"low_balance:{account.pk}:{day:%Y-%m}",
        category=MessageCategory.BILLING,
        compose=compose,
    )


def low_balance_enqueue(*, day: dt.date) -> None:
    """The charge run's hook after its ranges: look for balances running low (a task)."""
    from abonent.messaging.tasks import notify_low_balance

    notify_low_balance.enqueue(day=day.isoformat())


# --- tariff and add-ons ----------------------------------------------------------------------


def tariff_change_applied(*, change: Any) -> Message | None:
    """The charge run switched the account to the tariff it asked for."""

    def compose(a: Account) -> tuple[str, str]:
        subject = gettext("Your new tariff is on")
        body = gettext("From %(date)s your tariff is “%(tariff)s” (it was “%(old)s”).") % {
            "date": _date(change.effective_on),
            "tariff": change.to_tariff.title,
            "old": change.from_tariff.title,
        }
        return subject, body

    return _notice(
        account=change.account,
        kind=NotificationKind.TARIFF_CHANGE_APPLIED,
        key=f"tariff_change_applied:{change.pk}",
        category=MessageCategory.BILLING,
        compose=compose,
    )


def tariff_changes_applied_enqueue(*, day: dt.date, decided_at: dt.datetime) -> None:
    """The hook of ``tariff_changes_apply``, inside its transaction: the changes it applied
    are those marked applied at ``decided_at``; a task writes their notices."""
    from abonent.messaging.tasks import notify_tariff_changes_applied

    notify_tariff_changes_applied.enqueue(day=day.isoformat(), decided_at=decided_at.isoformat())


def tariff_change_rejected(*, change: Any) -> Message | None:
    """Staff refused a change that needed approval; the reason is in the notice."""

    def compose(a: Account) -> tuple[str, str]:
        subject = gettext("Your tariff change was not approved")
        body = gettext(
            "Your request to move to the tariff “%(tariff)s” was not approved. "
            "Reason: %(reason)s. Your tariff stays “%(current)s”."
        ) % {
            "tariff": change.to_tariff.title,
            "reason": change.reason,
            "current": change.from_tariff.title,
        }
        return subject, body

    return _notice(
        account=change.account,
        kind=NotificationKind.TARIFF_CHANGE_REJECTED,
        key=f"tariff_change_rejected:{change.pk}",
        category=MessageCategory.BILLING,
        compose=compose,
    )


def addon_connected(*, subscription: Any) -> Message | None:
    """An add-on was connected (its first period paid, when it costs anything)."""

    def compose(a: Account) -> tuple[str, str]:
        subject = gettext("Add-on connected: %(addon)s") % {"addon": subscription.addon.title}
        body = gettext(
            "The add-on “%(addon)s” is connected to personal account %(contract)s from "
            "%(date)s. The balance is now %(balance)s."
        ) % {
            "addon": subscription.addon.title,
            "contract": a.contract,
            "date": _date(subscription.started_on),
            "balance": format_money(a.balance_kop),
        }
        return subject, body

    return _notice(
        account=subscription.account,
        kind=NotificationKind.ADDON_CONNECTED,
        key=f"addon_connected:{subscription.pk}",
        category=MessageCategory.BILLING,
        compose=compose,
    )


# --- security and support --------------------------------------------------------------------


def password_reset(*, account: Account, actor: Any) -> Message | None:
    """Staff reset the password: a security notice, always e-mailed to an address we have."""
    provider = settings.ABONENT_PROVIDER
    when = timezone.localtime()

    def compose(a: Account) -> tuple[str, str]:
        subject = gettext("Your password has been changed")
        body = gettext(
            "On %(date)s at %(time)s your personal account password was changed by a staff "
            "member of %(provider)s. The new password is printed on a new contract and "
            "credentials sheet. Everywhere you were logged in, you have been logged out.\n\n"
            "If it was not you who asked for this, call us at once: %(phone)s."
        ) % {
            "date": _date(when),
            "time": formats.time_format(when, "H:i"),
            "provider": provider["name"],
            "phone": provider["phone"],
        }
        return subject, body

    return _notice(
        account=account,
        kind=NotificationKind.PASSWORD_RESET,
        key=f"password_reset:{account.pk}:{account.auth_epoch}",
        category=MessageCategory.SECURITY,
        compose=compose,
        sender=actor,
    )


def ticket_answered(*, account: Account, context: dict[str, Any]) -> Message | None:
    """Support replied to a ticket. ``context``: ``ticket_id``, ``reply_id`` (the key: one
    notice per reply), ``subject`` (the ticket's), optionally ``text`` (the reply), ``url``
    and ``sender``."""

    def compose(a: Account) -> tuple[str, str]:
        subject = gettext("Reply to your request “%(subject)s”") % {
            "subject": context.get("subject", "")
        }
        body = gettext("Technical support has replied to your request no. %(ticket)s.") % {
            "ticket": context["ticket_id"]
        }
        if context.get("text"):
            body += "\n\n" + str(context["text"]) + "\n\n"
        else:
            body += " "
        body += gettext("Read the reply in the personal account: %(url)s") % {
            "url": context.get("url") or settings.ABONENT_CABINET_URL
        }
        return subject, body

    return _notice(
        account=account,
        kind=NotificationKind.TICKET_ANSWERED,
        key=f"ticket_answered:{context['reply_id']}",
        category=MessageCategory.SUPPORT,
        compose=compose,
        sender=context.get("sender"),
    )


_BY_KIND: dict[str, Callable[..., Message | None]] = {
    NotificationKind.TICKET_ANSWERED: ticket_answered,
}


def notify(account_id: int, kind: str, context: dict[str, Any]) -> Message | None:
    """For other apps (support): send the notice of ``kind`` to the account, inside the
    caller's transaction. Kinds tied to billing events are fired by billing's own hooks."""
    handler = _BY_KIND.get(kind)
    if handler is None:
        raise ValueError(f"notify() does not handle the kind {str(kind)!r}")
    account = Account.objects.get(pk=account_id)
    return handler(account=account, context=context)
