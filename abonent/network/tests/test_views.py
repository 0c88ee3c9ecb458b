"""The FreeRADIUS views' policy, read as rlm_sql reads them (PostgreSQL only)."""

from __future__ import annotations

import pytest
from django.db import connection

from abonent.network.models import Nas, ReplyTemplate
from abonent.network.services import group_defaults_ensure

from .conftest import needs_postgres

pytestmark = [pytest.mark.django_db, needs_postgres]


def rows(table: str, user: str, nas_type: str = "mikrotik") -> list[tuple[str, str, str]]:
    """(attribute, op, value) of a user, as rlm_sql's authorize queries select them (the reply
    query of the generated configuration keeps the rows of the asking NAS's type)."""
    where = "UserName = %s"
    params = [user]
    if table == "radreply":
        where += " AND NASType IN ('', %s)"
        params.append(nas_type)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT Attribute, Op, Value FROM {table} WHERE {where} ORDER BY id, value",  # noqa: S608
            params,
        )
        return list(cursor.fetchall())


def groups(user: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT GroupName FROM radusergroup WHERE UserName = %s ORDER BY priority", [user]
        )
        return [name for (name,) in cursor.fetchall()]


def test_active_gets_its_password_speed_and_static_ip(subscriber):
    _account, credential = subscriber("active", static_ip="10.1.0.7", mac="AA-BB-CC-DD-EE-FF")
    assert rows("radcheck", credential.login) == [
        ("Cleartext-Password", ":=", credential.password),
        ("Abonent-MAC", ":=", "AA-BB-CC-DD-EE-FF"),
    ]
    assert rows("radreply", credential.login) == [
        ("Mikrotik-Rate-Limit", ":=", "50000k/100000k"),
        ("Framed-IP-Address", ":=", "10.1.0.7"),
        ("Class", ":=", "abonent:full:50000/100000:10.1.0.7"),
    ]
    assert groups(credential.login) == []


def test_the_speed_attributes_follow_the_nas_type(subscriber):
    _account, credential = subscriber("active")
    speed = {
        nas_type: [row for row in rows("radreply", credential.login, nas_type) if row[0] != "Class"]
        for nas_type in ("mikrotik", "other", "accel-ppp", "cisco", "juniper")
    }
    assert speed["mikrotik"] == speed["other"] == [("Mikrotik-Rate-Limit", ":=", "50000k/100000k")]
    assert speed["accel-ppp"] == [("Filter-Id", ":=", "100000/50000")]
    assert speed["cisco"] == [
        (
            "Cisco-AVPair",
            "+=",
            "lcp:interface-config#1=rate-limit output 100000000 12500000 12500000 "
            "conform-action transmit exceed-action drop",
        ),
        (
            "Cisco-AVPair",
            "+=",
            "lcp:interface-config#2=rate-limit input 50000000 6250000 6250000 "
            "conform-action transmit exceed-action drop",
        ),
    ]
    assert speed["juniper"] == [
        ("ERX-Egress-Policy-Name", ":=", "abonent-down-100000k"),
        ("ERX-Ingress-Policy-Name", ":=", "abonent-up-50000k"),
    ]
    # The view and the CoA sender replace the placeholders alike.
    for template in ReplyTemplate.objects.all():
        assert (
            template.attribute,
            template.op,
            template.render(up_kbps=50_000, down_kbps=100_000),
        ) in speed[template.nas_type]


def test_the_class_names_the_policy(subscriber):
    def policy(login: str) -> str | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT class FROM abonent_policy WHERE username = %s", [login])
            row = cursor.fetchone()
        return row[0] if row else None

    account, credential = subscriber("active")
    assert policy(credential.login) == "abonent:full:50000/100000"
    account.status = "blocked"
    account.save(update_fields=["status"])
    assert policy(credential.login) == "abonent:restricted"
    assert rows("radreply", credential.login) == [("Class", ":=", "abonent:restricted")]
    for status in ("new", "suspended", "closed"):
        account.status = status
        account.save(update_fields=["status"])
        assert policy(credential.login) == "abonent:reject"
        assert rows("radreply", credential.login) == []
    assert policy("no-such-login") is None


