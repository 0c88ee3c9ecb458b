"""The cabinet's "Подключение" (``/cabinet/connection/``): is the subscriber online, with which
IP since when, how much traffic today, this month and per day for 30 days (from ``radacct``), the
last answer of FreeRADIUS in plain words (from ``radpostauth``), the network login and the static
IP of the static-IP add-on; the network password is shown to its owner on request (a POST), to
set up a router.

``radacct`` and ``radpostauth`` exist on PostgreSQL only: on SQLite the page says so and shows
the login alone. Every query is filtered by the logged-in account's network login.

A session's traffic counts on the day (in the provider's time zone) the session started:
FreeRADIUS keeps one running total per session, not a per-day split.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import F, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from abonent.accounts.auth import account_required
from abonent.network.models import AuthReason, NetworkCredential, RadAcct, RadPostAuth
from abonent.network.static_ip import static_ip_status, static_ip_wanted

CHART_DAYS = 30
CHART_WIDTH = 600
CHART_HEIGHT = 120
BAR_GAP = 2
MB = 1_000_000
GB = 1_000_000_000

# What to do about each reason, after the reason itself: the subscriber's next step.
ADVICE = {
    AuthReason.BLOCKED: gettext_lazy("top up the balance to continue."),
    AuthReason.NEW: gettext_lazy("pay the connection deposit to get online."),
    AuthReason.SUSPENDED: gettext_lazy("resume the service in the cabinet when you are back."),
    AuthReason.CLOSED: gettext_lazy("call us to sign a new contract."),
    AuthReason.WRONG_PASSWORD: gettext_lazy(
        "check the password in your router against the one on this page."
    ),
    AuthReason.UNKNOWN_LOGIN: gettext_lazy(
        "check the login in your router against the one on this page."
    ),
    AuthReason.MAC_MISMATCH: gettext_lazy(
        "connect the device the login is bound to, or ask support to change the binding."
    ),
}


def traffic_format(octets: int) -> str:
    """Bytes as MB below a gigabyte, GB with one decimal above; integer arithmetic only."""
    octets = max(int(octets), 0)
    if octets < GB:
        return _("%(mb)s MB") % {"mb": octets // MB}
    tenths = octets * 10 // GB
    separator = formats.get_format("DECIMAL_SEPARATOR")
    return _("%(gb)s GB") % {"gb": f"{tenths // 10}{separator}{tenths % 10}"}


@dataclass(frozen=True)
class Bar:
    day: dt.date
    octets: int
    label: str
    x: int
    y: int
    width: int
    height: int


def chart_bars(per_day: dict[dt.date, int], today: dt.date) -> list[Bar]:
    """One bar a day for the last CHART_DAYS days, heights scaled to the busiest day."""
    days = [today - dt.timedelta(days=CHART_DAYS - 1 - i) for i in range(CHART_DAYS)]
    peak = max((per_day.get(day, 0) for day in days), default=0)
    step = CHART_WIDTH // CHART_DAYS
    bars = []
    for i, day in enumerate(days):
        octets = per_day.get(day, 0)
        height = octets * CHART_HEIGHT // peak if peak else 0
        if octets and height == 0:
            height = 1  # a day with any traffic stays visible
        bars.append(
            Bar(
                day=day,
                octets=octets,
                label=traffic_format(octets),
                x=i * step,
                y=CHART_HEIGHT - height,
                width=step - BAR_GAP,
                height=height,
            )
        )
    return bars


def last_auth_text(row: RadPostAuth) -> str:
    """The last answer of FreeRADIUS as the subscriber should read it."""
    reason = row.reason or ""
    if reason in AuthReason.values:
        label = AuthReason(reason).label
        advice = ADVICE[AuthReason(reason)]
        if row.reply == "Access-Accept":
            # blocked: let in, but to the payment pages only
            return _("Let in with limits. %(reason)s — %(advice)s") % {
                "reason": label,
                "advice": advice,
            }
        return _("Rejected. %(reason)s — %(advice)s") % {"reason": label, "advice": advice}
    if row.reply == "Access-Accept":
        return _("Accepted: the login and password are right, access is open.")
    return _("Rejected. Ask support, we will find out why.")


def radius_data(login: str) -> dict[str, object]:
    """Sessions and the last authentication of one login: three queries."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = timezone.now().astimezone(zone).date()
    month_start = today.replace(day=1)
    first_day = min(month_start, today - dt.timedelta(days=CHART_DAYS - 1))
    since = dt.datetime.combine(first_day, dt.time.min, tzinfo=zone)

    session = (
        RadAcct.objects.filter(username=login, acctstoptime__isnull=True)
        .order_by("-acctstarttime", "-radacctid")
        .only("acctstarttime", "framedipaddress", "nasipaddress")
        .first()
    )
    rows = (
        RadAcct.objects.filter(username=login, acctstarttime__gte=since)
        .annotate(day=TruncDate("acctstarttime", tzinfo=zone))
        .values("day")
        .annotate(
            octets=Sum(Coalesce(F("acctinputoctets"), 0) + Coalesce(F("acctoutputoctets"), 0)),
        )
        .order_by("day")
    )
    per_day: dict[dt.date, int] = {}
    month_total = 0
    for row in rows:
        per_day[row["day"]] = int(row["octets"] or 0)
        if row["day"] >= month_start:
            month_total += int(row["octets"] or 0)
    last_auth = (
        RadPostAuth.objects.filter(username=login)
        .order_by("-authdate", "-id")
        .only("reply", "reason", "authdate")
        .first()
    )
    bars = chart_bars(per_day, today)
    return {
        "session": session,
        "today_traffic": traffic_format(per_day.get(today, 0)),
        "month_traffic": traffic_format(month_total),
        "bars": bars,
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
        "chart_peak": traffic_format(max(bar.octets for bar in bars)),
        "last_auth": last_auth,
        "last_auth_text": last_auth_text(last_auth) if last_auth else "",
    }


@never_cache
@require_http_methods(["GET", "POST"])
@account_required
def connection_view(request: HttpRequest) -> HttpResponse:
    """GET: the page. POST (``show_password``): the same page with the network password, so it
    is never in a GET response a browser or proxy might keep."""
    account = request.account  # type: ignore[attr-defined]
    credential = (
        NetworkCredential.objects.filter(account=account)
        .annotate(static_ip_wanted=static_ip_wanted())
        .only("login", "password", "static_ip")
        .first()
    )
    context: dict[str, object] = {
        "account": account,
        "section": "connection",
        "credential": credential,
        "static_ip": static_ip_status(
            ip=credential.static_ip,
            wanted=credential.static_ip_wanted,  # type: ignore[attr-defined]
        )
        if credential is not None
        else None,
        "show_password": request.method == "POST" and "show_password" in request.POST,
        "has_radius": connection.vendor == "postgresql",
    }
    if credential is not None and context["has_radius"]:
        context.update(radius_data(credential.login))
    return render(request, "network/connection.html", context)
