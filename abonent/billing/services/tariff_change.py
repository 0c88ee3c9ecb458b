"""Tariff changes: the subscriber asks, the charge run applies at the next period boundary,
staff approve tariffs that need it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import Account, AccountStatus
from abonent.billing.models import OPEN_CHANGE_STATUSES, TariffChange, TariffChangeStatus
from abonent.billing.periods import billing_today, next_month_start
from abonent.billing.services.common import account_lock
from abonent.catalogue.models import BuildingType, FeePeriod, Tariff
from abonent.core.audit import audit_record
from abonent.core.errors import ApplicationError, NotFound


def tariff_change_boundary(*, tariff: Tariff, today: dt.date) -> dt.date:
    """When a change away from ``tariff`` takes effect: the next period's first day."""
    if tariff.fee_period == FeePeriod.MONTH:
        return next_month_start(today)
    return today + dt.timedelta(days=1)


def tariff_change_options(*, account: Account) -> QuerySet[Tariff]:
    """Tariffs the account may move to: the same service kind and building type, public."""
    return (
        Tariff.objects.filter(
            kind_id=account.tariff.kind_id,
            is_public=True,
            is_archived=False,
            building_type__in=[account.building_type, BuildingType.ANY],
        )
        .exclude(pk=account.tariff_id)
        .select_related("kind")
        .order_by("fee_period", "fee_kop", "id")
    )


def tariff_change_request(
    *, account_id: int, to_tariff_id: Any, today: dt.date | None = None
) -> TariffChange:
    """File a change for the next boundary (replacing an open one). Tariffs that need approval
    wait for staff."""
    today = today or billing_today()
    with transaction.atomic():
        account = account_lock(account_id)
        if account.status == AccountStatus.CLOSED:
            raise ApplicationError(_("The contract is closed."), field=None, code="closed")
        try:
            target = tariff_change_options(account=account).get(pk=int(to_tariff_id))
        except (Tariff.DoesNotExist, TypeError, ValueError):
            raise ApplicationError(
                _("This tariff is not available for your connection."),
                field="tariff_id",
                code="unavailable",
            ) from None
        TariffChange.objects.filter(account=account, status__in=OPEN_CHANGE_STATUSES).update(
            status=TariffChangeStatus.CANCELLED, decided_at=timezone.now()
        )
        return TariffChange.objects.create(
            account=account,
            from_tariff=account.tariff,
            to_tariff=target,
            status=(
                TariffChangeStatus.AWAITING_APPROVAL
                if target.needs_approval
                else TariffChangeStatus.PENDING
            ),
            effective_on=tariff_change_boundary(tariff=account.tariff, today=today),
        )


def tariff_change_open(*, account_id: int) -> TariffChange | None:
    """The account's open change, if any."""
    return (
        TariffChange.objects.filter(account_id=account_id, status__in=OPEN_CHANGE_STATUSES)
        .select_related("to_tariff", "from_tariff")
        .first()
    )


def tariff_change_cancel(*, account_id: int) -> TariffChange:
    """The subscriber withdraws the open change before it takes effect."""
    with transaction.atomic():
        account_lock(account_id)
        change = (
            TariffChange.objects.select_for_update()
            .filter(account_id=account_id, status__in=OPEN_CHANGE_STATUSES)
            .first()
        )
        if change is None:
            raise NotFound(_("There is no tariff change to cancel."))
        change.status = TariffChangeStatus.CANCELLED
        change.decided_at = timezone.now()
        change.save(update_fields=["status", "decided_at"])
        return change


def tariff_change_decide(
    *, change_id: int, actor: Any, approve: bool, reason: str = "", today: dt.date | None = None
) -> TariffChange:
    """Staff approve or reject an open change; audited. An approval that comes after the
    planned date moves it to the next boundary."""
    today = today or billing_today()
    with transaction.atomic():
        change = TariffChange.objects.select_for_update().filter(pk=change_id).first()
        if change is None or change.status not in OPEN_CHANGE_STATUSES:
            raise NotFound(_("There is no such open tariff change."))
        if not approve and not reason.strip():
            raise ApplicationError(_("Give the reason for the refusal."), field="reason")
        before = {"status": change.status, "effective_on": change.effective_on}
        if approve:
            change.status = TariffChangeStatus.PENDING
            boundary = tariff_change_boundary(tariff=change.from_tariff, today=today)
            change.effective_on = max(change.effective_on, boundary)
        else:
            change.status = TariffChangeStatus.REJECTED
        change.reason = reason.strip()[:255]
        change.decided_by = actor
        change.decided_at = timezone.now()
        change.save()
        audit_record(
            actor=actor,
            action="tariff_change.approve" if approve else "tariff_change.reject",
            obj=change,
            before=before,
            after={
                "status": change.status,
                "effective_on": change.effective_on,
                "reason": change.reason,
            },
        )
        if not approve:  # the notice in this transaction; lazy: messaging reads billing
            from abonent.messaging import notifications

            notifications.tariff_change_rejected(change=change)
        return change
