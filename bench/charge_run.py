"""Benchmark of the charge run (not part of the tests).

Builds N accounts with a realistic mix (monthly and daily tariffs, add-ons, one in ten short of
money), then in one process measures, for the 1st of a month (monthly and daily fees due):

1. the charge run: `abonent charge --date D` as a subprocess (its peak memory is measured);
2. the baseline: the bare SQL that writes the same ledger rows and balance/status updates on a
   copy of the same tables with the same indexes (no ranges, no locks, no idempotency checks);
3. a re-run of the same day (must charge nothing).

It prints the three times and the ratios, checks that both produced the same rows, and that
`abonent audit` passes.

    .venv/bin/python bench/charge_run.py                      # SQLite, 100 000 accounts
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/charge_run.py                  # PostgreSQL, 1 000 000 accounts
    ... --accounts 20000                                      # smaller

On PostgreSQL it drops and creates the database `abonent_bench_charge` and leaves it behind.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2026, 12, 1)
BENCH_DB = "abonent_bench_charge"


def setup_environment(use_pg: bool) -> dict[str, str]:
    env = dict(os.environ, ABONENT_DEMO="1", DJANGO_SETTINGS_MODULE="abonent.settings")
    if use_pg:
        import psycopg

        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
        env["DATABASE_URL"] = f"{base}/{BENCH_DB}"
    else:
        env.pop("DATABASE_URL", None)
        env["ABONENT_VAR_DIR"] = tempfile.mkdtemp(prefix="abonent-bench-charge-")
    os.environ.update(env)
    if not use_pg:
        os.environ.pop("DATABASE_URL", None)
    return env


def q(cursor, sql: str, params=None):  # type: ignore[no-untyped-def]
    """Execute; with params, a literal % must be written %%."""
    cursor.execute(sql, params)
    return cursor


def build_data(n: int) -> dict[str, int]:
    """Catalogue, N accounts with opening payments, add-ons on one in five."""
    from django.db import connection, transaction

    from abonent.catalogue.models import Addon, ServiceKind, Tariff

    kind = ServiceKind.objects.create(slug="internet", category="internet", name="Интернет")
    tariffs = [
        Tariff.objects.create(
            kind=kind,
            slug=f"m{i}",
            name=f"M{i}",
            fee_kop=fee,
            fee_period="month",
            download_kbps=100_000 * (i + 1),
        )
        for i, fee in enumerate([45_000, 65_000, 85_000, 120_000])
    ] + [
        Tariff.objects.create(
            kind=kind,
            slug=f"d{i}",
            name=f"D{i}",
            fee_kop=fee,
            fee_period="day",
            download_kbps=50_000,
        )
        for i, fee in enumerate([2_500, 4_000])
    ]
    addons = [
        Addon.objects.create(kind=kind, slug="ip", name="IP", fee_kop=15_000, period="month"),
        Addon.objects.create(kind=kind, slug="av", name="AV", fee_kop=9_900, period="month"),
        Addon.objects.create(kind=kind, slug="boost", name="B", fee_kop=1_000, period="day"),
    ]
    t = [x.pk for x in tariffs]
    a = [x.pk for x in addons]
    pg = connection.vendor == "postgresql"
    series = (
        "generate_series(1, %(n)s) AS s(i)"
        if pg
        else "(WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < %(n)s)"
        " SELECT i FROM r) AS s"
    )
    contract = "(10000000 + i)::text" if pg else "CAST(10000000 + i AS TEXT)"
    tariff_of = (
        f"CASE i %% 10 WHEN 0 THEN {t[4]} WHEN 1 THEN {t[5]} WHEN 2 THEN {t[4]} "
        f"WHEN 3 THEN {t[1]} WHEN 4 THEN {t[2]} WHEN 5 THEN {t[3]} ELSE {t[0]} END"
    )
    now = "now()" if pg else "CURRENT_TIMESTAMP"
    with transaction.atomic(), connection.cursor() as c:
        q(
            c,
            f"""
            INSERT INTO accounts_account (contract, legacy_contract, holder_name, address,
                building_type, phone, email, status, tariff_id, service_start, balance_kop,
                credit_limit_kop, password, must_change_password, auth_epoch, language,
                created_at, updated_at)
            SELECT {contract}, '', 'Абонент ' || i, 'Сергиев Посад, д. ' || i, 'apartment',
                   '+791' || {contract}, '', 'active', {tariff_of}, '2026-01-01',
                   CASE WHEN i %% 10 = 7 THEN 1500 ELSE 250000 END,
                   CASE WHEN i %% 50 = 0 THEN 10000 ELSE 0 END, '!', false, 0, 'ru', {now}, {now}
            FROM {series}
        """,
            {"n": n},
        )
        q(
            c,
            f"""
            INSERT INTO billing_ledgerentry (account_id, kind, amount_kop, balance_after_kop,
                reason, created_at)
            SELECT id, 'payment', balance_kop, balance_kop, 'bench opening', {now}
            FROM accounts_account
        """,
        )
        q(
            c,
            f"""
            INSERT INTO billing_accountaddon (account_id, addon_id, started_on, created_at)
            SELECT id, CASE id % 3 WHEN 0 THEN {a[0]} WHEN 1 THEN {a[1]} ELSE {a[2]} END,
                   '2026-01-01', {now}
            FROM accounts_account WHERE id % 5 = 0
        """,
        )
    if pg:
        with connection.cursor() as c:
            q(c, "ANALYZE")
    return {"tariffs": len(t), "addons": len(a)}


def copy_tables() -> None:
    """bench_acc / bench_led: copies of the accounts and ledger with the same indexes."""
    from django.db import connection

    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            for src, dst in (
                ("accounts_account", "bench_acc"),
                ("billing_ledgerentry", "bench_led"),
            ):
                q(c, f"CREATE TABLE {dst} (LIKE {src} INCLUDING ALL)")
                q(c, f"INSERT INTO {dst} SELECT * FROM {src}")
            q(
                c,
                "SELECT setval(pg_get_serial_sequence('bench_led', 'id'), "
                "(SELECT MAX(id) FROM bench_led))",
            )
            q(c, "ALTER TABLE bench_led ADD FOREIGN KEY (account_id) REFERENCES bench_acc (id)")
            q(c, "ANALYZE")
        else:
            for src, dst in (
                ("accounts_account", "bench_acc"),
                ("billing_ledgerentry", "bench_led"),
            ):
                rows = q(
                    c,
                    "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s "
                    "AND sql IS NOT NULL ORDER BY type DESC",
                    [src],
                ).fetchall()
                for kind, name, sql in rows:
                    sql = sql.replace(f'"{src}"', f'"{dst}"').replace(
                        '"accounts_account"', '"bench_acc"'
                    )
                    if kind == "index":
                        sql = sql.replace(f'"{name}"', f'"bench_{name}"')
                    q(c, sql)
                q(c, f"INSERT INTO {dst} SELECT * FROM {src}")


def baseline() -> float:
    """The same charges as bare SQL over the copies: one statement each, no checks."""
    from django.db import connection, transaction

    p = {"day": DAY, "end": dt.date(2026, 12, 31)}
    due = """
        WITH due AS (
            SELECT a.id AS account_id, 'tariff' AS item, 'fee' AS kind, t.fee_kop AS amount,
                   CASE WHEN t.fee_period = 'month' THEN %(end)s ELSE %(day)s END AS period_end
            FROM bench_acc a JOIN catalogue_tariff t ON t.id = a.tariff_id
            WHERE a.status = 'active'
            UNION ALL
            SELECT a.id, 'addon:' || s.addon_id, 'addon_fee', ad.fee_kop,
                   CASE WHEN ad.period = 'month' THEN %(end)s ELSE %(day)s END
            FROM bench_acc a JOIN billing_accountaddon s ON s.account_id = a.id
                 JOIN catalogue_addon ad ON ad.id = s.addon_id
            WHERE a.status = 'active'
        ), tot AS (SELECT account_id, SUM(amount) AS total FROM due GROUP BY account_id)
    """
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        q(
            c,
            due
            + """
            INSERT INTO bench_led (account_id, kind, amount_kop, balance_after_kop, reason,
                item, period_start, period_end, created_at)
            SELECT d.account_id, d.kind, -d.amount,
                   a.balance_kop - SUM(d.amount) OVER (PARTITION BY d.account_id ORDER BY d.item
                                                       ROWS UNBOUNDED PRECEDING),
                   '', d.item, %(day)s, d.period_end, CURRENT_TIMESTAMP
            FROM due d JOIN tot ON tot.account_id = d.account_id
                 JOIN bench_acc a ON a.id = d.account_id
            WHERE a.balance_kop + a.credit_limit_kop >= tot.total
            ORDER BY d.account_id, d.item
        """,
            p,
        )
        q(
            c,
            due
            + """
            UPDATE bench_acc SET status = 'blocked'
            FROM tot WHERE tot.account_id = bench_acc.id
              AND bench_acc.balance_kop + bench_acc.credit_limit_kop < tot.total
        """,
            p,
        )
        q(
            c,
            due
            + """
            UPDATE bench_acc SET balance_kop = balance_kop - tot.total
            FROM tot WHERE tot.account_id = bench_acc.id AND bench_acc.status = 'active'
        """,
            p,
        )
    return time.perf_counter() - started


def run_cli(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "abonent", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"abonent {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed, proc.stdout.strip()


def seconds_of(output: str) -> float:
    """The "in X.XX s" the charge command prints."""
    return float(output.rsplit(" in ", 1)[1].split()[0])


def compare() -> tuple[int, int]:
    """The run's charges and the baseline's must be the same rows."""
    from django.db import connection

    cols = "account_id, kind, amount_kop, balance_after_kop, item, period_start, period_end"
    with connection.cursor() as c:
        ours = q(c, "SELECT COUNT(*) FROM billing_ledgerentry WHERE item IS NOT NULL").fetchone()[0]
        diff = q(
            c,
            f"""
            SELECT COUNT(*) FROM (
                SELECT {cols} FROM billing_ledgerentry WHERE item IS NOT NULL
                EXCEPT SELECT {cols} FROM bench_led WHERE item IS NOT NULL) x
        """,
        ).fetchone()[0]
        diff += q(
            c,
            """
            SELECT COUNT(*) FROM accounts_account a JOIN bench_acc b ON a.id = b.id
            WHERE a.balance_kop <> b.balance_kop OR a.status <> b.status
        """,
        ).fetchone()[0]
    return ours, diff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=0)
    args = parser.parse_args()
    use_pg = bool(os.environ.get("DATABASE_URL"))
    n = args.accounts or (1_000_000 if use_pg else 100_000)
    env = setup_environment(use_pg)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    engine = connection.vendor
    print(f"charge-run bench: {engine}, {n:,} accounts, billing day {DAY}")
    t0 = time.perf_counter()
    build_data(n)
    copy_tables()
    print(f"  data built in {time.perf_counter() - t0:.1f} s")
    connection.close()

    base = baseline()
    connection.close()
    run, run_out = run_cli(env, "charge", "--date", DAY.isoformat())
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rerun, rerun_out = run_cli(env, "charge", "--date", DAY.isoformat())
    charges, diff = compare()
    audit_time, audit_out = run_cli(env, "audit", "--fast")

    print(f"  baseline (bare SQL, same rows):  {base:8.2f} s")
    print(f"  charge run (abonent charge):     {run:8.2f} s   {run_out}")
    print(f"  re-run of the same day:          {rerun:8.2f} s   {rerun_out}")
    print(f"  peak memory of the run:          {peak_mb:8.0f} MB")
    print(f"  charges written: {charges:,}; rows differing from the baseline: {diff}")
    print(f"  {audit_out} ({audit_time:.1f} s)")
    inner_run, inner_rerun = seconds_of(run_out), seconds_of(rerun_out)
    print(
        f"  inside the command (without process start): run {inner_run:.2f} s, "
        f"re-run {inner_rerun:.2f} s"
    )
    print(
        f"  ratio run / baseline:   {inner_run / base:5.2f}  (goal ≤ 1.5; whole process "
        f"{run / base:.2f})"
    )
    print(
        f"  ratio re-run / run:     {inner_rerun / inner_run:5.2f}  (goal ≤ 0.3; whole process "
        f"{rerun / run:.2f})"
    )
    if diff or "OK" not in audit_out:
        sys.exit("the run and the baseline disagree, or the audit failed")


if __name__ == "__main__":
    main()
