"""Back-office pages: sign-in, the home page, the managers' request queue and the audit log
(subscribers' accounts are in ``views_accounts``, the catalogue in ``views_catalogue``).

Views parse input with forms, read through selectors and write only through services; a
service's ``ApplicationError`` becomes an error on the form field it names, input kept.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from abonent.accounts.selectors import account_get_for_lead, account_status_counts
from abonent.core.access import Role, has_role, roles_display, user_roles
from abonent.core.clientip import client_ip
from abonent.core.errors import ApplicationError, NotFound, RateLimited
from abonent.leads.models import Lead, LeadStatus
from abonent.leads.selectors import lead_get, lead_queue, lead_status_counts
from abonent.leads.services import TRANSITIONS, lead_add_note, lead_transition
from abonent.staff import selectors
from abonent.staff.decorators import SECTION_ROLES, staff_view
from abonent.staff.forms import (
    LeadFilterForm,
    LeadNoteForm,
    LeadTransitionForm,
    LoginForm,
    apply_error,
)
from abonent.staff.services import staff_authenticate

PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 50


def paginate(request: HttpRequest, items: Any, per_page: int) -> Page:
    """The requested page (``?page=``); out-of-range numbers give the last page."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def query_without(request: HttpRequest, *names: str) -> str:
    """The current query string without ``names`` (for links that change one filter)."""
    params = [(k, v) for k, v in request.GET.items() if k not in names and v]
    return urlencode(params)


# --- Sign-in ----------------------------------------------------------------------------------


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Sign in with username and password; locked after too many failures (per user and IP)."""
    if request.method == "GET" and request.user.is_authenticated and request.user.is_staff:
        return redirect(_safe_next(request))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = staff_authenticate(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except RateLimited as exc:
            form.add_error(None, str(exc.message))
            status = 429
        except ApplicationError as exc:
            form.add_error(None, str(exc.message))
        else:
            login(request, user)  # rotates the session id
            return redirect(_safe_next(request))
    return render(
        request,
        "staff/login.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out (POST only, CSRF-protected) and return to the sign-in page."""
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("staff:login")


# --- Home ---------------------------------------------------------------------------------------


@staff_view()
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What this staff member can do, by role, with the numbers that need attention."""
    user = request.user
    context: dict[str, Any] = {
        "roles": roles_display(user_roles(user)),
        "can_leads": has_role(user, *SECTION_ROLES["leads"]),
        "can_accounts": has_role(user, *SECTION_ROLES["accounts"]),
        "can_contracts": has_role(user, *SECTION_ROLES["contracts"]),
        "can_catalogue": has_role(user, *SECTION_ROLES["catalogue"]),
        "can_audit": has_role(user, *SECTION_ROLES["audit"]),
        "can_money": has_role(user, *SECTION_ROLES["money"]),
        "can_tariff_changes": has_role(user, *SECTION_ROLES["tariff_changes"]),
        "can_mail": has_role(user, *SECTION_ROLES["mail"]),
        "later_roles": roles_display(r for r in user_roles(user) if r == Role.SUPPORT),
    }
    if context["can_tariff_changes"]:
        context["tariff_changes_awaiting"] = selectors.tariff_changes_awaiting_count()
    if context["can_leads"]:
        context["lead_counts"] = lead_status_counts()
    if context["can_accounts"]:
        counts = account_status_counts()
        context["account_counts"] = counts
        context["account_total"] = sum(counts.values())
    if context["can_catalogue"]:
        context["catalogue_counts"] = selectors.catalogue_counts()
    if context["can_audit"]:
        context["audit_today"] = selectors.audit_count_since(hours=24)
    return render(request, "staff/home.html", context)


# --- Requests (leads) ---------------------------------------------------------------------------


@staff_view(*SECTION_ROLES["leads"])
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    """The managers' queue: status tabs with counts, tariff filter, search; 50 a page."""
    form = LeadFilterForm(request.GET or None, tariffs=selectors.tariff_choices())
    status, tariff_id, query = "", None, ""
    if form.is_bound and form.is_valid():
        status = form.cleaned_data["status"]
        tariff_id = form.cleaned_data["tariff"]
        query = form.cleaned_data["q"]
    counts = lead_status_counts()
    page = paginate(request, lead_queue(status=status, tariff_id=tariff_id, query=query), PAGE_SIZE)
    base = reverse("staff:leads")
    keep = query_without(request, "status", "page")
    tabs = [
        {
            "status": "",
            "label": _("All"),
            "count": sum(counts.values()),
            "url": f"{base}?{keep}" if keep else base,
            "active": not status,
        }
    ]
    for value, label in LeadStatus.choices:
        params = f"status={value}" + (f"&{keep}" if keep else "")
        tabs.append(
            {
                "status": value,
                "label": label,
                "count": counts.get(value, 0),
                "url": f"{base}?{params}",
                "active": status == value,
            }
        )
    return render(
        request,
        "staff/leads.html",
        {
            "form": form,
            "tabs": tabs,
            "page": page,
            "status": status,
            "filtered": bool(status or tariff_id or query),
            "page_query": query_without(request, "page"),
        },
    )


def _lead_or_404(lead_id: int) -> Lead:
    try:
        return lead_get(lead_id=lead_id)
    except NotFound:
        raise Http404 from None


