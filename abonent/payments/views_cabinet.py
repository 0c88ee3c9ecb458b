"""The subscriber's payment pages in the cabinet: top up with a card, saved cards, autopay and
the history of card payments.

Views are thin: they read through the owner-scoped selectors of ``payments.selectors`` and
write through ``payments.services``; a refusal (``ApplicationError``) is shown translated next
to the input the subscriber gave. The payment form carries a one-time token kept in the
session that becomes the payment's idempotency key, so a double click (or a reload of the POST)
makes one payment. No card number ever passes through here: a new card is typed on the
acquirer's own page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from abonent.accounts.auth import account_required
from abonent.accounts.models import Account, AccountStatus
from abonent.billing.periods import billing_today
from abonent.billing.selectors import account_forecast
from abonent.core.errors import ApplicationError, NotFound
from abonent.core.money import format_money, parse_rubles
from abonent.payments import conf
from abonent.payments.models import AutopayRule, Card, Payment, PaymentStatus
from abonent.payments.selectors import (
    autopay_get,
    card_get_for_account,
    card_list_for_account,
    payment_list_for_account,
    payment_status_text,
)
from abonent.payments.services import (
    autopay_set,
    card_check_create,
    card_remove,
    card_set_default,
    payment_create,
    payment_return_url,
)

HISTORY_PER_PAGE = 20
ONCE_SESSION_KEY = "pay_once"
ONCE_KEEP = 10
NEW_CARD = "new"


def _account(request: HttpRequest) -> Account:
    return request.account  # type: ignore[attr-defined,no-any-return]


def kop_to_text(amount_kop: int) -> str:
    """Kopecks as roubles the way people type them: 50000 → "500", 49990 → "499,90"."""
    whole, kop = divmod(amount_kop, 100)
    return f"{whole},{kop:02d}" if kop else str(whole)


def _parse_amount(text: str) -> int | None:
    try:
        return parse_rubles(text or "")
    except ValueError:
        return None


def _limits_text() -> str:
    return _("Enter an amount from %(min)s to %(max)s.") % {
        "min": format_money(conf.min_amount_kop(), cents=False),
        "max": format_money(conf.max_amount_kop(), cents=False),
    }


# --- One-time form tokens ------------------------------------------------------------------


def once_issue(request: HttpRequest) -> str:
    """A new token for the payment form; the newest ``ONCE_KEEP`` stay valid."""
    tokens = [t for t in request.session.get(ONCE_SESSION_KEY, []) if isinstance(t, str)]
    token = secrets.token_urlsafe(16)
    request.session[ONCE_SESSION_KEY] = [*tokens, token][-ONCE_KEEP:]
    return token


def once_known(request: HttpRequest, token: str) -> bool:
    """Whether the token was issued to this session (a spent one still is: sent twice, the same
    form finds its payment by the idempotency key instead of paying again)."""
    return bool(token) and token in request.session.get(ONCE_SESSION_KEY, [])


# --- Paying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    """A ready amount on the payment page."""

    label: str
    amount_kop: int

    @property
    def text(self) -> str:
        return kop_to_text(self.amount_kop)


def _presets(account: Account) -> list[Preset]:
    """The amount the account needs (to start, to resume, or the next charge), 1 000 ₽, 500 ₽:
    within the limits and without repeats."""
    forecast = account_forecast(account=account, today=billing_today())
    found: list[Preset] = []
    if account.status in (AccountStatus.NEW, AccountStatus.BLOCKED) and forecast.needed_kop > 0:
        label = _("To start") if account.status == AccountStatus.NEW else _("To resume access")
        found.append(Preset(label, forecast.needed_kop))
    elif account.status == AccountStatus.ACTIVE and forecast.next_date and forecast.next_amount_kop:
        found.append(Preset(_("Next charge"), forecast.next_amount_kop))
    found += [Preset("", 100_000), Preset("", 50_000)]
    low, high = conf.min_amount_kop(), conf.max_amount_kop()
    seen: set[int] = set()
    presets = []
    for preset in found:
        if low <= preset.amount_kop <= high and preset.amount_kop not in seen:
            seen.add(preset.amount_kop)
            presets.append(preset)
    return presets


def _render_pay(
    request: HttpRequest,
    *,
    amount_text: str,
    method: str,
    save_card: bool,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    account = _account(request)
    cards = list(card_list_for_account(account_id=account.pk))
    raw = method.removeprefix("card:")
    selected = next((c.pk for c in cards if method != NEW_CARD and str(c.pk) == raw), None)
    return render(
        request,
        "payments/pay.html",
        {
            "account": account,
            "presets": _presets(account),
            "cards": cards,
            "amount_text": amount_text,
            "selected_card_id": selected,
            "save_card": save_card,
            "errors": errors or {},
            "once": once_issue(request),
            "min_text": format_money(conf.min_amount_kop(), cents=False),
            "max_text": format_money(conf.max_amount_kop(), cents=False),
            "section": "pay",
        },
        status=status,
    )


@never_cache
@account_required
def pay_view(request: HttpRequest) -> HttpResponse:
    """``/cabinet/pay/``: the amount (presets, limits) and how to pay — a new card on the
    acquirer's page (optionally saved) or a saved card at once. ``?amount=`` fills the amount."""
    account = _account(request)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method == "GET":
        cards = card_list_for_account(account_id=account.pk)
        default = next((c for c in cards if c.is_default), None)
        amount_text = (request.GET.get("amount") or "").strip()[:20]
        if not amount_text:
            presets = _presets(account)
            amount_text = presets[0].text if presets else ""
        method = f"card:{default.pk}" if default else NEW_CARD
        return _render_pay(request, amount_text=amount_text, method=method, save_card=True)

    amount_text = (request.POST.get("amount") or "").strip()[:20]
    method = (request.POST.get("method") or NEW_CARD).strip()[:40]
    save_card = request.POST.get("save_card") == "on"
    token = (request.POST.get("once") or "").strip()[:64]
    errors: dict[str, str] = {}

    def again(status: int = 422) -> HttpResponse:
        return _render_pay(
            request,
            amount_text=amount_text,
            method=method,
            save_card=save_card,
            errors=errors,
            status=status,
        )

    amount_kop = _parse_amount(amount_text)
    if amount_kop is None:
        errors["amount"] = _("Enter the amount in roubles, for example 500 or 1 250,50.")
    elif not conf.min_amount_kop() <= amount_kop <= conf.max_amount_kop():
        errors["amount"] = _limits_text()
    card_id: int | None = None
    if method != NEW_CARD:
        raw = method.removeprefix("card:")
        card_id = int(raw) if raw.isdigit() else -1
    if not once_known(request, token):
        errors["form"] = _("The form has expired. Check the amount and press “Pay” again.")
    if errors or amount_kop is None:
        return again()
    try:
        payment = payment_create(
            account_id=account.pk,
            amount_kop=amount_kop,
            idempotency_key=f"cabinet:{token}",
            card_id=card_id,
            save_card=save_card and card_id is None,
        )
    except NotFound:
        errors["method"] = _("This card is no longer saved. Choose another one or a new card.")
        method = NEW_CARD
        return again()
    except ApplicationError as exc:
        if exc.field == "amount_kop":
            errors["amount"] = str(exc.message)
        elif exc.code == "idempotency_key_reused":
            errors["form"] = _(
                "This form was already used for another payment. Check the amount and press "
                "“Pay” again."
            )
        else:
            errors["form"] = str(exc.message)
        return again()
    if payment.status == PaymentStatus.PENDING and payment.confirmation_url and card_id is None:
        return HttpResponseRedirect(payment.confirmation_url)
    return HttpResponseRedirect(payment_return_url(payment))


