"""Back-office forms of network access. They only parse what staff typed; the services in
``services.py`` and ``services_nas.py`` validate and write, and their ``ApplicationError`` is
shown on the field it names with the input kept."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from abonent.core.errors import ApplicationError
from abonent.network.models import ChangeState, NasType
from abonent.network.selectors_coa import STATE_LABELS
from abonent.network.services_nas import (
    nas_address_clean,
    nas_secret_clean,
    reply_template_attribute_clean,
    reply_template_value_clean,
)


class SessionSearchForm(forms.Form):
    """The live sessions' search and NAS filter."""

    q = forms.CharField(
        label=_("Login, contract, IP or MAC"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("1234 5678, 10.0.3.15, AA-BB-CC-DD-EE-FF"),
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )
    nas = forms.GenericIPAddressField(label=_("NAS"), required=False)

    def __init__(self, *args: Any, nas_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["nas"].widget = forms.Select(choices=[("", _("All NASes")), *nas_choices])


class CredentialForm(forms.Form):
    """An account's network login, MAC binding and static IP."""

    login = forms.CharField(
        label=_("Network login"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The subscriber's router must use the new login after a change."),
    )
    mac = forms.CharField(
        label=_("Bound MAC address"),
        required=False,
        max_length=32,
        widget=forms.TextInput(
            attrs={"placeholder": "AA-BB-CC-DD-EE-FF", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text=_("Only this device may connect with the login. Leave empty to allow any."),
    )
    static_ip = forms.GenericIPAddressField(
        label=_("Static IP address"),
        protocol="IPv4",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("Sent to the router as Framed-IP-Address. Leave empty for a dynamic one."),
    )


class NasForm(forms.Form):
    """A NAS. The secret is required for a new one; on a change, empty keeps the current one."""

    nasname = forms.CharField(
        label=_("IP address or network"),
        max_length=128,
        widget=forms.TextInput(
            attrs={"placeholder": "10.0.0.1", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text=_("The address the NAS sends RADIUS requests from."),
    )
    shortname = forms.CharField(
        label=_("Short name"),
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": "bras-1", "autocomplete": "off"}),
    )
    type = forms.ChoiceField(label=_("Type"), choices=NasType.choices, initial=NasType.MIKROTIK)
    secret = forms.CharField(
        label=_("Shared secret"),
        max_length=64,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
    )
    coa_port = forms.IntegerField(
        label=_("Port for CoA and Disconnect"),
        min_value=1,
        max_value=65535,
        initial=3799,
        help_text=_(
            "Where the NAS listens for Disconnect and CoA requests (RFC 5176): 3799 unless "
            "the NAS is set up otherwise."
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Where it stands, what it serves")}),
    )

    def __init__(self, *args: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        secret = self.fields["secret"]
        if creating:
            secret.help_text = _(
                "The same secret as in the NAS's RADIUS settings: 8 to 64 Latin letters, "
                "digits and punctuation."
            )
        else:
            secret.required = False
            secret.label = _("New shared secret")
            secret.help_text = _("The current secret is hidden. Leave empty to keep it.")

    # Each field is checked here with the service's own rules, so that every mistake shows at
    # once; the service checks them again (and uniqueness) when it writes.

    def clean_nasname(self) -> str:
        return _checked(nas_address_clean, self.cleaned_data["nasname"])

    def clean_secret(self) -> str:
        secret = self.cleaned_data["secret"]
        return _checked(nas_secret_clean, secret) if secret else secret


class GroupAttributesForm(forms.Form):
    """The values of a RADIUS group's attributes, one field each (``attr-<id>``)."""

    def __init__(self, *args: Any, attributes: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attributes = attributes
        for row in attributes:
            self.fields[f"attr-{row.pk}"] = forms.CharField(
                label=f"{row.attribute} {row.op}",
                initial=row.value,
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            )

    def values(self) -> list[tuple[int, str]]:
        """(attribute id, value) of every field."""
        return [(row.pk, self.cleaned_data[f"attr-{row.pk}"]) for row in self.attributes]


class ChangeFilterForm(forms.Form):
    """The session changes log's search and filters (a bad value is ignored, not an error)."""

    q = forms.CharField(
        label=_("Login or contract"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("pppoe-ivanov, 1234 5678"),
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("", _("All states")),
            *((state.value, STATE_LABELS[state]) for state in ChangeState),
        ],
    )
    nas = forms.TypedChoiceField(label=_("NAS"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, nas_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["nas"].choices = [("", _("All NASes")), *nas_choices]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The valid filters typed (``query``, ``state``, ``nas_id``), the others left out."""
        if not self.is_bound:
            return {"query": "", "state": "", "nas_id": None}
        self.is_valid()
        data = self.cleaned_data
        return {
            "query": data.get("q") or "",
            "state": data.get("state") or "",
            "nas_id": data.get("nas"),
        }


# FreeRADIUS's reply operators that make sense for a speed attribute.
REPLY_OPERATORS = [
    (":=", _(":= replace")),
    ("+=", _("+= add one more")),
    ("=", _("= set if absent")),
]


class ReplyTemplateForm(forms.Form):
    """A speed reply attribute of a NAS type; ``reply_template_save`` checks the name against
    FreeRADIUS's dictionaries and the placeholders."""

    nas_type = forms.ChoiceField(label=_("Type"), choices=NasType.choices)
    attribute = forms.CharField(
        label=_("Attribute"),
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "placeholder": "Mikrotik-Rate-Limit",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
        help_text=_(
            "A name from FreeRADIUS's dictionaries, such as Mikrotik-Rate-Limit; Name:1 for a "
            "tagged one."
        ),
    )
    op = forms.ChoiceField(
        label=_("Operator"),
        choices=REPLY_OPERATORS,
        initial=":=",
        help_text=_("+= for several rows of one attribute, as Cisco's two rate limits."),
    )
    value = forms.CharField(
        label=_("Value"),
        max_length=253,
        widget=forms.TextInput(
            attrs={"placeholder": "{up}k/{down}k", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text=_(
            "Placeholders: {up} and {down} in kbit/s, {up_bps} and {down_bps} in bit/s, "
            "{up_bytes} and {down_bytes} in bytes per second."
        ),
    )

    # Checked here with the service's rules so that every mistake shows at once.

    def clean_attribute(self) -> str:
        return _checked(reply_template_attribute_clean, self.cleaned_data["attribute"])

    def clean_value(self) -> str:
        return _checked(reply_template_value_clean, self.cleaned_data["value"])


def _checked(check: Any, value: str) -> str:
    try:
        return check(value)
    except ApplicationError as exc:
        raise forms.ValidationError(str(exc.message), code=exc.code) from None
