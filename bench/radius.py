"""Benchmark of RADIUS authorisation from our database (issue #7; not part of the tests).

FreeRADIUS 3 with the configuration of ``abonent radius-config`` (rlm_sql calling our look-up
functions, the ``radpostauth`` row of every answer included) against FreeRADIUS answering the
same logins, passwords and replies from its ``files`` module (no database): the baseline.
Access-Requests come from a small client of our own (``bench/_radius_client.py``: pre-built
packets, RFC 2865 password hiding, Message-Authenticator, every Response Authenticator checked)
on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/radius.py                      # quick: 10 000 accounts, 1M ledger
    ... --accounts 100000 --ledger-rows 10000000 --keep       # the issue's sizes, kept
    ... --accounts 100000 --ledger-rows 10000000 --reuse      # measure again on the kept data
    ... --views                                               # and the configuration before
    ... --json result.json                                    # the figures as JSON as well

Data (not measured): two scratch databases on the server of ``DATABASE_URL`` (or ``--db``; the
database named there is not touched; the user needs CREATEDB): ``abonent_bench_radius_small``
with N accounts (85 % active, 8 % blocked, 3 % new, 2 % suspended, 2 % closed; one in ten
bound to a MAC, one in twenty with a static IP), their network credentials, four tariffs and
``--small-ledger`` ledger rows (100), and ``abonent_bench_radius``, a copy of it
(``CREATE DATABASE … TEMPLATE``, so the same accounts byte for byte) grown to ``--ledger-rows``
ledger rows spread evenly over the accounts. Both are migrated, filled with set-based SQL
(``generate_series``) and analysed. They are dropped at the end unless ``--keep``; ``--reuse``
takes them as they are when they were built with the same sizes (and migrates them).

Servers (one at a time, as the current user, ``freeradius -f`` without debug output, logs in
the configuration directory, free loopback ports): the generated configuration (``abonent
radius-config --threads N --sql-pool N``: its look-ups call the functions of migration 0005,
``read_groups = no``, the post-auth row through ``radpostauth_log``), with ``--reject-delay 0``
(the production default of 1 s delays rejects on purpose); with ``--views`` also the same
directory patched back to the configuration before it (the stock look-ups of the views, planned
at every request, ``read_groups = yes``, a plain synchronous post-auth INSERT), so before and
after are measured in one run on the same data. The baseline is the same generated directory
with ``sql`` replaced by ``files`` in ``authorize`` and removed elsewhere, an ``authorize`` file
written from our ``radcheck``/``radreply``/``radusergroup``/``radgroupreply`` views (so the
replies are the same), and the NAS in ``clients.conf``. Before measuring, one request of each
kind is sent with ``radclient`` to all of them and the answers compared.

Load: a plan of random logins over all accounts (2 % unknown logins, 5 % wrong passwords, one
in ten requests of a MAC-bound login from another MAC), every expected answer known from the
account's status. For each server: a warm-up, then

1. capacity: ``--requests`` requests, closed loop, ``--in-flight`` (32) unanswered at most:
   authorisations/s and latency;
2. latency at the goal rate: ``--rate`` (2 000/s) offered for ``--paced-seconds`` (10): p50/
   p95/p99. (In a closed loop latency is in-flight / rate by Little's law, so the p99 of the
   goal is measured at the goal's rate, not at saturation.)

Order: files, (``--views``) sql through the views, sql on the big ledger, sql on the small
ledger, files again (the machine's drift). Prints a table (with the CPU the client, FreeRADIUS,
its PostgreSQL backends and the server's WAL writer spent per request, from /proc), the
ratios sql/files, after/before and big/small ledger, the relations and the planning/execution
times of the views' look-ups (the ledger must not appear; ``--explain`` prints the radcheck
plan) and of the function calls, the backend CPU of each per-request query measured apart (the
same query 2 000 times in one connection, views and functions), the answers to one request of
each kind, and the goals (≥ 2 000/s, p99 ≤ 10 ms at 2 000/s). Exits non-zero if an answer was
wrong, failed its authenticator check or never came.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _radius_client import (  # noqa: E402
    LoadResult,
    Packet,
    Planned,
    access_request,
    build_packets,
    run_load,
)

ROOT = Path(__file__).resolve().parent.parent
DB_BIG = "abonent_bench_radius"
DB_SMALL = "abonent_bench_radius_small"
NAS_TYPE = "mikrotik"
SECRET = "bench-radius-secret"  # noqa: S105 - the NAS secret on loopback
GOAL_RATE = 2_000.0
GOAL_P99_MS = 10.0
UNKNOWN_SHARE, WRONG_PASSWORD_SHARE, OTHER_MAC_SHARE = 0.02, 0.05, 0.10
CHUNK = 1_000_000  # ledger rows per transaction
TARIFFS = [(50_000, 25_000), (100_000, 50_000), (300_000, 100_000), (500_000, 250_000)]


# --- the databases --------------------------------------------------------------------------


def base_url(arg: str | None) -> str:
    url = arg or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "bench/radius.py needs PostgreSQL: set DATABASE_URL=postgres://user@host:port/db or "
            "--db (a user with CREATEDB; the database named there is not touched)"
        )
    return url.rsplit("/", 1)[0]


def abonent_env(url: str) -> dict[str, str]:
    env = dict(
        os.environ,
        ABONENT_DEMO="1",
        DJANGO_SETTINGS_MODULE="abonent.settings",
        DATABASE_URL=url,
    )
    env.pop("ABONENT_TESTING", None)
    return env


def abonent(url: str, *args: str) -> str:
    """Run our CLI against the database ``url``; its output, or exit with it."""
    proc = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "abonent", *args],
        env=abonent_env(url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"abonent {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def admin(base: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)  # type: ignore[arg-type]


def meta_of(url: str) -> dict[str, int] | None:
    """The sizes a kept database was built with, or None."""
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT accounts, ledger_rows FROM bench_radius_meta").fetchone()
    except psycopg.Error:
        return None
    return {"accounts": row[0], "ledger_rows": row[1]} if row else None


def ledger_fill(cur: Any, *, first_id: int, n: int, start: int, stop: int) -> None:
    """Ledger rows k in [start, stop): account first_id + k mod n, one date per row of an
    account (so ``charge_once`` holds); three fees for each payment."""
    cur.execute(
        """
        INSERT INTO billing_ledgerentry (account_id, kind, amount_kop, balance_after_kop,
            reason, item, period_start, period_end, created_at)
        SELECT %(first)s + k %% %(n)s,
               CASE WHEN k %% 4 = 0 THEN 'payment' ELSE 'fee' END,
               CASE WHEN k %% 4 = 0 THEN 100000 ELSE -25000 END,
               (k * 7919) %% 200000,
               CASE WHEN k %% 4 = 0 THEN 'bench payment' ELSE '' END,
               CASE WHEN k %% 4 = 0 THEN NULL ELSE 'tariff' END,
               CASE WHEN k %% 4 = 0 THEN NULL ELSE DATE '2000-01-01' + (k / %(n)s)::int END,
               CASE WHEN k %% 4 = 0 THEN NULL ELSE DATE '2000-01-01' + (k / %(n)s)::int END,
               TIMESTAMPTZ '2016-01-01 00:00:00+00' + (k / %(n)s) * INTERVAL '1 day'
                   + (k %% %(n)s) * INTERVAL '100 ms'
        FROM generate_series(%(start)s::bigint, %(stop)s::bigint - 1) AS g(k)
        """,
        {"first": first_id, "n": n, "start": start, "stop": stop},
    )


def build_small(url: str, accounts: int, ledger_rows: int) -> None:
    """Tariffs, the NAS, N accounts with credentials and a few ledger rows (in ``url``)."""
    os.environ.update(abonent_env(url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection, transaction

    from abonent.catalogue.models import ServiceKind, Tariff
    from abonent.network.models import Nas

    with transaction.atomic():
        kind = ServiceKind.objects.create(slug="internet", category="internet", name="Интернет")
        tariff_ids = [
            Tariff.objects.create(
                kind=kind,
                slug=f"home-{down // 1000}",
                name=f"Домашний {down // 1000}",
                fee_kop=50_000 + i * 20_000,
                fee_period="month",
                download_kbps=down,
                upload_kbps=up,
            ).pk
            for i, (down, up) in enumerate(TARIFFS)
        ]
        Nas.objects.create(nasname="127.0.0.1", shortname="bench", type=NAS_TYPE, secret=SECRET)
        with connection.cursor() as c:
            c.execute(
                """
                INSERT INTO accounts_account (contract, legacy_contract, holder_name, address,
                    building_type, phone, email, status, tariff_id, service_start, balance_kop,
                    credit_limit_kop, password, must_change_password, auth_epoch, language,
                    created_at, updated_at)
                SELECT (20000000 + i)::text, '', 'Абонент ' || i, 'Сергиев Посад, д. ' || i,
                       'apartment', '+792' || (20000000 + i)::text, '',
                       CASE WHEN i %% 100 < 85 THEN 'active' WHEN i %% 100 < 93 THEN 'blocked'
                            WHEN i %% 100 < 96 THEN 'new' WHEN i %% 100 < 98 THEN 'suspended'
                            ELSE 'closed' END,
                       (%(tariffs)s::bigint[])[1 + i %% 4], '2025-01-01',
                       CASE WHEN i %% 100 BETWEEN 85 AND 92 THEN -5000 ELSE 150000 END,
                       0, '!', false, 0, 'ru', now(), now()
                FROM generate_series(1, %(n)s) AS s(i)
                """,
                {"n": accounts, "tariffs": tariff_ids},
            )
            c.execute(
                """
                INSERT INTO network_networkcredential (account_id, login, password, mac,
                    static_ip, password_changed_at, created_at)
                SELECT a.id, a.contract, substr(md5('abonent-bench-radius:' || a.contract), 1, 12),
                       CASE WHEN a.id %% 10 = 3 THEN 'AA-BB-CC-'
                            || lpad(upper(to_hex((a.id >> 16) & 255)), 2, '0') || '-'
                            || lpad(upper(to_hex((a.id >> 8) & 255)), 2, '0') || '-'
                            || lpad(upper(to_hex(a.id & 255)), 2, '0') ELSE '' END,
                       CASE WHEN a.id %% 20 = 7 THEN '10.0.0.0'::inet + a.id END,
                       now(), now()
                FROM accounts_account a
                """,
                {},
            )
            c.execute("SELECT min(id), max(id), count(*) FROM accounts_account")
            lo, hi, count = c.fetchone()
            if hi - lo + 1 != count:
                raise RuntimeError("account ids are not contiguous")
            ledger_fill(c, first_id=lo, n=count, start=0, stop=ledger_rows)
            c.execute("CREATE TABLE bench_radius_meta (accounts integer, ledger_rows bigint)")
            c.execute("INSERT INTO bench_radius_meta VALUES (%s, %s)", [accounts, ledger_rows])
    with connection.cursor() as c:
        c.execute("ANALYZE")
    connection.close()


def grow_ledger(url: str, total: int) -> None:
    """Grow the ledger of ``url`` to ``total`` rows, a million per transaction."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        lo, count = conn.execute("SELECT min(id), count(*) FROM accounts_account").fetchone()
        have = conn.execute("SELECT ledger_rows FROM bench_radius_meta").fetchone()[0]
        started = time.perf_counter()
        for start in range(have, total, CHUNK):
            stop = min(total, start + CHUNK)
            with conn.transaction():
                ledger_fill(conn.cursor(), first_id=lo, n=count, start=start, stop=stop)
                conn.execute("UPDATE bench_radius_meta SET ledger_rows = %s", [stop])
            done = stop - have
            rate = done / (time.perf_counter() - started)
            tty = sys.stdout.isatty()
            line = f"  ledger: {stop:,} of {total:,} rows ({rate:,.0f} rows/s)"
            print(("\r" if tty else "") + line, end="" if tty else "\n", flush=True)
        if sys.stdout.isatty():
            print()
        conn.execute("ANALYZE")


