"""Back-office pages of support under /staff/support/: the queue, one ticket with the account
beside it (status, balance, next charge, last ledger entries), reply with canned answers,
status change, take, and the canned answers themselves. Support staff and admins only."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from abonent.billing.periods import billing_today
from abonent.billing.selectors import account_forecast, ledger_list
from abonent.core.errors import ApplicationError, NotFound
from abonent.staff.decorators import staff_view
from abonent.staff.views import paginate, query_without
from abonent.support.forms import CannedAnswerForm, ReplyForm, StatusForm
from abonent.support.models import Ticket, TicketStatus
from abonent.support.selectors import (
    QUEUE_FILTERS,
    attachment_get_for_staff,
    canned_answer_get,
    canned_answers,
    queue_counts,
    staff_queue,
    ticket_get_for_staff,
    ticket_messages,
)
from abonent.support.services import (
    SUPPORT_ROLES,
    canned_answer_delete,
    canned_answer_save,
    ticket_reply,
    ticket_status_set,
    ticket_take,
)
from abonent.support.views import attachment_response, files_chosen, form_error

PAGE_SIZE = 50
LEDGER_ROWS = 10


def _ticket_or_404(ticket_id: int) -> Ticket:
    try:
        return ticket_get_for_staff(ticket_id=ticket_id)
    except NotFound:
        raise Http404(_("No such ticket.")) from None


@staff_view(*SUPPORT_ROLES)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The queue: tickets waiting for staff, new ones first, then by how long they have waited;
    tabs for answered, closed, mine and all; search by contract number."""
    show = request.GET.get("show", "waiting")
    if show not in QUEUE_FILTERS:
        show = "waiting"
    contract = request.GET.get("contract", "").strip()[:32]
    page = paginate(
        request, staff_queue(show=show, user_id=request.user.pk, contract=contract), PAGE_SIZE
    )
    labels = {
        "waiting": _("Waiting for us"),
        "answered": _("Answered"),
        "closed": _("Closed"),
        "mine": _("Mine"),
        "all": _("All"),
    }
    base = reverse("support_staff:queue")
    keep = query_without(request, "show", "page")
    tabs = [
        {
            "label": labels[key],
            "url": f"{base}?show={key}" + (f"&{keep}" if keep else ""),
            "active": key == show,
        }
        for key in QUEUE_FILTERS
    ]
    return render(
        request,
        "support/staff/queue.html",
        {
            "page": page,
            "tabs": tabs,
            "show": show,
            "contract": contract,
            "counts": queue_counts(),
            "page_query": query_without(request, "page"),
        },
    )


def _render_ticket(
    request: HttpRequest, ticket: Ticket, *, form: ReplyForm | None = None, status: int = 200
) -> HttpResponse:
    account = ticket.account
    return render(
        request,
        "support/staff/ticket.html",
        {
            "ticket": ticket,
            "account": account,
            "conversation": ticket_messages(ticket=ticket),
            "form": form or ReplyForm(),
            "reselect": status != 200 and files_chosen(request),
            "status_form": StatusForm(initial={"status": ticket.status}),
            "canned": canned_answers(),
            "forecast": account_forecast(account=account, today=billing_today()),
            "ledger": list(ledger_list(account_id=account.pk)[:LEDGER_ROWS]),
            "ledger_rows": LEDGER_ROWS,
            "mine": ticket.assigned_to_id == request.user.pk,
        },
        status=status,
    )


@staff_view(*SUPPORT_ROLES)
@never_cache
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """One ticket with the account beside it; POST replies (the ticket becomes answered and
    the subscriber gets a note in "Почта")."""
    ticket = _ticket_or_404(ticket_id)
    if request.method == "GET":
        return _render_ticket(request, ticket)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            ticket_reply(
                ticket_id=ticket.pk,
                staff=request.user,
                text=form.cleaned_data["text"],
                files=form.cleaned_data["files"],
            )
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The reply is sent; the subscriber is notified."))
            return redirect("support_staff:ticket", ticket_id=ticket.pk)
    return _render_ticket(request, ticket, form=form, status=422)


@staff_view(*SUPPORT_ROLES)
@require_POST
def ticket_take_view(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Assign the ticket to oneself."""
    ticket = _ticket_or_404(ticket_id)
    ticket_take(ticket_id=ticket.pk, staff=request.user)
    messages.success(request, _("The ticket is yours now."))
    return redirect("support_staff:ticket", ticket_id=ticket.pk)


@staff_view(*SUPPORT_ROLES)
@require_POST
def ticket_status_view(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Set the ticket's status."""
    ticket = _ticket_or_404(ticket_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        ticket = ticket_status_set(
            ticket_id=ticket.pk, status=form.cleaned_data["status"], staff=request.user
        )
        messages.success(
            request,
            _("Status: %(status)s.") % {"status": TicketStatus(ticket.status).label},
        )
    else:
        messages.error(request, _("Choose a status."))
    return redirect("support_staff:ticket", ticket_id=ticket.pk)


@staff_view(*SUPPORT_ROLES)
@require_GET
def attachment_view(request: HttpRequest, ticket_id: int, attachment_id: int) -> HttpResponse:
    """An attachment of the ticket; ``?download=1`` saves it."""
    try:
        attachment = attachment_get_for_staff(ticket_id=ticket_id, attachment_id=attachment_id)
    except NotFound:
        raise Http404(_("No such file.")) from None
    return attachment_response(attachment, download=request.GET.get("download") == "1")


# --- Canned answers -------------------------------------------------------------------------------


@staff_view(*SUPPORT_ROLES)
@never_cache
@require_http_methods(["GET", "POST"])
def canned_list(request: HttpRequest) -> HttpResponse:
    """Canned answers: the list and a form to add one."""
    form = CannedAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            canned_answer_save(staff=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The canned answer is saved."))
            return redirect("support_staff:canned")
    return render(
        request,
        "support/staff/canned.html",
        {"answers": canned_answers(), "form": form, "editing": None},
        status=422 if form.errors else 200,
    )


@staff_view(*SUPPORT_ROLES)
@never_cache
@require_http_methods(["GET", "POST"])
def canned_edit(request: HttpRequest, answer_id: int) -> HttpResponse:
    """Change a canned answer, or remove it (POST with ``delete``)."""
    try:
        answer = canned_answer_get(answer_id=answer_id)
    except NotFound:
        raise Http404(_("No such canned answer.")) from None
    if request.method == "POST" and "delete" in request.POST:
        canned_answer_delete(staff=request.user, answer_id=answer.pk)
        messages.success(request, _("The canned answer is removed."))
        return redirect("support_staff:canned")
    form = CannedAnswerForm(
        request.POST or None, initial={"title": answer.title, "text": answer.text}
    )
    if request.method == "POST" and form.is_valid():
        try:
            canned_answer_save(staff=request.user, answer_id=answer.pk, **form.cleaned_data)
        except ApplicationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The canned answer is saved."))
            return redirect("support_staff:canned")
    return render(
        request,
        "support/staff/canned.html",
        {"answers": canned_answers(), "form": form, "editing": answer},
        status=422 if form.errors else 200,
    )
