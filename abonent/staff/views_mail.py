"""Back-office pages of provider mail ("Почта"): what was sent, and writing a message to one
subscriber or a broadcast to a segment.

Writing is a form, an optional "Preview" (the same form again with how many accounts it will
reach and a few of them; no JavaScript needed), a confirmation that shows the count once more,
and the sending through ``messaging.services``. The preview counts with the selector the
broadcast itself uses (``segment_accounts``), so the number shown is the number reached unless
accounts change in between. The form carries a one-time token (``views_accounts.once_issue``):
the confirmation sent twice — a double click, a reload of the POST — sends once.

Sent messages are immutable: there is no page to edit or delete one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from abonent.accounts.contract import contract_display
from abonent.accounts.models import Account, AccountStatus
from abonent.accounts.selectors import account_get
from abonent.core.errors import ApplicationError, NotFound
from abonent.core.money import format_money
from abonent.messaging.models import Message, MessageAudience, MessageCategory
from abonent.messaging.segments import Segment, segment_clean
from abonent.messaging.selectors import segment_accounts
from abonent.messaging.services import message_broadcast_accept, message_send_to_account
from abonent.staff import selectors
from abonent.staff.decorators import SECTION_ROLES, staff_view
from abonent.staff.forms import apply_error
from abonent.staff.forms_mail import SEGMENT_ALIASES, Audience, MailForm
from abonent.staff.views import paginate, query_without
from abonent.staff.views_accounts import once_check, once_issue, once_spend

PAGE_SIZE = 50
SAMPLE_SIZE = 5
MAIL_PURPOSE = "mail"
MESSAGE_ALIASES = {**SEGMENT_ALIASES, "account_id": "contract"}


# --- Whom a message went to, in words ----------------------------------------------------------


def segment_describe(segment: dict[str, Any], names: selectors.SegmentNames) -> list[str]:
    """A broadcast's filters as short phrases ("tariff: Старт", "balance below 100,00 ₽");
    ["everyone"] for a broadcast to all."""
    parts = []
    if segment.get("service_kind"):
        slug = segment["service_kind"]
        parts.append(_("service: %(name)s") % {"name": names.kinds.get(slug, slug)})
    if segment.get("tariff_id") is not None:
        tariff_id = segment["tariff_id"]
        parts.append(_("tariff: %(name)s") % {"name": names.tariffs.get(tariff_id, tariff_id)})
    if segment.get("status"):
        status = segment["status"]
        label = AccountStatus(status).label if status in AccountStatus.values else status
        parts.append(_("status: %(name)s") % {"name": str(label).lower()})
    if segment.get("address_contains"):
        parts.append(_("address contains “%(text)s”") % {"text": segment["address_contains"]})
    if segment.get("balance_below_kop") is not None:
        amount = format_money(int(segment["balance_below_kop"]))
        parts.append(_("balance below %(amount)s") % {"amount": amount})
    return parts or [_("everyone")]


def _recipient(message: Message, names: selectors.SegmentNames) -> dict[str, Any]:
    """What the list shows in the "To" column of one message."""
    if message.audience == MessageAudience.ACCOUNT:
        account = names.accounts.get(message.segment.get("account_id"))
        return {"account": account, "parts": []}
    return {"account": None, "parts": segment_describe(message.segment, names)}


# --- The list ------------------------------------------------------------------------------------


@staff_view(*SECTION_ROLES["mail"])
@require_GET
def mail_list(request: HttpRequest) -> HttpResponse:
    """Messages and broadcasts sent so far, newest first, 50 a page: whom to, how many accounts
    received and read each, who sent it. A tab shows the notices the system sent by itself."""
    automatic = request.GET.get("who") == "system"
    page = paginate(request, selectors.mail_sent_list(automatic=automatic), PAGE_SIZE)
    items = list(page.object_list)
    names = selectors.mail_segment_names([m.segment for m in items])
    base = reverse("staff:mail")
    return render(
        request,
        "staff/mail_list.html",
        {
            "page": page,
            "rows": [{"message": m, "to": _recipient(m, names)} for m in items],
            "automatic": automatic,
            "tabs": [
                {"label": _("Written by staff"), "url": base, "active": not automatic},
                {"label": _("Automatic notices"), "url": f"{base}?who=system", "active": automatic},
            ],
            "page_query": query_without(request, "page"),
        },
    )


# --- Writing -------------------------------------------------------------------------------------


@dataclass
class Target:
    """Whom a form's message reaches: one account, or a segment with its size and a sample."""

    count: int
    sample: list[Account]
    account: Account | None = None
    segment: Segment | None = None
    parts: list[str] = field(default_factory=list)


def _form(request: HttpRequest, *, preview: bool = False, **kwargs: Any) -> MailForm:
    return MailForm(
        request.POST if request.method == "POST" else None,
        kinds=selectors.service_kind_choices(),
        tariffs=selectors.tariff_choices(),
        preview=preview,
        **kwargs,
    )


