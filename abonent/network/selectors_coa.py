"""Reads about what Abonent tells the NASes: the Disconnect/CoA requests of live sessions
(``SessionChange``, made by ``coa``) with their outcome in words, and the speed attributes per
NAS type (``ReplyTemplate``: what ``radreply`` and a CoA carry) with an example.

``network_sessionchange`` and ``network_replytemplate`` are ordinary tables, so these work on
SQLite too (where nothing sends requests: ``radius-sync`` needs PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from abonent.accounts.contract import contract_clean
from abonent.accounts.models import Account
from abonent.core.errors import NotFound
from abonent.network.coa import Policy
from abonent.network.models import (
    ChangeKind,
    ChangeState,
    Nas,
    NasType,
    ReplyTemplate,
    SessionChange,
)
from abonent.network.services import REPLY_TEMPLATE_DEFAULTS

# --- Requests to NASes (SessionChange) ---------------------------------------------------------

CHANGE_FIELDS = (
    "id",
    "radacct_id",
    "username",
    "nas_ip",
    "framed_ip",
    "kind",
    "reason",
    "target_class",
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
    "finished_at",
    "account__id",
    "account__contract",
    "account__status",
    "nas__id",
    "nas__shortname",
    "nas__nasname",
    "actor__id",
    "actor__username",
    "actor__first_name",
    "actor__last_name",
)
# A pending request whose next attempt is this late means nobody sends them (radius-sync down).
OVERDUE = dt.timedelta(minutes=2)
RECENT = dt.timedelta(hours=24)

# RFC 5176 Error-Cause values as FreeRADIUS's dictionary names them, in words.
_ERROR_CAUSES = {
    "Residual-Context-Removed": _("the session was already removed"),
    "Invalid-EAP-Packet": _("an invalid EAP packet"),
    "Unsupported-Attribute": _("the request has an attribute the NAS does not support"),
    "Missing-Attribute": _("an attribute the NAS needs is missing from the request"),
    "NAS-Identification-Mismatch": _("the request names another NAS"),
    "Invalid-Request": _("the NAS finds the request invalid"),
    "Unsupported-Service": _("the NAS does not support this kind of request"),
    "Unsupported-Extension": _("the NAS does not support this kind of request"),
    "Invalid-Attribute-Value": _("an attribute has a value the NAS does not accept"),
    "Administratively-Prohibited": _("its settings forbid such requests"),
    "Proxy-Request-Not-Routable": _("the request could not be passed on"),
    "Session-Context-Not-Found": _("it has no such session (it may have ended already)"),
    "Session-Context-Not-Removable": _("it cannot end this session"),
    "Proxy-Processing-Error": _("an error passing the request on"),
    "Resources-Unavailable": _("it is short of resources"),
    "Request-Initiated": _("it started a request of its own"),
    "Multiple-Session-Selection-Unsupported": _("the request matches several sessions"),
}
_NAK = re.compile(r"^(?:Disconnect|CoA)-NAK(?::\s*(.+))?$")
_NO_ANSWER = re.compile(r"^no answer from (\S+)(?::\s+(.*))?$")
_NO_NAS = re.compile(r"^no NAS (\S+) in the nas table$")
_NO_TEMPLATES = re.compile(r"^no speed attributes for NAS type (\S+)$")


def change_error_text(error: str) -> str:
    """What went wrong with a request to a NAS, in words ("" when nothing did). The raw text
    (``SessionChange.last_error``) is kept beside it for engineers."""
    text = (error or "").strip()
    if not text:
        return ""
    if match := _NAK.match(text):
        cause = (match[1] or "").strip()
        if not cause:
            return gettext("The NAS refused without saying why.")
        words = _ERROR_CAUSES.get(cause)
        return gettext("The NAS refused: %(why)s.") % {"why": words or cause}
    if match := _NO_ANSWER.match(text):
        return gettext(
            "The NAS did not answer at %(address)s: is it on, does it accept Disconnect and "
            "CoA from this server on that port, with the same secret?"
        ) % {"address": match[1]}
    if match := _NO_NAS.match(text):
        return gettext(
            "No NAS with the address %(address)s is registered: add it on the NASes tab."
        ) % {"address": match[1]}
    if match := _NO_TEMPLATES.match(text):
        label = dict(NasType.choices).get(match[1], match[1])
        return gettext(
            "The NAS type %(type)s has no speed attributes: add them on the Speed attributes tab."
        ) % {"type": label}
    if text == "no speed to set":
        return gettext("The tariff has no speed to set.")
    if text.startswith("radclient not found"):
        return gettext(
            "radclient is not installed on the server that sends the requests "
            "(Debian's freeradius-utils)."
        )
    return text


def speed_text(kbps: int) -> str:
    """A speed for people: 100000 → "100 Mbit/s", 1024 → "1024 kbit/s"."""
    if kbps and kbps % 1000 == 0:
        return gettext("%(n)s Mbit/s") % {"n": kbps // 1000}
    return gettext("%(n)s kbit/s") % {"n": kbps}


def policy_text(policy_class: str) -> str:
    """A ``Class`` the reconciler wants a session to have, in words ("" for none)."""
    policy = Policy.parse(policy_class)
    if policy is None:
        return policy_class or ""
    if policy.group == "restricted":
        return gettext("restricted: only the cabinet and payment pages")
    if policy.group == "reject":
        return gettext("no access")
    if policy.group != "full":
        return policy_class
    if policy.speed is None:
        text = gettext("full access, no speed limit")
    else:
        up, down = policy.speed
        text = gettext("full access, %(down)s down / %(up)s up") % {
            "down": speed_text(down),
            "up": speed_text(up),
        }
    if policy.ip:
        text += ", " + gettext("IP %(ip)s") % {"ip": policy.ip}
    return text


# Short names of a request's state and kind for the log. (The models' labels are sentences, and
# "Disconnect" alone is a button elsewhere: another catalogue translates it as a verb.)
STATE_LABELS = {
    ChangeState.PENDING: pgettext_lazy("request to a NAS", "Waiting"),
    ChangeState.ACKED: pgettext_lazy("request to a NAS", "Done"),
    ChangeState.NAKED: pgettext_lazy("request to a NAS", "Refused"),
    ChangeState.FAILED: pgettext_lazy("request to a NAS", "Failed"),
    ChangeState.CANCELLED: pgettext_lazy("request to a NAS", "Not needed"),
}
_STATE_BADGES = {
    ChangeState.PENDING: "badge-warn",
    ChangeState.ACKED: "badge-ok",
    ChangeState.NAKED: "badge-danger",
    ChangeState.FAILED: "badge-danger",
    ChangeState.CANCELLED: "badge-closed",
}
_KIND_LABELS = {
    ChangeKind.DISCONNECT: pgettext_lazy("request to a NAS", "Disconnect"),
    ChangeKind.COA: pgettext_lazy("request to a NAS", "Speed change (CoA)"),
}


@dataclass(frozen=True)
class ChangeRow:
    """A request to a NAS as a table shows it."""

    change: SessionChange
    kind: str
    state: str
    badge: str
    error: str
    wanted: str


def change_rows(changes: list[SessionChange]) -> list[ChangeRow]:
    """Requests with their kind, state, error and wanted policy in words (no queries)."""
    return [
        ChangeRow(
            change=change,
            kind=str(_KIND_LABELS.get(ChangeKind(change.kind), change.kind)),
            state=str(STATE_LABELS.get(ChangeState(change.state), change.state)),
            badge=_STATE_BADGES.get(ChangeState(change.state), "badge"),
            error=change_error_text(change.last_error),
            wanted=policy_text(change.target_class),
        )
        for change in changes
    ]


def _changes_base() -> QuerySet[SessionChange]:
    return SessionChange.objects.select_related("account", "nas", "actor").only(*CHANGE_FIELDS)


def change_search_condition(query: str) -> Q | None:
    """A login, a contract number (spaces and dashes allowed) or the subscriber's IP address
    as a condition on ``SessionChange``; ``None``: no search. A contract is resolved to its
    account first (one indexed query), so the condition stays on the log's own columns."""
    text = " ".join((query or "").split())
    if not text:
        return None
    condition = Q(username=text)
    try:
        condition |= Q(framed_ip=str(ipaddress.ip_address(text)))
    except ValueError:
        pass
    number = contract_clean(text)
    if number:
        ids = list(
            Account.objects.filter(Q(contract=number) | Q(legacy_contract=text)).values_list(
                "id", flat=True
            )
        )
        if ids:
            condition |= Q(account_id__in=ids)
    return condition


