"""Live sessions follow the account: Disconnect/CoA (RFC 5176) to a NAS stand-in on loopback.

Sessions are accepted and started through the real FreeRADIUS with the generated configuration
(so their ``Class`` is what FreeRADIUS stored); the stand-in is a UDP server written here from
the RFC, independent of the code under test: it checks each request's authenticator with the
shared secret (RFC 5176 §2.3), records it, and answers ACK, NAK or nothing, signing the answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import struct
import threading
from dataclasses import dataclass, field
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from abonent.billing.models import LedgerEntry
from abonent.billing.services.charging import charge_run
from abonent.billing.services.posting import ledger_post
from abonent.core.errors import ApplicationError
from abonent.core.models import AuditEntry
from abonent.network import coa
from abonent.network.coa import session_disconnect, sessions_reconcile
from abonent.network.models import Nas, RadAcct, SessionChange
from abonent.network.radclient import radclient_send, radclient_send_many

from .conftest import SECRET, needs_postgres

pytestmark = needs_postgres

DISCONNECT_REQUEST, DISCONNECT_ACK, DISCONNECT_NAK = 40, 41, 42
COA_REQUEST, COA_ACK, COA_NAK = 43, 44, 45
USER_NAME, NAS_IP_ADDRESS, FRAMED_IP_ADDRESS, FILTER_ID, CLASS = 1, 4, 8, 11, 25
ACCT_SESSION_ID, VENDOR_SPECIFIC, ERROR_CAUSE = 44, 26, 101
MIKROTIK_RATE_LIMIT = (14988, 8)
CISCO_AVPAIR = (9, 1)
TRIES = 2  # packets per attempt: an unanswered request reaches the stand-in this many times
FAST = {"timeout": 0.5, "tries": TRIES}  # the stand-in is on loopback: no need to wait long
FAST_RADCLIENT = {"timeout": 0.5, "retries": TRIES}


@dataclass
class Received:
    """One request the stand-in accepted: its code and attributes (VSAs as (vendor, type))."""

    code: int
    attributes: list[tuple[int | tuple[int, int], bytes]]

    def get(self, key: int | tuple[int, int]) -> list[bytes]:
        return [value for k, value in self.attributes if k == key]

    def text(self, key: int | tuple[int, int]) -> str | None:
        values = self.get(key)
        return values[0].decode() if values else None


def parse_attributes(data: bytes) -> list[tuple[int | tuple[int, int], bytes]]:
    attributes: list[tuple[int | tuple[int, int], bytes]] = []
    while data:
        kind, length = data[0], data[1]
        value, data = data[2:length], data[length:]
        if kind == VENDOR_SPECIFIC:
            vendor = struct.unpack("!I", value[:4])[0]
            value = value[4:]
            while value:
                vendor_type, vendor_length = value[0], value[1]
                attributes.append(((vendor, vendor_type), value[2:vendor_length]))
                value = value[vendor_length:]
        else:
            attributes.append((kind, value))
    return attributes


@dataclass
class NasStandIn:
    """A NAS's CoA port on loopback. ``answer`` is "ack", "nak" or "silent", per request code
    through ``answers`` ({COA_REQUEST: "nak"}) or for all."""

    secret: bytes
    sock: socket.socket
    answer: str = "ack"
    answers: dict[int, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    bad_authenticator: int = 0

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def of(self, code: int) -> list[Received]:
        return [r for r in self.received if r.code == code]

    def serve(self) -> None:
        while True:
            try:
                packet, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            code, identifier, length = struct.unpack("!BBH", packet[:4])
            authenticator, attributes = packet[4:20], packet[20:length]
            # RFC 5176 §2.3: MD5(Code + Identifier + Length + 16 zero octets + attributes
            # + secret); a request that does not match is silently discarded.
            expected = hashlib.md5(  # noqa: S324 - RADIUS's own construction
                packet[:4] + bytes(16) + attributes + self.secret
            ).digest()
            if expected != authenticator:
                self.bad_authenticator += 1
                continue
            self.received.append(Received(code, parse_attributes(attributes)))
            mode = self.answers.get(code, self.answer)
            if mode == "silent":
                continue
            reply_code = {
                (DISCONNECT_REQUEST, "ack"): DISCONNECT_ACK,
                (DISCONNECT_REQUEST, "nak"): DISCONNECT_NAK,
                (COA_REQUEST, "ack"): COA_ACK,
                (COA_REQUEST, "nak"): COA_NAK,
            }[(code, mode)]
            reply_attributes = b""
            if mode == "nak":  # Error-Cause 503: Session Context Not Found
                reply_attributes = struct.pack("!BBI", ERROR_CAUSE, 6, 503)
            header = struct.pack("!BBH", reply_code, identifier, 20 + len(reply_attributes))
            signature = hashlib.md5(  # noqa: S324
                header + authenticator + reply_attributes + self.secret
            ).digest()
            self.sock.sendto(header + signature + reply_attributes, peer)


@pytest.fixture
def nas_stand_in(radius):
    """The stand-in, and the loopback NAS row pointing its CoA port at it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    stand_in = NasStandIn(secret=SECRET.encode(), sock=sock)
    thread = threading.Thread(target=stand_in.serve, daemon=True)
    thread.start()
    Nas.objects.filter(nasname="127.0.0.1").update(coa_port=stand_in.port)
    yield stand_in
    sock.close()
    thread.join(timeout=2)


