"""The subscriber's saved cards and autopay switch."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from abonent.billing.services.common import account_lock
from abonent.core.errors import ApplicationError, NotFound
from abonent.core.money import format_money
from abonent.payments import conf
from abonent.payments.models import AutopayRule, AutopaySetting, Card


def _card(account_id: int, card_id: int) -> Card:
    card = Card.objects.select_for_update().filter(pk=card_id, account_id=account_id).first()
    if card is None:
        raise NotFound(_("No such card."), field="card_id")
    return card


def card_remove(*, account_id: int, card_id: int) -> None:
    """Forget one of the account's cards (its token). Another card becomes the default; with
    no card left, autopay is switched off. Payments keep the card's title for the history."""
    with transaction.atomic():
        account_lock(account_id)
        card = _card(account_id, card_id)
        was_default = card.is_default
        card.delete()
        rest = Card.objects.filter(account_id=account_id).order_by("-created_at", "-id")
        if was_default and (successor := rest.first()) is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default"])
        if not rest.exists():
            AutopaySetting.objects.filter(account_id=account_id).update(enabled=False)


def card_set_default(*, account_id: int, card_id: int) -> Card:
    """Make one of the account's cards the default (the one autopay charges)."""
    with transaction.atomic():
        account_lock(account_id)
        card = _card(account_id, card_id)
        Card.objects.filter(account_id=account_id, is_default=True).exclude(pk=card.pk).update(
            is_default=False
        )
        if not card.is_default:
            card.is_default = True
            card.save(update_fields=["is_default"])
        return card


def autopay_set(
    *,
    account_id: int,
    enabled: bool,
    rule: str = AutopayRule.NEXT_CHARGE,
    threshold_kop: int = 0,
    topup_kop: int = 0,
) -> AutopaySetting:
    """Switch autopay on or off with its rule: ``next_charge`` (keep the balance able to pay
    the next charge) or ``threshold`` (top up ``topup_kop`` when the balance falls below
    ``threshold_kop``). Switching on needs a saved card."""
    if rule not in AutopayRule.values:
        raise ApplicationError(_("Choose a rule for autopay."), field="rule")
    for name, value in (("threshold_kop", threshold_kop), ("topup_kop", topup_kop)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be int kopecks")
    if enabled and rule == AutopayRule.THRESHOLD:
        low, high = conf.min_amount_kop(), conf.max_amount_kop()
        if not low <= topup_kop <= high:
            raise ApplicationError(
                _("Enter an amount from %(min)s to %(max)s.")
                % {"min": format_money(low, cents=False), "max": format_money(high, cents=False)},
                field="topup_kop",
            )
        if threshold_kop < 0:
            raise ApplicationError(_("The level cannot be negative."), field="threshold_kop")
    with transaction.atomic():
        account_lock(account_id)
        if enabled and not Card.objects.filter(account_id=account_id).exists():
            raise ApplicationError(_("Save a card first: autopay charges it."), field="enabled")
        setting, _created = AutopaySetting.objects.get_or_create(account_id=account_id)
        setting.enabled = enabled
        setting.rule = rule
        setting.threshold_kop = threshold_kop if rule == AutopayRule.THRESHOLD else 0
        setting.topup_kop = topup_kop if rule == AutopayRule.THRESHOLD else 0
        setting.save(update_fields=["enabled", "rule", "threshold_kop", "topup_kop", "updated_at"])
        return setting