def databases_ready(base: str, args: argparse.Namespace) -> tuple[str, str]:
    """Both databases, built or reused; their URLs (small, big)."""
    small, big = f"{base}/{DB_SMALL}", f"{base}/{DB_BIG}"
    want_small = {"accounts": args.accounts, "ledger_rows": args.small_ledger}
    want_big = {"accounts": args.accounts, "ledger_rows": args.ledger_rows}
    if args.reuse and meta_of(small) == want_small and meta_of(big) == want_big:
        print(f"  reusing {DB_SMALL} and {DB_BIG} (migrating them)")
        abonent(small, "migrate", "--noinput", "-v0")
        abonent(big, "migrate", "--noinput", "-v0")
        return small, big
    if args.reuse:
        print("  --reuse: no databases of these sizes; building them")
    free = shutil.disk_usage("/").free  # rough: PostgreSQL's data is on this machine
    need = args.ledger_rows * 330  # table and its eight indexes, measured at 1M rows
    if need > free * 0.8:
        sys.exit(f"the ledger needs about {need / 1e9:.1f} GB; {free / 1e9:.1f} GB free")
    t0 = time.perf_counter()
    admin(
        base,
        f"DROP DATABASE IF EXISTS {DB_BIG} WITH (FORCE)",
        f"DROP DATABASE IF EXISTS {DB_SMALL} WITH (FORCE)",
        f"CREATE DATABASE {DB_SMALL}",
    )
    abonent(small, "migrate", "--noinput", "-v0")
    build_small(small, args.accounts, args.small_ledger)
    print(f"  {DB_SMALL}: {args.accounts:,} accounts built in {time.perf_counter() - t0:.1f} s")
    admin(base, f"CREATE DATABASE {DB_BIG} TEMPLATE {DB_SMALL}")
    t1 = time.perf_counter()
    grow_ledger(big, args.ledger_rows)
    print(
        f"  {DB_BIG}: {args.ledger_rows:,} ledger rows in {time.perf_counter() - t1:.1f} s "
        f"(disk free now {shutil.disk_usage('/').free / 1e9:.0f} GB)"
    )
    return small, big


