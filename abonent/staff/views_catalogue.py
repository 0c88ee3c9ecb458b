"""Back-office catalogue editor (admins): service kinds, tariffs and add-ons.

Every change goes through ``abonent.catalogue.services`` (validated, audited before → after);
fees are typed in roubles and stored as integer kopecks; a tariff in use is archived, not deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from abonent.catalogue.services import (
    addon_remove,
    addon_save,
    service_kind_save,
    tariff_remove,
    tariff_save,
)
from abonent.core.errors import ApplicationError, NotFound
from abonent.staff import selectors
from abonent.staff.decorators import SECTION_ROLES, staff_view
from abonent.staff.forms import (
    AddonForm,
    ServiceKindForm,
    ServiceModelForm,
    TariffForm,
    apply_error,
)

ADMIN = SECTION_ROLES["catalogue"]
FEE_ALIASES = {"fee_kop": "fee"}


def _get(getter: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return getter(**kwargs)
    except NotFound:
        raise Http404 from None


def _edit(
    request: HttpRequest,
    *,
    form_class: type[ServiceModelForm],
    obj: Any,
    save: Callable[[Any, dict[str, Any]], Any],
    list_url: str,
    titles: tuple[str, str],
    section: str,
    remove_url: str = "",
) -> HttpResponse:
    """Show a catalogue form; on POST call the service and go back to the list."""
    # The form never touches ``obj`` (see ServiceModelForm), so the service audits the stored
    # state as "before".
    form = form_class(request.POST or None, instance=obj)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = save(obj, form.service_data())
            except ApplicationError as exc:
                apply_error(form, exc, FEE_ALIASES)
            else:
                messages.success(
                    request,
                    (_("“%(name)s” is created.") if obj is None else _("“%(name)s” is saved."))
                    % {"name": saved},
                )
                return redirect(list_url)
        status = 422
    return render(
        request,
        "staff/catalogue_form.html",
        {
            "form": form,
            "obj": obj,
            "title": titles[0] if obj is None else titles[1] % {"name": obj},
            "list_url": list_url,
            "remove_url": remove_url,
            "section": section,
        },
        status=status,
    )


# --- Tariffs ------------------------------------------------------------------------------------


@staff_view(*ADMIN)
@require_GET
def tariff_list(request: HttpRequest) -> HttpResponse:
    """Every tariff, archived ones last, with its fee, speeds and whether it is in use."""
    return render(
        request,
        "staff/tariffs.html",
        {"tariffs": list(selectors.tariff_staff_list()), "section": "tariffs"},
    )


@staff_view(*ADMIN)
@require_http_methods(["GET", "POST"])
def tariff_edit(request: HttpRequest, tariff_id: int | None = None) -> HttpResponse:
    """Create a tariff or change one (the fee in roubles)."""
    tariff = None if tariff_id is None else _get(selectors.tariff_staff_get, tariff_id=tariff_id)
    return _edit(
        request,
        form_class=TariffForm,
        obj=tariff,
        save=lambda obj, data: tariff_save(tariff=obj, data=data, actor=request.user),
        list_url="staff:tariffs",
        titles=(_("New tariff"), _("Tariff “%(name)s”")),
        section="tariffs",
        remove_url="staff:tariff_remove" if tariff else "",
    )


@staff_view(*ADMIN)
@require_POST
def tariff_remove_view(request: HttpRequest, tariff_id: int) -> HttpResponse:
    """Delete an unused tariff or archive one in use; say which happened."""
    tariff = _get(selectors.tariff_staff_get, tariff_id=tariff_id)
    name = str(tariff)
    outcome = tariff_remove(tariff=tariff, actor=request.user)
    if outcome == "archived":
        messages.warning(
            request,
            _("Tariff “%(name)s” is in use, so it was archived, not deleted.") % {"name": name},
        )
    else:
        messages.success(request, _("Tariff “%(name)s” is deleted.") % {"name": name})
    return redirect("staff:tariffs")


# --- Add-ons ------------------------------------------------------------------------------------


@staff_view(*ADMIN)
@require_GET
def addon_list(request: HttpRequest) -> HttpResponse:
    """Every add-on, archived ones last."""
    return render(
        request,
        "staff/addons.html",
        {"addons": list(selectors.addon_staff_list()), "section": "addons"},
    )


@staff_view(*ADMIN)
@require_http_methods(["GET", "POST"])
def addon_edit(request: HttpRequest, addon_id: int | None = None) -> HttpResponse:
    """Create an add-on or change one (the fee in roubles)."""
    addon = None if addon_id is None else _get(selectors.addon_staff_get, addon_id=addon_id)
    return _edit(
        request,
        form_class=AddonForm,
        obj=addon,
        save=lambda obj, data: addon_save(addon=obj, data=data, actor=request.user),
        list_url="staff:addons",
        titles=(_("New add-on"), _("Add-on “%(name)s”")),
        section="addons",
        remove_url="staff:addon_remove" if addon else "",
    )


@staff_view(*ADMIN)
@require_POST
def addon_remove_view(request: HttpRequest, addon_id: int) -> HttpResponse:
    """Delete an unused add-on or archive one in use; say which happened."""
    addon = _get(selectors.addon_staff_get, addon_id=addon_id)
    name = str(addon)
    outcome = addon_remove(addon=addon, actor=request.user)
    if outcome == "archived":
        messages.warning(
            request,
            _("Add-on “%(name)s” is in use, so it was archived, not deleted.") % {"name": name},
        )
    else:
        messages.success(request, _("Add-on “%(name)s” is deleted.") % {"name": name})
    return redirect("staff:addons")


# --- Service kinds ------------------------------------------------------------------------------


@staff_view(*ADMIN)
@require_GET
def kind_list(request: HttpRequest) -> HttpResponse:
    """Every service kind with its numbers of tariffs and add-ons."""
    return render(
        request,
        "staff/kinds.html",
        {"kinds": list(selectors.service_kind_staff_list()), "section": "kinds"},
    )


@staff_view(*ADMIN)
@require_http_methods(["GET", "POST"])
def kind_edit(request: HttpRequest, kind_id: int | None = None) -> HttpResponse:
    """Create a service kind or change one."""
    kind = None if kind_id is None else _get(selectors.service_kind_staff_get, kind_id=kind_id)
    return _edit(
        request,
        form_class=ServiceKindForm,
        obj=kind,
        save=lambda obj, data: service_kind_save(kind=obj, data=data, actor=request.user),
        list_url="staff:kinds",
        titles=(_("New service kind"), _("Service kind “%(name)s”")),
        section="kinds",
    )