@pytest.fixture
def online(radius, subscriber):
    """An account logged in and online through FreeRADIUS: (account, credential, session)."""
    auth_port, acct_port = radius

    def make(status: str = "active", *, echo_class: bool = True, **credential_fields):  # type: ignore[no-untyped-def]
        account, credential = subscriber(status, **credential_fields)
        answer = radclient_send(
            server="127.0.0.1",
            port=auth_port,
            secret=SECRET,
            kind="auth",
            attributes={"User-Name": credential.login, "User-Password": credential.password},
        )
        assert answer.code == "Access-Accept"
        start = {
            "Acct-Status-Type": "Start",
            "User-Name": credential.login,
            "Acct-Session-Id": f"sess-{credential.login}",
            "NAS-IP-Address": "127.0.0.1",
            "Framed-IP-Address": credential_fields.get("static_ip") or "100.64.0.7",
        }
        if echo_class:
            start["Class"] = answer.first("Class") or ""
        reply = radclient_send(
            server="127.0.0.1", port=acct_port, secret=SECRET, kind="acct", attributes=start
        )
        assert reply.code == "Accounting-Response"
        return account, credential, RadAcct.objects.get(username=credential.login)

    return make


def stop(session: RadAcct) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE radacct SET acctstoptime = now() WHERE radacctid = %s", [session.pk])


def test_a_block_by_the_charge_run_disconnects(nas_stand_in, online):
    account, credential, session = online("active")
    assert session.policy_class == "abonent:full:50000/100000"  # echoed, stored
    assert sessions_reconcile(**FAST).sent == 0  # the session has what it should
    ledger = LedgerEntry.objects.count()

    result = charge_run(day=dt.date(2026, 11, 1))  # a 500 ₽ fee and no money: blocked
    assert result.blocked_accounts == 1
    result = sessions_reconcile(**FAST)
    assert (result.created, result.sent, result.acked) == (1, 1, 1)

    [request] = nas_stand_in.received
    assert request.code == DISCONNECT_REQUEST
    assert request.text(USER_NAME) == credential.login
    assert request.text(ACCT_SESSION_ID) == session.acctsessionid
    assert request.get(NAS_IP_ADDRESS) == [socket.inet_aton("127.0.0.1")]
    assert request.get(FRAMED_IP_ADDRESS) == [socket.inet_aton("100.64.0.7")]
    assert nas_stand_in.bad_authenticator == 0
    change = SessionChange.objects.get()
    assert (change.kind, change.reason, change.state) == ("disconnect", "blocked", "acked")
    assert (change.granted_class, change.target_class) == (
        "abonent:full:50000/100000",
        "abonent:restricted",
    )
    assert change.account_id == account.pk and change.finished_at is not None
    assert LedgerEntry.objects.count() == ledger  # nothing about money

    # Idempotent: the NAS acknowledged; until it reports the stop nothing more is sent.
    assert sessions_reconcile(**FAST).sent == 0
    assert len(nas_stand_in.received) == 1


