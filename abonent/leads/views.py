"""Public site: the connection request form and the page after it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from abonent.catalogue.models import Tariff
from abonent.catalogue.selectors import tariff_public_list
from abonent.core.clientip import client_ip
from abonent.core.errors import ApplicationError, RateLimited
from abonent.core.money import format_money
from abonent.core.phone import format_phone
from abonent.leads.forms import ConnectForm
from abonent.leads.models import LeadSource
from abonent.leads.services import lead_create
from abonent.leads.texts import next_steps_text

SESSION_KEY = "leads_last"


def _preselected(tariffs: list[Tariff], wanted: str) -> Tariff | None:
    """The tariff named by ``?tariff=`` (its id or its code), if a visitor may order it."""
    wanted = (wanted or "").strip()
    if not wanted:
        return None
    for tariff in tariffs:
        if wanted in (str(tariff.pk), tariff.slug):
            return tariff
    return None


@csrf_protect
@require_http_methods(["GET", "POST"])
def connect(request: HttpRequest) -> HttpResponse:
    """The request form; ``?tariff=<id or code>`` preselects a tariff.

    A good request goes to ``lead_create`` and redirects to the done page (POST/redirect/GET).
    Errors of the service are shown next to their fields with everything typed kept; a rate
    limit answers 429 with its polite message. A filled honeypot pretends success.
    """
    tariffs = list(tariff_public_list())
    status = 200
    rate_limited = False
    if request.method == "POST":
        form = ConnectForm(request.POST, tariffs=tariffs)
        if form.is_valid():
            if form.is_spam:
                return redirect("leads:done")
            data = form.cleaned_data
            try:
                lead = lead_create(
                    tariff_id=data["tariff"],
                    name=data["name"],
                    phone=data["phone"],
                    address=data["address"],
                    comment=data["comment"],
                    consent=data["consent"],
                    ip=client_ip(request),
                    language=translation.get_language() or "ru",
                    source=LeadSource.SITE,
                )
            except RateLimited as exc:
                form.add_service_error(None, exc.message)
                rate_limited = True
                status = 429
            except ApplicationError as exc:
                form.add_service_error(exc.field, exc.message)
            else:
                request.session[SESSION_KEY] = {"id": lead.pk, "phone": lead.phone}
                return redirect("leads:done")
    else:
        chosen = _preselected(tariffs, request.GET.get("tariff", ""))
        form = ConnectForm(initial={"tariff": str(chosen.pk) if chosen else ""}, tariffs=tariffs)
    if form.errors:
        form.focus_first_error()
    context = {
        "form": form,
        "rate_limited": rate_limited,
        "has_tariffs": bool(tariffs),
        "deposit": format_money(settings.ABONENT_CONNECTION_DEPOSIT_KOP, cents=False),
    }
    return render(request, "leads/connect.html", context, status=status)


@require_http_methods(["GET"])
def done(request: HttpRequest) -> HttpResponse:
    """What happens after a request: its number, the call back, the deposit."""
    last = request.session.get(SESSION_KEY) or {}
    context = {
        "lead_id": last.get("id"),
        "lead_phone": format_phone(last["phone"]) if last.get("phone") else "",
        "next_steps": next_steps_text(),
    }
    return render(request, "leads/done.html", context)
