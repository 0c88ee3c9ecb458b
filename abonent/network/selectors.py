"""Reads of network access for the back office: live sessions, one account's network state,
NASes with their open sessions. (The requests sent to NASes and the speed attributes per NAS
type are read in ``selectors_coa``.)

``radacct`` and ``radpostauth`` exist on PostgreSQL only: callers check ``radius_available()``
before touching them (on SQLite the pages say that network data needs PostgreSQL). Every query
here on those tables is shaped to use the reference schema's partial indexes on open sessions
(``acctstoptime IS NULL``) or ``radpostauth (username, authdate)``; accounts are looked up once
per page by the logins on it, never per row.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from abonent.accounts.contract import contract_clean
from abonent.accounts.models import Account, AccountStatus
from abonent.core.errors import NotFound
from abonent.network.models import (
    AuthReason,
    GroupAttribute,
    Nas,
    NetworkCredential,
    RadAcct,
    RadPostAuth,
)
from abonent.network.selectors_coa import ChangeRow, account_session_changes

AUTH_RESULTS = 10
ACCOUNT_CHANGES = 5
HISTORY_LIMIT = 200
_MAC_SHAPES = (
    re.compile(r"^[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$"),
    re.compile(r"^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$"),
    re.compile(r"^[0-9A-Fa-f]{12}$"),
)
SESSION_FIELDS = (
    "radacctid",
    "username",
    "nasipaddress",
    "acctstarttime",
    "acctupdatetime",
    "acctstoptime",
    "acctinputoctets",
    "acctoutputoctets",
    "callingstationid",
    "framedipaddress",
    "acctterminatecause",
)


def radius_available() -> bool:
    """Whether the RADIUS tables exist here (PostgreSQL only)."""
    return connection.vendor == "postgresql"


# --- Live sessions ------------------------------------------------------------------------------


def _mac_variants(text: str) -> list[str]:
    """Spellings of a MAC address as ``radacct.callingstationid`` may hold it ([] if not one).

    The generated configuration rewrites Calling-Station-Id to ``AA-BB-CC-DD-EE-FF`` before
    accounting; the colon form covers sessions written before that rewrite."""
    if not any(shape.match(text) for shape in _MAC_SHAPES):
        return []
    raw = re.sub(r"[^0-9A-Fa-f]", "", text).upper()
    pairs = [raw[i : i + 2] for i in range(0, 12, 2)]
    dashed, colons = "-".join(pairs), ":".join(pairs)
    return [dashed, dashed.lower(), colons, colons.lower()]


def session_search_condition(query: str) -> Q | None:
    """What a staff member typed as a condition on ``radacct``: an IP address finds the
    session with that address, a MAC address the device's session, anything else the network
    login or the contract number (spaces and dashes allowed) of the account. ``None``: no
    search.

    The contract is resolved to its login here (one indexed query), so the condition on
    ``radacct`` is a plain ``username IN (…)`` the partial index on open sessions serves."""
    text = " ".join((query or "").split())
    if not text:
        return None
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        return Q(framedipaddress=str(ip))
    logins = {text}
    number = contract_clean(text)
    if number:
        logins.update(
            NetworkCredential.objects.filter(
                Q(account__contract=number) | Q(account__legacy_contract=text)
            ).values_list("login", flat=True)
        )
    condition = Q(username__in=sorted(logins))
    macs = _mac_variants(text)
    if macs:
        condition |= Q(callingstationid__in=macs)
    return condition


def live_sessions(*, query: str = "", nas_ip: str = "") -> QuerySet[RadAcct]:
    """Open sessions (``acctstoptime IS NULL``), newest first, optionally searched (see
    ``session_search_condition``) and limited to one NAS address. PostgreSQL only."""
    qs = RadAcct.objects.filter(acctstoptime__isnull=True).only(*SESSION_FIELDS)
    if nas_ip:
        qs = qs.filter(nasipaddress=nas_ip)
    condition = session_search_condition(query)
    if condition is None:
        # Served by walking the start-time index backwards (the open sessions are the newest).
        return qs.order_by("-acctstarttime", "-radacctid")
    # A search finds a few rows: NULLS LAST does not match the start-time index, so PostgreSQL
    # reads the open sessions through their partial indexes instead of walking the whole
    # history backwards looking for a rare MAC or IP.
    return qs.filter(condition).order_by(
        F("acctstarttime").desc(nulls_last=True), F("radacctid").desc()
    )


@dataclass(frozen=True)
class SessionAccount:
    """The account behind a network login, as a sessions table shows it."""

    account_id: int
    contract: str
    status: str

    @property
    def status_label(self) -> str:
        return str(AccountStatus(self.status).label)


def accounts_by_login(logins: list[str]) -> dict[str, SessionAccount]:
    """The accounts of these network logins, in one query (logins nobody has are left out)."""
    wanted = sorted({login for login in logins if login})
    if not wanted:
        return {}
    rows = NetworkCredential.objects.filter(login__in=wanted).values_list(
        "login", "account_id", "account__contract", "account__status"
    )
    return {
        login: SessionAccount(account_id=account_id, contract=contract, status=status)
        for login, account_id, contract, status in rows
    }


def nas_names() -> list[tuple[Any, str]]:
    """(address or network, short name) of every registered NAS that parses: one query."""
    parsed = []
    for nas in Nas.objects.order_by().values("nasname", "shortname"):
        try:
            parsed.append((ipaddress.ip_network(nas["nasname"], strict=False), nas["shortname"]))
        except ValueError:
            continue
    return parsed


def nas_name_for(address: str, names: list[tuple[Any, str]]) -> str:
    """The short name of the NAS an address belongs to ("" when none is registered)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    matches = [(net.prefixlen, name) for net, name in names if ip in net]
    return max(matches)[1] if matches else ""


