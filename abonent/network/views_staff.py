"""Back-office pages of network access under /staff/network/: live sessions and the log of
Disconnect/CoA requests sent to NASes (support staff and admins), one account's sessions and its
network credential (login, MAC binding, static IP, a new network password), and the NAS list
(admins; the speed attributes per NAS type are in ``views_staff_speed``).

``radacct`` and ``radpostauth`` exist on PostgreSQL only: on SQLite the session pages say that
network data needs PostgreSQL, and the NAS list (a normal table) works as everywhere.
Reads go through ``selectors``, writes through ``services`` / ``services_nas``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from abonent.accounts.models import Account
from abonent.core.access import Role, has_role
from abonent.core.errors import ApplicationError, NotFound
from abonent.network import selectors, selectors_coa
from abonent.network.coa import session_disconnect
from abonent.network.forms import (
    ChangeFilterForm,
    CredentialForm,
    GroupAttributesForm,
    NasForm,
    SessionSearchForm,
)
from abonent.network.models import ChangeState, Nas, NasType, RadAcct, SessionChange
from abonent.network.selectors import SessionAccount
from abonent.network.services import (
    RESTRICTED_GROUP,
    RadiusNeedsPostgres,
    credential_rotate_password,
    credential_update,
    radius_require_postgres,
)
from abonent.network.services_nas import (
    group_attributes_set,
    nas_create,
    nas_delete,
    nas_update,
)
from abonent.network.views import traffic_format
from abonent.staff.decorators import SECTION_ROLES, staff_view
from abonent.staff.forms import apply_error
from abonent.staff.views import paginate, query_without

NETWORK = SECTION_ROLES["network"]
NAS_ROLES = (Role.ADMIN,)
PAGE_SIZE = 50
# FreeRADIUS reads its clients (the ``nas`` view) only when it starts; a reload (HUP) does
# not re-read them, so a changed NAS list needs a restart.
RESTART_COMMAND = "systemctl restart freeradius"


def radius_problem() -> str:
    """Why session data is not available here ("" on PostgreSQL)."""
    try:
        radius_require_postgres()
    except RadiusNeedsPostgres as exc:
        return str(exc.message)
    return ""


def duration_format(seconds: int) -> str:
    """A duration for people: "2 d 3 h", "3 h 12 min", "5 min"."""
    seconds = max(int(seconds), 0)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}


@dataclass(frozen=True)
class SessionView:
    """One ``radacct`` row as a table shows it."""

    session: RadAcct
    account: SessionAccount | None
    nas_name: str
    duration: str
    download: str
    upload: str


def session_views(
    sessions: list[RadAcct], *, names: list[tuple[Any, str]], now: dt.datetime
) -> list[SessionView]:
    """Sessions with their accounts (one query for the whole page) and human numbers."""
    accounts = selectors.accounts_by_login([s.username or "" for s in sessions])
    rows = []
    for s in sessions:
        end = s.acctstoptime or now
        seconds = int((end - s.acctstarttime).total_seconds()) if s.acctstarttime else 0
        rows.append(
            SessionView(
                session=s,
                account=accounts.get(s.username or ""),
                nas_name=selectors.nas_name_for(str(s.nasipaddress), names),
                duration=duration_format(seconds),
                download=traffic_format(s.acctoutputoctets or 0),
                upload=traffic_format(s.acctinputoctets or 0),
            )
        )
    return rows


def network_tabs(request: HttpRequest, current: str) -> dict[str, Any]:
    return {"section": current, "can_nas": has_role(request.user, *NAS_ROLES)}


# --- Live sessions -------------------------------------------------------------------------------


@staff_view(*NETWORK)
@require_GET
def sessions(request: HttpRequest) -> HttpResponse:
    """Sessions online now: counts in all and per NAS, search by login, contract, IP or MAC,
    a NAS filter, pages of 50; a disconnect button on each."""
    context: dict[str, Any] = {**network_tabs(request, "sessions"), "problem": radius_problem()}
    if context["problem"]:
        return render(request, "network/staff/sessions.html", context)
    counts = selectors.live_session_counts()
    choices = [
        (c.address, f"{c.name} ({c.address})" if c.name else c.address) for c in counts.per_nas
    ]
    form = SessionSearchForm(request.GET or None, nas_choices=choices)
    query, nas_ip = "", ""
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"]
        nas_ip = form.cleaned_data["nas"] or ""
    page = paginate(request, selectors.live_sessions(query=query, nas_ip=nas_ip), PAGE_SIZE)
    context.update(
        {
            "form": form,
            "counts": counts,
            "page": page,
            "rows": session_views(list(page.object_list), names=counts.names, now=timezone.now()),
            "filtered": bool(query or nas_ip),
            "page_query": query_without(request, "page"),
            "nas_ip": nas_ip,
            "can_disconnect": True,
        }
    )
    return render(request, "network/staff/sessions.html", context)


def disconnect_outcome(change: SessionChange) -> tuple[int, str]:
    """What the NAS did with a Disconnect-Request, as a message level and text."""
    values = {"login": change.username, "reason": change.last_error or _("no answer")}
    if change.state == ChangeState.ACKED:
        return messages.SUCCESS, _(
            "The NAS acknowledged: the session of %(login)s is disconnected. The router will "
            "connect again with the current settings."
        ) % values
    if change.state == ChangeState.NAKED:
        return messages.ERROR, _(
            "The NAS refused to disconnect the session of %(login)s: %(reason)s."
        ) % values
    if change.state == ChangeState.FAILED:
        return messages.ERROR, _("The request to disconnect %(login)s failed: %(reason)s.") % values
    if change.state == ChangeState.CANCELLED:
        return messages.INFO, _("Nothing to do: the session of %(login)s has ended.") % values
    return messages.WARNING, _(
        "The request to disconnect %(login)s is sent, but the NAS has not answered "
        "(%(reason)s). It will be sent again for a few minutes."
    ) % values


def _back(request: HttpRequest) -> str:
    """Where to return after a POST: the page it came from, if it is one of ours."""
    target = request.POST.get("next", "")
    if target.startswith("/staff/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return reverse("network_staff:sessions")


@staff_view(*NETWORK)
@require_POST
def session_disconnect_view(request: HttpRequest, radacct_id: int) -> HttpResponse:
    """Send the session's NAS a Disconnect-Request now (RFC 5176, audited) and say what it
    answered: acknowledged, refused (with its reason), or no answer yet (retried later)."""
    try:
        change = session_disconnect(radacct_id=radacct_id, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        level, text = disconnect_outcome(change)
        messages.add_message(request, level, text)
    return redirect(_back(request))


# --- Requests to NASes ---------------------------------------------------------------------------


@staff_view(*NETWORK)
@require_GET
def changes(request: HttpRequest) -> HttpResponse:
    """The Disconnect/CoA requests sent to NASes by the reconciler and by staff, newest first:
    counts of pending, overdue, failed and refused ones at the top (an outage shows), filters
    by state and NAS, search by login, contract or IP, pages of 50; seven queries."""
    form = ChangeFilterForm(request.GET or None, nas_choices=selectors_coa.nas_choices())
    filters = form.filters()
    page = paginate(request, selectors_coa.session_changes(**filters), PAGE_SIZE)
    now = timezone.now()
    return render(
        request,
        "network/staff/changes.html",
        {
            **network_tabs(request, "changes"),
            "form": form,
            "counts": selectors_coa.session_change_counts(now=now),
            "overdue_before": now - selectors_coa.OVERDUE,
            "page": page,
            "rows": selectors_coa.change_rows(list(page.object_list)),
            "filtered": any(filters.values()),
            "state": filters["state"],
            "page_query": query_without(request, "page"),
            "has_radius": selectors.radius_available(),
        },
    )


# --- One account ---------------------------------------------------------------------------------


def _account_or_404(account_id: int) -> Account:
    try:
        return selectors.account_for_network(account_id=account_id)
    except NotFound:
        raise Http404 from None


@staff_view(*NETWORK)
@require_GET
def account_sessions(request: HttpRequest, account_id: int) -> HttpResponse:
    """The account's sessions, open and closed, newest first (the last 200, pages of 50)."""
    account = _account_or_404(account_id)
    credential = selectors.credential_for_account(account_id=account.pk)
    context: dict[str, Any] = {
        **network_tabs(request, "sessions"),
        "account": account,
        "credential": credential,
        "problem": radius_problem(),
        "limit": selectors.HISTORY_LIMIT,
    }
    if credential is not None and not context["problem"]:
        page = Paginator(selectors.account_sessions(login=credential.login), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context.update(
            {
                "page": page,
                "rows": session_views(
                    list(page.object_list), names=selectors.nas_names(), now=timezone.now()
                ),
                "page_query": query_without(request, "page"),
            }
        )
    return render(request, "network/staff/account_sessions.html", context)


def _render_credential(
    request: HttpRequest, account: Account, form: CredentialForm, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "network/staff/credential.html",
        {**network_tabs(request, "sessions"), "account": account, "form": form},
        status=status,
    )


@staff_view(*NETWORK)
@never_cache
@require_http_methods(["GET", "POST"])
def credential_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    """Change the account's network login, MAC binding or static IP (audited)."""
    account = _account_or_404(account_id)
    if request.method == "GET":
        credential = selectors.credential_for_account(account_id=account.pk)
        initial = {"login": account.contract}
        if credential is not None:
            initial = {
                "login": credential.login,
                "mac": credential.mac,
                "static_ip": credential.static_ip or "",
            }
        return _render_credential(request, account, CredentialForm(initial=initial))
    form = CredentialForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            credential_update(
                account_id=account.pk,
                actor=request.user,
                login=data["login"],
                mac=data["mac"],
                static_ip=data["static_ip"] or "",
            )
        except NotFound:
            raise Http404 from None
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The network settings are saved."))
            return redirect("staff:account", account_id=account.pk)
    return _render_credential(request, account, form, status=422)


@sensitive_variables("credential")
@staff_view(*NETWORK)
@require_POST
def credential_password(request: HttpRequest, account_id: int) -> HttpResponse:
    """A new network password (audited without it), shown once in this response, never
    cached: the subscriber needs it for the router (they also see it in the cabinet)."""
    account = _account_or_404(account_id)
    try:
        credential = credential_rotate_password(account_id=account.pk, actor=request.user)
    except NotFound:
        raise Http404 from None
    response = render(
        request,
        "network/staff/password.html",
        {**network_tabs(request, "sessions"), "account": account, "credential": credential},
    )
    add_never_cache_headers(response)
    return response


# --- NASes ---------------------------------------------------------------------------------------


def _render_nas_list(
    request: HttpRequest, group_form: GroupAttributesForm | None = None, *, status: int = 200
) -> HttpResponse:
    if group_form is None:
        group_form = GroupAttributesForm(
            attributes=selectors.group_attributes(group=RESTRICTED_GROUP)
        )
    return render(
        request,
        "network/staff/nas_list.html",
        {
            **network_tabs(request, "nas"),
            "rows": selectors.nas_list(),
            "has_radius": selectors.radius_available(),
            "restart_command": RESTART_COMMAND,
            "group_form": group_form,
        },
        status=status,
    )


@staff_view(*NAS_ROLES)
@require_GET
def nas_list(request: HttpRequest) -> HttpResponse:
    """Every NAS with its open sessions (on PostgreSQL), the command to restart FreeRADIUS,
    and the attributes of the group blocked accounts land in."""
    return _render_nas_list(request)


@staff_view(*NAS_ROLES)
@require_POST
def restricted_group_edit(request: HttpRequest) -> HttpResponse:
    """Change the values of the ``restricted`` group's attributes (each change audited)."""
    form = GroupAttributesForm(
        request.POST, attributes=selectors.group_attributes(group=RESTRICTED_GROUP)
    )
    if form.is_valid():
        try:
            group_attributes_set(actor=request.user, values=form.values())
        except NotFound:
            raise Http404 from None
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "The restricted access is saved: it applies from each blocked "
                    "subscriber's next connection."
                ),
            )
            return redirect("network_staff:nas_list")
    return _render_nas_list(request, form, status=422)


