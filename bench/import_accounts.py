"""Benchmark: ``abonent import-accounts`` against a bare bulk INSERT of the same rows.

    .venv/bin/python bench/import_accounts.py [--rows 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/import_accounts.py

Sets up its own database: SQLite in a temporary directory by default; with ``DATABASE_URL``
a fresh PostgreSQL database ``abonent_bench`` on that server (dropped and created again; left
behind afterwards for inspection). Generates a realistic CSV of N subscribers (the messy
spellings a provider's export has), then measures:

- **baseline**: the bare insert of the same account and ledger rows, pre-built as tuples, in one
  transaction, by the fastest plain path of the backend (``COPY`` on PostgreSQL, ``executemany``
  of one prepared ``INSERT`` on SQLite): the floor any importer stands on;
- **import**: the file through ``accounts.importer.accounts_import``, the code path of the
  command: read, decode, parse, validate, look-ups, contract numbers, bulk insert, audit.

Prints rows/s of each and the ratio. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT = Path(__file__).resolve().parents[1]
BENCH_DB = "abonent_bench"

SURNAMES = "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров".split()
NAMES = "Александр Сергей Дмитрий Андрей Алексей Максим Евгений Иван Михаил Артём".split()
PATRONYMICS = "Александрович Сергеевич Дмитриевич Андреевич Иванович Петрович".split()
STREETS = [
    "ул. Академика Силина",
    "пр-т Красной Армии",
    "ул. Вознесенская",
    "ул. Дружбы",
    "ул. Осипенко",
    "Новоугличское ш.",
    "ул. 1-й Ударной Армии",
]
SETTLEMENTS = ["г. Сергиев Посад", "пос. Богородское", "д. Благовещенка", "г. Хотьково"]
TARIFFS = [("home-100", "apartment"), ("home-300", "apartment"), ("dacha-50", "house")]


@dataclass(slots=True)
class Subscriber:
    """One generated subscriber: the clean values and the messy spellings of the CSV."""

    legacy: str
    holder: str
    address: str
    building: str
    phone: str
    email: str
    tariff: str
    start: dt.date
    balance_kop: int
    credit_kop: int


def generate(n: int, seed: int = 42) -> list[Subscriber]:
    """N realistic subscribers (fixed seed: the same file every run)."""
    rnd = random.Random(seed)
    people = []
    for i in range(n):
        tariff, building = rnd.choice(TARIFFS)
        if building == "house":
            address = f"{rnd.choice(SETTLEMENTS)}, {rnd.choice(STREETS)}, д. {rnd.randint(1, 200)}"
        else:
            address = (
                f"г. Сергиев Посад, {rnd.choice(STREETS)}, д. {rnd.randint(1, 120)}, "
                f"кв. {rnd.randint(1, 300)}"
            )
        roll = rnd.random()
        balance = 0 if roll < 0.08 else rnd.randint(-150_000, 500_000)
        people.append(
            Subscriber(
                legacy=f"{10000 + i}" if i % 3 else f"ЛС-{i:07d}",
                holder=f"{rnd.choice(SURNAMES)} {rnd.choice(NAMES)} {rnd.choice(PATRONYMICS)}",
                address=address,
                building=building,
                phone=f"9{rnd.randint(0, 999_999_999):09d}",
                email=f"user{i}@example.ru" if rnd.random() < 0.3 else "",
                tariff=tariff,
                start=dt.date(2005, 1, 1) + dt.timedelta(days=rnd.randint(0, 7000)),
                balance_kop=balance,
                credit_kop=rnd.choice([0, 0, 0, 30_000]),
            )
        )
    return people


def render_csv(people: list[Subscriber]) -> bytes:
    """As a Russian Excel export: BOM, semicolons, CRLF, mixed spellings."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "legacy_contract",
            "holder_name",
            "address",
            "building_type",
            "phone",
            "email",
            "tariff",
            "service_start",
            "balance",
            "status",
            "credit_limit",
        ]
    )
    for i, p in enumerate(people):
        d = p.phone
        phone = [f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}", f"+7{d}", f"+7 {d[:3]} {d[3:]}", d][
            i % 4
        ]
        building = {"apartment": ["квартира", "МКД", "apartment"], "house": ["дом", "частный"]}[
            p.building
        ][i % (2 if p.building == "house" else 3)]
        start = p.start.isoformat() if i % 2 else p.start.strftime("%d.%m.%Y")
        whole, kop = divmod(abs(p.balance_kop), 100)
        balance = f"{'-' if p.balance_kop < 0 else ''}{whole},{kop:02d}" if p.balance_kop else ""
        credit = f"{p.credit_kop // 100}" if p.credit_kop else ""
        writer.writerow(
            [p.legacy, p.holder, p.address, building, phone, p.email, p.tariff, start]
            + [balance, "", credit]
        )
    return "\ufeff".encode() + out.getvalue().encode()


