"""Back-office pages of subscribers' accounts: the list and search, one account's page, a new
contract, and a password reset.

A new contract and a reset both end on the printable contract and credentials sheet, rendered
straight into the POST's response: the plaintext password exists only there (the database keeps
its Argon2 hash, nothing else stores it, the response is ``no-store``). No URL shows a sheet on
GET, so there is no way to reprint one: a new sheet means a new password.

A browser's reload of such a POST would sign a second contract or print yet another password,
so both forms carry a one-time token kept in the staff member's session; a token already used
leads to the account instead of doing it again.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from abonent.accounts.contract import contract_display
from abonent.accounts.models import Account, AccountStatus
from abonent.accounts.selectors import (
    account_get,
    account_get_for_lead,
    account_staff_search,
    account_status_counts,
)
from abonent.accounts.services import Credentials, account_create, account_reset_password
from abonent.billing.periods import billing_today
from abonent.billing.selectors import account_forecast
from abonent.billing.services.tariff_change import tariff_change_open
from abonent.catalogue.models import BuildingType
from abonent.core.access import has_role
from abonent.core.errors import ApplicationError, NotFound
from abonent.leads.models import Lead, LeadStatus
from abonent.leads.selectors import lead_get
from abonent.network.selectors import account_network
from abonent.staff import selectors
from abonent.staff.decorators import SECTION_ROLES, staff_view
from abonent.staff.forms import (
    AccountSearchForm,
    ContractForm,
    CorrectionForm,
    OnceForm,
    apply_error,
)
from abonent.staff.views import paginate, query_without

PAGE_SIZE = 50
LEDGER_ROWS = 20
CONTRACT_ALIASES = {"tariff_id": "tariff", "lead_id": ""}
LEAD_STATUSES_FOR_CONTRACT = (LeadStatus.SCHEDULED, LeadStatus.CONNECTED)


# --- One-time form tokens ------------------------------------------------------------------------

ONCE_SESSION_KEY = "staff_once"
ONCE_KEEP = 20


def once_issue(request: HttpRequest, purpose: str) -> str:
    """A new one-time token for a form that does ``purpose``; the newest ``ONCE_KEEP`` live."""
    tokens: dict[str, dict[str, Any]] = dict(request.session.get(ONCE_SESSION_KEY, {}))
    token = secrets.token_urlsafe(16)
    tokens[token] = {"purpose": purpose, "account": None}
    request.session[ONCE_SESSION_KEY] = dict(list(tokens.items())[-ONCE_KEEP:])
    return token


def once_check(request: HttpRequest, token: str, purpose: str) -> tuple[bool, int | None]:
    """(usable, account id it already made). Unknown or foreign tokens are not usable."""
    state = request.session.get(ONCE_SESSION_KEY, {}).get(token or "")
    if not state or state.get("purpose") != purpose:
        return False, None
    return state.get("account") is None, state.get("account")


def once_spend(request: HttpRequest, token: str, account_id: int) -> None:
    """Mark a token used: it made (or reset) ``account_id``."""
    tokens = dict(request.session.get(ONCE_SESSION_KEY, {}))
    if token in tokens:
        tokens[token] = {**tokens[token], "account": account_id}
        request.session[ONCE_SESSION_KEY] = tokens


def money_purpose(account_id: int) -> str:
    """The one-time token purpose of an account's correction / refund form."""
    return f"money:{account_id}"


def correction_form_for(request: HttpRequest, account: Account) -> CorrectionForm:
    """An empty correction / refund form with a fresh one-time token."""
    return CorrectionForm(initial={"once": once_issue(request, money_purpose(account.pk))})


def _already_done(request: HttpRequest, account_id: int) -> HttpResponse:
    messages.warning(
        request,
        _(
            "This form was already sent and its sheet was shown once. To print another sheet, "
            "reset the password: a new sheet always means a new password."
        ),
    )
    return redirect("staff:account", account_id=account_id)


# --- The sheet ------------------------------------------------------------------------------------