def _nas_or_404(nas_id: int) -> Nas:
    try:
        return selectors.nas_get(nas_id=nas_id)
    except NotFound:
        raise Http404 from None


def _reload_reminder(request: HttpRequest) -> None:
    messages.info(
        request,
        _(
            "FreeRADIUS reads the NAS list when it starts: restart it for the change to take "
            "effect (%(command)s)."
        )
        % {"command": RESTART_COMMAND},
    )


@sensitive_post_parameters("secret")
@staff_view(*NAS_ROLES)
@never_cache
@require_http_methods(["GET", "POST"])
def nas_edit(request: HttpRequest, nas_id: int | None = None) -> HttpResponse:
    """Register a NAS or change one; an empty secret on a change keeps the current one."""
    nas = None if nas_id is None else _nas_or_404(nas_id)
    if request.method == "GET":
        initial: dict[str, Any] = {"type": NasType.MIKROTIK, "coa_port": 3799}
        if nas is not None:
            initial = {
                "nasname": nas.nasname,
                "shortname": nas.shortname,
                "type": nas.type,
                "coa_port": nas.coa_port,
                "description": nas.description,
            }
        form = NasForm(initial=initial, creating=nas is None)
        status = 200
    else:
        form = NasForm(request.POST, creating=nas is None)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                if nas is None:
                    saved = nas_create(actor=request.user, **data)
                else:
                    saved = nas_update(nas_id=nas.pk, actor=request.user, **data)
            except NotFound:
                raise Http404 from None
            except ApplicationError as exc:
                apply_error(form, exc)
            else:
                messages.success(
                    request,
                    (_("NAS %(name)s is added.") if nas is None else _("NAS %(name)s is saved."))
                    % {"name": saved},
                )
                _reload_reminder(request)
                return redirect("network_staff:nas_list")
    return render(
        request,
        "network/staff/nas_form.html",
        {
            **network_tabs(request, "nas"),
            "form": form,
            "nas": nas,
            "open_sessions": selectors.nas_open_sessions(nasname=nas.nasname) if nas else 0,
            "restart_command": RESTART_COMMAND,
        },
        status=status,
    )


@staff_view(*NAS_ROLES)
@require_POST
def nas_delete_view(request: HttpRequest, nas_id: int) -> HttpResponse:
    """Delete a NAS, refused while subscribers are online through it."""
    nas = _nas_or_404(nas_id)
    try:
        name = nas_delete(nas_id=nas.pk, actor=request.user)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect("network_staff:nas_edit", nas_id=nas.pk)
    messages.success(request, _("NAS %(name)s is deleted.") % {"name": name})
    _reload_reminder(request)
    return redirect("network_staff:nas_list")
