"""End to end: the generated configuration in a real FreeRADIUS 3 on loopback, asked by radclient.

The daemon runs on free non-standard ports against the test database (so the test commits:
``transactional_db``) and is killed at teardown. Without FreeRADIUS the test is skipped,
except in CI (``CI=true``) where that is a failure.
"""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from abonent.billing.services.posting import ledger_post
from abonent.network.models import RadAcct, RadPostAuth
from abonent.network.radclient import radclient_send

from .conftest import SECRET, needs_postgres

pytestmark = needs_postgres


def auth(port: int, login: str, password: str, *, chap: bool = False, **extra):
    attributes = {"User-Name": login, ("CHAP-Password" if chap else "User-Password"): password}
    attributes.update(extra)
    return radclient_send(
        server="127.0.0.1", port=port, secret=SECRET, kind="auth", attributes=attributes
    )


def last_reason(login: str) -> tuple[str, str | None]:
    row = RadPostAuth.objects.filter(username=login).order_by("-id").first()
    assert row is not None, f"no radpostauth row for {login}"
    return row.reply, row.reason


def test_money_decides_who_gets_online(radius, subscriber):
    auth_port, acct_port = radius

    _account, active = subscriber("active", static_ip="10.1.0.9")
    answer = auth(auth_port, active.login, active.password)
    assert answer.code == "Access-Accept"
    assert answer.first("Mikrotik-Rate-Limit") == "50000k/100000k"
    assert answer.first("Framed-IP-Address") == "10.1.0.9"
    granted = answer.first("Class")  # the policy, echoed by the NAS in accounting
    assert bytes.fromhex(granted[2:]) == b"abonent:full:50000/100000:10.1.0.9"
    assert last_reason(active.login) == ("Access-Accept", None)
    assert auth(auth_port, active.login, active.password, chap=True).code == "Access-Accept"

    assert auth(auth_port, active.login, "wrong-password").code == "Access-Reject"
    assert last_reason(active.login) == ("Access-Reject", "wrong_password")
    assert auth(auth_port, "no-such-login", "x").code == "Access-Reject"
    assert last_reason("no-such-login") == ("Access-Reject", "unknown_login")

    for status in ("new", "suspended", "closed"):
        _account, credential = subscriber(status)
        assert auth(auth_port, credential.login, credential.password).code == "Access-Reject"
        assert last_reason(credential.login) == ("Access-Reject", status)

    _account, bound = subscriber("active", mac="AA-BB-CC-DD-EE-FF")
    ok = auth(auth_port, bound.login, bound.password, **{"Calling-Station-Id": "aa:bb:cc:dd:ee:ff"})
    assert ok.code == "Access-Accept"
    other = {"Calling-Station-Id": "aa:bb:cc:dd:ee:00"}
    assert auth(auth_port, bound.login, bound.password, **other).code == "Access-Reject"
    assert last_reason(bound.login) == ("Access-Reject", "mac_mismatch")

    blocked_account, blocked = subscriber("blocked")
    answer = auth(auth_port, blocked.login, blocked.password)
    assert answer.code == "Access-Accept"
    assert answer.first("Mikrotik-Address-List") == "abonent-blocked"
    assert answer.first("Mikrotik-Rate-Limit") == "1024k/1024k"
    assert last_reason(blocked.login) == ("Access-Accept", "blocked")
    assert auth(auth_port, blocked.login, "wrong").code == "Access-Reject"
    assert last_reason(blocked.login) == ("Access-Reject", "wrong_password")

    # A payment unblocks at once: the very next request is a full accept.
    ledger_post(account_id=blocked_account.pk, kind="payment", amount_kop=200_000)
    blocked_account.refresh_from_db()
    assert blocked_account.status == "active"
    answer = auth(auth_port, blocked.login, blocked.password)
    assert answer.code == "Access-Accept"
    assert answer.first("Mikrotik-Rate-Limit") == "50000k/100000k"
    assert answer.first("Mikrotik-Address-List") is None

    # Accounting start / interim / stop fill radacct.
    session = {
        "User-Name": active.login,
        "Acct-Session-Id": "81000001",
        "NAS-IP-Address": "127.0.0.1",
        "NAS-Port-Id": "ether2",
        "Framed-IP-Address": "10.1.0.9",
        "Calling-Station-Id": "aa:bb:cc:dd:ee:01",
        "Class": granted,
    }
    steps = [("Start", 0, 0, 0), ("Interim-Update", 60, 1_000, 50_000)]
    steps.append(("Stop", 120, 3_000, 250_000))
    for status, seconds, octets_in, octets_out in steps:
        packet = dict(session, **{"Acct-Status-Type": status, "Acct-Session-Time": seconds})
        packet.update({"Acct-Input-Octets": octets_in, "Acct-Output-Octets": octets_out})
        answer = radclient_send(
            server="127.0.0.1", port=acct_port, secret=SECRET, kind="acct", attributes=packet
        )
        assert answer.code == "Accounting-Response"
        row = RadAcct.objects.get(username=active.login)
        assert row.acctinputoctets == octets_in
        assert row.acctoutputoctets == octets_out
        assert (row.acctstoptime is not None) == (status == "Stop")
    assert row.framedipaddress == "10.1.0.9"
    assert row.acctsessiontime == 120
    assert row.callingstationid == "AA-BB-CC-DD-EE-01"
    assert row.policy_class == "abonent:full:50000/100000:10.1.0.9"
    accepted = RadPostAuth.objects.filter(username=active.login, reply="Access-Accept")
    assert accepted.order_by("-id").first().policy_class == "abonent:full:50000/100000:10.1.0.9"


