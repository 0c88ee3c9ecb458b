"""Back-office forms of provider mail: whom to write to (one subscriber, everyone, or a segment
of filters) and what. They only parse what staff typed; ``messaging`` validates and sends."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from abonent.accounts.models import AccountStatus
from abonent.messaging.models import BODY_MAX, SUBJECT_MAX, MessageCategory
from abonent.messaging.segments import Segment
from abonent.staff.forms import OnceForm, RublesField


class Audience:
    """Whom a compose form writes to."""

    ACCOUNT = "account"
    SEGMENT = "segment"
    EVERYONE = "everyone"


# The segment's filters: form field → what it is called in ``Segment`` (for service errors).
FILTER_FIELDS = ("service_kind", "tariff", "status", "address_contains", "balance_below")
SEGMENT_ALIASES = {
    "segment": "",
    "tariff_id": "tariff",
    "balance_below_kop": "balance_below",
}
# What a preview needs; the message itself is checked only on the way to sending.
AUDIENCE_FIELDS = ("audience", "contract", *FILTER_FIELDS)


class MailForm(OnceForm):
    """A message to one subscriber (by contract number) or a broadcast to a segment.

    ``preview=True`` parses only whom it goes to, so "Preview" works before the text is written.
    """

    audience = forms.ChoiceField(
        label=_("To whom"),
        widget=forms.RadioSelect,
        choices=[
            (Audience.ACCOUNT, _("One subscriber")),
            (Audience.SEGMENT, _("Subscribers matching the filters")),
            (Audience.EVERYONE, _("All subscribers (closed contracts excepted)")),
        ],
        error_messages={"required": _("Choose to whom to write.")},
    )
    contract = forms.CharField(
        label=_("Contract number"),
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "1234 5678"}
        ),
    )
    service_kind = forms.ChoiceField(label=_("Service"), required=False)
    tariff = forms.TypedChoiceField(label=_("Tariff"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(
        label=_("Account status"),
        required=False,
        choices=[("", _("Any status except closed"))] + AccountStatus.choices,
    )
    address_contains = forms.CharField(
        label=_("Address contains"),
        required=False,
        max_length=255,
        help_text=_("A street, a building or a village, in any letter case."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("ул. Мира, 7")}),
    )
    balance_below = RublesField(
        label=_("Balance below, ₽"),
        required=False,
        allow_negative=True,
        help_text=_("For example 100, or 0 for those in debt."),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=MessageCategory.choices,
        initial=MessageCategory.NEWS,
        error_messages={"required": _("Choose a category.")},
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=SUBJECT_MAX,
        error_messages={"required": _("Write a subject.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    body = forms.CharField(
        label=pgettext_lazy("message", "Text"),
        max_length=BODY_MAX,
        help_text=_("Plain text. Links become clickable; line breaks are kept."),
        error_messages={"required": _("Write the text of the message.")},
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(
        self,
        *args: Any,
        kinds: list[tuple[str, str]],
        tariffs: list[tuple[int, str]],
        preview: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_kind"].choices = [("", _("Any service"))] + list(kinds)
        self.fields["tariff"].choices = [("", _("Any tariff"))] + list(tariffs)
        if preview:
            for name in ("category", "subject", "body"):
                self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        audience = data.get("audience")
        if audience == Audience.ACCOUNT and not (data.get("contract") or "").strip():
            self.add_error("contract", _("Enter the subscriber's contract number."))
        if audience == Audience.EVERYONE and self.filters_given():
            self.add_error(
                None,
                _(
                    "“All subscribers” ignores filters, but some are filled in: choose "
                    "“Subscribers matching the filters”, or clear the filters."
                ),
            )
        return data

    def filters_given(self) -> bool:
        data = self.cleaned_data
        return any(data.get(name) not in (None, "") for name in FILTER_FIELDS)

    def audience_valid(self) -> bool:
        """True when whom it goes to parsed cleanly (the message may still be incomplete)."""
        return not any(name in self.errors for name in (*AUDIENCE_FIELDS, "__all__"))

    def segment(self) -> Segment:
        """The segment of a valid broadcast form (everyone, or the filters given)."""
        data = self.cleaned_data
        if data["audience"] == Audience.EVERYONE:
            return Segment(everyone=True)
        return Segment(
            service_kind=data.get("service_kind") or "",
            tariff_id=data.get("tariff"),
            status=data.get("status") or "",
            address_contains=data.get("address_contains") or "",
            balance_below_kop=data.get("balance_below"),
        )
