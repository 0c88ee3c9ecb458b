"""Static IPs from the static-IP add-on (issue #7; docs/radius.md, Static IP).

An account with a *live* subscription (``started_on <= day``, ``ends_on`` empty or ``>= day``)
to an add-on whose ``grants_static_ip`` is set gets the lowest free address of the pool
``ABONENT_STATIC_IP_POOL`` on its network credential; FreeRADIUS sends it as
``Framed-IP-Address``, and the reconciler (``coa.sessions_reconcile``) disconnects a session up
with another address, so nothing is sent to a router from here. An address inside the pool whose
account no longer has such a subscription is freed. Addresses outside the pool are staff's: they
are never given, changed or freed here.

``static_ip_sync`` runs after an add-on is connected or disconnected (on commit, from
``billing.services.addons``) and at the end of ``abonent charge`` for its day, which frees the
address of a subscription the day after its ``ends_on``. It never touches money: an empty pool
leaves the account without an address, with a warning in the log and an audit row for staff.

Concurrency: every change is one short transaction that locks the account row (the order of the
add-on services), then the credential; two accounts drawing the same "lowest free" address at once
collide on the unique ``static_ip`` and the loser draws again. Network reads billing's add-on
subscriptions here; billing reaches this module only lazily, after commit.
"""

from __future__ import annotations

import bisect
import datetime as dt
import ipaddress
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext

from abonent.accounts.models import Account
from abonent.billing.models import AccountAddon
from abonent.billing.periods import billing_today
from abonent.core.audit import audit_record
from abonent.core.models import AuditEntry
from abonent.network.models import NetworkCredential

logger = logging.getLogger(__name__)

SETTING = "ABONENT_STATIC_IP_POOL"
ASSIGN_ATTEMPTS = 20  # draws of a free address lost to concurrent assignments before giving up
ACTION_ASSIGN = "network.static_ip_assign"
ACTION_FREE = "network.static_ip_free"
ACTION_EXHAUSTED = "network.static_ip_pool_exhausted"


class StaticIpPoolError(ImproperlyConfigured):
    """``ABONENT_STATIC_IP_POOL`` cannot be read; the message names the part and the fix."""


@dataclass(frozen=True)
class StaticIpPool:
    """The pool as sorted, non-overlapping inclusive ranges of IPv4 addresses (as integers)."""

    ranges: tuple[tuple[int, int], ...]

    @property
    def size(self) -> int:
        """How many addresses the pool holds."""
        return sum(last - first + 1 for first, last in self.ranges)

    def __contains__(self, address: object) -> bool:
        try:
            value = int(ipaddress.IPv4Address(str(address)))
        except ValueError:
            return False
        i = bisect.bisect_right(self.ranges, (value, 2**32)) - 1
        return i >= 0 and self.ranges[i][0] <= value <= self.ranges[i][1]

    def addresses(self) -> Iterator[int]:
        """Every address, lowest first."""
        for first, last in self.ranges:
            yield from range(first, last + 1)

    def first_free(self, used: Iterable[str]) -> str | None:
        """The lowest address not in ``used``; None when every one is. Walks at most
        ``len(used) + 1`` addresses, whatever the size of the pool."""
        taken = set()
        for address in used:
            try:
                taken.add(int(ipaddress.IPv4Address(str(address))))
            except ValueError:
                continue
        for value in self.addresses():
            if value not in taken:
                return str(ipaddress.IPv4Address(value))
        return None


def _pool_error(part: str, reason: str) -> StaticIpPoolError:
    return StaticIpPoolError(
        f"{SETTING}: {part!r} {reason}. Give comma-separated IPv4 networks (100.64.10.0/24), "
        "ranges (100.64.10.10-100.64.10.99) or single addresses."
    )


def _check_usable(part: str, *addresses: ipaddress.IPv4Address) -> None:
    for address in addresses:
        if (
            address.is_loopback
            or address.is_multicast
            or address.is_unspecified
            or address.is_link_local
            or address == ipaddress.IPv4Address("255.255.255.255")
        ):
            raise _pool_error(part, f"contains {address}, which cannot be a subscriber's address")


def _parse_part(part: str) -> tuple[int, int]:
    try:
        if "/" in part:
            network = ipaddress.IPv4Network(part, strict=True)
            first, last = network.network_address, network.broadcast_address
            if network.prefixlen <= 30:  # without the network and broadcast addresses
                first, last = first + 1, last - 1
        elif "-" in part:
            start, _dash, end = part.partition("-")
            first = ipaddress.IPv4Address(start.strip())
            last = ipaddress.IPv4Address(end.strip())
            if last < first:
                raise _pool_error(part, "ends before it starts")
        else:
            first = last = ipaddress.IPv4Address(part)
    except ValueError as exc:  # AddressValueError and NetmaskValueError are ValueErrors
        raise _pool_error(part, f"is not an IPv4 network, range or address ({exc})") from None
    _check_usable(part, first, last)
    return int(first), int(last)