def test_blocked_is_accepted_into_the_restricted_group(subscriber):
    group_defaults_ensure()
    _account, credential = subscriber("blocked", static_ip="10.1.0.8")
    assert rows("radcheck", credential.login) == [
        ("Cleartext-Password", ":=", credential.password),
        ("Abonent-Reason", ":=", "blocked"),
    ]
    # no tariff speed, no static IP: the Class says "restricted"
    assert rows("radreply", credential.login) == [("Class", ":=", "abonent:restricted")]
    assert groups(credential.login) == ["restricted"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT Attribute, Value FROM radgroupreply WHERE GroupName = 'restricted' ORDER BY id"
        )
        assert dict(cursor.fetchall())["Mikrotik-Address-List"] == "abonent-blocked"


@pytest.mark.parametrize("status", ["new", "suspended", "closed"])
def test_others_are_rejected_with_the_reason(subscriber, status):
    _account, credential = subscriber(status)
    assert rows("radcheck", credential.login) == [
        ("Auth-Type", ":=", "Reject"),
        ("Abonent-Reason", ":=", status),
    ]
    assert rows("radreply", credential.login) == []
    assert groups(credential.login) == []


def test_a_status_change_shows_at_once(subscriber):
    account, credential = subscriber("blocked")
    account.status = "active"
    account.save(update_fields=["status"])
    assert rows("radcheck", credential.login)[0][0] == "Cleartext-Password"
    assert groups(credential.login) == []


def test_the_lookup_never_reads_the_ledger(subscriber):
    _account, credential = subscriber("active")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is tiny
        for view in ("radcheck", "radreply", "radusergroup", "abonent_policy"):
            cursor.execute(
                f"EXPLAIN SELECT * FROM {view} WHERE UserName = %s",  # noqa: S608
                [credential.login],
            )
            plan = "\n".join(line for (line,) in cursor.fetchall())
            assert "ledger" not in plan
            assert "Subquery Scan" not in plan, plan  # the filter reached every branch
            assert "network_networkcredential_login" in plan, plan


def test_nas_view_has_the_client_columns():
    Nas.objects.create(nasname="10.0.0.1", shortname="bras1", type="mikrotik", secret="s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, nasname, shortname, type, secret, server FROM nas")
        assert [row[1:] for row in cursor.fetchall()] == [
            ("10.0.0.1", "bras1", "mikrotik", "s", None)
        ]


def test_radacct_and_radpostauth_indexes_are_those_abonent_reads_through():
    """Migration 0006: a login's sessions newest first through (UserName, AcctStartTime); no
    index that another one already covers (each costs every accounting write)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname FROM pg_indexes "
            "WHERE tablename IN ('radacct', 'radpostauth') ORDER BY 1, 2"
        )
        assert cursor.fetchall() == [
            ("radacct", "radacct_acctuniqueid_key"),
            ("radacct", "radacct_bulk_close"),
            ("radacct", "radacct_open_class_idx"),
            ("radacct", "radacct_pkey"),
            ("radacct", "radacct_start_user_idx"),
            ("radacct", "radacct_user_start_idx"),
            ("radpostauth", "radpostauth_pkey"),
            ("radpostauth", "radpostauth_username_idx"),
        ]
        # 1 000 logins with 20 sessions each, the newest open (planned on real statistics)
        cursor.execute(
            """INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress,
                   acctstarttime, acctstoptime, class)
               SELECT 's' || g, 'u' || g, (20000000 + g % 1000)::text, '10.0.0.1',
                      now() - (20000 - g) * interval '30 minutes',
                      CASE WHEN g <= 19000 THEN now() - (20000 - g) * interval '29 minutes' END,
                      'abonent:full:1/2'
                 FROM generate_series(1, 20000) g"""
        )
        cursor.execute("ANALYZE radacct")
        for sql in (
            # the account block's last session, the session history, the cabinet's 30 days
            "SELECT radacctid FROM radacct WHERE username = %s "
            "ORDER BY acctstarttime DESC, radacctid DESC LIMIT 1",
            "SELECT radacctid FROM radacct WHERE username = %s "
            "AND acctstarttime >= now() - interval '30 days'",
        ):
            cursor.execute(f"EXPLAIN {sql}", ["20000001"])
            plan = "\n".join(line for (line,) in cursor.fetchall())
            assert "radacct_user_start_idx" in plan, plan
        cursor.execute(
            "EXPLAIN SELECT radacctid FROM radacct WHERE username = %s AND acctstoptime IS NULL",
            ["20000001"],
        )
        assert "radacct_open_class_idx" in "\n".join(line for (line,) in cursor.fetchall())
