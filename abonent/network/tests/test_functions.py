"""The look-up functions FreeRADIUS calls (migration 0005) answer as the views (PostgreSQL only).

The views stay the reference (documentation, staff, third-party tools); the functions read the
tables directly with plans kept per connection. Here every status, MAC binding, static IP, tariff
with and without speeds and every NAS type is asked of both.
"""

from __future__ import annotations

import itertools

import pytest
from django.db import connection, transaction

from abonent.accounts.tests.factories import AccountFactory
from abonent.catalogue.tests.factories import TariffFactory
from abonent.network.models import NasType, RadPostAuth, ReplyTemplate
from abonent.network.services import credential_create, reply_templates_ensure

from .conftest import needs_postgres

pytestmark = needs_postgres

Row = tuple[int, str, str, str]  # id, attribute, op, value


def query(sql: str, params: list[str]) -> list[tuple]:  # type: ignore[type-arg]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def view_rows(view: str, login: str, nas_type: str | None = None) -> list[Row]:
    """As the stock queries read a view (the reply's rows of the NAS type and of all types)."""
    where, params = "UserName = %s", [login]
    if nas_type is not None:
        where, params = where + " AND NASType IN ('', %s)", [login, nas_type]
    rows = query(f"SELECT id, Attribute, Op, Value FROM {view} WHERE {where}", params)  # noqa: S608
    return sorted(rows)  # the view's ORDER BY id ties the speed rows: compare them sorted


def function_rows(function: str, *args: str) -> list[Row]:
    marks = ", ".join(["%s"] * len(args))
    sql = f"SELECT id, UserName, Attribute, Op, Value FROM {function}({marks})"  # noqa: S608
    rows = query(sql, list(args))
    assert all(row[1] == args[0] for row in rows)
    ids = [row[0] for row in rows]
    assert ids == sorted(ids), "rows in id order, as rlm_sql's ORDER BY id gave them"
    return [(row[0], row[2], row[3], row[4]) for row in rows]


@pytest.fixture
def logins(db) -> list[str]:
    """A network login for each status × MAC × static IP, on a tariff with speeds, and a few
    on a tariff without."""
    reply_templates_ensure()
    ReplyTemplate.objects.create(nas_type="mikrotik", attribute="Filter-Id", value="{up_bytes}")
    made = []
    fast = TariffFactory(download_kbps=100_000, upload_kbps=50_000)
    unlimited = TariffFactory(download_kbps=None, upload_kbps=None)
    statuses = ["active", "blocked", "new", "suspended", "closed"]
    variants = itertools.product(statuses, (False, True), (False, True))
    for n, (status, mac, ip) in enumerate(variants):
        for tariff in (fast, unlimited) if mac == ip else (fast,):
            credential = credential_create(account=AccountFactory(tariff=tariff, status=status))
            credential.mac = f"AA-BB-CC-DD-EE-{n:02X}" if mac else ""
            credential.static_ip = f"10.9.{tariff.pk % 200}.{n + 1}" if ip else None
            credential.save()
            made.append(credential.login)
    return made


def test_radcheck_of_is_the_radcheck_view(logins):
    seen = set()
    for login in [*logins, "no-such-login", "o'brien"]:
        rows = function_rows("radcheck_of", login)
        assert rows == view_rows("radcheck", login), login
        seen |= {row[1] for row in rows}
    assert seen == {"Cleartext-Password", "Auth-Type", "Abonent-Reason", "Abonent-MAC"}


def test_radreply_of_is_the_radreply_view_plus_fall_through_for_the_blocked(logins):
    blocked = set(query("SELECT username FROM abonent_policy WHERE status = 'blocked'", []))
    nas_types = [*NasType.values, "", "no-such-type"]
    seen = set()
    for login, nas_type in itertools.product([*logins, "no-such-login"], nas_types):
        rows = function_rows("radreply_of", login, nas_type)
        seen |= {row[1] for row in rows} | {row[3] for row in rows if row[1] == "Class"}
        fall_through = [row for row in rows if row[1] == "Fall-Through"]
        if (login,) in blocked:  # what sends a blocked account to the group restricted
            assert [row[1:] for row in fall_through] == [("Fall-Through", "=", "Yes")]
        else:
            assert fall_through == []
        rest = [row for row in rows if row[1] != "Fall-Through"]
        assert sorted(rest) == view_rows("radreply", login, nas_type), (login, nas_type)
    assert {"Framed-IP-Address", "Mikrotik-Rate-Limit", "Filter-Id", "Cisco-AVPair"} < seen
    assert {"abonent:full:-", "abonent:full:50000/100000", "abonent:restricted"} < seen
    assert any(value.startswith("abonent:full:-:10.9.") for value in seen)
    # The speed rows keep their templates' order (Cisco's #1 before #2).
    active = query("SELECT username FROM abonent_policy WHERE status = 'active'", [])[0][0]
    cisco = [row[3] for row in function_rows("radreply_of", active, "cisco")][:2]
    assert [value.split("=")[0] for value in cisco] == [
        "lcp:interface-config#1",
        "lcp:interface-config#2",
    ]


def test_radusergroup_of_is_the_radusergroup_view(logins):
    for login in [*logins, "no-such-login"]:
        view = query("SELECT GroupName FROM radusergroup WHERE UserName = %s", [login])
        assert query("SELECT GroupName FROM radusergroup_of(%s)", [login]) == view


@pytest.mark.django_db(transaction=True)
def test_radpostauth_log_commits_without_waiting_for_the_flush():
    arguments = ["20001", "Access-Reject", None, "2026-11-26 10:00:00.250", "blocked", None]
    with transaction.atomic():
        query("SELECT radpostauth_log(%s, %s, %s, %s, %s, %s)", arguments)
        # for this transaction (this statement, when rlm_sql sends it alone) only
        assert query("SELECT current_setting('synchronous_commit')", []) == [("off",)]
    assert query("SELECT current_setting('synchronous_commit')", []) == [("on",)]
    row = RadPostAuth.objects.get(username="20001")
    assert (row.reply, row.reason, row.callingstationid, row.policy_class) == (
        "Access-Reject",
        "blocked",
        None,
        None,
    )
    assert row.authdate.microsecond == 250_000
    RadPostAuth.objects.all().delete()


@pytest.mark.django_db
def test_only_granted_roles_run_them():
    """They run with their owner's rights (FreeRADIUS's role needs no grant on the tables), so
    nobody may run them without an explicit GRANT: radcheck_of returns passwords."""
    rows = query(
        """SELECT p.proname, p.prosecdef, p.proacl IS NOT NULL,
                  EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0)
             FROM pg_proc p
            WHERE p.proname IN ('radcheck_of', 'radreply_of', 'radusergroup_of',
                                'radpostauth_log')
            ORDER BY p.proname""",
        [],
    )
    assert rows == [
        (name, True, True, False)
        for name in ("radcheck_of", "radpostauth_log", "radreply_of", "radusergroup_of")
    ]