def test_radius_check_reports_in_one_line(radius, subscriber):
    auth_port, _acct_port = radius
    _account, active = subscriber("active")
    _account, closed = subscriber("closed")
    out = StringIO()
    call_command("radius_check", port=auth_port, login=active.login, stdout=out)
    line = out.getvalue().strip()
    assert "\n" not in line
    assert line.startswith(f"Access-Accept from 127.0.0.1:{auth_port} for {active.login} in ")
    assert "Mikrotik-Rate-Limit = 50000k/100000k" in line
    assert line.endswith("Class = abonent:full:50000/100000")  # shown as text
    with pytest.raises(CommandError, match="Access-Reject .* \\(reason: closed\\)"):
        call_command("radius_check", port=auth_port, login=closed.login, chap=True)


@pytest.mark.parametrize(
    ("nas_type", "expected"),
    [
        ("mikrotik", {"Mikrotik-Rate-Limit": ["50000k/100000k"]}),
        ("accel-ppp", {"Filter-Id": ["100000/50000"]}),
        (
            "cisco",
            {
                "Cisco-AVPair": [
                    "lcp:interface-config#1=rate-limit output 100000000 12500000 12500000 "
                    "conform-action transmit exceed-action drop",
                    "lcp:interface-config#2=rate-limit input 50000000 6250000 6250000 "
                    "conform-action transmit exceed-action drop",
                ]
            },
        ),
        (
            "juniper",
            {
                "ERX-Egress-Policy-Name": ["abonent-down-100000k"],
                "ERX-Ingress-Policy-Name": ["abonent-up-50000k"],
            },
        ),
    ],
)
def test_each_nas_type_gets_its_speed_attributes(radius, subscriber, nas_type, expected):
    auth_port, _acct_port = radius
    _account, active = subscriber("active", static_ip="10.1.0.4")
    answer = auth(auth_port, active.login, active.password)
    assert answer.code == "Access-Accept"
    speed = {k: v for k, v in answer.attributes.items() if k not in ("Class", "Framed-IP-Address")}
    assert speed == expected
    assert answer.first("Framed-IP-Address") == "10.1.0.4"
    assert answer.first("Class") == "0x" + b"abonent:full:50000/100000:10.1.0.4".hex()


def sql_sent(log: Path, login: str) -> list[str]:
    """The SQL FreeRADIUS sent for the last request of ``login``, from its ``-X`` log."""
    requests: dict[str, list[str]] = {}
    last = ""
    for line in log.read_text().splitlines():
        number, _sep, rest = line.partition(") ")
        if not number.startswith("("):
            continue
        if f'User-Name = "{login}"' in rest and "Received Access-Request" in "".join(
            requests.get(number, [])
        ):
            last = number
        if "Received Access-Request" in rest:
            requests[number] = [rest]
        elif "Executing select query: " in rest or "Executing query: " in rest:
            requests.setdefault(number, []).append(rest.split("query: ", 1)[1])
    assert last, f"no request of {login} in the log"
    return requests[last][1:]


def test_one_round_trip_per_look_up_and_groups_only_for_the_blocked(radius, radius_log, subscriber):
    """rlm_sql 3.2 with read_groups = no reads groups only after a reply with
    Fall-Through = Yes: the active pay for two look-ups and the log row, the blocked for the
    group's three queries more; every look-up is a function call (a kept plan)."""
    auth_port, _acct_port = radius
    _account, active = subscriber("active")
    _account, blocked = subscriber("blocked")
    _account, new = subscriber("new")
    assert auth(auth_port, active.login, active.password).code == "Access-Accept"
    answer = auth(auth_port, blocked.login, blocked.password)
    assert answer.code == "Access-Accept"
    assert answer.first("Mikrotik-Address-List") == "abonent-blocked"
    assert answer.first("Fall-Through") is None  # internal: never on the wire
    assert auth(auth_port, new.login, new.password).code == "Access-Reject"
    assert auth(auth_port, "nobody-at-all", "x").code == "Access-Reject"

    def calls(login: str) -> list[str]:
        """What each query called or read: ``SELECT f(…)``, or the function or view after FROM."""
        found = []
        for query in sql_sent(radius_log, login):
            match = re.match(r"SELECT\s+(\w+)\(", query) or re.search(r"\bFROM\s+(\w+)", query)
            assert match is not None, query
            found.append(match.group(1))
        return found

    assert calls(active.login) == ["radcheck_of", "radreply_of", "radpostauth_log"]
    assert calls(blocked.login) == [
        "radcheck_of",
        "radreply_of",
        "radusergroup_of",
        "radgroupcheck",
        "radgroupreply",
        "radpostauth_log",
    ]
    assert calls(new.login) == ["radcheck_of", "radreply_of", "radpostauth_log"]
    assert calls("nobody-at-all") == ["radcheck_of", "radpostauth_log"]
    # The answer's time is right whatever the zones: this FreeRADIUS runs with Django's
    # TZ=Europe/Moscow, the database session in UTC (the stock '%S' was 3 hours off here).
    logged = RadPostAuth.objects.get(username=active.login).authdate
    assert abs(logged - timezone.now()) < dt.timedelta(minutes=1)
