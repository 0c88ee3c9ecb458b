"""Live sessions follow their account: Disconnect-Request and CoA-Request (RFC 5176) to the NAS.

Every Access-Accept carries a ``Class`` naming the policy granted (``abonent:full:50000/100000``,
``abonent:full:50000/100000:10.1.0.9``, ``abonent:restricted``; see the ``abonent_policy`` view,
migration 0004); the NAS echoes it in accounting and FreeRADIUS stores it in ``radacct.class``.
``sessions_reconcile`` compares, in one query, every open session's Class with the policy its
login would get now, whatever changed it (a charge run's block, a payment, a pause, a tariff
change, staff editing a tariff's speed or a static IP), and asks the NAS:

- the policy group changed (full ↔ restricted ↔ reject) or the static IP did → Disconnect-Request:
  the subscriber's router dials again and gets the new policy;
- only the speed changed → CoA-Request with the NAS type's speed attributes
  (``ReplyTemplate``), falling back to Disconnect when the NAS refuses (CoA-NAK); on CoA-ACK
  ``radacct.class`` is set to the new policy, so the session is not asked again.

Each request is a ``SessionChange`` row: made in one statement, sent outside any transaction
(``radclient``, the NAS's ``coa_port`` and secret), retried with backoff, ending ``acked``,
``naked``, ``failed`` or ``cancelled`` (the session ended, or its account changed again first).
A NAS that does not answer delays nothing but its own requests and never touches money; when
its request has ``failed``, a new one is made ``RETRY_FAILED_AFTER`` later if the session is
still open and still out of date (a blocked subscriber does not keep full access for as long
as a router was unreachable), and so on until the router answers or the session ends.
Sessions whose Class is not ours (started before this existed, or a NAS that drops Class and no
Access-Accept to copy it from) are left alone. PostgreSQL only; on SQLite it does nothing.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from abonent.core.audit import audit_record
from abonent.core.errors import ApplicationError, NotFound
from abonent.network.models import (
    ChangeKind,
    ChangeReason,
    ChangeState,
    Nas,
    RadAcct,
    ReplyTemplate,
    SessionChange,
    render_speed,
)
from abonent.network.radclient import RadclientError, radclient_send_many
from abonent.network.services import radius_require_postgres

logger = logging.getLogger("abonent.network.coa")

CLASS_PREFIX = "abonent:"
REJECT_CLASS = "abonent:reject"
# A request is sent at most this many times (each a radclient run of SEND_TRIES packets),
# waiting BACKOFF[n] seconds after the n-th unanswered one; then it is ``failed``.
MAX_ATTEMPTS = 4
BACKOFF = (10, 30, 90)
# A session still out of date this long after its request failed gets a new request.
RETRY_FAILED_AFTER = dt.timedelta(minutes=15)
SEND_TIMEOUT = 2.0
SEND_TRIES = 2
# Rows claimed per round, how long a claim lasts (a worker killed mid-send), NASes served at
# once, requests in flight to one NAS.
BATCH = 2000
LEASE = dt.timedelta(minutes=5)
PARALLEL_NAS = 16
PARALLEL_REQUESTS = 128


@dataclass
class ReconcileResult:
    """What one ``sessions_reconcile`` did."""

    available: bool = True
    created: int = 0
    sent: int = 0
    acked: int = 0
    naked: int = 0
    failed: int = 0
    retrying: int = 0
    cancelled: int = 0
    note: str = ""

    def __str__(self) -> str:
        if not self.available:
            return self.note
        return (
            f"{self.created} new, {self.sent} sent: {self.acked} done, {self.naked} refused, "
            f"{self.failed} failed, {self.retrying} to retry, {self.cancelled} not needed"
        )


@dataclass(frozen=True)
class Policy:
    """A Class string taken apart: ``abonent:<group>[:<up>/<down>[:<ip>]]``."""

    group: str
    speed: tuple[int, int] | None = None
    ip: str | None = None

    @classmethod
    def parse(cls, value: str | None) -> Policy | None:
        """None when the Class is not one of ours."""
        if not value or not value.startswith(CLASS_PREFIX):
            return None
        parts = value[len(CLASS_PREFIX) :].split(":", 2)
        speed = None
        if len(parts) > 1 and "/" in parts[1]:
            up, _sep, down = parts[1].partition("/")
            if up.isdigit() and down.isdigit():
                speed = (int(up), int(down))
        return cls(group=parts[0], speed=speed, ip=parts[2] if len(parts) > 2 else None)


def _change_for(granted: Policy, wanted: Policy, *, known_login: bool) -> tuple[str, str]:
    """(kind, reason) of the request that takes a session from ``granted`` to ``wanted``."""
    if wanted.group == "reject":
        reason = ChangeReason.NOT_ALLOWED if known_login else ChangeReason.UNKNOWN_LOGIN
        return ChangeKind.DISCONNECT, reason
    if wanted.group != granted.group:
        if wanted.group == "restricted":
            return ChangeKind.DISCONNECT, ChangeReason.BLOCKED
        return ChangeKind.DISCONNECT, ChangeReason.UNBLOCKED
    if wanted.ip != granted.ip:
        return ChangeKind.DISCONNECT, ChangeReason.ADDRESS
    if wanted.speed is None:  # a rate limit cannot be taken away by CoA everywhere
        return ChangeKind.DISCONNECT, ChangeReason.SPEED
    return ChangeKind.COA, ChangeReason.SPEED


def _available() -> bool:
    return connection.vendor == "postgresql"


# Open sessions whose Class is ours and differs from the policy their login gets now, without
# a request for that policy in the way: one waiting or done (pending, acked), a refused
# Disconnect, or one that failed less than RETRY_FAILED_AFTER ago (a refused CoA is followed
# by a Disconnect, which decides; ``coa_refused`` says the new request must be a Disconnect).
# Both sub-queries use session_change_session.
_MISMATCHED = """
SELECT r.radacctid, r.username, r.acctsessionid, host(r.nasipaddress), host(r.framedipaddress),
       r.class, w.class, p.account_id,
       EXISTS (
           SELECT 1 FROM network_sessionchange s
            WHERE s.radacct_id = r.radacctid AND s.target_class = w.class
              AND s.reason <> 'staff' AND s.kind = 'coa' AND s.state = 'naked')
  FROM radacct r
  LEFT JOIN abonent_policy p ON p.username = r.username
  CROSS JOIN LATERAL (SELECT COALESCE(p.class, %(reject)s) AS class) w
 WHERE r.acctstoptime IS NULL
   AND r.class LIKE 'abonent:%%'
   AND r.class <> w.class
   AND NOT EXISTS (
       SELECT 1 FROM network_sessionchange s
        WHERE s.radacct_id = r.radacctid AND s.target_class = w.class AND s.reason <> 'staff'
          AND (s.state IN ('pending', 'acked')
               OR (s.state = 'naked' AND s.kind = 'disconnect')
               OR (s.state = 'failed' AND s.finished_at > %(retry_before)s)))
