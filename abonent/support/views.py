"""The cabinet's "Поддержка" under /cabinet/support/: the account's tickets, a new ticket, one
ticket's conversation with reply / close / reopen, and its attachments. Every ticket and file
is reached through the owner-scoped selectors: another account's is a 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
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
from django.views.decorators.http import require_GET, require_http_methods

from abonent.accounts.auth import account_required
from abonent.core.errors import ApplicationError, NotFound
from abonent.support.forms import ReplyForm, TicketForm
from abonent.support.models import Attachment, TicketStatus
from abonent.support.selectors import (
    attachment_get_for_account,
    ticket_get_for_account,
    ticket_messages,
    tickets_for_account,
)
from abonent.support.services import ticket_close, ticket_open, ticket_reopen, ticket_reply

PER_PAGE = 20


def form_error(form: forms.Form, exc: ApplicationError) -> None:
    """Show a service's error on the field it names, or on the whole form."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


def files_chosen(request: HttpRequest) -> bool:
    return any(f.name for f in request.FILES.getlist("files"))


def attachment_response(attachment: Attachment, *, download: bool = False) -> HttpResponse:
    """The file with the content type found from its content when it was uploaded, a clean
    file name, shown inline (images) or saved (``download``); never sniffed, never cached by
    shared caches, and sandboxed should a browser render it as a document anyway."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404(_("No such file.")) from None
    response = FileResponse(
        handle,
        as_attachment=download,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _context(request: HttpRequest, **extra: object) -> dict[str, object]:
    return {"account": request.account, "section": "support", **extra}  # type: ignore[attr-defined]


@never_cache
@require_GET
@account_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    """``/cabinet/support/``: the account's tickets, the most recently active first, with their
    status and who answered."""
    account = request.account  # type: ignore[attr-defined]
    page = Paginator(tickets_for_account(account_id=account.pk), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "support/tickets.html", _context(request, page=page))


@never_cache
@require_http_methods(["GET", "POST"])
@account_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    """A new ticket. After an error the text and fields stay; images must be chosen again
    (browsers do not keep them), and the page says so."""
    account = request.account  # type: ignore[attr-defined]
    reselect = False
    if request.method == "POST":
        form = TicketForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = ticket_open(
                    account=account,
                    category=data["category"],
                    subject=data["subject"],
                    text=data["text"],
                    files=data["files"],
                )
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Ticket #%(number)d is open. Support will answer here and in your mail.")
                    % {"number": ticket.pk},
                )
                return HttpResponseRedirect(reverse("support:ticket", args=[ticket.pk]))
        reselect = files_chosen(request)
    else:
        form = TicketForm(initial={"category": request.GET.get("category", "")})
    return render(
        request,
        "support/ticket_new.html",
        _context(request, form=form, reselect=reselect),
        status=422 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@account_required
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """One ticket: the conversation, a reply form (POST), close or reopen buttons."""
    account = request.account  # type: ignore[attr-defined]
    try:
        ticket = ticket_get_for_account(account_id=account.pk, ticket_id=ticket_id)
    except NotFound:
        raise Http404(_("No such ticket.")) from None
    reselect = False
    if request.method == "POST":
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                ticket_reply(
                    ticket_id=ticket.pk,
                    account_id=account.pk,
                    text=form.cleaned_data["text"],
                    files=form.cleaned_data["files"],
                )
            except ApplicationError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("Your message has been sent."))
                return HttpResponseRedirect(reverse("support:ticket", args=[ticket.pk]) + "#reply")
        reselect = files_chosen(request)
    else:
        form = ReplyForm()
    return render(
        request,
        "support/ticket.html",
        _context(
            request,
            ticket=ticket,
            conversation=ticket_messages(ticket=ticket),
            form=form,
            reselect=reselect,
            closed=ticket.status == TicketStatus.CLOSED,
        ),
        status=422 if form.errors else 200,
    )


def _status_view(request: HttpRequest, ticket_id: int, *, close: bool) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    try:
        ticket = ticket_get_for_account(account_id=account.pk, ticket_id=ticket_id)
    except NotFound:
        raise Http404(_("No such ticket.")) from None
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if close:
        ticket_close(ticket_id=ticket.pk, account_id=account.pk)
        messages.success(request, _("The ticket is closed. You can reopen it if you need to."))
    else:
        ticket_reopen(ticket_id=ticket.pk, account_id=account.pk)
        messages.success(request, _("The ticket is open again."))
    return HttpResponseRedirect(reverse("support:ticket", args=[ticket.pk]))


@account_required
def ticket_close_view(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Close the ticket (POST; a 404 first for another account's ticket)."""
    return _status_view(request, ticket_id, close=True)


@account_required
def ticket_reopen_view(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Reopen the ticket (POST)."""
    return _status_view(request, ticket_id, close=False)


@require_GET
@account_required
def attachment_view(request: HttpRequest, ticket_id: int, attachment_id: int) -> HttpResponse:
    """An attachment of one of the account's tickets; ``?download=1`` saves it."""
    account = request.account  # type: ignore[attr-defined]
    try:
        attachment = attachment_get_for_account(
            account_id=account.pk, ticket_id=ticket_id, attachment_id=attachment_id
        )
    except NotFound:
        raise Http404(_("No such file.")) from None
    return attachment_response(attachment, download=request.GET.get("download") == "1")