def static_ip_pool(value: str | None = None) -> StaticIpPool:
    """The pool from ``value`` (default: the setting), checked: raises ``StaticIpPoolError``
    with the wrong part named. An empty setting is an empty pool (no addresses to give)."""
    raw = getattr(settings, SETTING, "") if value is None else value
    parsed = sorted(_parse_part(part.strip()) for part in str(raw).split(",") if part.strip())
    merged: list[tuple[int, int]] = []
    for first, last in parsed:
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return StaticIpPool(ranges=tuple(merged))


# --- reads -------------------------------------------------------------------------------------


def _granting(*, day: dt.date, started: bool = True) -> QuerySet[AccountAddon]:
    """Subscriptions to add-ons granting a static IP that run on ``day``; with
    ``started=False`` also those that start later (freeing never takes their address)."""
    rows = AccountAddon.objects.filter(addon__grants_static_ip=True).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=day)
    )
    return rows.filter(started_on__lte=day) if started else rows


def static_ip_wanted(*, day: dt.date | None = None) -> Exists:
    """An annotation for a ``NetworkCredential`` query: does its account have a live
    subscription to an add-on granting a static IP (one ``EXISTS``, no extra query)."""
    return Exists(_granting(day=day or billing_today()).filter(account_id=OuterRef("account_id")))


StaticIpState = Literal["assigned", "pending", "exhausted", "none"]


@dataclass(frozen=True)
class StaticIpStatus:
    """What the cabinet says about the static IP: ``assigned`` (``ip``), ``pending`` (wanted,
    with free addresses: the next sync gives one), ``exhausted`` (wanted, none free), ``none``."""

    state: StaticIpState
    ip: str | None = None


def static_ip_status(*, ip: str | None, wanted: bool) -> StaticIpStatus:
    """The status of a credential with ``ip`` whose account does (``wanted``) or does not have
    the add-on. Queries the pool's use only in the rare case of a wanted address not given."""
    if ip:
        return StaticIpStatus(state="assigned", ip=str(ip))
    if not wanted:
        return StaticIpStatus(state="none")
    try:
        pool = static_ip_pool()
    except StaticIpPoolError:
        logger.exception("static IP pool setting is wrong")
        return StaticIpStatus(state="exhausted")
    if pool.first_free(_used_addresses()) is None:
        return StaticIpStatus(state="exhausted")
    return StaticIpStatus(state="pending")


def static_ip_status_for(*, account_id: int, day: dt.date | None = None) -> StaticIpStatus:
    """The status of one account's static IP (one query, more only when one is wanted but
    missing)."""
    row = (
        NetworkCredential.objects.filter(account_id=account_id)
        .annotate(wanted=static_ip_wanted(day=day))
        .values("static_ip", "wanted")
        .first()
    )
    if row is None:
        wanted = _granting(day=day or billing_today()).filter(account_id=account_id).exists()
        return StaticIpStatus(state="pending" if wanted else "none")
    return static_ip_status(ip=row["static_ip"], wanted=row["wanted"])


def _used_addresses() -> list[str]:
    return [
        str(ip)
        for ip in NetworkCredential.objects.filter(static_ip__isnull=False).values_list(
            "static_ip", flat=True
        )
    ]


# --- writes ------------------------------------------------------------------------------------


@dataclass
class StaticIpSyncResult:
    """What one sync did: (account id, address) given and freed; accounts left without one."""

    assigned: list[tuple[int, str]] = field(default_factory=list)
    freed: list[tuple[int, str]] = field(default_factory=list)
    exhausted: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"static IPs: assigned {len(self.assigned)}, freed {len(self.freed)}, "
            f"left without one (pool exhausted) {len(self.exhausted)}"
        )


def static_ip_sync(
    *, account_id: int | None = None, day: dt.date | None = None
) -> StaticIpSyncResult:
    """Give pool addresses to credentials whose account has a live static-IP add-on and no
    address, and free pool addresses whose account no longer has one (all accounts, or one).

    Frees first, so that an address freed today can be given today. Raises
    ``StaticIpPoolError`` when the setting is wrong (before changing anything)."""
    day = day or billing_today()
    pool = static_ip_pool()
    result = StaticIpSyncResult()
    credentials = NetworkCredential.objects.order_by("account_id")
    if account_id is not None:
        credentials = credentials.filter(account_id=account_id)

    keeping = _granting(day=day, started=False).values("account_id")
    to_free = credentials.filter(static_ip__isnull=False).exclude(account_id__in=keeping)
    for credential_id, owner_id, ip in to_free.values_list("pk", "account_id", "static_ip"):
        if ip in pool and _free(credential_id=credential_id, account_id=owner_id, day=day):
            result.freed.append((owner_id, str(ip)))

    wanting = credentials.filter(
        static_ip__isnull=True, account_id__in=_granting(day=day).values("account_id")
    )
    for credential_id, owner_id in wanting.values_list("pk", "account_id"):
        ip = _assign(credential_id=credential_id, account_id=owner_id, pool=pool, day=day)
        if ip is None:
            continue
        if ip == "":
            result.exhausted.append(owner_id)
        else:
            result.assigned.append((owner_id, ip))
    return result