@sensitive_variables("credentials")
def render_sheet(request: HttpRequest, credentials: Credentials, *, kind: str) -> HttpResponse:
    """The contract and credentials sheet, straight into this response, never cached."""
    account = credentials.account
    language = account.language if account.language in dict(settings.LANGUAGES) else "ru"
    response = render(
        request,
        "staff/sheet.html",
        {
            "account": account,
            "tariff": account.tariff,
            "contract_display": contract_display(account.contract),
            "password": credentials.password,
            "kind": kind,
            "sheet_language": language,
            "cabinet_url": settings.ABONENT_CABINET_URL,
            "deposit_kop": settings.ABONENT_CONNECTION_DEPOSIT_KOP,
            "issued_at": timezone.now(),
        },
    )
    add_never_cache_headers(response)  # Cache-Control: …no-store…
    response["Pragma"] = "no-cache"
    return response


# --- The list -------------------------------------------------------------------------------------


@staff_view(*SECTION_ROLES["accounts"])
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    """Subscribers' accounts: search by contract, phone, name or address; status tabs."""
    form = AccountSearchForm(request.GET or None)
    status, query = "", ""
    if form.is_bound and form.is_valid():
        status = form.cleaned_data["status"]
        query = form.cleaned_data["q"]
    counts = account_status_counts()
    page = paginate(request, account_staff_search(query=query, status=status), PAGE_SIZE)
    base = reverse("staff:accounts")
    keep = query_without(request, "status", "page")
    tabs = [
        {
            "label": _("All"),
            "count": sum(counts.values()),
            "url": f"{base}?{keep}" if keep else base,
            "active": not status,
        }
    ]
    for value, label in AccountStatus.choices:
        params = f"status={value}" + (f"&{keep}" if keep else "")
        tabs.append(
            {
                "label": label,
                "count": counts.get(value, 0),
                "url": f"{base}?{params}",
                "active": status == value,
            }
        )
    return render(
        request,
        "staff/accounts.html",
        {
            "form": form,
            "tabs": tabs,
            "page": page,
            "status": status,
            "query": query,
            "filtered": bool(status or query),
            "page_query": query_without(request, "page"),
            "can_create": has_role(request.user, *SECTION_ROLES["contracts"]),
        },
    )


# --- One account ----------------------------------------------------------------------------------


def _account_or_404(account_id: int) -> Account:
    try:
        return account_get(account_id=account_id)
    except NotFound:
        raise Http404 from None


@staff_view(*SECTION_ROLES["accounts"])
@require_GET
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    """One account: the contract, status and money, the next charge and an open tariff
    change, the last ledger entries, and what this staff member's roles may do with it
    (cashiers and admins: the correction / refund form)."""
    from abonent.staff.views_payments import account_payments_context  # it imports this module

    account = _account_or_404(account_id)
    user = request.user
    can_post_money = has_role(user, *SECTION_ROLES["money"])
    return render(
        request,
        "staff/account.html",
        {
            "account": account,
            "ledger": selectors.ledger_recent(account_id=account.pk, limit=LEDGER_ROWS),
            "ledger_rows": LEDGER_ROWS,
            "forecast": account_forecast(account=account, today=billing_today()),
            "tariff_change": tariff_change_open(account_id=account.pk),
            "can_reset": has_role(user, *SECTION_ROLES["passwords"]),
            "can_see_lead": has_role(user, *SECTION_ROLES["leads"]),
            "can_decide_changes": has_role(user, *SECTION_ROLES["tariff_changes"]),
            "can_post_money": can_post_money,
            "can_write": has_role(user, *SECTION_ROLES["mail"]),
            "network": account_network(account_id=account.pk),
            "can_network": has_role(user, *SECTION_ROLES["network"]),
            "correction_form": correction_form_for(request, account) if can_post_money else None,
            **account_payments_context(request, account),
        },
    )


# --- A new contract -------------------------------------------------------------------------------


def _lead_for_contract(request: HttpRequest) -> tuple[Lead | None, str]:
    """The request named by ``?lead=`` and why it cannot become a contract ("" when it can)."""
    raw = request.GET.get("lead", "")
    if not raw:
        return None, ""
    if not raw.isdigit():
        raise Http404
    try:
        lead = lead_get(lead_id=int(raw))
    except NotFound:
        raise Http404 from None
    if lead.status not in LEAD_STATUSES_FOR_CONTRACT:
        return lead, _("A contract is made from a scheduled or connected request.")
    return lead, ""