def database_setup() -> str:
    """A fresh database for this run; Django set up and migrated. Returns its description."""
    url = os.environ.get("DATABASE_URL", "")
    os.environ["ABONENT_DEMO"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "abonent.settings")
    if url:
        import psycopg

        parts = urlsplit(url)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
        where = f"{parts.hostname}:{parts.port or 5432}/{BENCH_DB}"
    else:
        var = tempfile.mkdtemp(prefix="abonent-bench-")
        os.environ["ABONENT_VAR_DIR"] = var
        where = f"{var}/abonent.sqlite3"
    sys.path.insert(0, str(PROJECT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import connection

    version = (
        ".".join(str(v) for v in connection.Database.sqlite_version_info)
        if (connection.vendor == "sqlite")
        else f"{connection.cursor().connection.info.server_version // 10000}"
    )
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(
        connection.vendor, connection.vendor
    )
    return f"{name} {version} ({where})"


def catalogue_create() -> dict[str, int]:
    """The tariffs the file refers to: slug → id."""
    from abonent.catalogue.models import ServiceKind, Tariff

    kind = ServiceKind.objects.create(slug="internet", category="internet", name="Интернет")
    return {
        slug: Tariff.objects.create(
            kind=kind, slug=slug, name=slug, building_type=building, fee_kop=50_000
        ).pk
        for slug, building in TARIFFS
    }


def baseline(people: list[Subscriber], tariffs: dict[str, int]) -> float:
    """Seconds for the bare INSERT of the same accounts and opening entries (pre-built rows)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from abonent.accounts.contract import damm_digit
    from abonent.accounts.models import Account
    from abonent.billing.models import LedgerEntry

    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    accounts = []
    entries = []
    for i, p in enumerate(people, start=1):
        body = str(1_000_000 + i)
        accounts.append(
            (
                i,
                body + str(damm_digit(body)),
                p.legacy,
                p.holder,
                p.address,
                p.building,
                "+7" + p.phone,
                p.email,
                "active" if p.balance_kop + p.credit_kop >= 0 else "blocked",
                tariffs[p.tariff],
                ops.adapt_datefield_value(p.start),
                p.balance_kop,
                p.credit_kop,
                "!",
                True,
                0,
                "ru",
                now,
                now,
            )
        )
        if p.balance_kop:
            entries.append(
                (i, "correction", p.balance_kop, p.balance_kop, "Opening balance (import)")
                + (f"import:{p.legacy}", now)
            )
    qn = ops.quote_name
    account_columns = (
        "id contract legacy_contract holder_name address building_type phone email status "
        "tariff_id service_start balance_kop credit_limit_kop password must_change_password "
        "auth_epoch language created_at updated_at"
    ).split()
    entry_columns = "account_id kind amount_kop balance_after_kop reason key created_at".split()
    tables = [
        (Account._meta.db_table, account_columns, accounts),
        (LedgerEntry._meta.db_table, entry_columns, entries),
    ]

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, columns, rows in tables:
            names = ", ".join(qn(c) for c in columns)
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {qn(table)} ({names}) VALUES ({marks})", rows)
    return time.perf_counter() - started


def tables_empty() -> None:
    """Back to an empty schema (as fresh as the backend allows) between the two runs."""
    from django.db import connection

    from abonent.accounts.models import Account
    from abonent.billing.models import LedgerEntry
    from abonent.core.models import AuditEntry

    tables = [m._meta.db_table for m in (LedgerEntry, AuditEntry, Account)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            cursor.execute("VACUUM ANALYZE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute("DELETE FROM sqlite_sequence")
            cursor.execute("VACUUM")


def check(people: list[Subscriber]) -> str:
    """The invariants after the import: counts, and balance == sum(ledger) in total."""
    from django.db.models import Sum

    from abonent.accounts.models import Account
    from abonent.billing.models import LedgerEntry

    accounts = Account.objects.count()
    balances = Account.objects.aggregate(s=Sum("balance_kop"))["s"]
    ledger = LedgerEntry.objects.aggregate(s=Sum("amount_kop"))["s"]
    expected = sum(p.balance_kop for p in people)
    ok = accounts == len(people) and balances == ledger == expected
    return "ok" if ok else f"MISMATCH accounts={accounts} balances={balances} ledger={ledger}"


def main() -> None:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="subscribers (default 100000)")
    args = parser.parse_args()

    where = database_setup()
    from abonent.accounts.importer import accounts_import

    tariffs = catalogue_create()
    started = time.perf_counter()
    people = generate(args.rows)
    data = render_csv(people)
    path = Path(tempfile.mkdtemp(prefix="abonent-bench-csv-")) / "accounts.csv"
    path.write_bytes(data)
    generated = time.perf_counter() - started
    entries = sum(1 for p in people if p.balance_kop)

    base_s = baseline(people, tariffs)
    tables_empty()
    started = time.perf_counter()
    result = accounts_import(data=path.read_bytes(), source=path.name)
    import_s = time.perf_counter() - started
    verdict = check(people)

    n = args.rows
    print(f"abonent bench: import-accounts, {n} rows, {where}")
    print(f"  file     {path} ({len(data) / 1e6:.1f} MB, generated in {generated:.1f} s)")
    print(
        f"  baseline bare insert of {n} accounts + {entries} ledger rows: "
        f"{base_s:6.2f} s {n / base_s:9.0f} rows/s"
    )
    print(
        f"  import   accounts_import (the command's path):                "
        f"{import_s:6.2f} s {n / import_s:9.0f} rows/s "
        f"(read+validate {result.seconds_validate:.2f} s, write {result.seconds_write:.2f} s)"
    )
    print(
        f"  ratio    import/baseline: {import_s / base_s:.2f}x the time "
        f"({(n / import_s) / (n / base_s):.2f} of the rate); "
        f"made {result.created} accounts, {result.ledger_entries} entries; check {verdict}; "
        f"under a minute: {'yes' if import_s < 60 else 'NO'}"
    )
    if verdict != "ok" or result.created != n:
        sys.exit(1)


if __name__ == "__main__":
    main()
