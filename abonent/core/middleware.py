"""Language choice: Russian by default, English by the switcher.

Pages follow only the language cookie set by the switcher (a visitor whose browser prefers
English still gets the provider's Russian site until they choose English). The API also honours
``Accept-Language``, which is what programs use to ask for a language.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class LanguageMiddleware(LocaleMiddleware):
    """``LocaleMiddleware`` that ignores ``Accept-Language`` outside ``/api/``."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/"):
            super().process_request(request)
            return
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {lang for lang, _name in settings.LANGUAGES}
        language = code if code in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
