"""Background work of messaging, as tasks of Django's tasks API (the ``django-tasks``
backport: on Django 6 the import becomes ``from django.tasks import task``). With the database
backend an enqueued task is a row written in the caller's transaction; ``abonent worker`` runs
them. Every task here is safe to run again: what it writes is keyed or resumes from a cursor.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime
from django_tasks import task

from abonent.accounts.models import Account, AccountStatus

logger = logging.getLogger(__name__)


@task()
def deliver_broadcast(message_id: int) -> int:
    """Write a broadcast's recipients and e-mails, range by range; returns the recipients."""
    from abonent.messaging.services import broadcast_deliver

    return broadcast_deliver(message_id=message_id)


@task()
def send_outbox() -> int:
    """Send the e-mails that are due (the worker also does this between tasks)."""
    from abonent.messaging.outbox import outbox_send_due

    return outbox_send_due().sent


@task()
def notify_blocked(account_ids: list[int], day: str) -> int:
    """The notices of the accounts a charge run range blocked; each in its own transaction."""
    from abonent.messaging.notifications import account_blocked

    when = dt.date.fromisoformat(day)
    sent = 0
    for account_id in sorted(account_ids):
        with transaction.atomic():
            account = Account.objects.filter(pk=account_id).first()
            if account is not None and account_blocked(account=account, day=when):
                sent += 1
    return sent


@task()
def notify_ledger_posted(entry_id: int, was: str = "") -> int:
    """The notices of one ledger posting left to the worker (a card payment's webhook):
    "payment received" for a payment, "services on" when ``was`` names the status the posting
    ended. Keyed by the entry: run again, it writes nothing new."""
    from abonent.billing.models import LedgerEntry
    from abonent.messaging.notifications import account_unblocked, payment_received

    sent = 0
    with transaction.atomic():
        entry = LedgerEntry.objects.select_related("account").filter(pk=entry_id).first()
        if entry is None:
            return 0
        if entry.kind == "payment" and entry.amount_kop > 0:
            sent += payment_received(account=entry.account, entry=entry) is not None
        if was:
            sent += account_unblocked(account=entry.account, was=was, entry=entry) is not None
    return sent


@task()
def notify_tariff_changes_applied(day: str, decided_at: str) -> int:
    """The notices of the tariff changes one ``tariff_changes_apply`` applied."""
    from abonent.billing.models import TariffChange, TariffChangeStatus
    from abonent.messaging.notifications import tariff_change_applied

    moment = parse_datetime(decided_at)
    changes = TariffChange.objects.filter(
        status=TariffChangeStatus.APPLIED,
        decided_at=moment,
        effective_on__lte=dt.date.fromisoformat(day),
    ).select_related("account", "from_tariff", "to_tariff")
    sent = 0
    for change in changes.order_by("id"):
        with transaction.atomic():
            if tariff_change_applied(change=change):
                sent += 1
    return sent


def low_balance_candidates(*, day: dt.date):  # type: ignore[no-untyped-def]
    """Active accounts whose money (balance + credit) is below N days of tariff and add-ons:
    a superset of those whose balance lasts fewer than N days (for N < 28), found in SQL; the
    forecast then decides for each. Accounts warned this month already are left out."""
    from abonent.billing.models import AccountAddon
    from abonent.messaging.models import NotificationKind, NotificationLog

    days = settings.ABONENT_LOW_BALANCE_DAYS
    addons = (
        AccountAddon.objects.filter(account_id=OuterRef("pk"), started_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .order_by()
        .values("account_id")
        .annotate(total=Sum("addon__fee_kop"))
        .values("total")
    )
    warned = NotificationLog.objects.filter(
        account_id=OuterRef("pk"),
        kind=NotificationKind.LOW_BALANCE,
        key__endswith=f":{day:%Y-%m}",
    )
    return (
        Account.objects.filter(status=AccountStatus.ACTIVE)
        .annotate(addons_kop=Coalesce(Subquery(addons), Value(0)))
        .filter(
            balance_kop__lt=(F("tariff__fee_kop") + F("addons_kop")) * days - F("credit_limit_kop")
        )
        .filter(~Exists(warned))
        .select_related("tariff")
        .order_by("id")
    )


@task()
def notify_low_balance(day: str) -> int:
    """Warn the accounts whose balance lasts fewer than ``ABONENT_LOW_BALANCE_DAYS`` days."""
    from abonent.billing.selectors import account_forecast
    from abonent.messaging.notifications import low_balance

    when = dt.date.fromisoformat(day)
    sent = 0
    for account in low_balance_candidates(day=when).iterator():
        forecast = account_forecast(account=account, today=when)
        if forecast.days_left is None or forecast.lasts_until is None:
            continue
        if forecast.days_left < settings.ABONENT_LOW_BALANCE_DAYS:
            with transaction.atomic():
                if low_balance(account=account, day=when, lasts_until=forecast.lasts_until):
                    sent += 1
    return sent