# --- what is asked and what must be answered ------------------------------------------------


@dataclass(frozen=True)
class Subscriber:
    login: str
    password: str
    mac: str
    status: str


def subscribers_of(url: str) -> list[Subscriber]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.login, c.password, c.mac, a.status FROM network_networkcredential c "
            "JOIN accounts_account a ON a.id = c.account_id ORDER BY c.id"
        ).fetchall()
    return [Subscriber(*r) for r in rows]


def colon_mac(mac: str) -> str:
    """A NAS's Calling-Station-Id for a stored ``AA-BB-…`` MAC."""
    return mac.replace("-", ":").lower()


def make_plan(subs: list[Subscriber], count: int, rnd: random.Random) -> list[Planned]:
    """``count`` requests over random logins, each with the answer our policy gives."""
    plan = []
    for k in range(count):
        r = rnd.random()
        other_mac = (
            f"02:00:{k >> 24 & 255:02x}:{k >> 16 & 255:02x}:{k >> 8 & 255:02x}:{k & 255:02x}"
        )
        if r < UNKNOWN_SHARE:
            plan.append(Planned(f"nobody-{k}", "whatever1234", other_mac, False, "unknown_login"))
            continue
        s = subs[rnd.randrange(len(subs))]
        may = s.status in ("active", "blocked")
        if r < UNKNOWN_SHARE + WRONG_PASSWORD_SHARE:
            plan.append(
                Planned(
                    s.login,
                    s.password[::-1] + "x",
                    colon_mac(s.mac) or other_mac,
                    False,
                    "wrong_password",
                )
            )
        elif s.mac and rnd.random() < OTHER_MAC_SHARE:
            plan.append(Planned(s.login, s.password, other_mac, False, "mac_mismatch"))
        else:
            plan.append(Planned(s.login, s.password, colon_mac(s.mac) or other_mac, may, s.status))
    return plan


def plan_summary(plan: list[Planned]) -> str:
    kinds: dict[str, int] = {}
    for p in plan:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    accept = sum(p.accept for p in plan)
    return f"{accept / len(plan):.0%} to accept; " + ", ".join(
        f"{k} {v / len(plan):.1%}" for k, v in sorted(kinds.items(), key=lambda x: -x[1])
    )


# --- the two FreeRADIUS configurations ------------------------------------------------------


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def edit(path: Path, pattern: str, replacement: str, flags: int = re.M) -> None:
    text = path.read_text()
    new, count = re.subn(pattern, replacement, text, flags=flags)
    if not count:
        sys.exit(f"{path}: {pattern!r} not found; did `abonent radius-config` change?")
    path.write_text(new)


def generated(url: str, out: Path, auth_port: int, threads: int, pool: int) -> Path:
    """``abonent radius-config`` for ``url`` on loopback, reject_delay 0, ``threads`` workers
    and ``pool`` connections."""
    abonent(
        url,
        "radius-config",
        "--out",
        str(out),
        "--auth-port",
        str(auth_port),
        "--acct-port",
        str(free_udp_port()),
        "--listen",
        "127.0.0.1",
        "--reject-delay",
        "0",
        "--threads",
        str(threads),
        "--sql-pool",
        str(pool),
        "--force",
    )
    return out


# The configuration before migration 0005 (``--views``): the stock look-ups of the views, sent by
# rlm_sql as literal queries that PostgreSQL parses, rewrites and plans at every request, the
# group query for every request (read_groups = yes), and a synchronous post-auth INSERT.
VIEWS_QUERIES = {
    "authorize_check_query": "SELECT id, UserName, Attribute, Value, Op FROM ${authcheck_table} "
    "WHERE Username = '%{SQL-User-Name}' ORDER BY id",
    "authorize_reply_query": "SELECT id, UserName, Attribute, Value, Op FROM ${authreply_table} "
    "WHERE Username = '%{SQL-User-Name}' AND NASType IN ('', '%{client:nas_type}') ORDER BY id",
    "group_membership_query": "SELECT GroupName FROM ${usergroup_table} "
    "WHERE UserName='%{SQL-User-Name}' ORDER BY priority",
}
VIEWS_POSTAUTH = (
    "INSERT INTO ${..postauth_table} (username, reply, callingstationid, authdate, reason "
    "${..class.column_name}) VALUES('%{User-Name}', '%{reply:Packet-Type}', "
    "NULLIF('%{Calling-Station-Id}', ''), '%S.%M', NULLIF('%{control:Abonent-Reason}', '') "
    "${..class.reply_xlat})"
)


