"""Back-office pages of card payments, for cashiers and admins: an account's last payments (a
section of the account page), the refund of one payment, and the list of problems — failed and
canceled payments and refused notifications of the gateways — to investigate.

A refund is a form, a confirmation, and the refund itself. The form carries a one-time token
(``views_accounts.once_issue``) that becomes the refund's idempotency key (``staff:<token>``),
so the same form sent twice — a double click, a reload of the POST — refunds once.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from abonent.accounts.models import Account
from abonent.core.access import has_role
from abonent.core.errors import ApplicationError, NotFound
from abonent.payments.models import Payment, PaymentStatus
from abonent.payments.selectors import (
    payment_event_refused_list,
    payment_get_for_account,
    payment_list_for_account,
    payment_problem_list,
    payment_refundable_kop,
    payment_status_text,
)
from abonent.payments.services import refund_create
from abonent.staff.decorators import SECTION_ROLES, staff_view
from abonent.staff.forms import OnceForm, RublesField, apply_error
from abonent.staff.views_accounts import _account_or_404, once_check, once_issue, once_spend

ACCOUNT_PAYMENTS = 10
PROBLEMS_PAGE_SIZE = 50
REFUND_ALIASES = {"amount_kop": "amount"}


class RefundForm(OnceForm):
    """A refund of one payment: how much (at most what is left) and why."""

    amount = RublesField(
        label=gettext_lazy("Amount to refund, ₽"),
        error_messages={"required": gettext_lazy("Enter the amount.")},
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=255,
        error_messages={"required": gettext_lazy("Give the reason for the refund.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def account_payments_context(request: HttpRequest, account: Account) -> dict[str, Any]:
    """The account page's "Card payments" section: for cashiers and admins only."""
    if not has_role(request.user, *SECTION_ROLES["money"]):
        return {"card_payments": None}
    rows = list(payment_list_for_account(account_id=account.pk)[:ACCOUNT_PAYMENTS])
    return {"card_payments": [(p, payment_status_text(p)) for p in rows]}


def refund_purpose(payment_id: int) -> str:
    return f"refund:{payment_id}"


def _payment_or_404(account: Account, payment_id: int) -> Payment:
    try:
        return payment_get_for_account(account_id=account.pk, payment_id=payment_id)
    except NotFound:
        raise Http404 from None


def _render_refund(
    request: HttpRequest,
    account: Account,
    payment: Payment,
    form: RefundForm,
    *,
    preview: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "staff/payment_refund.html",
        {
            "account": account,
            "payment": payment,
            "refundable_kop": payment_refundable_kop(payment=payment),
            "form": form,
            "preview": preview,
        },
        status=status,
    )


@staff_view(*SECTION_ROLES["money"])
@never_cache
@require_http_methods(["GET", "POST"])
def payment_refund(request: HttpRequest, account_id: int, payment_id: int) -> HttpResponse:
    """Refund a succeeded card payment: GET shows the form (the amount left to refund filled
    in); POST checks it and asks to confirm; POST with ``confirm`` refunds it once."""
    account = _account_or_404(account_id)
    payment = _payment_or_404(account, payment_id)
    refundable = payment_refundable_kop(payment=payment)
    purpose = refund_purpose(payment.pk)
    if request.method == "GET":
        form = RefundForm(initial={"once": once_issue(request, purpose), "amount": refundable})
        return _render_refund(request, account, payment, form)

    form = RefundForm(request.POST)
    if payment.status != PaymentStatus.SUCCEEDED:
        form.add_error(None, _("Only a successful payment can be refunded."))
    if not form.is_valid():
        return _render_refund(request, account, payment, form, status=422)
    amount_kop = form.cleaned_data["amount"]
    if amount_kop <= 0:
        form.add_error("amount", _("Enter a positive amount to refund."))
    elif amount_kop > refundable:
        form.add_error("amount", _("That is more than is left of the payment to refund."))
    if form.errors:
        return _render_refund(request, account, payment, form, status=422)

    token = form.cleaned_data["once"]
    usable, made = once_check(request, token, purpose)
    if made is not None:
        messages.info(request, _("This form was already sent; the payment is refunded once."))
        return redirect("staff:account", account_id=account.pk)
    if not usable:
        form.add_error(None, _("The form has expired. Check the data and send it again."))
        form.data = form.data.copy()
        form.data["once"] = once_issue(request, purpose)
        return _render_refund(request, account, payment, form, status=422)
    if "confirm" not in request.POST:
        preview = {
            "amount_kop": amount_kop,
            "reason": form.cleaned_data["reason"],
            "before_kop": account.balance_kop,
            "after_kop": account.balance_kop - amount_kop,
        }
        return _render_refund(request, account, payment, form, preview=preview)
    try:
        refund = refund_create(
            payment_id=payment.pk,
            amount_kop=amount_kop,
            actor=request.user,
            idempotency_key=f"staff:{token}",
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as exc:
        apply_error(form, exc, REFUND_ALIASES)
        return _render_refund(request, account, payment, form, status=422)
    once_spend(request, token, account.pk)
    if refund.status == "succeeded":
        messages.success(request, _("The refund went through; the ledger has its entry."))
    elif refund.status == "failed":
        messages.error(
            request,
            _("The payment service refused the refund: %(reason)s")
            % {"reason": refund.failure_reason or "—"},
        )
    else:
        messages.info(request, _("The refund is sent; the gateway has not confirmed it yet."))
    return redirect("staff:account", account_id=account.pk)


@staff_view(*SECTION_ROLES["money"])
@require_GET
def payment_problems(request: HttpRequest) -> HttpResponse:
    """Failed and canceled card payments, and the gateways' notifications we refused (bad
    signature, stale, amount mismatch, unknown payment, errors): for investigation."""
    payments = Paginator(payment_problem_list(), PROBLEMS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    events = Paginator(
        payment_event_refused_list().select_related("payment"), PROBLEMS_PAGE_SIZE
    ).get_page(request.GET.get("events_page"))
    return render(
        request,
        "staff/payment_problems.html",
        {
            "payments": payments,
            "payment_rows": [(p, payment_status_text(p)) for p in payments.object_list],
            "events": events,
        },
    )