def test_a_payment_that_unblocks_disconnects_into_full_access(nas_stand_in, online):
    account, credential, session = online("blocked")
    assert session.policy_class == "abonent:restricted"
    ledger_post(account_id=account.pk, kind="payment", amount_kop=200_000)
    account.refresh_from_db()
    assert account.status == "active"
    assert sessions_reconcile(**FAST).acked == 1
    [request] = nas_stand_in.received
    assert request.code == DISCONNECT_REQUEST and request.text(USER_NAME) == credential.login
    assert SessionChange.objects.get().reason == "unblocked"


@pytest.mark.parametrize(
    ("nas_type", "attribute", "values"),
    [
        ("mikrotik", MIKROTIK_RATE_LIMIT, [b"60000k/120000k"]),
        ("accel-ppp", FILTER_ID, [b"120000/60000"]),
        (
            "cisco",
            CISCO_AVPAIR,
            [
                b"lcp:interface-config#1=rate-limit output 120000000 15000000 15000000 "
                b"conform-action transmit exceed-action drop",
                b"lcp:interface-config#2=rate-limit input 60000000 7500000 7500000 "
                b"conform-action transmit exceed-action drop",
            ],
        ),
    ],
)
def test_a_new_speed_is_a_coa_with_the_nas_types_attributes(
    nas_stand_in, online, nas_type, attribute, values
):
    account, credential, session = online("active")
    tariff = account.tariff
    tariff.download_kbps, tariff.upload_kbps = 120_000, 60_000  # staff edit the speed
    tariff.save(update_fields=["download_kbps", "upload_kbps"])

    assert sessions_reconcile(**FAST).acked == 1
    [request] = nas_stand_in.received
    assert request.code == COA_REQUEST
    assert request.text(USER_NAME) == credential.login
    assert request.text(ACCT_SESSION_ID) == session.acctsessionid
    assert request.get(attribute) == values
    change = SessionChange.objects.get()
    assert (change.kind, change.reason, change.state) == ("coa", "speed", "acked")
    session.refresh_from_db()
    assert session.policy_class == "abonent:full:60000/120000"  # the session has it now
    assert sessions_reconcile(**FAST).sent == 0
    assert len(nas_stand_in.received) == 1


def test_a_refused_coa_falls_back_to_disconnect(nas_stand_in, online):
    account, _credential, session = online("active")
    nas_stand_in.answers[COA_REQUEST] = "nak"
    tariff = account.tariff
    tariff.download_kbps = 200_000
    tariff.save(update_fields=["download_kbps"])

    result = sessions_reconcile(**FAST)
    assert (result.naked, result.acked) == (1, 1)
    assert [r.code for r in nas_stand_in.received] == [COA_REQUEST, DISCONNECT_REQUEST]
    coa_change, disconnect = SessionChange.objects.order_by("id")
    assert (coa_change.kind, coa_change.state) == ("coa", "naked")
    assert "CoA-NAK" in coa_change.last_error
    assert (disconnect.kind, disconnect.state, disconnect.reason) == (
        "disconnect",
        "acked",
        "speed",
    )
    session.refresh_from_db()
    assert session.policy_class == "abonent:full:50000/100000"  # the CoA did not happen
    assert sessions_reconcile(**FAST).sent == 0