def views_variant(raddb: Path) -> None:
    """The generated directory as it was before the look-up functions (``--views``)."""
    queries = raddb / "mods-config/sql/main/postgresql/queries.conf"
    for name, query in VIEWS_QUERIES.items():
        edit(queries, rf'^{name} = ".*?[^\\]"$', f'{name} = "{query}"', flags=re.M | re.S)
    text = queries.read_text()
    head, sep, tail = text.rpartition("post-auth {")
    tail, n = re.subn(
        r'query = ".*?[^\\]"$', f'query = "{VIEWS_POSTAUTH}"', tail, count=1, flags=re.M | re.S
    )
    if not (sep and n):
        sys.exit(f"{queries}: no post-auth query; did `abonent radius-config` change?")
    queries.write_text(head + sep + tail)
    edit(raddb / "mods-enabled" / "sql", r"^(\s*)read_groups = no$", r"\g<1>read_groups = yes")


def section_emptied(text: str, name: str) -> str:
    """``name { … }`` of a site with nothing inside (braces of ``%{…}`` balance themselves)."""
    m = re.search(rf"^(\s*){name} {{\s*$", text, flags=re.M)
    if m is None:
        return text
    depth, i = 0, m.end() - 1
    while i < len(text):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[: m.end()] + f"\n{m.group(1)}" + text[i:]
        i += 1
    sys.exit(f"unbalanced braces after {name} in the generated site")


def files_variant(raddb: Path, users: Path) -> None:
    """The same directory answering from ``files``: no sql module, the NAS in clients.conf,
    no accounting (the baseline only authorises)."""
    (raddb / "mods-enabled" / "sql").unlink()
    empty = raddb / "bench-empty-users"
    empty.write_text("")
    (raddb / "mods-enabled" / "files").write_text(
        "files {\n"
        f"\tfilename = {users}\n"
        f"\tacctusersfile = {empty}\n"
        f"\tpreproxy_usersfile = {empty}\n"
        "}\n"
    )
    (raddb / "clients.conf").write_text(
        f'client bench {{\n\tipaddr = 127.0.0.1\n\tsecret = "{SECRET}"\n'
        f"\tnas_type = {NAS_TYPE}\n}}\n"
    )
    for site in (raddb / "sites-enabled").iterdir():
        path = site.resolve()
        text = section_emptied(section_emptied(path.read_text(), "preacct"), "accounting")
        start = text.find("authorize {")
        if start < 0:
            sys.exit(f"{path}: no authorize section; did `abonent radius-config` change?")
        head, tail = text[:start], text[start:]
        tail, n = re.subn(r"^(\s*)sql\s*$", r"\1files", tail, count=1, flags=re.M)
        if not n:
            sys.exit(f"{path}: no sql in authorize; did `abonent radius-config` change?")
        text = re.sub(r"^\s*-?sql(\.\S+)?\s*\n", "", head + tail, flags=re.M)
        if re.search(r"%\{sql|^\s*-?sql\b", text, flags=re.M):
            sys.exit(f"{path}: still uses sql beyond what the files baseline can replace")
        path.write_text(text)


def users_file(url: str, path: Path) -> int:
    """The ``files`` module's users file with what our views give each login; its entries."""
    import psycopg

    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    with psycopg.connect(url) as conn:
        check: dict[str, list[str]] = {}
        for user, attr, op, value in conn.execute(
            "SELECT username, attribute, op, value FROM radcheck ORDER BY username, id"
        ):
            check.setdefault(user, []).append(f"{attr} {op} {quoted(value)}")
        reply: dict[str, list[str]] = {}
        # as rlm_sql's authorize_reply_query: the rows of the NAS's type when it has a type
        columns = [d.name for d in conn.execute("SELECT * FROM radreply LIMIT 0").description]
        by_type = " WHERE nastype IN ('', %s)" if "nastype" in columns else ""
        for user, attr, op, value in conn.execute(
            f"SELECT username, attribute, op, value FROM radreply{by_type} ORDER BY username, id",
            [NAS_TYPE] if by_type else None,
        ):
            reply.setdefault(user, []).append(f"{attr} {op} {quoted(value)}")
        for user, attr, op, value in conn.execute(
            "SELECT u.username, r.attribute, r.op, r.value FROM radusergroup u "
            "JOIN radgroupreply r ON r.groupname = u.groupname "
            "ORDER BY u.username, u.priority, r.id"
        ):
            reply.setdefault(user, []).append(f"{attr} {op} {quoted(value)}")
        if conn.execute("SELECT count(*) FROM radgroupcheck").fetchone()[0]:
            print("  note: radgroupcheck has rows; the files baseline does not reproduce them")
    with path.open("w") as fh:
        for user, items in check.items():
            fh.write(f"{quoted(user)}\t{', '.join(items)}\n")
            replies = reply.get(user, [])
            if replies:
                fh.write("".join(f"\t{r},\n" for r in replies[:-1]) + f"\t{replies[-1]}\n")
            fh.write("\n")
    return len(check)


# --- a running FreeRADIUS -------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


