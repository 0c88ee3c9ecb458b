"""Template helpers of support: the nav links, file sizes."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from abonent.core.access import has_role

register = template.Library()


@register.simple_tag(takes_context=True)
def support_staff_link(context: template.Context) -> dict[str, Any] | None:
    """The back office's "Support" link for support staff and admins, or None."""
    from abonent.support.services import SUPPORT_ROLES

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not has_role(user, *SUPPORT_ROLES):
        return None
    url = reverse("support_staff:queue")
    return {"url": url, "current": request.path.startswith(url)}


@register.filter
def filesize(size: int | None) -> str:
    """Bytes as "240 KB" or "1,2 MB"."""
    size = int(size or 0)
    if size < 1024 * 1024:
        return _("%(n)s KB") % {"n": max(1, round(size / 1024))}
    return _("%(n)s MB") % {"n": formats.number_format(size / 1024 / 1024, 1)}
