"""Back-office forms. They only parse what staff typed; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from abonent.accounts.models import AccountStatus
from abonent.catalogue.models import Addon, BuildingType, ServiceKind, Tariff
from abonent.core.errors import ApplicationError
from abonent.core.money import format_money, parse_rubles
from abonent.leads.models import LeadStatus

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def apply_error(
    form: forms.Form, exc: ApplicationError, aliases: dict[str, str] | None = None
) -> None:
    """Show a service's ``ApplicationError`` on the form field it names (or on the whole form)."""
    field = (aliases or {}).get(exc.field or "", exc.field)
    if field and field in form.fields:
        form.add_error(field, str(exc.message))
    else:
        form.add_error(None, str(exc.message))


def kop_to_text(amount_kop: int | None) -> str:
    """Kopecks as roubles the way people type them: 50000 → "500", 49990 → "499,90",
    -10050 → "-100,50"."""
    if amount_kop is None:
        return ""
    sign = "-" if int(amount_kop) < 0 else ""
    whole, kop = divmod(abs(int(amount_kop)), 100)
    return sign + (f"{whole},{kop:02d}" if kop else str(whole))


class RublesField(forms.Field):
    """An amount typed in roubles ("500", "499,90", "1 000.50"), cleaned to integer kopecks."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid": _("Enter an amount in roubles, for example 500 or 499,90."),
        "negative": _("The amount cannot be negative."),
    }

    def __init__(self, *args: Any, allow_negative: bool = False, **kwargs: Any) -> None:
        self.allow_negative = allow_negative
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        """A short text input that brings up the numeric keyboard on phones."""
        return {
            **super().widget_attrs(widget),
            "inputmode": "decimal",
            "autocomplete": "off",
            "maxlength": "20",
        }

    def prepare_value(self, value: Any) -> Any:
        """Show an int of kopecks (the initial value) as roubles."""
        if isinstance(value, int) and not isinstance(value, bool):
            return kop_to_text(value)
        return value

    def to_python(self, value: Any) -> int | None:
        """Roubles text → kopecks (``None`` when empty)."""
        text = str(value or "").strip()
        if not text:
            return None
        try:
            if len(text) > 20:
                raise ValueError(text)
            kop = parse_rubles(text)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if kop < 0 and not self.allow_negative:
            raise forms.ValidationError(self.error_messages["negative"], code="negative")
        return kop


class LoginForm(forms.Form):
    """Username and password of a staff member."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class LeadFilterForm(forms.Form):
    """The queue's filters: status (the tabs), tariff and a search by phone or name."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + LeadStatus.choices
    )
    tariff = forms.TypedChoiceField(label=_("Tariff"), required=False, coerce=int, empty_value=None)
    q = forms.CharField(
        label=_("Phone or name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Phone or name"), "inputmode": "search"}
        ),
    )

    def __init__(self, *args: Any, tariffs: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tariff"].choices = [("", _("All tariffs"))] + list(tariffs)


class LeadTransitionForm(forms.Form):
    """Move a request to another status (the pressed button), with a note.

    The connection address and time matter only for "scheduled"; the service checks them.
    """

    to_status = forms.ChoiceField(
        label=_("New status"),
        error_messages={
            "required": _("Choose what to do with the request."),
            "invalid_choice": _(
                "The request cannot move to this status from its current one. "
                "Reload the page: someone may have changed it."
            ),
        },
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    scheduled_address = forms.CharField(
        label=_("Connection address"), required=False, max_length=255
    )
    scheduled_at = forms.DateTimeField(
        label=_("Connection date and time"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [
            (value, label) for value, label in LeadStatus.choices if value in allowed
        ]


class LeadNoteForm(forms.Form):
    """A note on a request."""

    text = forms.CharField(
        label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AccountSearchForm(forms.Form):
    """The accounts list's search and status filter."""

    q = forms.CharField(
        label=_("Contract, phone, name or address"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("1234 5678, +7 916…, Иванов, ул. Мира"),
                "inputmode": "search",
                "autocomplete": "off",
            }
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + AccountStatus.choices
    )