class Radiusd:
    """``freeradius -f -d DIR`` (no debug output), stopped by its own pid."""

    def __init__(self, raddb: Path, port: int) -> None:
        self.raddb, self.port = raddb, port
        binary = shutil.which("freeradius") or shutil.which("radiusd")
        if binary is None:
            sys.exit("freeradius not found: apt-get install freeradius freeradius-postgresql")
        check = subprocess.run(  # noqa: S603
            [binary, "-XC", "-d", str(raddb)], capture_output=True, text=True, check=False
        )
        if check.returncode != 0:
            sys.exit(f"freeradius -C -d {raddb} failed:\n{check.stdout[-3000:]}{check.stderr}")
        self.log = raddb / "log" / "bench-stdout.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(  # noqa: S603
                [binary, "-f", "-d", str(raddb)], stdout=log, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Until it answers an Access-Request; the seconds that took."""
        started = time.monotonic()
        probe = access_request(
            ident=1,
            authenticator=os.urandom(16),
            secret=SECRET.encode(),
            login="bench-probe",
            password="probe",  # noqa: S106
            calling_station_id="02:00:00:00:00:00",
        )
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.3)
            while time.monotonic() - started < timeout:
                if self.proc.poll() is not None:
                    sys.exit(f"freeradius exited ({self.proc.returncode}):\n{self.tail()}")
                sock.sendto(probe, ("127.0.0.1", self.port))
                try:
                    sock.recv(4096)
                    return time.monotonic() - started
                except TimeoutError:
                    continue
        sys.exit(f"freeradius did not answer within {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        text = ""
        for path in (self.log, self.raddb / "log" / "radius.log"):
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def preflight(port: int, examples: dict[str, Planned]) -> dict[str, str]:
    """One request of each kind through radclient: the answer and its attributes, as text."""
    sys.path.insert(0, str(ROOT))
    from abonent.network.radclient import radclient_send

    out = {}
    for kind, p in examples.items():
        answer = radclient_send(
            server="127.0.0.1",
            port=port,
            secret=SECRET,
            kind="auth",
            attributes={
                "User-Name": p.login,
                "User-Password": p.password,
                "NAS-IP-Address": "127.0.0.1",
                "Calling-Station-Id": p.calling_station_id,
            },
        )
        attrs = "; ".join(f"{k} = {v}" for k, vs in sorted(answer.attributes.items()) for v in vs)
        out[kind] = f"{answer.code}" + (f" [{attrs}]" if attrs else "")
    return out


# --- one server measured --------------------------------------------------------------------


@dataclass
class Phase:
    rate: float
    p50: float
    p95: float
    p99: float
    answered: int
    accepts: int
    rejects: int
    errors: int
    lost: int
    behind_ms: float
    client_us: float  # client CPU per request
    message_authenticators: int
    stalls: int
    stray: int

    @classmethod
    def of(cls, r: LoadResult) -> Phase:
        return cls(
            rate=r.rate,
            p50=r.pct(50),
            p95=r.pct(95),
            p99=r.pct(99),
            answered=r.answered,
            accepts=r.accepts,
            rejects=r.rejects,
            errors=r.errors,
            lost=r.lost,
            behind_ms=r.behind_ms,
            client_us=r.client_cpu / max(1, r.sent) * 1e6,
            message_authenticators=r.message_authenticators,
            stalls=r.stalls,
            stray=r.stray,
        )


@dataclass
class Measured:
    label: str
    capacity: Phase
    paced: Phase
    radiusd_us: float  # FreeRADIUS CPU per request during the capacity phase
    postgres_us: float  # its PostgreSQL backends' CPU per request (sql only)
    walwriter_us: float  # the WAL writer's, the whole server's (an async commit's flush is there)
    machine_busy: float  # share of both cores busy during the capacity phase
    start_s: float
    answers: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def backend_pids(url: str) -> list[int]:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    return [r[0] for r in rows]


def walwriter_pids(url: str) -> list[int]:
    """The WAL writer: it flushes what asynchronous commits left (the whole server's)."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'walwriter'"
        ).fetchall()
    return [r[0] for r in rows]


def measure(
    label: str,
    raddb: Path,
    port: int,
    packets: dict[str, list[Packet]],
    examples: dict[str, Planned],
    args: argparse.Namespace,
    url: str | None = None,
) -> Measured:
    if url:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("TRUNCATE radpostauth")
    server = Radiusd(raddb, port)
    try:
        start_s = server.wait_ready()
        answers = preflight(port, examples)
        problems = [
            f"{kind}: {answers[kind]}"
            for kind, p in examples.items()
            if answers[kind].split()[0] != ("Access-Accept" if p.accept else "Access-Reject")
        ]
        common = {
            "server": ("127.0.0.1", port),
            "secret": SECRET.encode(),
            "sockets": args.sockets,
            "in_flight": args.in_flight,
        }
        run_load(packets["warm"], **common)  # type: ignore[arg-type]
        pids = backend_pids(url) if url else []
        wal = walwriter_pids(url) if url else []
        pg0 = sum(cpu_seconds(p) for p in pids)
        wal0 = sum(cpu_seconds(p) for p in wal)
        rd0 = cpu_seconds(server.proc.pid)
        m0 = machine_busy()
        cap = run_load(packets["capacity"], **common)  # type: ignore[arg-type]
        m1 = machine_busy()
        rd1 = cpu_seconds(server.proc.pid)
        pg1 = sum(cpu_seconds(p) for p in pids)
        wal1 = sum(cpu_seconds(p) for p in wal)
        paced = run_load(packets["paced"], rate=args.rate, **common)  # type: ignore[arg-type]
    finally:
        server.stop()
    log_tail = server.tail(8) if cap.errors or paced.errors else ""
    n = max(1, cap.sent)
    for name, r in (("capacity", cap), ("paced", paced)):
        if r.errors:
            problems.append(
                f"{name}: {r.wrong_answer} wrong answers, {r.bad_authenticator} bad "
                f"authenticators, {r.other_code} other codes, {r.lost} lost"
            )
    if log_tail:
        problems.append("the end of its log:\n      " + log_tail.strip().replace("\n", "\n      "))
    return Measured(
        label=label,
        capacity=Phase.of(cap),
        paced=Phase.of(paced),
        radiusd_us=(rd1 - rd0) / n * 1e6,
        postgres_us=(pg1 - pg0) / n * 1e6,
        walwriter_us=(wal1 - wal0) / n * 1e6,
        machine_busy=(m1[0] - m0[0]) / max(1, m1[1] - m0[1]),
        start_s=start_s,
        answers=answers,
        problems=problems,
    )


