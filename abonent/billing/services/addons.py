"""Add-ons on an account: connect (pay the rest of the current period at once) and
disconnect (at the end of the period already paid)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import AccountStatus
from abonent.billing.models import AccountAddon, EntryKind, LedgerEntry
from abonent.billing.periods import billing_today, month_end, prorate
from abonent.billing.services.charging import addon_item
from abonent.billing.services.common import account_lock
from abonent.catalogue.models import Addon, AddonPeriod
from abonent.core.errors import ApplicationError, NotFound
from abonent.core.money import format_money


def addon_available(*, account: Any) -> list[Addon]:
    """Add-ons the account may connect: public ones for its service kind or for any."""
    from django.db.models import Q

    return list(
        Addon.objects.filter(is_public=True, is_archived=False)
        .select_related("kind")
        .filter(Q(kind__isnull=True) | Q(kind_id=account.tariff.kind_id))
        .order_by("position", "fee_kop", "id")
    )


def addon_first_charge(*, addon: Addon, day: dt.date) -> tuple[int, dt.date, dt.date]:
    """What connecting ``addon`` on ``day`` costs now, and the span it pays for."""
    if addon.period == AddonPeriod.MONTH:
        return prorate(addon.fee_kop, day, month_end(day)), day, month_end(day)
    return addon.fee_kop, day, day


def _static_ip_sync_on_commit(*, addon: Addon, account_id: int, day: dt.date) -> None:
    """After the commit, give or free the account's static IP when ``addon`` grants one, so the
    cabinet shows it at once. Lazy import: billing must not import network at module level (the
    network reads billing); a failure there is logged, never raised into the purchase."""
    if not addon.grants_static_ip:
        return

    def sync() -> None:
        from abonent.network.static_ip import static_ip_sync_quietly

        static_ip_sync_quietly(account_id=account_id, day=day)

    transaction.on_commit(sync)


def addon_connect(
    *,
    account_id: int,
    addon_id: Any,
    today: dt.date | None = None,
    at: dt.datetime | None = None,
) -> AccountAddon:
    """Connect an add-on to an active account; its first period (prorated for monthly ones,
    the whole price for one-time ones) is paid at once from the balance. ``at``: the moment
    of the fee's ledger entry when it is not now (the demo's backdated history)."""
    today = today or billing_today()
    with transaction.atomic():
        account = account_lock(account_id)
        if account.status != AccountStatus.ACTIVE:
            raise ApplicationError(
                _("Add-ons can be connected while the account is active."),
                field=None,
                code="inactive",
            )
        try:
            addon = next(a for a in addon_available(account=account) if a.pk == int(addon_id))
        except (StopIteration, TypeError, ValueError):
            raise ApplicationError(
                _("This add-on is not available for your account."),
                field="addon_id",
                code="unavailable",
            ) from None
        if AccountAddon.objects.filter(account=account, addon=addon, ends_on__isnull=True).exists():
            raise ApplicationError(
                _("This add-on is already connected."), field="addon_id", code="duplicate"
            )
        if addon.period != AddonPeriod.ONCE:
            leaving = AccountAddon.objects.filter(
                account=account, addon=addon, ends_on__gte=today
            ).first()
            if leaving is not None:
                # Disconnected but still paid for: connecting again just keeps it.
                leaving.ends_on = None
                leaving.save(update_fields=["ends_on"])
                _static_ip_sync_on_commit(addon=addon, account_id=account.pk, day=today)
                return leaving
        amount, start, end = addon_first_charge(addon=addon, day=today)
        if amount > account.balance_kop + account.credit_limit_kop:
            raise ApplicationError(
                _("Not enough money: connecting costs %(amount)s now. Top up your account.")
                % {"amount": format_money(amount)},
                field="addon_id",
                code="insufficient_funds",
            )
        try:
            with transaction.atomic():
                subscription = AccountAddon.objects.create(
                    account=account,
                    addon=addon,
                    started_on=today,
                    ends_on=today if addon.period == AddonPeriod.ONCE else None,
                )
                if amount > 0:
                    account.balance_kop -= amount
                    LedgerEntry.objects.create(
                        account=account,
                        kind=EntryKind.ADDON_FEE,
                        amount_kop=-amount,
                        balance_after_kop=account.balance_kop,
                        item=addon_item(addon.pk),
                        period_start=start,
                        period_end=end,
                        created_at=at or timezone.now(),
                    )
                    account.save(update_fields=["balance_kop", "updated_at"])
        except IntegrityError:
            raise ApplicationError(
                _("This add-on is already connected."), field="addon_id", code="duplicate"
            ) from None
        # The notice in this transaction; lazy: messaging reads billing (an import cycle).
        from abonent.messaging import notifications

        notifications.addon_connected(subscription=subscription)
        _static_ip_sync_on_commit(addon=addon, account_id=account.pk, day=today)
        return subscription


def addon_disconnect(
    *, account_id: int, subscription_id: Any, today: dt.date | None = None
) -> AccountAddon:
    """Stop an add-on at the end of the period already paid (today for daily ones), or
    before today when today is not paid for."""
    today = today or billing_today()
    with transaction.atomic():
        account = account_lock(account_id)
        try:
            subscription = AccountAddon.objects.select_related("addon").get(
                pk=int(subscription_id), account=account, ends_on__isnull=True
            )
        except (AccountAddon.DoesNotExist, TypeError, ValueError):
            raise NotFound(_("No such connected add-on.")) from None
        paid_until = (
            LedgerEntry.objects.filter(account=account, item=addon_item(subscription.addon_id))
            .order_by("-period_end")
            .values_list("period_end", flat=True)
            .first()
        )
        if paid_until is not None and paid_until >= today:
            subscription.ends_on = paid_until
        else:
            # Today is not paid for (the account is blocked or paused into a new period): the
            # add-on ends before today, so the payment that resumes the account does not pay
            # for the rest of a period it was disconnected in.
            subscription.ends_on = max(today - dt.timedelta(days=1), subscription.started_on)
        subscription.save(update_fields=["ends_on"])
        _static_ip_sync_on_commit(addon=subscription.addon, account_id=account.pk, day=today)
        return subscription