def test_a_silent_nas_is_retried_then_failed_and_money_stays(nas_stand_in, online):
    account, _credential, _session = online("active")
    nas_stand_in.answer = "silent"
    account.status = "suspended"  # paused
    account.save(update_fields=["status"])
    balance, ledger = account.balance_kop, LedgerEntry.objects.count()

    result = sessions_reconcile(**FAST)
    assert (result.sent, result.retrying) == (1, 1)
    change = SessionChange.objects.get()
    assert (change.state, change.attempts, change.reason) == ("pending", 1, "not_allowed")
    assert change.next_attempt_at > change.created_at + dt.timedelta(seconds=5)  # backoff
    assert "no answer" in change.last_error
    assert sessions_reconcile(**FAST).sent == 0  # not due yet: nothing sent twice
    assert len(nas_stand_in.received) == TRIES

    for attempt in range(2, coa.MAX_ATTEMPTS + 1):
        SessionChange.objects.update(next_attempt_at=change.created_at)  # the wait is over
        sessions_reconcile(**FAST)
        change.refresh_from_db()
        assert change.attempts == attempt
    assert change.state == "failed" and change.finished_at is not None
    assert len(nas_stand_in.received) == coa.MAX_ATTEMPTS * TRIES
    SessionChange.objects.update(next_attempt_at=change.created_at)
    assert sessions_reconcile(**FAST).sent == 0  # failed: not asked again at once
    account.refresh_from_db()
    assert account.balance_kop == balance and LedgerEntry.objects.count() == ledger


def fail_long_ago(**filters) -> None:
    """The failed requests finished RETRY_FAILED_AFTER (and a minute) ago."""
    SessionChange.objects.filter(state="failed", **filters).update(
        finished_at=timezone.now() - coa.RETRY_FAILED_AFTER - dt.timedelta(minutes=1)
    )


def test_after_a_long_outage_the_session_is_asked_again(nas_stand_in, online):
    """A router unreachable for longer than the retries: its failed request does not leave a
    blocked subscriber online for good; a new one goes out after RETRY_FAILED_AFTER while the
    session stays out of date."""
    account, credential, _session = online("active")
    nas_stand_in.answer = "silent"
    account.status = "blocked"
    account.save(update_fields=["status"])
    for _attempt in range(coa.MAX_ATTEMPTS):
        SessionChange.objects.filter(state="pending").update(next_attempt_at=timezone.now())
        sessions_reconcile(**FAST)
    first = SessionChange.objects.get()
    assert first.state == "failed"
    assert sessions_reconcile(**FAST).created == 0  # not yet

    fail_long_ago()
    result = sessions_reconcile(**FAST)  # still silent: a new request, retried as the first
    assert (result.created, result.sent, result.retrying) == (1, 1, 1)
    nas_stand_in.answer = "ack"  # the router is back
    SessionChange.objects.filter(state="pending").update(next_attempt_at=timezone.now())
    assert sessions_reconcile(**FAST).acked == 1
    first.refresh_from_db()
    assert first.state == "failed"  # its history stays
    second = SessionChange.objects.exclude(pk=first.pk).get()
    assert (second.kind, second.reason, second.state, second.target_class) == (
        "disconnect",
        "blocked",
        "acked",
        "abonent:restricted",
    )
    assert nas_stand_in.of(DISCONNECT_REQUEST)[-1].text(USER_NAME) == credential.login
    fail_long_ago()
    assert sessions_reconcile(**FAST).created == 0  # acknowledged: nothing more


def test_no_new_request_for_a_session_that_ended_or_was_put_right(nas_stand_in, online):
    ended, _c1, ended_session = online("active")
    paid, _c2, _s2 = online("active")
    nas_stand_in.answer = "silent"
    for account in (ended, paid):
        account.status = "blocked"
        account.save(update_fields=["status"])
    for _attempt in range(coa.MAX_ATTEMPTS):
        SessionChange.objects.filter(state="pending").update(next_attempt_at=timezone.now())
        sessions_reconcile(**FAST)
    assert set(SessionChange.objects.values_list("state", flat=True)) == {"failed"}
    stop(ended_session)  # the router's Stop came in
    paid.status = "active"  # and the other one paid: its session has what it should
    paid.save(update_fields=["status"])
    fail_long_ago()
    assert sessions_reconcile(**FAST).created == 0


