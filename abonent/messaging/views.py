"""The cabinet's "Почта": the inbox with filters and the reading of one message. Views compose
the messaging selectors and call its services; the account is always the session's own."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_POST

from abonent.accounts.auth import account_required
from abonent.core.errors import NotFound
from abonent.messaging.forms import MailSettingsForm
from abonent.messaging.models import MessageCategory
from abonent.messaging.preferences import email_preferences, email_preferences_set
from abonent.messaging.selectors import inbox_for_account, unread_count_for_request
from abonent.messaging.services import message_mark_all_read, message_mark_read

PER_PAGE = 20


def _filters(request: HttpRequest) -> tuple[bool, str]:
    """``?show=unread`` and ``?category=…`` from the address; anything unknown means "all"."""
    unread_only = request.GET.get("show") == "unread"
    category = request.GET.get("category", "")
    if category not in MessageCategory.values:
        category = ""
    return unread_only, category


def _query(**params: str) -> str:
    return urlencode({k: v for k, v in params.items() if v})


@never_cache
@require_GET
@account_required
def inbox_view(request: HttpRequest) -> HttpResponse:
    """``/cabinet/mail/``: messages newest first, 20 a page, unread ones marked; filters by
    read state and category. The same queries for 10 or 10 000 messages."""
    account = request.account  # type: ignore[attr-defined]
    unread_only, category = _filters(request)
    items = inbox_for_account(account_id=account.pk, unread_only=unread_only, category=category)
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    show = "unread" if unread_only else ""
    chips = [
        {
            "label": _("All"),
            "query": _query(category=category),
            "active": not unread_only,
        },
        {
            "label": _("Unread"),
            "query": _query(show="unread", category=category),
            "active": unread_only,
        },
    ]
    categories = [
        {"label": _("All categories"), "query": _query(show=show), "active": not category}
    ] + [
        {
            "label": label,
            "query": _query(show=show, category=value),
            "active": category == value,
        }
        for value, label in MessageCategory.choices
    ]
    return render(
        request,
        "messaging/inbox.html",
        {
            "account": account,
            "page": page,
            "unread": unread_count_for_request(request),
            "chips": chips,
            "categories": categories,
            "query": _query(show=show, category=category),
            "filtered": unread_only or bool(category),
            "section": "mail",
        },
    )


@never_cache
@require_GET
@account_required
def message_view(request: HttpRequest, message_id: int) -> HttpResponse:
    """``/cabinet/mail/<id>/``: one message; opening it marks it read. 404 for a message the
    account did not receive."""
    account = request.account  # type: ignore[attr-defined]
    try:
        item = message_mark_read(account_id=account.pk, message_id=message_id)
    except NotFound:
        raise Http404(_("No such message.")) from None
    return render(
        request,
        "messaging/message.html",
        {"account": account, "item": item, "message": item.message, "section": "mail"},
    )


@require_POST
@account_required
def read_all_view(request: HttpRequest) -> HttpResponse:
    """Mark every message read (POST with the CSRF token), then back to the inbox."""
    account = request.account  # type: ignore[attr-defined]
    count = message_mark_all_read(account_id=account.pk)
    if count:
        messages.success(
            request,
            ngettext("%(n)d message marked as read.", "%(n)d messages marked as read.", count)
            % {"n": count},
        )
    return HttpResponseRedirect(reverse("mail:inbox"))


@never_cache
@csrf_protect
@account_required
def settings_view(request: HttpRequest) -> HttpResponse:
    """``/cabinet/mail/settings/``: which notices also come by e-mail, and the language of
    notices and e-mails. Saved with a POST (CSRF); back here with a confirmation."""
    account = request.account  # type: ignore[attr-defined]
    current = email_preferences(account_id=account.pk)
    initial = {
        "by_email": [kind for kind, on in current.items() if on],
        "language": account.language,
    }
    form = MailSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        email_preferences_set(
            account_id=account.pk,
            by_email=form.cleaned_data["by_email"],
            language=form.cleaned_data["language"],
        )
        messages.success(request, _("Mail settings saved."))
        return HttpResponseRedirect(reverse("mail:settings"))
    return render(
        request,
        "messaging/settings.html",
        {"account": account, "form": form, "section": "mail"},
    )