# --- the radcheck look-up -------------------------------------------------------------------


def relations(plan: dict[str, Any]) -> set[str]:
    found = {plan["Relation Name"]} if "Relation Name" in plan else set()
    for sub in plan.get("Plans", []):
        found |= relations(sub)
    return found


def lookup_plans(url: str, login: str) -> dict[str, dict[str, Any]]:
    """EXPLAIN ANALYZE of the per-request look-ups for one login (warm, best of 20): the views
    as rlm_sql read them before migration 0005 (their relations: never the ledger), and the
    function calls of the generated configuration (planned once per connection: the
    execution time includes the kept plan's)."""
    import psycopg

    queries = {
        "radcheck": "SELECT id, UserName, Attribute, Value, Op FROM radcheck "
        f"WHERE Username = '{login}' ORDER BY id",
        "radreply": "SELECT id, UserName, Attribute, Value, Op FROM radreply "
        f"WHERE Username = '{login}' AND NASType IN ('', '{NAS_TYPE}') ORDER BY id",
        "radusergroup": f"SELECT GroupName FROM radusergroup WHERE UserName='{login}' "
        "ORDER BY priority",
        "radcheck_of": f"SELECT id, UserName, Attribute, Value, Op FROM radcheck_of('{login}')",
        "radreply_of": "SELECT id, UserName, Attribute, Value, Op "
        f"FROM radreply_of('{login}', '{NAS_TYPE}')",
        "radusergroup_of": f"SELECT GroupName FROM radusergroup_of('{login}') ORDER BY priority",
    }
    out = {}
    with psycopg.connect(url) as conn:
        for name, sql in queries.items():
            best: dict[str, Any] = {}
            for _ in range(20):
                doc = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}").fetchone()[0][
                    0
                ]
                total = doc["Planning Time"] + doc["Execution Time"]
                if not best or total < best["planning_ms"] + best["execution_ms"]:
                    best = {
                        "planning_ms": doc["Planning Time"],
                        "execution_ms": doc["Execution Time"],
                        "relations": sorted(relations(doc["Plan"])),
                        "buffers": doc["Plan"].get("Shared Hit Blocks", 0)
                        + doc["Plan"].get("Shared Read Blocks", 0),
                    }
            out[name] = best
        text = conn.execute(f"EXPLAIN {queries['radcheck']}").fetchall()
        out["radcheck"]["plan"] = "\n".join(r[0] for r in text)
    return out


# Each query FreeRADIUS sends per request, before (views, INSERT) and after (functions): their
# backend's CPU measured apart, one connection, literal queries as rlm_sql sends them.
PER_REQUEST = {
    "radcheck view": "SELECT id, UserName, Attribute, Value, Op FROM radcheck "
    "WHERE Username = '{login}' ORDER BY id",
    "radcheck_of": "SELECT id, UserName, Attribute, Value, Op FROM radcheck_of('{login}')",
    "radreply view": "SELECT id, UserName, Attribute, Value, Op FROM radreply "
    "WHERE Username = '{login}' AND NASType IN ('', '" + NAS_TYPE + "') ORDER BY id",
    "radreply_of": "SELECT id, UserName, Attribute, Value, Op "
    "FROM radreply_of('{login}', '" + NAS_TYPE + "')",
    "radusergroup view": "SELECT GroupName FROM radusergroup WHERE UserName='{login}' "
    "ORDER BY priority",
    "radusergroup_of": "SELECT GroupName FROM radusergroup_of('{login}') ORDER BY priority",
    "post-auth INSERT": "INSERT INTO radpostauth (username, reply, callingstationid, authdate, "
    "reason, Class) VALUES('{login}', 'Access-Accept', NULLIF('', ''), now(), NULLIF('', ''), "
    "NULLIF('abonent:full:50000/100000', ''))",
    "radpostauth_log": "SELECT radpostauth_log('{login}', 'Access-Accept', NULLIF('', ''), "
    "now(), NULLIF('', ''), NULLIF('abonent:full:50000/100000', ''))",
}


