"""Template helpers of the back office: navigation by role, phones, money, speeds, audit values."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from abonent.accounts.contract import contract_display
from abonent.core.access import has_role, roles_display, user_roles
from abonent.core.money import format_money
from abonent.core.phone import format_phone
from abonent.staff.decorators import SECTION_ROLES

register = template.Library()
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@register.simple_tag(takes_context=True)
def staff_nav(context: template.Context) -> list[dict[str, Any]]:
    """The header's sections this user may open, the current one marked."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return []
    path = request.path
    items: list[tuple[str, str, str]] = [("home", "staff:home", _("Home"))]
    if has_role(user, *SECTION_ROLES["leads"]):
        items.append(("leads", "staff:leads", _("Requests")))
    if has_role(user, *SECTION_ROLES["accounts"]):
        items.append(("accounts", "staff:accounts", _("Subscribers")))
    if has_role(user, *SECTION_ROLES["mail"]):
        items.append(("mail", "staff:mail", _("Mail")))
    if has_role(user, *SECTION_ROLES["network"]):
        items.append(("network", "network_staff:sessions", _("Network")))
    if has_role(user, *SECTION_ROLES["catalogue"]):
        items.append(("catalogue", "staff:tariffs", _("Catalogue")))
    if has_role(user, *SECTION_ROLES["audit"]):
        items.append(("audit", "staff:audit", _("Audit log")))
    home = reverse("staff:home")
    result = []
    for key, name, label in items:
        url = reverse(name)
        prefix = home + ("catalogue/" if key == "catalogue" else f"{key}/")
        current = path == home if key == "home" else path.startswith(prefix)
        result.append({"key": key, "url": url, "label": label, "current": current})
    return result


@register.simple_tag(takes_context=True)
def my_roles(context: template.Context) -> str:
    """The user's roles as words, comma-separated."""
    request = context.get("request")
    return ", ".join(roles_display(user_roles(getattr(request, "user", None))))


@register.filter
def phone(value: str) -> str:
    """``+79161234567`` → ``+7 916 123-45-67``."""
    return format_phone(value or "")


@register.filter
def money(value: int | None) -> str:
    """Kopecks as "1 000,00 ₽" (the page's language)."""
    if value is None:
        return ""
    return format_money(int(value))


@register.filter
def contract(number: str | None) -> str:
    """A contract number grouped for reading aloud: ``12345678`` → ``1234 5678``."""
    return contract_display(number or "")


@register.filter
def speed(kbps: int | None) -> str:
    """kbit/s as "100 Mbit/s" or "512 kbit/s"."""
    if not kbps:
        return ""
    if kbps % 1000 == 0:
        return _("%(n)s Mbit/s") % {"n": kbps // 1000}
    return _("%(n)s kbit/s") % {"n": kbps}


@register.filter
def audit_value(value: Any, field: str = "") -> str:
    """One audited value for people: empty → "—", booleans as yes/no, kopecks as money,
    times in the local zone, long text cut."""
    if value is None or value == "":
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if field.endswith("_kop") and isinstance(value, int):
        return format_money(value)
    text = str(value)
    if _ISO_DATETIME.match(text):
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return moment.strftime("%d.%m.%Y %H:%M")
    return text if len(text) <= 120 else text[:119] + "…"