# --- Cards ----------------------------------------------------------------------------------


def _own_card(request: HttpRequest, card_id: int) -> Card:
    try:
        return card_get_for_account(account_id=_account(request).pk, card_id=card_id)
    except NotFound:
        raise Http404 from None


@never_cache
@account_required
def cards_view(request: HttpRequest) -> HttpResponse:
    """``/cabinet/pay/cards/``: the saved cards, the default first, with remove and default,
    and a button to attach a new one."""
    account = _account(request)
    setting = autopay_get(account_id=account.pk)
    return render(
        request,
        "payments/cards.html",
        {
            "account": account,
            "cards": list(card_list_for_account(account_id=account.pk)),
            "autopay_on": bool(setting and setting.enabled),
            "once": once_issue(request),
            "check_amount": format_money(conf.card_check_kop()),
            "section": "pay",
        },
    )


@never_cache
@account_required
def card_attach_view(request: HttpRequest) -> HttpResponse:
    """``POST /cabinet/pay/cards/attach/``: a card check (a small payment that saves the card,
    refunded at once) on the acquirer's card page. The form's one-time token is the check's
    idempotency key: a double click sends the subscriber to the same check."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    token = (request.POST.get("once") or "").strip()[:64]
    if not once_known(request, token):
        messages.error(request, _("The form has expired. Press “Attach a card” again."))
        return HttpResponseRedirect(reverse("pay:cards"))
    try:
        payment = card_check_create(
            account_id=_account(request).pk, idempotency_key=f"cabinet:{token}"
        )
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(reverse("pay:cards"))
    if payment.status == PaymentStatus.PENDING and payment.confirmation_url:
        return HttpResponseRedirect(payment.confirmation_url)
    return HttpResponseRedirect(payment_return_url(payment))


@never_cache
@account_required
def card_remove_view(request: HttpRequest, card_id: int) -> HttpResponse:
    """``/cabinet/pay/cards/<id>/remove/``: GET asks to confirm, POST forgets the card."""
    account = _account(request)
    card = _own_card(request, card_id)
    setting = autopay_get(account_id=account.pk)
    if request.method == "POST":
        title = card.title
        card_remove(account_id=account.pk, card_id=card.pk)
        messages.success(request, _("The card %(card)s is removed.") % {"card": title})
        return HttpResponseRedirect(reverse("pay:cards"))
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    others = card_list_for_account(account_id=account.pk).exclude(pk=card.pk).count()
    return render(
        request,
        "payments/card_remove.html",
        {
            "account": account,
            "card": card,
            "last_card_with_autopay": bool(setting and setting.enabled) and others == 0,
            "section": "pay",
        },
    )


@never_cache
@account_required
def card_default_view(request: HttpRequest, card_id: int) -> HttpResponse:
    """``POST /cabinet/pay/cards/<id>/default/``: make the card the one autopay charges."""
    card = _own_card(request, card_id)  # another account's card is 404 whatever the method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    card_set_default(account_id=_account(request).pk, card_id=card.pk)
    messages.success(request, _("%(card)s is now the main card.") % {"card": card.title})
    return HttpResponseRedirect(reverse("pay:cards"))


# --- Autopay --------------------------------------------------------------------------------


@never_cache
@account_required
def autopay_view(request: HttpRequest) -> HttpResponse:
    """``/cabinet/pay/autopay/``: the switch and its rule; switching on needs a saved card."""
    account = _account(request)
    setting = autopay_get(account_id=account.pk)
    cards = list(card_list_for_account(account_id=account.pk))
    default_card = next((c for c in cards if c.is_default), None)
    errors: dict[str, str] = {}
    if request.method == "POST":
        enabled = request.POST.get("enabled") == "on"
        rule = request.POST.get("rule") or AutopayRule.NEXT_CHARGE
        values = {
            "threshold": (request.POST.get("threshold") or "").strip()[:20],
            "topup": (request.POST.get("topup") or "").strip()[:20],
        }
        parsed: dict[str, int] = {}
        if enabled and rule == AutopayRule.THRESHOLD:
            for name, text in values.items():
                kop = _parse_amount(text)
                if kop is None:
                    errors[name] = _("Enter the amount in roubles, for example 500 or 1 250,50.")
                else:
                    parsed[name] = kop
        if not errors:
            try:
                autopay_set(
                    account_id=account.pk,
                    enabled=enabled,
                    rule=rule,
                    threshold_kop=parsed.get("threshold", 0),
                    topup_kop=parsed.get("topup", 0),
                )
            except ApplicationError as exc:
                field = {"threshold_kop": "threshold", "topup_kop": "topup"}.get(
                    exc.field or "", "form"
                )
                errors[field] = str(exc.message)
            else:
                messages.success(request, _("Autopay is on.") if enabled else _("Autopay is off."))
                return HttpResponseRedirect(reverse("pay:autopay"))
        form: dict[str, Any] = {"enabled": enabled, "rule": rule, **values}
    elif request.method == "GET":
        form = {
            "enabled": bool(setting and setting.enabled),
            "rule": setting.rule if setting else AutopayRule.NEXT_CHARGE,
            "threshold": kop_to_text(setting.threshold_kop)
            if setting and setting.threshold_kop
            else "",
            "topup": kop_to_text(setting.topup_kop) if setting and setting.topup_kop else "",
        }
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    last = setting.last_payment if setting else None
    return render(
        request,
        "payments/autopay.html",
        {
            "account": account,
            "setting": setting,
            "form": form,
            "errors": errors,
            "default_card": default_card,
            "has_cards": bool(cards),
            "last_payment": last,
            "last_status_text": payment_status_text(last) if last else "",
            "rules": AutopayRule,
            "min_text": format_money(conf.min_amount_kop(), cents=False),
            "max_text": format_money(conf.max_amount_kop(), cents=False),
            "section": "pay",
        },
        status=422 if errors else 200,
    )


# --- History --------------------------------------------------------------------------------


@never_cache
@account_required
def history_view(request: HttpRequest) -> HttpResponse:
    """``/cabinet/pay/history/``: card payments, newest first, with status, card and receipt."""
    account = _account(request)
    page = Paginator(payment_list_for_account(account_id=account.pk), HISTORY_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows: list[tuple[Payment, str]] = [(p, payment_status_text(p)) for p in page.object_list]
    return render(
        request,
        "payments/history.html",
        {"account": account, "page": page, "rows": rows, "section": "pay"},
    )


def pay_url(amount_kop: int) -> str:
    """The payment page with the amount filled in (for "try again" and the dashboard)."""
    return reverse("pay:pay") + "?" + urlencode({"amount": kop_to_text(amount_kop)})
