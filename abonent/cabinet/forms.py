"""Cabinet forms: shapes only; the rules live in abonent.accounts.services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    """Contract number and password, as printed on the contract."""

    contract = forms.CharField(
        label=_("Contract number"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "username", "autofocus": True}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordForm(forms.Form):
    """Current password and the new one twice."""

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=128,
        help_text=_("At least 8 characters; not your contract number; not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class TariffChoiceForm(forms.Form):
    """The tariff chosen on the wizard's first step (a hidden field on the second)."""

    to_tariff_id = forms.IntegerField(widget=forms.HiddenInput)


class AddonConnectForm(forms.Form):
    """Which add-on to connect."""

    addon_id = forms.IntegerField(widget=forms.HiddenInput)


class PauseForm(forms.Form):
    """For how many days to pause. The limits are the billing service's; the widget only
    repeats them for the browser."""

    days = forms.IntegerField(label=_("Pause for, days"))

    def __init__(self, *args: object, low: int, high: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["days"].widget.attrs.update({"min": low, "max": high, "inputmode": "numeric"})
        self.fields["days"].help_text = _("From %(low)d to %(high)d days.") % {
            "low": low,
            "high": high,
        }


class HistoryFilterForm(forms.Form):
    """The history page's filters: kind of entry and a range of dates (both ends included)."""

    kind = forms.ChoiceField(label=_("Operation"), required=False)
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date such as 01.11.2026.")},
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date such as 30.11.2026.")},
    )

    def __init__(self, *args: object, kinds: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = [("", _("All operations")), *kinds]  # type: ignore[attr-defined]

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the range is before its start."))
        return data