def test_a_refused_coa_whose_disconnect_failed_is_asked_again_as_a_disconnect(nas_stand_in, online):
    account, _credential, _session = online("active")
    nas_stand_in.answers[COA_REQUEST] = "nak"
    nas_stand_in.answers[DISCONNECT_REQUEST] = "silent"
    tariff = account.tariff
    tariff.download_kbps = 200_000
    tariff.save(update_fields=["download_kbps"])
    for _attempt in range(coa.MAX_ATTEMPTS):
        SessionChange.objects.filter(state="pending").update(next_attempt_at=timezone.now())
        sessions_reconcile(**FAST)
    assert sorted(SessionChange.objects.values_list("kind", "state")) == [
        ("coa", "naked"),
        ("disconnect", "failed"),
    ]
    fail_long_ago()
    nas_stand_in.answers[DISCONNECT_REQUEST] = "ack"
    result = sessions_reconcile(**FAST)
    assert (result.created, result.acked) == (1, 1)
    newest = SessionChange.objects.order_by("-id").first()
    assert (newest.kind, newest.reason, newest.state) == ("disconnect", "speed", "acked")
    assert len(nas_stand_in.of(COA_REQUEST)) == 1  # the CoA the router refused is not re-sent


def test_a_dead_nas_is_asked_once_per_round_for_all_its_sessions(nas_stand_in, online):
    first, _c1, _s1 = online("active")
    second, _c2, _s2 = online("active")
    nas_stand_in.answer = "silent"
    for account in (first, second):
        account.status = "closed"
        account.save(update_fields=["status"])
    result = sessions_reconcile(**FAST)  # one radclient run, both requests in flight at once
    assert (result.sent, result.retrying) == (2, 2)
    assert len(nas_stand_in.received) == 2 * TRIES
    assert sorted(SessionChange.objects.values_list("attempts", flat=True)) == [1, 1]
    assert sessions_reconcile(**FAST).sent == 0


def test_many_sessions_of_one_nas_in_one_round(nas_stand_in, online):
    accounts = [online("active")[0] for _ in range(5)]
    nas_stand_in.answers[COA_REQUEST] = "nak"  # every CoA refused: a Disconnect each
    for account in accounts:
        tariff = account.tariff
        tariff.upload_kbps = 70_000
        tariff.save(update_fields=["upload_kbps"])
    result = sessions_reconcile(**FAST)
    assert (result.created, result.naked, result.acked) == (5, 5, 5)
    coas = nas_stand_in.of(COA_REQUEST)
    disconnects = nas_stand_in.of(DISCONNECT_REQUEST)
    assert len(coas) == len(disconnects) == 5
    assert {r.text(ACCT_SESSION_ID) for r in coas} == {r.text(ACCT_SESSION_ID) for r in disconnects}
    for change in SessionChange.objects.filter(kind="coa"):
        assert change.last_error == "CoA-NAK: Session-Context-Not-Found"


def test_stopped_sessions_get_nothing(nas_stand_in, online):
    account, _credential, session = online("active")
    stop(session)
    account.status = "blocked"
    account.save(update_fields=["status"])
    assert sessions_reconcile(**FAST).created == 0
    assert nas_stand_in.received == []


def test_a_request_no_longer_needed_is_cancelled(nas_stand_in, online):
    account, _credential, session = online("active")
    account.status = "blocked"
    account.save(update_fields=["status"])
    assert coa.sessions_changes_detect() == 1
    account.status = "active"  # paid before the worker's round
    account.save(update_fields=["status"])
    result = coa.session_changes_deliver(**FAST)
    assert result.cancelled == 1 and nas_stand_in.received == []
    assert SessionChange.objects.get().state == "cancelled"
    # Blocked again later: a new request, not hidden by the cancelled one.
    account.status = "blocked"
    account.save(update_fields=["status"])
    assert sessions_reconcile(**FAST).acked == 1
    assert len(nas_stand_in.received) == 1


