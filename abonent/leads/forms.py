"""The connection request form of the public site.

The form only gives the request its shape (which fields, which widgets, what a person sees);
every rule about the values lives in ``abonent.leads.services.lead_create``, whose errors the
view puts next to the fields they name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from abonent.catalogue.models import BuildingType, Tariff
from abonent.catalogue.views import price_tag
from abonent.leads.services import ADDRESS_MAX, COMMENT_MAX, NAME_MAX

# Which form field shows an error the service raises about one of its arguments.
SERVICE_FIELDS = {
    "tariff_id": "tariff",
    "name": "name",
    "phone": "phone",
    "address": "address",
    "comment": "comment",
    "consent": "consent",
}

HONEYPOT = "website"


def tariff_choices(tariffs: Iterable[Tariff]) -> list[tuple[str, Any]]:
    """Select options grouped by service kind (and building type): "Name — 500 ₽/мес"."""
    choices: list[tuple[str, Any]] = [("", _("— choose a tariff —"))]
    groups: dict[tuple[int, str], list[tuple[str, str]]] = {}
    labels: dict[tuple[int, str], str] = {}
    for tariff in tariffs:
        key = (tariff.kind_id, tariff.building_type)
        if key not in groups:
            label = tariff.kind.title
            if tariff.building_type != BuildingType.ANY:
                label = f"{label} · {BuildingType(tariff.building_type).label}"
            labels[key] = label
            groups[key] = []
        groups[key].append(
            (str(tariff.pk), f"{tariff.title} — {price_tag(tariff.fee_kop, tariff.fee_period)}")
        )
    choices += [(labels[key], options) for key, options in groups.items()]
    return choices


class ConnectForm(forms.Form):
    """Tariff, name, phone, optional address and comment, consent, and a honeypot."""

    tariff = forms.CharField(label=_("Tariff"), required=False, widget=forms.Select)
    name = forms.CharField(
        label=_("Your name"),
        required=False,
        strip=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "name", "maxlength": NAME_MAX, "required": True}
        ),
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        strip=False,
        help_text=_("Any spelling: 8 (916) 123-45-67, +7 916 123-45-67, 9161234567."),
        widget=forms.TextInput(
            attrs={
                "type": "tel",
                "autocomplete": "tel",
                "inputmode": "tel",
                "placeholder": "+7 916 123-45-67",
                "maxlength": 32,
                "required": True,
            }
        ),
    )
    address = forms.CharField(
        label=_("Connection address"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "street-address",
                "maxlength": ADDRESS_MAX,
                "placeholder": _("Street, house, apartment"),
            }
        ),
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "maxlength": COMMENT_MAX,
                "placeholder": _("When is it convenient to call you?"),
            }
        ),
    )
    consent = forms.BooleanField(
        label=_("I agree to the processing of my personal data to handle this request."),
        required=False,
        widget=forms.CheckboxInput(attrs={"required": True}),
    )
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, tariffs: Iterable[Tariff] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tariff"].widget.choices = tariff_choices(tariffs)
        self.fields["tariff"].widget.attrs["required"] = True

    @property
    def is_spam(self) -> bool:
        """A person never fills the hidden field; a form-filling robot does."""
        return bool((self.cleaned_data.get(HONEYPOT) or "").strip())

    def add_service_error(self, field: str | None, message: Any) -> None:
        """Show a service error next to the field it names, or above the form."""
        self.add_error(SERVICE_FIELDS.get(field or ""), message)

    def focus_first_error(self) -> None:
        """Put the cursor into the first field that needs fixing (``autofocus``, no script)."""
        for name in self.fields:
            if name in self.errors:
                self.fields[name].widget.attrs["autofocus"] = True
                return