def session_changes(
    *, state: str = "", nas_id: int | None = None, query: str = ""
) -> QuerySet[SessionChange]:
    """Requests to NASes, newest first, with their account, NAS and staff member joined;
    optionally one state, one NAS, a login / contract / IP."""
    qs = _changes_base()
    if state:
        qs = qs.filter(state=state)
    if nas_id is not None:
        qs = qs.filter(nas_id=nas_id)
    condition = change_search_condition(query)
    if condition is not None:
        qs = qs.filter(condition)
    return qs.order_by("-id")


@dataclass(frozen=True)
class ChangeCounts:
    """How the requests to NASes stand: an outage shows as pending, overdue or failed ones."""

    pending: int
    overdue: int
    failed: int
    refused: int


def session_change_counts(*, now: dt.datetime) -> ChangeCounts:
    """Pending requests now (and how many of them are overdue: nobody is sending), failed and
    refused ones in the last 24 hours: one query."""
    since = now - RECENT
    counts = SessionChange.objects.aggregate(
        pending=Count("pk", filter=Q(state=ChangeState.PENDING)),
        overdue=Count("pk", filter=Q(state=ChangeState.PENDING, next_attempt_at__lt=now - OVERDUE)),
        failed=Count("pk", filter=Q(state=ChangeState.FAILED, created_at__gte=since)),
        refused=Count("pk", filter=Q(state=ChangeState.NAKED, created_at__gte=since)),
    )
    return ChangeCounts(**{name: int(value or 0) for name, value in counts.items()})


