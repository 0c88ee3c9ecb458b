"""Pages and endpoints of payments outside the API: the gateways' notifications and the page
the acquirer sends the subscriber back to."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from abonent.accounts.auth import account_required
from abonent.core.clientip import client_ip
from abonent.core.errors import NotFound
from abonent.core.money import format_money
from abonent.payments.models import Payment, PaymentStatus
from abonent.payments.selectors import payment_get_for_account, payment_status_text
from abonent.payments.services import payment_refresh, webhook_process
from abonent.payments.views_cabinet import pay_url

REFRESH_SECONDS = 3


@csrf_exempt
@require_POST
def webhook_view(request: HttpRequest, gateway: str) -> JsonResponse:
    """``POST /payments/webhooks/<gateway>/``: 200 applied or duplicate, 400 not authentic or
    stale, 422 amount or currency mismatch, 503 when the gateway could not be asked again."""
    result = webhook_process(
        gateway_name=gateway,
        headers=dict(request.headers),
        raw_body=request.body,
        client_ip=client_ip(request),
    )
    return JsonResponse({"outcome": str(result.outcome)}, status=int(result.status))


def _own_payment(request: HttpRequest, payment_id: int) -> Payment:
    try:
        payment = payment_get_for_account(
            account_id=request.account.pk,  # type: ignore[attr-defined]
            payment_id=payment_id,
        )
    except NotFound:
        raise Http404 from None
    if payment.status == PaymentStatus.PENDING or payment.card_check_refund_pending:
        # the notification may be late: ask the gateway ourselves (or, for a card check that
        # went through, make sure its money is on the way back)
        payment = payment_refresh(payment_id=payment.pk)
    return payment


def _status_json(payment: Payment) -> dict[str, object]:
    return {
        "id": payment.pk,
        "purpose": payment.purpose,
        "status": payment.status,
        "status_label": str(payment.get_status_display()),
        "status_text": payment_status_text(payment),
        "final": payment.is_final,
        "amount_kop": payment.amount_kop,
        "amount": format_money(payment.amount_kop),
    }


@never_cache
@require_GET
@account_required
def return_view(request: HttpRequest, payment_id: int) -> HttpResponse:
    """``GET /payments/return/<id>/``: our own record of the payment (never the query string),
    refreshing itself every few seconds until it is final (a card check: until its money is
    back). Another account's payment is 404."""
    payment = _own_payment(request, payment_id)
    account = request.account  # type: ignore[attr-defined]
    if payment.status == PaymentStatus.SUCCEEDED and not payment.is_card_check:
        # credited in this very request, perhaps, after the account was read: show it fresh
        account.refresh_from_db(fields=["balance_kop", "status"])
    return render(
        request,
        "payments/return.html",
        {
            "account": account,
            "payment": payment,
            "status_text": payment_status_text(payment),
            "refresh_seconds": REFRESH_SECONDS,
            "retry_url": reverse("pay:cards")
            if payment.is_card_check
            else pay_url(payment.amount_kop),
            "section": "pay",
        },
    )


@never_cache
@require_GET
@account_required
def status_view(request: HttpRequest, payment_id: int) -> JsonResponse:
    """``GET /payments/return/<id>/status/``: the same as JSON, for a page that polls."""
    return JsonResponse(_status_json(_own_payment(request, payment_id)))