"""


class _NasIndex:
    """The ``nas`` rows by address: exact ``nasname`` first, then networks containing it."""

    def __init__(self) -> None:
        self.exact: dict[str, Nas] = {}
        self.networks: list[tuple[Any, Nas]] = []
        for nas in Nas.objects.all():
            name = nas.nasname.strip()
            try:
                if "/" in name:
                    self.networks.append((ipaddress.ip_network(name, strict=False), nas))
                else:
                    self.exact[str(ipaddress.ip_address(name))] = nas
            except ValueError:  # a host name: FreeRADIUS resolves it, we match it literally
                self.exact[name] = nas

    def find(self, ip: str) -> Nas | None:
        nas = self.exact.get(ip)
        if nas is not None:
            return nas
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        for network, candidate in self.networks:
            if address in network:
                return candidate
        return None


def sessions_changes_detect() -> int:
    """Make a pending ``SessionChange`` for every open session whose policy is out of date;
    returns how many were made. Idempotent: one request per session and wanted policy."""
    if not _available():
        return 0
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _MISMATCHED, {"reject": REJECT_CLASS, "retry_before": now - RETRY_FAILED_AFTER}
        )
        rows = cursor.fetchall()
    if not rows:
        return 0
    nases = _NasIndex()
    changes = []
    for row in rows:
        radacct_id, username, session_id, nas_ip, framed_ip, granted, wanted, account_id = row[:8]
        coa_refused = row[8]
        granted_policy, wanted_policy = Policy.parse(granted), Policy.parse(wanted)
        if granted_policy is None or wanted_policy is None:
            continue
        kind, reason = _change_for(
            granted_policy, wanted_policy, known_login=account_id is not None
        )
        if coa_refused:  # this NAS said no to the CoA: ask again as the Disconnect it got
            kind = ChangeKind.DISCONNECT
        changes.append(
            SessionChange(
                radacct_id=radacct_id,
                account_id=account_id,
                nas=nases.find(nas_ip),
                username=username or "",
                acct_session_id=session_id,
                nas_ip=nas_ip,
                framed_ip=framed_ip,
                kind=kind,
                reason=reason,
                granted_class=granted,
                target_class=wanted,
                next_attempt_at=now,
            )
        )
    made = SessionChange.objects.bulk_create(changes, ignore_conflicts=True)
    for change in changes:
        logger.info(
            "%s for %s session %s: %s → %s",
            change.kind,
            change.username,
            change.acct_session_id,
            change.granted_class,
            change.target_class,
        )
    return len(made)


@dataclass
class _Outcome:
    """What sending one request came to (computed in a thread, written by the caller)."""

    change_id: int
    code: str | None = None  # the NAS's answer, e.g. "Disconnect-ACK"
    error: str = ""


@dataclass
class _Request:
    change: SessionChange
    server: str
    port: int
    secret: str
    kind: str
    attributes: list[tuple[str, str | int]] = field(default_factory=list)


def _templates() -> dict[str, list[ReplyTemplate]]:
    by_type: dict[str, list[ReplyTemplate]] = defaultdict(list)
    for template in ReplyTemplate.objects.order_by("id"):
        by_type[template.nas_type].append(template)
    return by_type


def _request(
    change: SessionChange, templates: dict[str, list[ReplyTemplate]], nases: _NasIndex
) -> _Request | str:
    """The packet for a change, or why it cannot be sent."""
    nas = change.nas or nases.find(change.nas_ip)  # a NAS row added since the change was made
    if nas is None:
        return f"no NAS {change.nas_ip} in the nas table"
    attributes: list[tuple[str, str | int]] = [
        ("User-Name", change.username),
        ("Acct-Session-Id", change.acct_session_id),
        ("NAS-IP-Address", change.nas_ip),
    ]
    if change.framed_ip:
        attributes.append(("Framed-IP-Address", change.framed_ip))
    kind = "disconnect"
    if change.kind == ChangeKind.COA:
        kind = "coa"
        policy = Policy.parse(change.target_class)
        if policy is None or policy.speed is None:
            return "no speed to set"
        up, down = policy.speed
        rows = templates.get(nas.type, [])
        if not rows:
            return f"no speed attributes for NAS type {nas.type}"
        attributes += [
            (row.attribute, render_speed(row.value, up_kbps=up, down_kbps=down)) for row in rows
        ]
    return _Request(
        change=change,
        server=change.nas_ip,
        port=nas.coa_port,
        secret=nas.secret,
        kind=kind,
        attributes=attributes,
    )


def _send_lane(requests: list[_Request], *, timeout: float, tries: int) -> list[_Outcome]:
    """Send one NAS's requests of one kind in one radclient run, up to PARALLEL_REQUESTS in
    flight: a silent NAS costs one timeout for the lot, not one per session."""
    first = requests[0]
    try:
        answers = radclient_send_many(
            server=first.server,
            port=first.port,
            secret=first.secret,
            kind=first.kind,
            packets=[request.attributes for request in requests],
            timeout=timeout,
            retries=tries,
            parallel=PARALLEL_REQUESTS,
        )
    except RadclientError as exc:
        return [_Outcome(request.change.pk, error=str(exc)) for request in requests]
    outcomes = []
    for request, answer in zip(requests, answers, strict=True):
        if answer is None:
            where = f"{request.server}:{request.port}"
            outcomes.append(_Outcome(request.change.pk, error=f"no answer from {where}"))
            continue
        error = ""
        if answer.code.endswith("-NAK"):
            cause = answer.first("Error-Cause")
            error = answer.code + (f": {cause}" if cause else "")
        outcomes.append(_Outcome(request.change.pk, code=answer.code, error=error))
    return outcomes


def _claim(limit: int, ids: list[int] | None = None) -> list[SessionChange]:
    """Due pending rows, leased for LEASE so another worker skips them meanwhile."""
    now = timezone.now()
    with transaction.atomic():
        due = SessionChange.objects.filter(state=ChangeState.PENDING)
        if ids is not None:
            due = due.filter(pk__in=ids)
        else:
            due = due.filter(next_attempt_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        claimed = list(due.select_related("nas").order_by("id")[:limit])
        SessionChange.objects.filter(pk__in=[c.pk for c in claimed]).update(
            next_attempt_at=now + LEASE
        )
    return claimed


def _still_needed(changes: list[SessionChange]) -> set[int]:
    """Ids of the changes still wanted: the session is open and, unless staff asked, its
    login would still get the policy the change was made for."""
    if not changes:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT r.radacctid, COALESCE(p.class, %s) FROM radacct r
                 LEFT JOIN abonent_policy p ON p.username = r.username
                WHERE r.radacctid = ANY(%s) AND r.acctstoptime IS NULL""",
            [REJECT_CLASS, [c.radacct_id for c in changes]],
        )
        wanted = dict(cursor.fetchall())
    return {
        c.pk
        for c in changes
        if c.radacct_id in wanted
        and (c.reason == ChangeReason.STAFF or wanted[c.radacct_id] == c.target_class)
    }