@dataclass(frozen=True)
class NasCount:
    """Open sessions on one NAS address."""

    address: str
    name: str
    sessions: int


@dataclass(frozen=True)
class SessionCounts:
    """Sessions online now: in all and per NAS address (busiest first)."""

    total: int
    per_nas: list[NasCount]
    names: list[tuple[Any, str]]


def live_session_counts() -> SessionCounts:
    """How many sessions are open, in all and per NAS (two queries: the counts, the NASes).

    Registered NASes with no session are listed too (with 0), so the filter can offer them."""
    rows = (
        RadAcct.objects.filter(acctstoptime__isnull=True)
        .order_by()
        .values_list("nasipaddress")
        .annotate(n=Count("radacctid"))
    )
    names = nas_names()
    per_nas = [
        NasCount(address=str(address), name=nas_name_for(str(address), names), sessions=n)
        for address, n in rows
    ]
    seen = {count.address for count in per_nas}
    for net, name in names:
        if net.num_addresses == 1 and str(net.network_address) not in seen:
            per_nas.append(NasCount(address=str(net.network_address), name=name, sessions=0))
    per_nas.sort(key=lambda c: (-c.sessions, c.name or "~", c.address))
    return SessionCounts(total=sum(c.sessions for c in per_nas), per_nas=per_nas, names=names)


# --- One account -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthResult:
    """One answer of FreeRADIUS to the account's router, in words."""

    when: dt.datetime
    accepted: bool
    reason: str
    mac: str


def auth_result(row: RadPostAuth) -> AuthResult:
    """A ``radpostauth`` row for people: the verdict and the reason's label."""
    reason = row.reason or ""
    label = str(AuthReason(reason).label) if reason in AuthReason.values else reason
    return AuthResult(
        when=row.authdate,
        accepted=row.reply == "Access-Accept",
        reason=label,
        mac=row.callingstationid or "",
    )


@dataclass(frozen=True)
class AccountNetwork:
    """An account's network access as the back office shows it on the account page."""

    credential: NetworkCredential | None
    has_radius: bool
    open_session: RadAcct | None = None
    last_session: RadAcct | None = None
    auth_results: tuple[AuthResult, ...] = ()
    changes: tuple[ChangeRow, ...] = ()  # the last requests to its NASes