def test_sessions_without_our_class_are_left_alone(nas_stand_in, online):
    account, _credential, session = online("active")
    with connection.cursor() as cursor:  # e.g. started before Abonent sent a Class
        cursor.execute("UPDATE radacct SET class = NULL WHERE radacctid = %s", [session.pk])
    account.status = "blocked"
    account.save(update_fields=["status"])
    assert sessions_reconcile(**FAST).created == 0
    assert nas_stand_in.received == []


def test_a_nas_that_drops_class_gets_the_accepts_class(online):
    _account, _credential, session = online("active", echo_class=False, static_ip="10.1.0.5")
    assert session.policy_class == "abonent:full:50000/100000:10.1.0.5"


def test_a_changed_static_ip_disconnects(nas_stand_in, online):
    _account, credential, _session = online("active", static_ip="10.1.0.5")
    credential.static_ip = "10.1.0.6"
    credential.save(update_fields=["static_ip"])
    assert sessions_reconcile(**FAST).acked == 1
    change = SessionChange.objects.get()
    assert (change.kind, change.reason) == ("disconnect", "address")
    assert change.target_class == "abonent:full:50000/100000:10.1.0.6"


def test_staff_disconnect_one_session(nas_stand_in, online, django_user_model, monkeypatch):
    _account, credential, session = online("active")
    staff = django_user_model.objects.create_user(username="engineer", password="x")
    change = session_disconnect(radacct_id=session.pk, actor=staff)
    assert (change.kind, change.reason, change.state) == ("disconnect", "staff", "acked")
    assert change.actor == staff
    [request] = nas_stand_in.received
    assert request.code == DISCONNECT_REQUEST and request.text(USER_NAME) == credential.login
    audit = AuditEntry.objects.get(action="network.session_disconnect")
    assert audit.actor == staff and audit.after["acct_session_id"] == session.acctsessionid
    # Once more is allowed (the NAS may not have reported the stop yet).
    assert session_disconnect(radacct_id=session.pk, actor=staff).state == "acked"
    # A silent NAS: left pending for the worker to retry.
    nas_stand_in.answer = "silent"
    monkeypatch.setattr(coa, "SEND_TIMEOUT", 0.5)
    change = session_disconnect(radacct_id=session.pk, actor=staff)
    assert (change.state, change.attempts) == ("pending", 1)
    stop(session)
    with pytest.raises(ApplicationError):
        session_disconnect(radacct_id=session.pk, actor=staff)


def test_the_command_runs_one_round(nas_stand_in, online):
    account, _credential, _session = online("active")
    account.status = "blocked"
    account.save(update_fields=["status"])
    out = StringIO()
    call_command("radius_sync", stdout=out, timeout=0.5, tries=2)
    assert "1 new, 1 sent: 1 done" in out.getvalue()
    assert len(nas_stand_in.received) == 1


def test_reconcile_is_one_query_whatever_the_number_of_sessions(
    nas_stand_in, online, django_assert_max_num_queries
):
    for _ in range(3):
        online("active")
    with django_assert_max_num_queries(1):
        assert coa.sessions_changes_detect() == 0


def test_an_unknown_nas_is_logged_not_sent(nas_stand_in, online):
    account, _credential, _session = online("active")
    Nas.objects.update(nasname="127.0.0.9")
    account.status = "blocked"
    account.save(update_fields=["status"])
    result = sessions_reconcile(**FAST)
    assert result.failed == 1 and nas_stand_in.received == []
    assert "no NAS 127.0.0.1" in SessionChange.objects.get().last_error


def test_the_stand_in_checks_the_authenticator(nas_stand_in):
    packet = [("User-Name", "u"), ("Acct-Session-Id", "s")]
    send = {"server": "127.0.0.1", "port": nas_stand_in.port, "kind": "disconnect"}
    [answer] = radclient_send_many(secret=SECRET, packets=[packet], **send, **FAST_RADCLIENT)
    assert answer is not None and answer.code == "Disconnect-ACK"  # radclient checked ours
    assert radclient_send_many(
        secret="not-the-secret", packets=[packet], **send, **FAST_RADCLIENT
    ) == [None]
    assert nas_stand_in.bad_authenticator == TRIES and len(nas_stand_in.received) == 1
