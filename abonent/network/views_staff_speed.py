"""Back-office pages of the speed attributes per NAS type (admins), under
/staff/network/speed/: the rows of each type with their values for an example tariff, add,
change, delete (``services.reply_template_save`` / ``reply_template_delete``: the name checked
against FreeRADIUS's dictionaries, audited) and the defaults put back for one type
(``services_nas.reply_templates_restore``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from abonent.core.errors import ApplicationError, NotFound
from abonent.network import selectors, selectors_coa
from abonent.network.forms import ReplyTemplateForm
from abonent.network.models import NasType, ReplyTemplate
from abonent.network.services import (
    radius_attribute_names,
    reply_template_delete,
    reply_template_save,
)
from abonent.network.services_nas import reply_templates_restore
from abonent.network.views_staff import NAS_ROLES, network_tabs
from abonent.staff.decorators import staff_view
from abonent.staff.forms import apply_error

EXAMPLE = {"up_kbps": selectors_coa.EXAMPLE_UP_KBPS, "down_kbps": selectors_coa.EXAMPLE_DOWN_KBPS}


def _type_label(nas_type: str) -> str:
    return str(dict(NasType.choices).get(nas_type, nas_type))


def _list_url(nas_type: str) -> str:
    return f"{reverse('network_staff:speed')}#type-{nas_type}"


def _template_or_404(template_id: int) -> ReplyTemplate:
    try:
        return selectors_coa.reply_template_get(template_id=template_id)
    except NotFound:
        raise Http404 from None


@staff_view(*NAS_ROLES)
@require_GET
def speed_list(request: HttpRequest) -> HttpResponse:
    """Each NAS type's speed attributes with what the example tariff gets, the NASes of that
    type, and the buttons to add, change, delete and restore the defaults."""
    return render(
        request,
        "network/staff/speed.html",
        {
            **network_tabs(request, "speed"),
            "types": selectors_coa.reply_templates_by_type(**EXAMPLE),
            "example_down": selectors_coa.speed_text(EXAMPLE["down_kbps"]),
            "example_up": selectors_coa.speed_text(EXAMPLE["up_kbps"]),
            **{f"example_{name}": number for name, number in EXAMPLE.items()},
            "names_checked": radius_attribute_names() is not None,
            "has_radius": selectors.radius_available(),
        },
    )


@staff_view(*NAS_ROLES)
@never_cache
@require_http_methods(["GET", "POST"])
def speed_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    """Add a speed attribute to a NAS type (``?type=``) or change one; a mistake is shown on
    its field with what was typed kept (422)."""
    template = None if template_id is None else _template_or_404(template_id)
    status = 200
    if request.method == "GET":
        initial: dict[str, Any] = {"nas_type": request.GET.get("type", NasType.MIKROTIK)}
        if template is not None:
            initial = {
                "nas_type": template.nas_type,
                "attribute": template.attribute,
                "op": template.op,
                "value": template.value,
            }
        form = ReplyTemplateForm(initial=initial)
    else:
        form = ReplyTemplateForm(request.POST)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = reply_template_save(
                    actor=request.user,
                    template_id=None if template is None else template.pk,
                    nas_type=data["nas_type"],
                    attribute=data["attribute"],
                    op=data["op"],
                    value=data["value"],
                )
            except NotFound:
                raise Http404 from None
            except ApplicationError as exc:
                apply_error(form, exc)
            else:
                values = {"attribute": saved.attribute, "type": _type_label(saved.nas_type)}
                messages.success(
                    request,
                    (
                        _("%(attribute)s is added to %(type)s.")
                        if template is None
                        else _("%(attribute)s of %(type)s is saved.")
                    )
                    % values
                    + " "
                    + _("FreeRADIUS sends it from the next connection of a subscriber."),
                )
                return redirect(_list_url(saved.nas_type))
    value = form["value"].value() or ""
    return render(
        request,
        "network/staff/speed_form.html",
        {
            **network_tabs(request, "speed"),
            "form": form,
            "template": template,
            "example": ReplyTemplate(value=str(value)).render(**EXAMPLE),
            "example_down": selectors_coa.speed_text(EXAMPLE["down_kbps"]),
            "example_up": selectors_coa.speed_text(EXAMPLE["up_kbps"]),
            **{f"example_{name}": number for name, number in EXAMPLE.items()},
        },
        status=status,
    )


@staff_view(*NAS_ROLES)
@require_POST
def speed_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    """Remove a speed attribute (audited); says so when its type is left with none."""
    template = _template_or_404(template_id)
    try:
        reply_template_delete(actor=request.user, template_id=template.pk)
    except NotFound:
        raise Http404 from None
    values = {"attribute": template.attribute, "type": _type_label(template.nas_type)}
    messages.success(request, _("%(attribute)s of %(type)s is deleted.") % values)
    if not selectors_coa.reply_templates_of(nas_type=template.nas_type):
        messages.warning(
            request,
            _(
                "%(type)s has no speed attributes now: its subscribers connect without a speed "
                "limit, and a speed change cannot be sent to them by CoA."
            )
            % values,
        )
    return redirect(_list_url(template.nas_type))


@staff_view(*NAS_ROLES)
@require_POST
def speed_restore(request: HttpRequest) -> HttpResponse:
    """Put a NAS type's speed attributes back to the defaults (audited)."""
    nas_type = request.POST.get("nas_type", "")
    try:
        made = reply_templates_restore(actor=request.user, nas_type=nas_type)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect("network_staff:speed")
    values = {"type": _type_label(nas_type)}
    if made:
        messages.success(request, _("The default speed attributes of %(type)s are back.") % values)
    else:
        messages.info(request, _("%(type)s already has the default speed attributes.") % values)
    return redirect(_list_url(nas_type))
