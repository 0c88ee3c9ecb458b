"""Rendering e-mails: the subject and the plain text of a notice or a broadcast, wrapped in the
e-mail templates (text and HTML), in the account's language."""

from __future__ import annotations

from urllib.parse import urljoin

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from abonent.messaging.models import ALWAYS_EMAILED


def email_language(language: str | None) -> str:
    """A language we have e-mails in: the account's, or the site's default."""
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


def email_render(*, subject: str, body: str, language: str, kind: str) -> tuple[str, str]:
    """The text and HTML parts of an e-mail whose content is ``body`` (plain text, as in the
    inbox: the HTML part escapes it and makes links clickable, like the cabinet does)."""
    cabinet = settings.ABONENT_CABINET_URL
    context = {
        "subject": subject,
        "body": body,
        "provider": settings.ABONENT_PROVIDER,
        "cabinet_url": cabinet,
        "settings_url": urljoin(cabinet, "mail/settings/"),
        "optional": kind not in ALWAYS_EMAILED,
    }
    with translation.override(email_language(language)):
        text = render_to_string("messaging/email/notice.txt", context)
        html = render_to_string("messaging/email/notice.html", context)
    return text, html
