"""Back-office pages about money and tariffs of an account: cashiers' corrections and refunds,
the full ledger, and the queue of tariff changes waiting for approval.

A correction is a form, a confirmation that shows the balance before → after, and the posting.
The form carries a one-time token (``views_accounts.once_issue``) that becomes the ledger key
(``staff:<token>``), so the same form sent twice — a double click, a reload of the POST —
posts once: the database keeps the key unique.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from abonent.accounts.contract import contract_display
from abonent.accounts.models import Account, AccountStatus
from abonent.billing.models import EntryKind, TariffChange
from abonent.billing.selectors import ledger_list
from abonent.billing.services.corrections import ledger_correct, ledger_correction_check
from abonent.billing.services.tariff_change import tariff_change_decide
from abonent.core.errors import ApplicationError, NotFound
from abonent.core.money import format_money
from abonent.staff import selectors
from abonent.staff.decorators import SECTION_ROLES, staff_view
from abonent.staff.forms import CorrectionForm, LedgerFilterForm, TariffDecisionForm, apply_error
from abonent.staff.views import paginate, query_without
from abonent.staff.views_accounts import (
    _account_or_404,
    correction_form_for,
    money_purpose,
    once_check,
    once_issue,
    once_spend,
)

LEDGER_PAGE_SIZE = 50
QUEUE_PAGE_SIZE = 50
CORRECTION_ALIASES = {"amount_kop": "amount", "kind": "operation"}


# --- Corrections and refunds -----------------------------------------------------------------


def _render_correction(
    request: HttpRequest,
    account: Account,
    form: CorrectionForm,
    *,
    preview: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "staff/account_correction.html",
        {"account": account, "form": form, "preview": preview},
        status=status,
    )


def _fresh_token(request: HttpRequest, account: Account, form: CorrectionForm) -> None:
    """Keep the input but give the form a new token (the old one is unknown or spent)."""
    form.data = form.data.copy()
    form.data["once"] = once_issue(request, money_purpose(account.pk))


@staff_view(*SECTION_ROLES["money"])
@never_cache
@require_http_methods(["GET", "POST"])
def account_correction(request: HttpRequest, account_id: int) -> HttpResponse:
    """A correction (either sign) or refund: GET shows the form; POST checks the input and
    asks to confirm with the balance before → after; POST with ``confirm`` posts it once.
    ``edit`` goes back to the form with the input kept."""
    account = _account_or_404(account_id)
    if request.method == "GET":
        return _render_correction(request, account, correction_form_for(request, account))

    form = CorrectionForm(request.POST)
    if not form.is_valid():
        return _render_correction(request, account, form, status=422)
    kind, amount_kop = form.signed()
    try:
        reason = ledger_correction_check(
            kind=kind, amount_kop=amount_kop, reason=form.cleaned_data["reason"]
        )
    except ApplicationError as exc:
        apply_error(form, exc, CORRECTION_ALIASES)
        return _render_correction(request, account, form, status=422)

    token = form.cleaned_data["once"]
    usable, made = once_check(request, token, money_purpose(account.pk))
    if made is not None:
        messages.info(
            request, _("This form was already sent; the entry is in the ledger only once.")
        )
        return redirect("staff:account", account_id=account.pk)
    if not usable:
        form.add_error(None, _("The form has expired. Check the data and send it again."))
        _fresh_token(request, account, form)
        return _render_correction(request, account, form, status=422)

    if "edit" in request.POST:
        return _render_correction(request, account, form)
    if "confirm" not in request.POST:
        preview = {
            "kind": EntryKind(kind).label,
            "amount_kop": amount_kop,
            "reason": reason,
            "before_kop": account.balance_kop,
            "after_kop": account.balance_kop + amount_kop,
            "may_unblock": amount_kop > 0
            and account.status in (AccountStatus.NEW, AccountStatus.BLOCKED),
        }
        return _render_correction(request, account, form, preview=preview)

    try:
        result = ledger_correct(
            account_id=account.pk,
            amount_kop=amount_kop,
            reason=reason,
            actor=request.user,
            kind=kind,
            request_key=token,
        )
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        apply_error(form, exc, CORRECTION_ALIASES)
        _fresh_token(request, account, form)
        return _render_correction(request, account, form, status=422)
    once_spend(request, token, account.pk)
    if not result.created:
        messages.info(
            request, _("This form was already sent; the entry is in the ledger only once.")
        )
    else:
        account.refresh_from_db(fields=["balance_kop", "status"])
        text = (
            _("Refund of %(amount)s posted. The balance is now %(balance)s.")
            if kind == EntryKind.REFUND
            else _("Correction of %(amount)s posted. The balance is now %(balance)s.")
        )
        messages.success(
            request,
            text
            % {"amount": format_money(amount_kop), "balance": format_money(account.balance_kop)},
        )
    return redirect("staff:account", account_id=account.pk)


# --- The full ledger ---------------------------------------------------------------------------


@staff_view(*SECTION_ROLES["accounts"])
@require_GET
def account_ledger(request: HttpRequest, account_id: int) -> HttpResponse:
    """An account's whole ledger, newest first, 50 a page, filtered by kind."""
    account = _account_or_404(account_id)
    form = LedgerFilterForm(request.GET or None, kinds=EntryKind.choices)
    kind = ""
    if form.is_bound and form.is_valid():
        kind = form.cleaned_data["kind"]
    entries = ledger_list(account_id=account.pk, kind=kind).select_related("created_by")
    page = paginate(request, entries, LEDGER_PAGE_SIZE)
    return render(
        request,
        "staff/account_ledger.html",
        {
            "account": account,
            "form": form,
            "kind": kind,
            "page": page,
            "page_query": query_without(request, "page"),
        },
    )