def account_network(*, account_id: int) -> AccountNetwork:
    """The account's credential, its open session (or the newest one), its last
    ``AUTH_RESULTS`` authentication answers and ``ACCOUNT_CHANGES`` requests to its NASes: five
    queries on PostgreSQL, two on SQLite (one without a credential)."""
    credential = (
        NetworkCredential.objects.filter(account_id=account_id)
        .only("id", "account_id", "login", "mac", "static_ip", "password_changed_at")
        .first()
    )
    if credential is None:
        return AccountNetwork(credential=None, has_radius=radius_available())
    changes = tuple(account_session_changes(account_id=account_id, limit=ACCOUNT_CHANGES))
    if not radius_available():
        return AccountNetwork(credential=credential, has_radius=False, changes=changes)
    login = credential.login
    open_session = (
        RadAcct.objects.filter(username=login, acctstoptime__isnull=True)
        .only(*SESSION_FIELDS)
        .order_by("-acctstarttime", "-radacctid")
        .first()
    )
    last_session = None
    if open_session is None:
        last_session = (
            RadAcct.objects.filter(username=login)
            .only(*SESSION_FIELDS)
            .order_by("-acctstarttime", "-radacctid")
            .first()
        )
    answers = (
        RadPostAuth.objects.filter(username=login)
        .only("authdate", "reply", "reason", "callingstationid")
        .order_by("-authdate", "-id")[:AUTH_RESULTS]
    )
    return AccountNetwork(
        credential=credential,
        has_radius=True,
        open_session=open_session,
        last_session=last_session,
        auth_results=tuple(auth_result(row) for row in answers),
        changes=changes,
    )


def account_for_network(*, account_id: int) -> Account:
    """The account (for the network pages' headings); ``NotFound`` if there is none."""
    account = Account.objects.filter(pk=account_id).only("id", "contract", "status").first()
    if account is None:
        raise NotFound(_("No such account."))
    return account


def credential_for_account(*, account_id: int) -> NetworkCredential | None:
    """The account's network credential (``None`` before ``credential_create``)."""
    return NetworkCredential.objects.filter(account_id=account_id).first()


def account_sessions(*, login: str) -> QuerySet[RadAcct]:
    """The login's sessions, open and closed, newest first; at most ``HISTORY_LIMIT``."""
    return (
        RadAcct.objects.filter(username=login)
        .only(*SESSION_FIELDS)
        .order_by("-acctstarttime", "-radacctid")[:HISTORY_LIMIT]
    )


# --- NASes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NasRow:
    """A NAS with its open sessions (``None`` where there is no ``radacct``)."""

    nas: Nas
    sessions: int | None


def nas_list() -> list[NasRow]:
    """Every NAS, by short name, with its open sessions counted on PostgreSQL (two queries)."""
    nases = list(Nas.objects.order_by("shortname", "id"))
    if not radius_available():
        return [NasRow(nas=nas, sessions=None) for nas in nases]
    per_address = list(
        RadAcct.objects.filter(acctstoptime__isnull=True)
        .order_by()
        .values_list("nasipaddress")
        .annotate(n=Count("radacctid"))
    )
    rows = []
    for nas in nases:
        try:
            network = ipaddress.ip_network(nas.nasname, strict=False)
        except ValueError:
            rows.append(NasRow(nas=nas, sessions=0))
            continue
        rows.append(
            NasRow(
                nas=nas,
                sessions=sum(n for address, n in per_address if _within(address, network)),
            )
        )
    return rows


def _within(address: Any, network: Any) -> bool:
    try:
        return ipaddress.ip_address(str(address)) in network
    except ValueError:
        return False


def nas_get(*, nas_id: int) -> Nas:
    """One NAS; ``NotFound`` if there is none."""
    nas = Nas.objects.filter(pk=nas_id).first()
    if nas is None:
        raise NotFound(_("No such NAS."))
    return nas


def nas_open_sessions(*, nasname: str) -> int:
    """Open sessions reported by this NAS (its address, or any address in its network);
    0 where there is no ``radacct`` (SQLite)."""
    if not radius_available():
        return 0
    try:
        network = ipaddress.ip_network(nasname, strict=False)
    except ValueError:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM radacct WHERE acctstoptime IS NULL AND nasipaddress <<= %s::inet",
            [str(network)],
        )
        (count,) = cursor.fetchone()
    return int(count)


def group_attributes(*, group: str) -> list[GroupAttribute]:
    """A RADIUS group's check and reply attributes, in FreeRADIUS's order."""
    return list(GroupAttribute.objects.filter(group=group).order_by("list", "id"))