def _record(change: SessionChange, outcome: _Outcome, result: ReconcileResult) -> None:
    """Write what became of one request; a refused CoA becomes a Disconnect."""
    now = timezone.now()
    change.last_error = outcome.error[:255]
    fields = ["state", "attempts", "next_attempt_at", "last_error", "finished_at"]
    change.attempts += 1
    result.sent += 1
    if outcome.code is None:  # no answer
        if change.attempts >= MAX_ATTEMPTS:
            change.state = ChangeState.FAILED
            change.finished_at = now
            result.failed += 1
            logger.warning(
                "%s: failed after %d attempts: %s", change, change.attempts, outcome.error
            )
        else:
            backoff = BACKOFF[min(change.attempts, len(BACKOFF)) - 1]
            change.next_attempt_at = now + dt.timedelta(seconds=backoff)
            result.retrying += 1
        change.save(update_fields=fields)
        return
    change.finished_at = now
    if outcome.code.endswith("-ACK"):
        change.state = ChangeState.ACKED
        result.acked += 1
        with transaction.atomic():
            change.save(update_fields=fields)
            if change.kind == ChangeKind.COA:  # the session now has the new policy
                with connection.cursor() as cursor:
                    cursor.execute(
                        "UPDATE radacct SET class = %s WHERE radacctid = %s "
                        "AND acctstoptime IS NULL",
                        [change.target_class, change.radacct_id],
                    )
        return
    change.state = ChangeState.NAKED
    result.naked += 1
    logger.warning("%s: refused: %s", change, outcome.error)
    with transaction.atomic():
        change.save(update_fields=fields)
        if change.kind == ChangeKind.COA:
            SessionChange.objects.bulk_create(
                [
                    SessionChange(
                        radacct_id=change.radacct_id,
                        account_id=change.account_id,
                        nas_id=change.nas_id,
                        username=change.username,
                        acct_session_id=change.acct_session_id,
                        nas_ip=change.nas_ip,
                        framed_ip=change.framed_ip,
                        kind=ChangeKind.DISCONNECT,
                        reason=change.reason,
                        granted_class=change.granted_class,
                        target_class=change.target_class,
                        next_attempt_at=now,
                    )
                ],
                ignore_conflicts=True,
            )


