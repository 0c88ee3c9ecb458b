"""Forms of support pages: shapes only; the rules (lengths, images by content) live in
``support.services`` and ``support.uploads``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from abonent.support.models import SUBJECT_MAX, TEXT_MAX, TicketCategory, TicketStatus
from abonent.support.uploads import MAX_FILES

_lazy_help = lazy(
    lambda: (
        gettext("Up to %(n)d screenshots or photos (PNG, JPEG, WebP, GIF), 5 MB each.")
        % {"n": MAX_FILES}
    ),
    str,
)

IMAGE_ACCEPT = "image/png,image/jpeg,image/webp,image/gif"


class ImagesInput(forms.ClearableFileInput):
    """One file input that takes several images."""

    allow_multiple_selected = True


class ImagesField(forms.FileField):
    """Up to three images; their content is checked by the service."""

    widget = ImagesInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            # Interpolated when shown, in the page's language (not once at import).
            _lazy_help(),
        )
        super().__init__(**kwargs)
        self.widget.attrs.update({"accept": IMAGE_ACCEPT, "multiple": True})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(ImagesField, self).clean(f, initial) for f in files]


def _text_field(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=TEXT_MAX,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": TEXT_MAX}),
    )


class TicketForm(forms.Form):
    """A new ticket."""

    category = forms.ChoiceField(
        label=_("What is it about?"),
        choices=[("", _("Choose…")), *TicketCategory.choices],
    )
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX)
    text = _text_field(_("Describe the problem"))
    files = ImagesField(label=_("Attach images"))


class ReplyForm(forms.Form):
    """A reply to a ticket (subscriber or staff)."""

    text = _text_field(_("Your reply"))
    files = ImagesField(label=_("Attach images"))


class StatusForm(forms.Form):
    """Staff: set a ticket's status."""

    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)


class CannedAnswerForm(forms.Form):
    """A canned answer."""

    title = forms.CharField(label=_("Title"), max_length=100)
    text = _text_field(_("Text"))