def _allowed(lead: Lead) -> list[str]:
    """The statuses a request may move to, in the order of the status list."""
    allowed = TRANSITIONS.get(lead.status, set())
    return [value for value in LeadStatus.values if value in allowed]


def _transition_form(lead: Lead, data: Any = None) -> LeadTransitionForm:
    return LeadTransitionForm(
        data,
        allowed=_allowed(lead),
        initial={
            "scheduled_address": lead.scheduled_address or lead.address,
            "scheduled_at": lead.scheduled_at,
        },
    )


def _render_lead(
    request: HttpRequest,
    lead: Lead,
    *,
    transition_form: LeadTransitionForm | None = None,
    note_form: LeadNoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    allowed = _allowed(lead)
    account = account_get_for_lead(lead_id=lead.pk)
    return render(
        request,
        "staff/lead.html",
        {
            "lead": lead,
            "account": account,
            "can_contract": account is None
            and lead.status in (LeadStatus.SCHEDULED, LeadStatus.CONNECTED)
            and has_role(request.user, *SECTION_ROLES["contracts"]),
            "notes": list(lead.notes.all()),
            "allowed": allowed,
            "transition_buttons": [
                (value, _special_label(lead.status, value) or _button_label(value))
                for value in allowed
            ],
            "transition_form": transition_form or _transition_form(lead),
            "note_form": note_form or LeadNoteForm(),
        },
        status=status,
    )


def _button_label(to_status: str) -> str:
    return {
        LeadStatus.CONTACTED: _("Mark as contacted"),
        LeadStatus.SCHEDULED: _("Schedule the connection"),
        LeadStatus.CONNECTED: _("Mark as connected"),
        LeadStatus.CANCELLED: _("Cancel the request"),
    }.get(to_status, to_status)


def _special_label(from_status: str, to_status: str) -> str | None:
    if from_status == to_status == LeadStatus.SCHEDULED:
        return _("Reschedule")
    if from_status == LeadStatus.CANCELLED and to_status == LeadStatus.CONTACTED:
        return _("Reopen the request")
    if from_status == LeadStatus.SCHEDULED and to_status == LeadStatus.CONTACTED:
        return _("Back to contacted")
    return None


@staff_view(*SECTION_ROLES["leads"])
@require_GET
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    """One request: its data, the notes and status timeline, and forms to move it on."""
    return _render_lead(request, _lead_or_404(lead_id))


@staff_view(*SECTION_ROLES["leads"])
@require_POST
def lead_transition_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Move a request to the status of the pressed button, with a note (and, to schedule,
    the address and time)."""
    lead = _lead_or_404(lead_id)
    form = _transition_form(lead, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            lead_transition(
                lead_id=lead.pk,
                actor=request.user,
                to_status=data["to_status"],
                note=data["note"],
                scheduled_address=data["scheduled_address"],
                scheduled_at=data["scheduled_at"],
            )
        except ApplicationError as exc:
            apply_error(form, exc, {"status": "to_status"})
        else:
            messages.success(
                request,
                _("Request #%(id)s: %(status)s.")
                % {"id": lead.pk, "status": LeadStatus(data["to_status"]).label},
            )
            return redirect("staff:lead", lead_id=lead.pk)
    return _render_lead(request, lead, transition_form=form, status=422)


@staff_view(*SECTION_ROLES["leads"])
@require_POST
def lead_note_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Add a note to a request."""
    lead = _lead_or_404(lead_id)
    form = LeadNoteForm(request.POST)
    if form.is_valid():
        try:
            lead_add_note(lead_id=lead.pk, actor=request.user, text=form.cleaned_data["text"])
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The note is saved."))
            return redirect("staff:lead", lead_id=lead.pk)
    return _render_lead(request, lead, note_form=form, status=422)


# --- Audit log ----------------------------------------------------------------------------------


def _audit_link(object_type: str, object_id: str) -> str:
    names = {
        "leads.lead": ("staff:lead", "lead_id"),
        "accounts.account": ("staff:account", "account_id"),
        "catalogue.tariff": ("staff:tariff_edit", "tariff_id"),
        "catalogue.addon": ("staff:addon_edit", "addon_id"),
        "catalogue.servicekind": ("staff:kind_edit", "kind_id"),
    }
    if object_type not in names or not object_id.isdigit():
        return ""
    name, arg = names[object_type]
    return reverse(name, kwargs={arg: int(object_id)})


@staff_view(*SECTION_ROLES["audit"])
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first: who, when, what, on which object, before → after."""
    actions, types = selectors.audit_filter_values()
    action = request.GET.get("action", "")
    object_type = request.GET.get("type", "")
    action = action if action in actions else ""
    object_type = object_type if object_type in types else ""
    page = paginate(
        request, selectors.audit_log(action=action, object_type=object_type), AUDIT_PAGE_SIZE
    )
    rows = [
        {
            "entry": entry,
            "changes": entry.changes(),
            "url": _audit_link(entry.object_type, entry.object_id),
        }
        for entry in page.object_list
    ]
    return render(
        request,
        "staff/audit.html",
        {
            "page": page,
            "rows": rows,
            "actions": actions,
            "types": types,
            "action": action,
            "object_type": object_type,
            "page_query": query_without(request, "page"),
        },
    )
