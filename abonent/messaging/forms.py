"""The cabinet's mail settings form."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from abonent.messaging.models import NotificationKind
from abonent.messaging.preferences import CHOOSABLE


class MailSettingsForm(forms.Form):
    """Kinds of notices that also come by e-mail, and the language of notices."""

    by_email = forms.MultipleChoiceField(
        label=_("Also send by e-mail"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(kind, NotificationKind(kind).label) for kind in CHOOSABLE],
    )
    language = forms.ChoiceField(
        label=_("Language of notices and e-mails"), choices=settings.LANGUAGES
    )
