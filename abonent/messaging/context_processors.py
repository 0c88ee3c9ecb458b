"""The cabinet header's unread badge."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from abonent.messaging.selectors import unread_count_for_request


def mail_unread(request: HttpRequest) -> dict[str, Any]:
    """``mail_unread``: the logged-in subscriber's unread count. Only cabinet pages set
    ``request.account`` (``account_required``), so elsewhere this costs nothing; there it is one
    query, shared with the inbox page."""
    if not request.path.startswith("/cabinet/"):
        return {}
    count = unread_count_for_request(request)
    return {} if count is None else {"mail_unread": count}
