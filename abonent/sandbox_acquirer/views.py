"""The hosted pages the payer's browser sees: card form, 3-D Secure, receipt.

The card number and CVC exist here only in the request: ``sensitive_post_parameters`` keeps
them out of error reports, the form never renders them back, the service keeps 6+4 digits.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from abonent.core.money import format_money

from . import cards, conf, services
from .errors import NotFound
from .forms import CardForm, ThreeDSForm
from .models import Payment, PaymentStatus


def sandbox_only(view: Callable) -> Callable:
    """Every URL of the sandbox is a 404 unless it is enabled (demo and tests by default)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not conf.enabled():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _payment(payment_id: str) -> Payment:
    try:
        return services.payment_for_payer(payment_id=payment_id)
    except NotFound as exc:
        raise Http404 from exc


def _back_to_shop(payment: Payment) -> HttpResponse:
    return HttpResponseRedirect(payment.return_url)


def _test_cards() -> list[dict]:
    labels = {
        cards.Outcome.SUCCESS: _("success"),
        cards.Outcome.THREE_DS: _("3-D Secure, code %(code)s") % {"code": cards.THREE_DS_CODE},
        cards.Outcome.SAVE_THEN_DECLINE: _("success; later charges of the saved card decline"),
    }
    reasons = {
        "insufficient_funds": _("declined: insufficient funds"),
        "card_expired": _("declined: card expired"),
    }
    return [
        {
            "number": " ".join(card.number[i : i + 4] for i in range(0, len(card.number), 4)),
            "brand": card.label,
            "result": labels.get(card.outcome) or reasons.get(card.reason, card.reason),
        }
        for card in cards.TEST_CARDS.values()
    ]


@sandbox_only
@sensitive_post_parameters("number", "cvc", "holder")
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, payment_id: str) -> HttpResponse:
    """The card form; after the card (or its 3-D Secure page) the payer goes back to the shop."""
    payment = _payment(payment_id)
    if payment.status != PaymentStatus.PENDING:
        return _back_to_shop(payment)
    if payment.three_ds_pending:
        return redirect("sandbox_acquirer:three_ds", payment.id)
    form = CardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        month, year = form.cleaned_data["expiry"]
        try:
            payment = services.payment_pay_with_card(
                payment_id=payment.id,
                number=form.cleaned_data["number"],
                expiry_month=month,
                expiry_year=year,
            )
        except services.CardRefused:
            form.add_error("number", _("This sandbox accepts only the test cards listed below."))
        else:
            if payment.three_ds_pending:
                return redirect("sandbox_acquirer:three_ds", payment.id)
            return _back_to_shop(payment)
    return render(
        request,
        "sandbox_acquirer/pay.html",
        {
            "payment": payment,
            "amount": format_money(payment.amount_kop),
            "form": form,
            "test_cards": _test_cards(),
            "shop_id": payment.shop_id,
        },
        status=400 if form.is_bound else 200,
    )


@sandbox_only
@require_http_methods(["GET", "POST"])
def three_ds(request: HttpRequest, payment_id: str) -> HttpResponse:
    """The issuer's 3-D Secure page: the test code passes, anything else fails the payment."""
    payment = _payment(payment_id)
    if payment.status != PaymentStatus.PENDING:
        return _back_to_shop(payment)
    if not payment.three_ds_pending:
        return redirect("sandbox_acquirer:pay", payment.id)
    form = ThreeDSForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        payment = services.payment_confirm_3ds(
            payment_id=payment.id, code=form.cleaned_data["code"]
        )
        return _back_to_shop(payment)
    return render(
        request,
        "sandbox_acquirer/three_ds.html",
        {
            "payment": payment,
            "amount": format_money(payment.amount_kop),
            "form": form,
            "code": cards.THREE_DS_CODE,
        },
        status=400 if form.is_bound else 200,
    )


@sandbox_only
@require_POST
def abandon(request: HttpRequest, payment_id: str) -> HttpResponse:
    """ "Cancel and return to the shop": the payment is canceled as expired on confirmation."""
    payment = _payment(payment_id)
    payment = services.payment_abandon(payment_id=payment.id)
    return _back_to_shop(payment)


@sandbox_only
@require_http_methods(["GET"])
def receipt(request: HttpRequest, payment_id: str) -> HttpResponse:
    """A 54-FZ-style receipt of a succeeded payment (the acquirer's, as a real one would be)."""
    payment = Payment.objects.select_related("card").filter(pk=payment_id).first()
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        raise Http404
    refunds = [
        {"created_at": refund.created_at, "amount": format_money(refund.amount_kop)}
        for refund in payment.refunds.order_by("created_at")
    ]
    number = int(payment.id.replace("-", "")[:8], 16)
    return render(
        request,
        "sandbox_acquirer/receipt.html",
        {
            "payment": payment,
            "amount": format_money(payment.amount_kop),
            "refunds": refunds,
            "fd_number": number % 100000,
            "fp_number": number % 10**9,
            "shop_id": payment.shop_id,
        },
    )