def _target(form: MailForm) -> Target | None:
    """Resolve whom a form (whose audience parsed) writes to; None with errors on the form."""
    if form.cleaned_data["audience"] == Audience.ACCOUNT:
        contract = form.cleaned_data["contract"]
        account = selectors.mail_account_by_contract(contract=contract)
        if account is None:
            form.add_error(
                "contract",
                _("No subscriber has the contract number %(number)s.")
                % {"number": contract.strip()},
            )
            return None
        return Target(count=1, sample=[account], account=account)
    try:
        segment = segment_clean(form.segment())
    except ApplicationError as exc:
        apply_error(form, exc, SEGMENT_ALIASES)
        return None
    accounts = segment_accounts(segment=segment)
    sample = list(accounts.select_related("tariff").order_by("id")[:SAMPLE_SIZE])
    count = len(sample) if len(sample) < SAMPLE_SIZE else accounts.count()
    names = selectors.mail_segment_names([segment.as_json()])
    parts = segment_describe(segment.as_json(), names)
    return Target(count=count, sample=sample, segment=segment, parts=parts)


def _render(
    request: HttpRequest,
    form: MailForm,
    *,
    target: Target | None = None,
    confirm: bool = False,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {"form": form, "target": target}
    if confirm:
        context["category_label"] = MessageCategory(form.cleaned_data["category"]).label
        return render(request, "staff/mail_confirm.html", context, status=status)
    return render(request, "staff/mail_new.html", context, status=status)


def _fresh_token(request: HttpRequest, form: MailForm) -> None:
    """Keep the input but give the form a new token (the old one is unknown or spent)."""
    form.data = form.data.copy()
    form.data["once"] = once_issue(request, MAIL_PURPOSE)


def _initial(request: HttpRequest) -> dict[str, Any]:
    """A new form: a broadcast by default; ``?account=<id>`` (the account page's link) writes
    to that subscriber."""
    initial: dict[str, Any] = {
        "once": once_issue(request, MAIL_PURPOSE),
        "audience": Audience.SEGMENT,
        "category": MessageCategory.NEWS,
    }
    raw = request.GET.get("account", "")
    if raw.isdigit():
        try:
            account = account_get(account_id=int(raw))
        except NotFound:
            return initial
        initial.update(
            audience=Audience.ACCOUNT,
            contract=contract_display(account.contract),
            category=MessageCategory.SUPPORT,
        )
    return initial


@staff_view(*SECTION_ROLES["mail"])
@never_cache
@require_http_methods(["GET", "POST"])
def mail_new(request: HttpRequest) -> HttpResponse:
    """Write a message. POST ``preview`` (or ``edit`` from the confirmation) shows the form with
    whom it will reach; a plain POST checks everything and asks to confirm with the count;
    POST ``confirm`` sends it, once per form."""
    if request.method == "GET":
        return _render(request, _form(request, initial=_initial(request)))

    post = request.POST
    action = next((a for a in ("confirm", "preview", "edit") if a in post), "continue")
    form = _form(request, preview=action in ("preview", "edit"))
    valid = form.is_valid()
    target = _target(form) if form.audience_valid() else None
    if action in ("preview", "edit"):
        return _render(request, form, target=target, status=200 if target else 422)
    if not valid or target is None:
        return _render(request, form, target=target, status=422)
    if target.count == 0:
        form.add_error(None, _("No subscriber matches these filters: there is nobody to send to."))
        return _render(request, form, target=target, status=422)
    if action == "continue":
        return _render(request, form, target=target, confirm=True)

    token = form.cleaned_data["once"]
    usable, made = once_check(request, token, MAIL_PURPOSE)
    if made is not None:
        messages.info(request, _("This message was already sent; it went out only once."))
        return redirect("staff:mail")
    if not usable:
        form.add_error(None, _("The form has expired. Check the message and send it again."))
        _fresh_token(request, form)
        return _render(request, form, target=target, status=422)
    return _send(request, form, target, token)


def _send(request: HttpRequest, form: MailForm, target: Target, token: str) -> HttpResponse:
    data = form.cleaned_data
    text = {"subject": data["subject"], "body": data["body"], "category": data["category"]}
    try:
        if target.segment is None:
            account_id = target.account.pk if target.account else 0
            message = message_send_to_account(account_id=account_id, sender=request.user, **text)
            count = 1
        else:
            # Accepted at once; the worker writes the recipients (and their e-mails) in
            # chunks. The count told to staff is the segment's size now, as previewed.
            count = segment_accounts(segment=target.segment).count()
            message = message_broadcast_accept(segment=target.segment, sender=request.user, **text)
    except ApplicationError as exc:
        apply_error(form, exc, MESSAGE_ALIASES)
        _fresh_token(request, form)
        return _render(request, form, target=target, status=422)
    once_spend(request, token, message.pk)
    if target.segment is None and target.account is not None:
        messages.success(
            request,
            _("The message “%(subject)s” is sent to contract %(contract)s.")
            % {"subject": message.subject, "contract": contract_display(target.account.contract)},
        )
    else:
        messages.success(
            request,
            ngettext(
                "The broadcast “%(subject)s” is accepted for %(n)d subscriber.",
                "The broadcast “%(subject)s” is accepted for %(n)d subscribers.",
                count,
            )
            % {"subject": message.subject, "n": count},
        )
    return redirect("staff:mail")
