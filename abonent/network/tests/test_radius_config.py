"""``abonent radius-config``: what it writes, and its refusal on SQLite."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from abonent.network.radius_config import (
    RadiusConfigError,
    RadiusDatabase,
    radius_config_write,
)

has_freeradius = pytest.mark.skipif(
    not os.path.isfile("/etc/freeradius/3.0/radiusd.conf") and os.environ.get("CI") != "true",
    reason="FreeRADIUS 3 is not installed (/etc/freeradius/3.0 missing)",
)
DB = RadiusDatabase(host="db.example", port=5433, name="abonent", user="radius", password='p"w')


@has_freeradius
def test_writes_a_trimmed_configuration(tmp_path: Path):
    out = radius_config_write(
        out=tmp_path / "raddb", database=DB, auth_port=21812, acct_port=21813, listen="127.0.0.1"
    )
    assert sorted(p.name for p in (out / "sites-enabled").iterdir()) == ["abonent"]
    site = (out / "sites-enabled" / "abonent").read_text()
    assert "port = 21812" in site and "port = 21813" in site
    assert "ipaddr = 127.0.0.1" in site
    assert not (out / "mods-enabled" / "eap").exists()
    sql = (out / "mods-enabled" / "sql").read_text()
    assert 'driver = "rlm_sql_${dialect}"' in sql and 'dialect = "postgresql"' in sql
    assert 'server = "db.example"' in sql and "port = 5433" in sql
    assert 'radius_db = "abonent"' in sql and 'password = "p\\"w"' in sql
    assert "read_clients = yes" in sql
    radiusd = (out / "radiusd.conf").read_text()
    assert f"raddbdir = {out.resolve()}" in radiusd
    assert "\n\tuser = freerad" not in radiusd
    assert "Abonent-Reason" in (out / "dictionary").read_text()
    queries = (out / "mods-config/sql/main/postgresql/queries.conf").read_text()
    assert "%{control:Abonent-Reason}" in queries
    assert "User-Password" not in queries.split("post-auth {")[-1]  # no passwords logged
    # The Class (the policy granted) is stored with every session and every answer.
    assert 'column_name = ", Class"' in queries
    assert "packet_xlat = \", NULLIF('%{string:&Class}', '')\"" in queries
    assert "reply_xlat = \", NULLIF('%{string:&reply:Class}', '')\"" in queries
    assert "${....class.packet_xlat}" in queries.split("start {")[1]  # the stock queries use it
    # The look-ups call the functions of migration 0005 (plans kept per connection), the reply
    # rows those of the asking NAS's type; groups only after Fall-Through = Yes.
    for name, call in (
        ("authorize_check_query", "FROM radcheck_of('%{SQL-User-Name}')"),
        ("authorize_reply_query", "FROM radreply_of('%{SQL-User-Name}', '%{client:nas_type}')"),
        ("group_membership_query", "FROM radusergroup_of('%{SQL-User-Name}')"),
    ):
        assert queries.count(f"\n{name} = ") == 1
        assert call in queries.split(f"\n{name} = ")[1].split("\n\n")[0]
    live = "\n".join(line for line in queries.splitlines() if not line.lstrip().startswith("#"))
    assert "FROM ${authcheck_table}" not in live and "FROM ${authreply_table}" not in live
    assert "FROM ${groupreply_table}" in live  # the restricted group's rows: the view
    assert "read_groups = no" in sql
    post_auth = queries.split("post-auth {")[-1]
    assert "SELECT radpostauth_log(" in post_auth and "INSERT" not in post_auth
    assert "%{sql:SELECT class FROM radpostauth" in site  # a NAS that drops Class
    # A fixed pool of 8 threads and 8 connections (what measured best on two cores).
    for name, value in (("start_servers", 8), ("max_servers", 8), ("max_spare_servers", 8)):
        assert f"\t{name} = {value}\n" in radiusd
    for name in ("start", "min", "max", "spare"):
        assert f"\t\t{name} = 8\n" in sql
    assert "\t\tidle_timeout = 0\n" in sql  # the connections (and their plans) are kept


@has_freeradius
def test_threads_and_connections(tmp_path: Path):
    out = radius_config_write(out=tmp_path / "a", database=DB, threads=4, sql_pool=6)
    assert "\tmax_servers = 4\n" in (out / "radiusd.conf").read_text()
    assert "\t\tmax = 6\n" in (out / "mods-enabled" / "sql").read_text()
    with pytest.raises(RadiusConfigError, match="at least as many connections as threads"):
        radius_config_write(out=tmp_path / "b", database=DB, threads=8, sql_pool=4)


@has_freeradius
def test_refuses_a_non_empty_directory(tmp_path: Path):
    (tmp_path / "keep").write_text("x")
    with pytest.raises(RadiusConfigError, match="not empty"):
        radius_config_write(out=tmp_path, database=DB)
    radius_config_write(out=tmp_path, database=DB, force=True)
    assert not (tmp_path / "keep").exists()


def test_missing_freeradius_is_a_clear_error(tmp_path: Path):
    with pytest.raises(RadiusConfigError, match="apt-get install freeradius"):
        radius_config_write(out=tmp_path / "x", database=DB, source=tmp_path / "nothing")


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite refusal")
def test_command_says_it_needs_postgres(tmp_path: Path):
    with pytest.raises(CommandError, match="PostgreSQL only"):
        call_command("radius_config", out=tmp_path / "raddb")


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite note")
@pytest.mark.django_db
def test_radius_sync_says_it_needs_postgres():
    out = StringIO()
    call_command("radius_sync", stdout=out)
    assert "radacct" in out.getvalue() and "PostgreSQL" in out.getvalue()  # either language
