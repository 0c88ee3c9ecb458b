"""Autopay: the day before a charge, top up accounts whose balance will not cover it, from
their default card. The charge run itself never waits on a bank."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from abonent.accounts.models import Account, AccountStatus
from abonent.billing.selectors import account_forecast
from abonent.core.errors import ApplicationError
from abonent.payments import conf
from abonent.payments.models import (
    AutopayRule,
    AutopaySetting,
    Card,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from abonent.payments.services.payments import payment_create

logger = logging.getLogger("abonent.payments.autopay")


@dataclass
class AutopayResult:
    """What one run did."""

    checked: int = 0
    attempted: int = 0
    succeeded: int = 0
    failed: int = 0
    pending: int = 0
    skipped: int = 0
    payment_ids: list[int] = field(default_factory=list)


def _round_up_rubles(amount_kop: int) -> int:
    return -(-amount_kop // 100) * 100


def autopay_need(*, account: Account, setting: AutopaySetting, day: dt.date) -> tuple[int, str]:
    """How much autopay should charge for the account on ``day``, and the period key part;
    ``(0, "")`` when nothing is needed."""
    if setting.rule == AutopayRule.THRESHOLD:
        if account.balance_kop < setting.threshold_kop:
            return setting.topup_kop, day.isoformat()
        return 0, ""
    forecast = account_forecast(account=account, today=day)
    if forecast.next_date is None or forecast.next_date > day + dt.timedelta(days=1):
        return 0, ""
    if account.status in (AccountStatus.NEW, AccountStatus.BLOCKED):
        need = forecast.needed_kop
    else:
        need = forecast.next_amount_kop - account.balance_kop - account.credit_limit_kop
    if need <= 0:
        return 0, ""
    amount = min(max(_round_up_rubles(need), conf.min_amount_kop()), conf.max_amount_kop())
    return amount, forecast.next_date.isoformat()


def autopay_run(*, day: dt.date) -> AutopayResult:
    """One pass over the accounts with autopay on: each that needs money gets one payment per
    period from its default card (idempotency key ``"autopay:<account>:<period>"``: a second
    run on the same day, or a retry after a failure, charges nothing more). Failures are
    recorded on the payment and told to the subscriber."""
    result = AutopayResult()
    settings_qs = (
        AutopaySetting.objects.filter(enabled=True)
        .filter(~Q(account__status=AccountStatus.CLOSED))
        .select_related("account", "account__tariff")
        .order_by("account_id")
    )
    for setting in settings_qs.iterator(chunk_size=500):
        account = setting.account
        result.checked += 1
        amount_kop, period = autopay_need(account=account, setting=setting, day=day)
        if not amount_kop:
            continue
        key = f"autopay:{account.pk}:{period}"
        earlier = Payment.objects.filter(account_id=account.pk, idempotency_key=key).first()
        if earlier is not None and (earlier.is_final or earlier.gateway_payment_id):
            result.skipped += 1  # one attempt per period
            continue
        # (an earlier attempt the gateway never answered is resumed with the same gateway key,
        # so it cannot charge twice)
        card = Card.objects.filter(account_id=account.pk, is_default=True).first()
        if card is None:
            result.skipped += 1
            continue
        result.attempted += 1
        try:
            payment = payment_create(
                account_id=account.pk,
                amount_kop=amount_kop,
                idempotency_key=key,
                card_id=card.pk,
                kind=PaymentKind.AUTOPAY,
            )
        except ApplicationError as exc:
            # the gateway did not answer: the pending payment stays, to be resumed next run
            logger.warning("autopay for account %s: %s", account.pk, exc.code)
            found = Payment.objects.filter(account_id=account.pk, idempotency_key=key).first()
            if found is None:
                result.failed += 1
                continue
            payment = found
        result.payment_ids.append(payment.pk)
        AutopaySetting.objects.filter(pk=setting.pk).update(
            last_attempt_at=timezone.now(), last_payment=payment
        )
        if payment.status == PaymentStatus.SUCCEEDED:
            result.succeeded += 1
        elif payment.status == PaymentStatus.PENDING:
            result.pending += 1
        else:
            result.failed += 1
    return result