def per_request_cpu(
    url: str, logins: list[str], n: int = 2_000, rounds: int = 3
) -> dict[str, dict[str, float]]:
    """Backend CPU µs of each PER_REQUEST query: ``rounds`` interleaved rounds of ``n`` random
    logins each, after one round of warm-up (plans kept, pages cached); the median and the
    least of the rounds (the least disturbed by the machine's other work)."""
    import psycopg

    def cpu_ns(pid: int) -> int:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])

    rnd = random.Random(11)
    sample = [logins[rnd.randrange(len(logins))].replace("'", "''") for _ in range(n)]
    found: dict[str, list[float]] = {name: [] for name in PER_REQUEST}
    with psycopg.connect(url, autocommit=True) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        cur = conn.cursor()
        for r in range(rounds + 1):
            for name, template in PER_REQUEST.items():
                queries = [template.replace("{login}", login).encode() for login in sample]
                t0 = cpu_ns(pid)
                for q in queries:
                    cur.execute(q, prepare=False)
                    if cur.description:
                        cur.fetchall()
                if r:
                    found[name].append((cpu_ns(pid) - t0) / n / 1e3)
        conn.execute("TRUNCATE radpostauth")
    return {
        name: {"median_us": sorted(v)[len(v) // 2], "least_us": min(v)} for name, v in found.items()
    }


# --- main -----------------------------------------------------------------------------------


def goals_met(m: Measured, rate: float) -> tuple[bool, bool]:
    """(≥ 2 000/s at capacity, p99 ≤ 10 ms with the offered rate actually answered)."""
    return (
        m.capacity.rate >= GOAL_RATE,
        m.paced.p99 <= GOAL_P99_MS and rate >= GOAL_RATE and m.paced.rate >= 0.97 * rate,
    )


def fmt_row(m: Measured) -> str:
    c, p = m.capacity, m.paced
    return (
        f"  {m.label:<26} {c.rate:7.0f}/s {c.p50:6.1f} {c.p99:6.1f} │ {p.rate:6.0f}/s "
        f"{p.p50:5.1f} {p.p95:5.1f} {p.p99:6.1f} │ {c.client_us:4.0f} {m.radiusd_us:5.0f} "
        f"{m.postgres_us:5.0f} {m.walwriter_us:4.0f} │ {m.machine_busy:4.0%} │ "
        f"{c.errors + p.errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="postgres://user@host:port/any (default: DATABASE_URL)")
    parser.add_argument("--accounts", type=int, default=10_000, help="issue: 100000")
    parser.add_argument("--ledger-rows", type=int, default=1_000_000, help="issue: 10000000")
    parser.add_argument("--small-ledger", type=int, default=100, help="ledger rows, small db")
    parser.add_argument("--keep", action="store_true", help="leave both databases behind")
    parser.add_argument("--reuse", action="store_true", help="reuse kept databases of the sizes")
    parser.add_argument("--requests", type=int, default=30_000, help="capacity phase")
    parser.add_argument("--warmup", type=int, default=5_000)
    parser.add_argument("--rate", type=float, default=GOAL_RATE, help="paced phase, requests/s")
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    parser.add_argument("--in-flight", type=int, default=32, help="unanswered requests at most")
    parser.add_argument("--sockets", type=int, default=4, help="client UDP sockets (NAS ports)")
    parser.add_argument("--threads", type=int, default=8, help="FreeRADIUS worker threads")
    parser.add_argument("--sql-pool", type=int, default=0, help="rlm_sql connections (=threads)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--no-small", action="store_true", help="skip the small-ledger run")
    parser.add_argument("--explain", action="store_true", help="print the radcheck plans")
    parser.add_argument(
        "--views",
        action="store_true",
        help="also measure the configuration before the look-up functions (the views)",
    )
    args = parser.parse_args()
    pool = args.sql_pool or args.threads
    if pool < args.threads:
        sys.exit("--sql-pool below --threads: a thread finding no connection fails its request")
    base = base_url(args.db)
    load1 = os.getloadavg()[0]
    print(
        f"RADIUS bench: {args.accounts:,} accounts, ledger {args.ledger_rows:,} rows "
        f"(and {args.small_ledger:,}); {os.cpu_count()} cores, load average {load1:.2f} before"
    )
    small, big = databases_ready(base, args)
    work = Path(tempfile.mkdtemp(prefix="abonent-bench-radius-"))
    results: dict[str, Measured] = {}
    try:
        subs = subscribers_of(big)
        if subs != subscribers_of(small):
            sys.exit(f"{DB_SMALL} and {DB_BIG} have different subscribers: rebuild them")
        rnd = random.Random(args.seed)
        paced_n = int(args.rate * args.paced_seconds)
        plan = make_plan(subs, args.warmup + args.requests + paced_n, rnd)
        examples: dict[str, Planned] = {}
        for p in plan:
            examples.setdefault(p.kind, p)
        secret = SECRET.encode()
        t0 = time.perf_counter()
        warm, cap, paced = (
            plan[: args.warmup],
            plan[args.warmup : args.warmup + args.requests],
            plan[args.warmup + args.requests :],
        )
        packets = {
            name: build_packets(part, secret=secret, sockets=args.sockets, seed=args.seed + i)
            for i, (name, part) in enumerate((("warm", warm), ("capacity", cap), ("paced", paced)))
        }
        print(f"  plan: {plan_summary(plan)}")
        print(
            f"  {len(plan):,} packets built in {time.perf_counter() - t0:.1f} s; "
            f"{args.sockets} sockets, {args.in_flight} in flight; FreeRADIUS {args.threads} "
            f"threads, rlm_sql pool {pool}, reject_delay 0"
        )
        users = work / "authorize"
        entries = users_file(big, users)
        port = free_udp_port()
        files_dir = generated(big, work / "files", port, args.threads, pool)
        files_variant(files_dir, users)
        print(f"  files baseline: {entries:,} entries written from the views")
        # role: (label, configuration, database of the sql module)
        targets: dict[str, tuple[str, Path, str | None]] = {"files": ("files", files_dir, None)}
        if args.views:
            d = generated(big, work / "sql-views", port, args.threads, pool)
            views_variant(d)
            targets["sql_views"] = ("sql, views (before)", d, big)
        d = generated(big, work / "sql-big", port, args.threads, pool)
        targets["sql"] = (f"sql, ledger {args.ledger_rows:,}", d, big)
        if not args.no_small:
            d = generated(small, work / "sql-small", port, args.threads, pool)
            targets["sql_small"] = (f"sql, ledger {args.small_ledger:,}", d, small)
        targets["files_again"] = ("files (again)", files_dir, None)
        for role, (label, raddb, url) in targets.items():
            print(f"  measuring {label} …", flush=True)
            results[role] = measure(label, raddb, port, packets, examples, args, url)
        lookups = {"big": lookup_plans(big, subs[len(subs) // 2].login)}
        if not args.no_small:
            lookups["small"] = lookup_plans(small, subs[len(subs) // 2].login)
        print("  the per-request queries measured apart …", flush=True)
        cpu = per_request_cpu(big, [p.login for p in plan[: args.warmup]])
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not args.keep:
            admin(
                base,
                f"DROP DATABASE IF EXISTS {DB_BIG} WITH (FORCE)",
                f"DROP DATABASE IF EXISTS {DB_SMALL} WITH (FORCE)",
            )
    report(args, results, lookups, cpu, load1)


def report(
    args: argparse.Namespace,
    results: dict[str, Measured],
    lookups: dict[str, dict[str, dict[str, Any]]],
    cpu: dict[str, dict[str, float]],
    load_before: float,
) -> None:
    paced_title = f"at {args.rate:,.0f}/s offered"
    print()
    print(
        f"  {'':<26} {'capacity (closed loop)':^22} │ {paced_title:^27} │"
        f" {'CPU µs/req':^21} │ {'busy':4} │ err"
    )
    print(
        f"  {'server':<26} {'auth/s':>9} {'p50':>6} {'p99':>6} │ {'auth/s':>8} {'p50':>5} "
        f"{'p95':>5} {'p99':>6} │ {'cli':>4} {'rad':>5} {'pg':>5} {'wal':>4} │      │"
    )
    for m in results.values():
        print(fmt_row(m))
    files, again, sql_big = results["files"], results["files_again"], results["sql"]
    sql_small, views = results.get("sql_small"), results.get("sql_views")
    print(
        "  (latencies in ms; CPU per request over the capacity phase: the client, freeradius, "
        "its PostgreSQL backends, the server's WAL writer; busy: both cores)"
    )
    print()
    print(
        f"  sql/files:        capacity {sql_big.capacity.rate / files.capacity.rate:5.2f}×, "
        f"p99 at {args.rate:,.0f}/s {sql_big.paced.p99 / files.paced.p99:5.2f}× "
        f"(files again: capacity {again.capacity.rate / files.capacity.rate:4.2f}× the first)"
    )
    if sql_small:
        print(
            f"  ledger {args.ledger_rows:,} / {args.small_ledger:,}: capacity "
            f"{sql_big.capacity.rate / sql_small.capacity.rate:5.2f}×, p99 at {args.rate:,.0f}/s "
            f"{sql_big.paced.p99 / sql_small.paced.p99:5.2f}×, PostgreSQL CPU per request "
            f"{sql_big.postgres_us / max(1.0, sql_small.postgres_us):5.2f}×"
        )
    if views:
        print(
            f"  after / before (functions / views): capacity "
            f"{sql_big.capacity.rate / views.capacity.rate:5.2f}×, p99 at {args.rate:,.0f}/s "
            f"{sql_big.paced.p99 / views.paced.p99:5.2f}×; CPU per request: PostgreSQL "
            f"{sql_big.postgres_us:.0f} µs instead of {views.postgres_us:.0f}, FreeRADIUS "
            f"{sql_big.radiusd_us:.0f} instead of {views.radiusd_us:.0f}; views/files: capacity "
            f"{views.capacity.rate / files.capacity.rate:5.2f}×"
        )
    for size, plans in lookups.items():
        parts = [
            f"{name} {p['planning_ms']:.2f}+{p['execution_ms']:.2f} ms "
            f"({p['buffers']} buffers; {', '.join(p['relations'])})"
            for name, p in plans.items()
        ]
        print(f"  look-ups ({size} ledger), planning+execution: " + "; ".join(parts))
    print(
        "  each per-request query apart, backend CPU µs (median and least of 3 rounds of 2 000): "
        + "; ".join(f"{name} {v['median_us']:.0f} ({v['least_us']:.0f})" for name, v in cpu.items())
    )
    touched = {r for plans in lookups.values() for p in plans.values() for r in p["relations"]}
    ledger_read = any("ledger" in r for r in touched)
    if args.explain:
        for size, plans in lookups.items():
            print(f"  EXPLAIN of the radcheck look-up ({size} ledger):")
            print("    " + plans["radcheck"]["plan"].replace("\n", "\n    "))
    print(
        "  the ledger in the look-up plans: "
        + ("YES, the look-up reads the ledger" if ledger_read else "no")
    )
    phases = [ph for m in results.values() for ph in (m.capacity, m.paced)]
    print(
        f"  client: {sum(ph.answered for ph in phases):,} answers measured, each one's Response "
        f"Authenticator checked ({sum(ph.message_authenticators for ph in phases):,} carried a "
        "Message-Authenticator, checked too) and its code compared with the policy (err: "
        "wrong answers + bad authenticators + lost); sends held for a busy identifier "
        f"{sum(ph.stalls for ph in phases)}, stray answers {sum(ph.stray for ph in phases)}"
    )
    problems = [f"{m.label}: {p}" for m in results.values() for p in m.problems]
    print(
        "  one request of each kind (radclient), files and sql"
        + (" (and through the views)" if views else "")
        + ":"
    )
    for kind, answer in files.answers.items():
        other = sql_big.answers.get(kind)
        same = "same" if other == answer else f"DIFFERENT from sql: {other}"
        if views and views.answers.get(kind) != answer:
            same += f"; DIFFERENT through the views: {views.answers.get(kind)}"
            problems.append(f"the views answer {kind} unlike files: the comparison is unfair")
        print(f"    {kind:<15} {answer} ({same})")
        if other != answer:
            problems.append(f"the baseline answers {kind} unlike sql: the comparison is unfair")
    verdicts = {}
    for role in ("sql_views", "sql"):
        m = results.get(role)
        if m is None:
            continue
        ok_rate, ok_p99 = goals_met(m, args.rate)
        verdicts[role] = {"rate": ok_rate, "p99": ok_p99}
        print(
            f"  goals, {m.label}: ≥ {GOAL_RATE:,.0f} auth/s {'PASS' if ok_rate else 'FAIL'} "
            f"({m.capacity.rate:,.0f}/s); p99 ≤ {GOAL_P99_MS:.0f} ms at {args.rate:,.0f}/s "
            f"{'PASS' if ok_p99 else 'FAIL'} ({m.paced.p99:.1f} ms, {m.paced.rate:,.0f}/s answered)"
        )
    print(f"  load average after: {os.getloadavg()[0]:.2f} (before {load_before:.2f})")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "accounts": args.accounts,
                    "ledger_rows": args.ledger_rows,
                    "small_ledger": args.small_ledger,
                    "settings": {
                        k: getattr(args, k)
                        for k in (
                            "requests",
                            "warmup",
                            "rate",
                            "paced_seconds",
                            "in_flight",
                            "sockets",
                            "threads",
                            "sql_pool",
                        )
                    },
                    "results": {role: asdict(m) for role, m in results.items()},
                    "lookups": lookups,
                    "per_request_cpu": cpu,
                    "goals": verdicts,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    if problems:
        print("\n".join(["  PROBLEMS:"] + [f"    {p}" for p in problems]))
        sys.exit(1)


if __name__ == "__main__":
    main()