def static_ip_sync_quietly(*, account_id: int, day: dt.date | None = None) -> None:
    """``static_ip_sync`` for one account after an add-on change has committed: a failure is
    logged, never raised, because the purchase it follows is already done (the next
    ``abonent charge`` tries again)."""
    try:
        static_ip_sync(account_id=account_id, day=day)
    except Exception:  # noqa: BLE001 - after commit; the daily run retries
        logger.exception("static IP sync failed for account %s", account_id)


def _lock(credential_id: int, account_id: int) -> NetworkCredential | None:
    Account.objects.select_for_update().filter(pk=account_id).values_list("pk").first()
    return NetworkCredential.objects.select_for_update().filter(pk=credential_id).first()


def _free(*, credential_id: int, account_id: int, day: dt.date) -> bool:
    """Take the pool address off one credential (audited, the subscriber told)."""
    with transaction.atomic():
        credential = _lock(credential_id, account_id)
        if credential is None or credential.static_ip is None:
            return False
        if _granting(day=day, started=False).filter(account_id=account_id).exists():
            return False  # connected again meanwhile
        ip = str(credential.static_ip)
        credential.static_ip = None
        credential.save(update_fields=["static_ip"])
        audit_record(actor=None, action=ACTION_FREE, obj=credential, before={"ip": ip})
        _tell(account_id, ip, given=False)
    logger.info("static IP %s freed from account %s", ip, account_id)
    return True


def _assign(*, credential_id: int, account_id: int, pool: StaticIpPool, day: dt.date) -> str | None:
    """Give one credential the lowest free address. Returns it, "" when the pool is exhausted,
    None when there was nothing to do (given or disconnected meanwhile)."""
    for _attempt in range(ASSIGN_ATTEMPTS):
        try:
            with transaction.atomic():
                credential = _lock(credential_id, account_id)
                if credential is None or credential.static_ip is not None:
                    return None
                if not _granting(day=day).filter(account_id=account_id).exists():
                    return None
                ip = pool.first_free(_used_addresses())
                if ip is None:
                    _exhausted(credential, account_id)
                    return ""
                # A concurrent sync may have just taken the same address: the unique
                # constraint refuses the second, which draws again below.
                NetworkCredential.objects.filter(pk=credential.pk).update(static_ip=ip)
                credential.static_ip = ip
                audit_record(actor=None, action=ACTION_ASSIGN, obj=credential, after={"ip": ip})
                _tell(account_id, ip, given=True)
        except IntegrityError:
            logger.debug("static IP %s was taken meanwhile; account %s draws again", ip, account_id)
            continue
        logger.info("static IP %s given to account %s", ip, account_id)
        return ip
    logger.warning(
        "static IP: account %s lost %s draws to concurrent assignments; the next sync retries",
        account_id,
        ASSIGN_ATTEMPTS,
    )
    return None


def _exhausted(credential: NetworkCredential, account_id: int) -> None:
    """Warn, and leave one audit row per stretch without an address for staff to find."""
    logger.warning(
        "static IP pool %s exhausted: account %s has the static IP add-on but no address",
        SETTING,
        account_id,
    )
    last = (
        AuditEntry.objects.filter(
            object_type=NetworkCredential._meta.label_lower,
            object_id=str(credential.pk),
            action__in=[ACTION_ASSIGN, ACTION_FREE, ACTION_EXHAUSTED],
        )
        .order_by("-created_at", "-id")
        .values_list("action", flat=True)
        .first()
    )
    if last != ACTION_EXHAUSTED:
        audit_record(actor=None, action=ACTION_EXHAUSTED, obj=credential)


def _tell(account_id: int, ip: str, *, given: bool) -> None:
    """An inbox message to the subscriber, in their language, in the caller's transaction
    (which holds the account locked). Lazy import: messaging reads billing."""
    from abonent.messaging.emails import email_language
    from abonent.messaging.models import MessageCategory
    from abonent.messaging.services import message_send_to_account

    language = Account.objects.filter(pk=account_id).values_list("language", flat=True).first()
    with translation.override(email_language(language)):
        if given:
            subject = gettext("Your static IP address: %(ip)s") % {"ip": ip}
            body = gettext(
                "The static IP add-on gave your connection the permanent address %(ip)s. Your "
                "router gets it when it connects again (a session that is up is reconnected by "
                "itself within a minute); it stays yours while the add-on is connected."
            ) % {"ip": ip}
        else:
            subject = gettext("Static IP address %(ip)s released") % {"ip": ip}
            body = gettext(
                "The static IP add-on has ended, so the address %(ip)s is no longer yours. Your "
                "router gets an address from the common pool when it connects again."
            ) % {"ip": ip}
    message_send_to_account(
        account_id=account_id,
        subject=subject,
        body=body,
        category=MessageCategory.BILLING,
        account_locked=True,
    )