# --- Tariff changes waiting for approval -------------------------------------------------------


def _render_queue(
    request: HttpRequest,
    *,
    failed: tuple[int, TariffDecisionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    page = paginate(request, selectors.tariff_changes_awaiting(), QUEUE_PAGE_SIZE)
    rows = []
    for change in page.object_list:
        form = failed[1] if failed and failed[0] == change.pk else TariffDecisionForm()
        rows.append({"change": change, "form": form})
    return render(
        request,
        "staff/tariff_changes.html",
        {"page": page, "rows": rows, "page_query": query_without(request, "page")},
        status=status,
    )


@staff_view(*SECTION_ROLES["tariff_changes"])
@require_GET
def tariff_change_list(request: HttpRequest) -> HttpResponse:
    """Tariff changes to tariffs that need approval, oldest request first."""
    return _render_queue(request)


@staff_view(*SECTION_ROLES["tariff_changes"])
@require_POST
def tariff_change_decide_view(request: HttpRequest, change_id: int) -> HttpResponse:
    """Approve or reject one change (the pressed button); a rejection needs a reason."""
    form = TariffDecisionForm(request.POST)
    # The service decides any open change (staff may also reject a pending one); the queue
    # is about approvals, so a change that no longer waits — decided a moment ago in another
    # tab, or cancelled by the subscriber — is reported instead of decided again.
    if not selectors.tariff_changes_awaiting().filter(pk=change_id).exists():
        messages.warning(request, _gone_message())
        return redirect("staff:tariff_changes")
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            change = tariff_change_decide(
                change_id=change_id,
                actor=request.user,
                approve=approve,
                reason=form.cleaned_data["reason"],
            )
        except NotFound:
            messages.warning(request, _gone_message())
            return redirect("staff:tariff_changes")
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _decision_message(change, approve))
            return redirect("staff:tariff_changes")
    else:
        form.add_error(None, _("Press Approve or Reject."))
    return _render_queue(request, failed=(change_id, form), status=422)


def _gone_message() -> str:
    return _(
        "This change no longer waits for approval: someone has decided it, or the subscriber "
        "has cancelled it."
    )


def _decision_message(change: TariffChange, approve: bool) -> str:
    names = {
        "contract": contract_display(change.account.contract),
        "tariff": change.to_tariff.name,
        "date": change.effective_on.strftime("%d.%m.%Y"),
    }
    if approve:
        return _("Contract %(contract)s: the move to “%(tariff)s” on %(date)s is approved.") % names
    return _("Contract %(contract)s: the move to “%(tariff)s” is rejected.") % names