def _initial_from_lead(lead: Lead | None) -> dict[str, Any]:
    initial: dict[str, Any] = {"service_start": timezone.localdate()}
    if lead is None:
        return initial
    tariff = lead.tariff
    initial.update(
        lead_id=lead.pk,
        holder_name=lead.name,
        phone=lead.phone,
        address=lead.scheduled_address or lead.address,
    )
    if not tariff.is_archived:
        initial["tariff"] = tariff.pk
    if tariff.building_type in (BuildingType.APARTMENT, BuildingType.HOUSE):
        initial["building_type"] = tariff.building_type
    return initial


def _render_contract_form(
    request: HttpRequest,
    form: ContractForm,
    lead: Lead | None,
    *,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "staff/account_new.html",
        {"form": form, "lead": lead, "problem": problem},
        status=status,
    )


@staff_view(*SECTION_ROLES["contracts"])
@never_cache
@require_http_methods(["GET", "POST"])
def account_new(request: HttpRequest) -> HttpResponse:
    """Sign a contract, from scratch or from a request (``?lead=<id>``, prefilled). Success
    shows the contract and credentials sheet in this very response."""
    tariffs = selectors.tariffs_for_contracts()
    if request.method == "GET":
        lead, problem = _lead_for_contract(request)
        if lead is not None and not problem:
            existing = account_get_for_lead(lead_id=lead.pk)
            if existing is not None:
                messages.info(request, _("This request already has a contract."))
                return redirect("staff:account", account_id=existing.pk)
        initial = _initial_from_lead(None if problem else lead)
        initial["once"] = once_issue(request, "contract")
        form = ContractForm(initial=initial, tariffs=tariffs)
        return _render_contract_form(request, form, None if problem else lead, problem=problem)

    form = ContractForm(request.POST, tariffs=tariffs)
    lead = None
    lead_id = request.POST.get("lead_id", "")
    if lead_id.isdigit():
        lead = Lead.objects.filter(pk=int(lead_id)).select_related("tariff").first()
    if form.is_valid():
        data = form.cleaned_data
        usable, made = once_check(request, data["once"], "contract")
        if made is not None:
            return _already_done(request, made)
        if not usable:
            form.add_error(
                None,
                _("The form has expired. Check the data and send it again."),
            )
        else:
            try:
                credentials = account_create(
                    actor=request.user,
                    holder_name=data["holder_name"],
                    address=data["address"],
                    building_type=data["building_type"],
                    phone=data["phone"],
                    email=data["email"],
                    tariff_id=data["tariff"],
                    service_start=data["service_start"],
                    lead_id=data["lead_id"],
                )
            except ApplicationError as exc:
                apply_error(form, exc, CONTRACT_ALIASES)
            else:
                once_spend(request, data["once"], credentials.account.pk)
                return render_sheet(request, credentials, kind="contract")
    # Keep the input; a fresh token lets the corrected form through.
    form.data = form.data.copy()
    form.data["once"] = once_issue(request, "contract")
    return _render_contract_form(request, form, lead, status=422)


# --- A new password -------------------------------------------------------------------------------


@staff_view(*SECTION_ROLES["passwords"])
@never_cache
@require_http_methods(["GET", "POST"])
def account_password(request: HttpRequest, account_id: int) -> HttpResponse:
    """Reset the password: GET asks to confirm (and says what stops working); POST makes a
    new password, ends the subscriber's sessions and app tokens, and shows the new sheet."""
    account = _account_or_404(account_id)
    purpose = f"password:{account.pk}"
    status = 200
    if request.method == "POST":
        form = OnceForm(request.POST)
        token = form.data.get("once", "")
        usable, made = once_check(request, token, purpose)
        if made is not None:
            return _already_done(request, made)
        if usable:
            try:
                credentials = account_reset_password(account_id=account.pk, actor=request.user)
            except NotFound:
                raise Http404 from None
            once_spend(request, token, account.pk)
            return render_sheet(request, credentials, kind="password")
        form = OnceForm({"once": once_issue(request, purpose)})
        form.is_valid()
        form.add_error(None, _("The form has expired. Confirm the new password once more."))
        status = 422
    else:
        form = OnceForm(initial={"once": once_issue(request, purpose)})
    return render(
        request, "staff/account_password.html", {"account": account, "form": form}, status=status
    )