def _cannot_send(change: SessionChange, why: str, result: ReconcileResult) -> None:
    change.state = ChangeState.FAILED
    change.attempts += 1
    change.finished_at = timezone.now()
    change.last_error = why[:255]
    change.save(update_fields=["state", "attempts", "finished_at", "last_error"])
    result.failed += 1
    logger.warning("%s: cannot be sent: %s", change, why)


def session_changes_deliver(
    *,
    ids: list[int] | None = None,
    limit: int = BATCH,
    timeout: float | None = None,
    tries: int | None = None,
    result: ReconcileResult | None = None,
) -> ReconcileResult:
    """Send the due pending requests (or the pending ones among ``ids``, due or not), one
    radclient run per NAS and kind, up to PARALLEL_NAS at once, and record the answers. Holds
    no transaction or row lock while it waits for a NAS."""
    result = result or ReconcileResult()
    timeout = SEND_TIMEOUT if timeout is None else timeout
    tries = SEND_TRIES if tries is None else tries
    if not _available():
        return result
    claimed = _claim(limit, ids)
    if not claimed:
        return result
    needed = _still_needed(claimed)
    templates = _templates()
    nases = _NasIndex()
    lanes: dict[tuple[str, int, str], list[_Request]] = defaultdict(list)
    for change in claimed:
        if change.pk not in needed:
            change.state = ChangeState.CANCELLED
            change.finished_at = timezone.now()
            change.save(update_fields=["state", "finished_at"])
            result.cancelled += 1
            continue
        request = _request(change, templates, nases)
        if isinstance(request, str):
            _cannot_send(change, request, result)
            continue
        lanes[(request.server, request.port, request.kind)].append(request)
    by_id = {c.pk: c for c in claimed}
    with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL_NAS, len(lanes) or 1))) as pool:
        futures = [
            pool.submit(_send_lane, lane, timeout=timeout, tries=tries) for lane in lanes.values()
        ]
        outcomes = [outcome for future in futures for outcome in future.result()]
    fallbacks = False
    for outcome in outcomes:
        change = by_id[outcome.change_id]
        _record(change, outcome, result)
        fallbacks |= change.kind == ChangeKind.COA and change.state == ChangeState.NAKED
    if fallbacks and ids is None:  # send the Disconnects that replace refused CoAs now
        session_changes_deliver(limit=limit, timeout=timeout, tries=tries, result=result)
    return result