def account_session_changes(*, account_id: int, limit: int) -> list[ChangeRow]:
    """The account's newest requests to NASes, in words: one query."""
    return change_rows(list(_changes_base().filter(account_id=account_id).order_by("-id")[:limit]))


def nas_choices() -> list[tuple[int, str]]:
    """(id, "short name (address)") of every NAS, for a filter: one query."""
    return [
        (pk, f"{shortname} ({nasname})")
        for pk, shortname, nasname in Nas.objects.order_by("shortname", "id").values_list(
            "id", "shortname", "nasname"
        )
    ]


# --- Speed attributes per NAS type ------------------------------------------------------------

# The example on the speed attributes page: a tariff of 100 Mbit/s down, 50 Mbit/s up.
EXAMPLE_UP_KBPS = 50_000
EXAMPLE_DOWN_KBPS = 100_000


def reply_template_defaults(nas_type: str) -> list[tuple[str, str, str]]:
    """The default speed attributes of a NAS type: (attribute, operator, value template)."""
    return [(a, op, v) for t, a, op, v in REPLY_TEMPLATE_DEFAULTS if t == nas_type]


@dataclass(frozen=True)
class TemplateRow:
    """A speed attribute with its value for the example tariff."""

    template: ReplyTemplate
    example: str


@dataclass(frozen=True)
class TypeTemplates:
    """One NAS type's speed attributes, the NASes of that type, and whether they are the
    defaults."""

    nas_type: str
    label: str
    rows: tuple[TemplateRow, ...]
    nases: tuple[str, ...]
    defaults: tuple[tuple[str, str, str], ...]

    @property
    def is_default(self) -> bool:
        return [(r.template.attribute, r.template.op, r.template.value) for r in self.rows] == list(
            self.defaults
        )


def reply_templates_by_type(
    *, up_kbps: int = EXAMPLE_UP_KBPS, down_kbps: int = EXAMPLE_DOWN_KBPS
) -> list[TypeTemplates]:
    """Every NAS type (in ``NasType`` order) with its speed attributes in FreeRADIUS's order
    (``id``), their values for the given speeds, and the NASes of that type: two queries."""
    by_type: dict[str, list[TemplateRow]] = {value: [] for value in NasType.values}
    for template in ReplyTemplate.objects.order_by("id"):
        by_type.setdefault(template.nas_type, []).append(
            TemplateRow(
                template=template, example=template.render(up_kbps=up_kbps, down_kbps=down_kbps)
            )
        )
    nases: dict[str, list[str]] = {}
    for nas_type, shortname in Nas.objects.order_by("shortname", "id").values_list(
        "type", "shortname"
    ):
        nases.setdefault(nas_type, []).append(shortname)
    labels = dict(NasType.choices)
    return [
        TypeTemplates(
            nas_type=nas_type,
            label=str(labels.get(nas_type, nas_type)),
            rows=tuple(rows),
            nases=tuple(nases.get(nas_type, [])),
            defaults=tuple(reply_template_defaults(nas_type)),
        )
        for nas_type, rows in by_type.items()
    ]


def reply_templates_of(*, nas_type: str) -> int:
    """How many speed attributes a NAS type has."""
    return ReplyTemplate.objects.filter(nas_type=nas_type).count()


def reply_template_get(*, template_id: int) -> ReplyTemplate:
    """One speed attribute; ``NotFound`` if there is none."""
    template = ReplyTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise NotFound(_("No such speed attribute."))
    return template