def tariff_groups(tariffs: list[Tariff]) -> list[tuple[str, list[tuple[int, str]]]]:
    """Tariffs as select options grouped by service kind: "Name · 500,00 ₽ per month"."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for tariff in tariffs:
        label = f"{tariff.name} · {format_money(tariff.fee_kop)} {tariff.get_fee_period_display()}"
        if tariff.building_type != BuildingType.ANY:
            label += f" ({tariff.get_building_type_display().lower()})"
        groups.setdefault(tariff.kind.name, []).append((tariff.pk, label))
    return list(groups.items())


class OnceForm(forms.Form):
    """A form that writes something shown only once (a password): it carries a one-time token
    so that a resubmission (the browser's reload of the POST) does not do it twice."""

    once = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class ContractForm(OnceForm):
    """A new contract: who, where, which tariff, from when. ``accounts.services`` validates."""

    lead_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    holder_name = forms.CharField(
        label=_("Holder's full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "words"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.CharField(
        label=_("E-mail"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=255,
        help_text=_("Town, street, building, flat."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    building_type = forms.ChoiceField(
        label=_("Building type"),
        choices=[
            (BuildingType.APARTMENT, BuildingType.APARTMENT.label),
            (BuildingType.HOUSE, BuildingType.HOUSE.label),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the building type.")},
    )
    tariff = forms.TypedChoiceField(
        label=_("Tariff"), coerce=int, error_messages={"required": _("Choose a tariff.")}
    )
    service_start = forms.DateField(
        label=_("Service start date"),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date, for example 01.09.2026.")},
    )

    def __init__(self, *args: Any, tariffs: list[Tariff], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tariff"].choices = [("", _("Choose a tariff"))] + tariff_groups(tariffs)


class ServiceModelForm(forms.ModelForm):
    """A model form that only parses input: the catalogue services validate and save.

    Model validation is skipped on purpose (``_post_clean``): it would change the instance in
    memory before the service snapshots its "before" state for the audit log.
    """

    def _post_clean(self) -> None:
        pass

    def service_data(self) -> dict[str, Any]:
        """The cleaned values, keyed by model field, for a catalogue service."""
        return dict(self.cleaned_data)


class TariffForm(ServiceModelForm):
    """A tariff; the fee is typed in roubles."""

    fee = RublesField(label=_("Fee, ₽"), help_text=_("For example 500 or 499,90."))

    class Meta:
        model = Tariff
        fields = [
            "kind",
            "building_type",
            "name",
            "name_en",
            "slug",
            "fee",
            "fee_period",
            "download_kbps",
            "upload_kbps",
            "channels",
            "description",
            "description_en",
            "position",
            "is_public",
            "is_featured",
            "needs_approval",
            "is_archived",
        ]
        labels = {
            "kind": _("Service"),
            "building_type": _("Building type"),
            "name": _("Name"),
            "name_en": _("Name in English"),
            "slug": _("Code"),
            "fee_period": _("Fee period"),
            "download_kbps": _("Download speed, kbit/s"),
            "upload_kbps": _("Upload speed, kbit/s"),
            "channels": _("Number of TV channels"),
            "description": _("Description"),
            "description_en": _("Description in English"),
            "position": _("Position in lists"),
            "is_public": _("Shown on the site"),
            "is_featured": _("Featured on the home page"),
            "needs_approval": _("Switching to it needs staff approval"),
            "is_archived": _("Archived"),
        }
        help_texts = {
            "slug": _("Latin letters, digits and hyphens; used in the page address."),
            "download_kbps": _("Internet only. 100 Mbit/s = 100000."),
            "upload_kbps": _("Internet only."),
            "position": _("Smaller numbers come first."),
            "is_archived": _("Archived tariffs cannot be ordered; subscribers keep them."),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("fee", self.instance.fee_kop)
        self.fields["kind"].empty_label = None

    def service_data(self) -> dict[str, Any]:
        """Cleaned values with the fee as ``fee_kop``."""
        data = dict(self.cleaned_data)
        data["fee_kop"] = data.pop("fee")
        return data


class AddonForm(ServiceModelForm):
    """An add-on; the fee is typed in roubles."""

    fee = RublesField(label=_("Fee, ₽"), help_text=_("For example 150 or 99,90."))

    class Meta:
        model = Addon
        fields = [
            "kind",
            "name",
            "name_en",
            "slug",
            "fee",
            "period",
            "description",
            "description_en",
            "position",
            "is_public",
            "is_archived",
            "grants_static_ip",
        ]
        labels = {
            "kind": _("For service"),
            "name": _("Name"),
            "name_en": _("Name in English"),
            "slug": _("Code"),
            "period": _("Fee period"),
            "description": _("Description"),
            "description_en": _("Description in English"),
            "position": _("Position in lists"),
            "is_public": _("Shown on the site"),
            "is_archived": _("Archived"),
            "grants_static_ip": _("Gives a static IP"),
        }
        help_texts = {
            "kind": _("Leave empty for an add-on to any service."),
            "grants_static_ip": _(
                "While it is connected, the subscriber's login gets an address from the "
                "static IP pool; it is released the day after the add-on ends."
            ),
            "slug": _("Latin letters, digits and hyphens."),
            "position": _("Smaller numbers come first."),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("fee", self.instance.fee_kop)
        self.fields["kind"].empty_label = _("Any service")

    def service_data(self) -> dict[str, Any]:
        """Cleaned values with the fee as ``fee_kop``."""
        data = dict(self.cleaned_data)
        data["fee_kop"] = data.pop("fee")
        return data


class ServiceKindForm(ServiceModelForm):
    """A kind of service shown on the public site."""

    class Meta:
        model = ServiceKind
        fields = [
            "category",
            "name",
            "name_en",
            "slug",
            "summary",
            "summary_en",
            "icon",
            "position",
            "is_public",
        ]
        labels = {
            "category": _("Category"),
            "name": _("Name"),
            "name_en": _("Name in English"),
            "slug": _("Code"),
            "summary": _("Summary"),
            "summary_en": _("Summary in English"),
            "icon": _("Icon"),
            "position": _("Position in lists"),
            "is_public": _("Shown on the site"),
        }
        help_texts = {
            "slug": _("Latin letters, digits and hyphens; used in page addresses."),
            "icon": _("The name of an icon of the site's design, for example wifi or tv."),
            "position": _("Smaller numbers come first."),
        }


# --- Money and tariff changes ---------------------------------------------------------------------

# What the cashier does → (ledger kind, sign of the amount in the ledger).
CORRECTION_OPERATIONS: dict[str, tuple[str, int]] = {
    "credit": ("correction", 1),
    "debit": ("correction", -1),
    "refund": ("refund", -1),
}


class CorrectionForm(OnceForm):
    """A cashier's correction or refund. The amount is typed without a sign; the operation
    gives it one (a refund always takes money off the balance). ``billing`` validates."""

    operation = forms.ChoiceField(
        label=_("What to do"),
        widget=forms.RadioSelect,
        choices=[
            ("credit", _("Correction: add to the balance")),
            ("debit", _("Correction: take off the balance")),
            ("refund", _("Refund: money paid back to the subscriber")),
        ],
        error_messages={"required": _("Choose a correction or a refund.")},
    )
    amount = RublesField(
        label=_("Amount, ₽"),
        error_messages={"required": _("Enter the amount.")},
        widget=forms.TextInput(attrs={"placeholder": "500,00"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        help_text=_("Shown to the subscriber in their ledger and kept in the audit log."),
        error_messages={"required": _("Give the reason.")},
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": "255"}),
    )

    def signed(self) -> tuple[str, int]:
        """(ledger kind, signed kopecks) of valid input."""
        kind, sign = CORRECTION_OPERATIONS[self.cleaned_data["operation"]]
        return kind, sign * self.cleaned_data["amount"]


class TariffDecisionForm(forms.Form):
    """Approve or reject a tariff change (the pressed button); a rejection needs a reason."""

    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": _("Required to reject")}),
    )


class LedgerFilterForm(forms.Form):
    """The full ledger's filter by kind."""

    kind = forms.ChoiceField(label=_("Kind"), required=False)

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds"))] + list(kinds)
