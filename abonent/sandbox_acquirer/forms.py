"""The hosted page's forms. The card number and CVC widgets never render a value back."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import cards


class BlankTextInput(forms.TextInput):
    """A text input that renders empty whatever was typed (for the card number)."""

    def format_value(self, value):
        return None


class CardForm(forms.Form):
    """Card number (Luhn), expiry MM/YY (not past), CVC (3 digits), holder."""

    number = forms.CharField(
        label=_("Card number"),
        max_length=30,
        widget=BlankTextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "cc-number",
                "placeholder": "0000 0000 0000 0000",
            }
        ),
    )
    expiry = forms.CharField(
        label=_("Valid thru"),
        max_length=7,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "cc-exp", "placeholder": _("MM/YY")}
        ),
    )
    cvc = forms.CharField(
        label=_("CVC"),
        max_length=4,
        widget=forms.PasswordInput(
            render_value=False,
            attrs={"inputmode": "numeric", "autocomplete": "cc-csc", "placeholder": "123"},
        ),
    )
    holder = forms.CharField(
        label=_("Cardholder"),
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "cc-name",
                "placeholder": "IVAN PETROV",
                "autocapitalize": "characters",
            }
        ),
    )

    def clean_number(self) -> str:
        number = cards.digits_only(self.cleaned_data["number"])
        if not number.isdigit() or not 13 <= len(number) <= 19:
            raise forms.ValidationError(_("Enter the card number: 13 to 19 digits."))
        if not cards.luhn_valid(number):
            raise forms.ValidationError(_("This card number is mistyped: check the digits."))
        return number

    def clean_expiry(self) -> tuple[int, int]:
        parsed = cards.parse_expiry(self.cleaned_data["expiry"])
        if parsed is None:
            raise forms.ValidationError(_("Enter the expiry date as MM/YY, for example 12/30."))
        if cards.expiry_in_past(*parsed, timezone.localdate()):
            raise forms.ValidationError(_("This card has expired."))
        return parsed

    def clean_cvc(self) -> str:
        cvc = self.cleaned_data["cvc"].strip()
        if not (cvc.isdigit() and len(cvc) == 3):
            raise forms.ValidationError(_("The CVC is the 3 digits on the back of the card."))
        return cvc

    def clean_holder(self) -> str:
        return " ".join(self.cleaned_data["holder"].split())


class ThreeDSForm(forms.Form):
    """The one-time code of the 3-D Secure page."""

    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "placeholder": "123456"}
        ),
    )