def sessions_reconcile(
    *, timeout: float | None = None, tries: int | None = None, limit: int = BATCH
) -> ReconcileResult:
    """Find the open sessions whose policy is out of date, and send their NASes the due
    Disconnect/CoA requests. Safe to run often and from several workers at once."""
    if not _available():
        return ReconcileResult(
            available=False,
            note=_(
                "Live sessions are not checked: radacct exists on PostgreSQL only "
                "(this database is %(vendor)s)."
            )
            % {"vendor": connection.vendor},
        )
    result = ReconcileResult()
    result.created = sessions_changes_detect()
    return session_changes_deliver(limit=limit, timeout=timeout, tries=tries, result=result)


def session_disconnect(*, radacct_id: int, actor: Any) -> SessionChange:
    """Staff: disconnect one live session now. Audited; sent at once (one attempt), and left
    ``pending`` for the worker to retry when the NAS does not answer. Returns the request,
    whose ``state`` says what the NAS did."""
    radius_require_postgres()
    session = RadAcct.objects.filter(pk=radacct_id).first()
    if session is None:
        raise NotFound(_("No such session."))
    if session.acctstoptime is not None:
        raise ApplicationError(_("This session has already ended."), code="ended")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.account_id FROM abonent_policy p WHERE p.username = %s",
            [session.username or ""],
        )
        row = cursor.fetchone()
    with transaction.atomic():
        change = SessionChange.objects.create(
            radacct_id=session.pk,
            account_id=row[0] if row else None,
            nas=_NasIndex().find(str(session.nasipaddress)),
            username=session.username or "",
            acct_session_id=session.acctsessionid,
            nas_ip=session.nasipaddress,
            framed_ip=session.framedipaddress,
            kind=ChangeKind.DISCONNECT,
            reason=ChangeReason.STAFF,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            next_attempt_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="network.session_disconnect",
            obj=change,
            after={
                "radacct_id": session.pk,
                "username": change.username,
                "acct_session_id": change.acct_session_id,
                "nas_ip": change.nas_ip,
            },
        )
    session_changes_deliver(ids=[change.pk])
    change.refresh_from_db()
    return change
