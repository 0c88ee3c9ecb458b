"""Benchmark of payment notifications: signed ``payment.succeeded`` webhooks against
``abonent serve`` on PostgreSQL, beside a trivial endpoint of the same server (not part of the
tests).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/webhooks.py                    # 2 000 payments, 16 clients
    ... --payments 5000 --clients 32 --workers 4 --threads 4  # other shapes

Setup (not measured): drops and creates the database ``abonent_bench_webhooks`` on the server
of ``DATABASE_URL`` (left behind for inspection), migrates it, and writes N active accounts
with a zero balance and, for each, one pending sandbox payment with the gateway's id (as
``payment_create`` leaves it once the acquirer has answered). Then it starts
``abonent serve --no-charge --no-worker --no-collectstatic`` (gunicorn, ``ABONENT_DEMO=1``) on
a free loopback port and waits until it answers.

The sandbox gateway does not call the acquirer back on a notification (``refetch_on_webhook``
is False): the HMAC signature makes the body the acquirer's word, and the service compares its
amount and currency with our own record. That is the path measured; no request leaves the
machine and no acquirer runs.

Measured, with the same client loop (C threads, one keep-alive ``http.client`` connection
each, the same request count, a time cap):

1. the baseline: ``GET`` of a static file (served by whitenoise inside the same Django
   application, before the rest of the middleware): the least work a request to this server
   needs; run before and after the webhooks;
2. the webhooks: one signed ``payment.succeeded`` per payment (a fresh timestamp and signature
   per request, signed as ``docs/payments-protocol.md`` says), each a distinct payment.

Then, not measured: the first 100 notifications are sent again (they must answer
``duplicate``), and the result is checked: every payment succeeded, one ledger entry per
gateway key, every balance equals its payment, one notification record per request, one task
row per credit for the worker to write its notices ("payment received": the webhook enqueues
them in its transaction instead of writing them; the server runs without a worker, so the
worker's share is not in the figures), and ``abonent audit --fast`` passes. Exits non-zero
otherwise. The server is stopped in all cases.

Besides rates and latencies it prints the CPU one request costs: the server's processes (its
process group) and the PostgreSQL backends of the bench database, read from ``/proc`` before
and after each loop. On a machine shared with other work the rates move with the load; the CPU
per request much less, so it is the figure to compare before and after a change (and
``cores x 1000 / ms`` is the most the machine could do if nothing else ran).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "abonent_bench_webhooks"
STATIC_PATH = "/static/abonent/img/favicon.svg"
WEBHOOK_PATH = "/payments/webhooks/sandbox/"
RESEND = 100
GOAL_RPS = 500
GOAL_P99_MS = 100.0


# --- setup ----------------------------------------------------------------------------------


def setup_environment() -> dict[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "bench/webhooks.py needs PostgreSQL: set DATABASE_URL=postgres://user@host:port/db "
            "(a user with CREATEDB; the database named there is not touched)"
        )
    import psycopg

    base = url.rsplit("/", 1)[0]
    try:
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
    except psycopg.Error as exc:
        sys.exit(f"cannot (re)create {BENCH_DB} on {base}: {exc}")
    env = dict(
        os.environ,
        ABONENT_DEMO="1",
        DJANGO_SETTINGS_MODULE="abonent.settings",
        DATABASE_URL=f"{base}/{BENCH_DB}",
    )
    env.pop("ABONENT_TESTING", None)
    os.environ.update(env)
    return env


@dataclass(frozen=True)
class Pay:
    """One pending payment as the acquirer knows it."""

    pk: int
    account_id: int
    gateway_id: str
    amount_kop: int


def build_data(n: int) -> list[Pay]:
    """A tariff, N active accounts at zero, one pending sandbox payment each."""
    import datetime as dt

    from django.db import transaction

    from abonent.accounts.models import Account, AccountStatus
    from abonent.catalogue.models import ServiceKind, Tariff
    from abonent.payments.models import Payment, PaymentStatus

    with transaction.atomic():
        kind = ServiceKind.objects.create(
            slug="bench-internet", category="internet", name="Интернет"
        )
        tariff = Tariff.objects.create(
            kind=kind,
            slug="bench-home-300",
            name="Домашний 300",
            fee_kop=65_000,
            fee_period="month",
            download_kbps=300_000,
        )
        accounts = Account.objects.bulk_create(
            [
                Account(
                    contract=str(30_000_000 + i),
                    holder_name=f"Абонент {i}",
                    address=f"г. Сергиев Посад, ул. Академика Силина, д. {i % 120 + 1}",
                    building_type="apartment",
                    phone=f"+7916{i:07d}",
                    status=AccountStatus.ACTIVE,
                    tariff=tariff,
                    service_start=dt.date(2026, 1, 1),
                    password="!",  # noqa: S106 - unusable: nobody logs in
                    must_change_password=False,
                )
                for i in range(n)
            ],
            batch_size=1000,
        )
        payments = Payment.objects.bulk_create(
            [
                Payment(
                    account=a,
                    amount_kop=(3 + i % 20) * 100_00,
                    currency="RUB",
                    status=PaymentStatus.PENDING,
                    gateway="sandbox",
                    gateway_payment_id=f"bench-{i:06d}-{os.urandom(6).hex()}",
                    idempotency_key=f"bench-{i}",
                    description=f"Пополнение счёта {a.contract}",
                    return_url=f"http://127.0.0.1/payments/return/{i}/",
                    confirmation_url=f"http://127.0.0.1/sandbox-acquirer/pay/bench-{i}",
                )
                for i, a in enumerate(accounts)
            ],
            batch_size=1000,
        )
    from django.db import connection

    with connection.cursor() as c:
        c.execute("ANALYZE")
    return [Pay(p.pk, p.account_id, p.gateway_payment_id, p.amount_kop) for p in payments]


def notification(pay: Pay) -> bytes:
    """The sandbox's ``payment.succeeded`` for one payment, shaped as the protocol says."""
    from abonent.core.money import rubles

    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    obj = {
        "id": pay.gateway_id,
        "status": "succeeded",
        "paid": True,
        "amount": {"value": f"{rubles(pay.amount_kop):.2f}", "currency": "RUB"},
        "description": f"payment {pay.pk}",
        "metadata": {"payment_id": str(pay.pk)},
        "created_at": now,
        "captured_at": now,
        "test": True,
        "payment_method": {
            "type": "bank_card",
            "id": f"tok-{pay.gateway_id}",
            "saved": False,
            "card": {
                "first6": "411111",
                "last4": "1111",
                "expiry_month": "12",
                "expiry_year": "2030",
                "card_type": "Visa",
            },
        },
        "receipt_registration": "succeeded",
        "receipt_url": f"http://127.0.0.1/sandbox-acquirer/receipts/{pay.gateway_id}",
    }
    body = {"type": "notification", "event": "payment.succeeded", "object": obj}
    return json.dumps(body, ensure_ascii=False).encode()


@functools.cache
def webhook_secret() -> str:
    """``ABONENT_SANDBOX_WEBHOOK_SECRET`` as the server reads it (the same environment)."""
    from abonent.payments import conf

    return conf.sandbox_webhook_secret()


def signed_headers(body: bytes) -> dict[str, str]:
    """Headers of a notification sent now: ``v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>``."""
    ts = str(int(time.time()))
    sig = hmac.new(webhook_secret().encode(), ts.encode() + b"." + body, hashlib.sha256)
    return {
        "Content-Type": "application/json",
        "X-Sandbox-Timestamp": ts,
        "X-Sandbox-Signature": "v1=" + sig.hexdigest(),
    }


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``abonent serve`` as a subprocess in its own process group, always stopped."""

    def __init__(self, env: dict[str, str], port: int, workers: int, threads: int) -> None:
        self.port = port
        self.log_path = Path(tempfile.mkstemp(prefix="abonent-bench-webhooks-", suffix=".log")[1])
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 - our own CLI
            [
                sys.executable,
                "-m",
                "abonent",
                "serve",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--no-charge",
                "--no-worker",
                "--no-collectstatic",
            ],
            env=dict(env, WEB_CONCURRENCY=str(workers)),
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", STATIC_PATH)
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self._log.close()


# --- the load loop --------------------------------------------------------------------------

Request = tuple[str, str, bytes | None, Callable[[bytes], dict[str, str]] | None]


@dataclass
class Result:
    """What one loop did."""

    label: str
    elapsed: float
    latencies: list[float]
    statuses: dict[int, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    client_cpu: float = 0.0
    server_cpu: float | None = None  # CPU seconds of the server's processes in the loop
    db_cpu: float | None = None  # ... and of the PostgreSQL backends of the bench database

    @property
    def done(self) -> int:
        return len(self.latencies)

    def rps(self, count: int | None = None) -> float:
        return (self.done if count is None else count) / self.elapsed

    def cpu_ms(self, count: int | None = None) -> tuple[float | None, float | None]:
        """Server and database CPU milliseconds per request (per ``count``, if given)."""
        n = max(self.done if count is None else count, 1)
        return (
            None if self.server_cpu is None else self.server_cpu * 1000 / n,
            None if self.db_cpu is None else self.db_cpu * 1000 / n,
        )

    def pct(self, q: float) -> float:
        """The q-th percentile (nearest rank) in milliseconds."""
        data = sorted(self.latencies)
        rank = max(0, min(len(data) - 1, int(round(q / 100 * len(data) + 0.5)) - 1))
        return data[rank] * 1000


class CpuMeter:
    """CPU seconds used so far by the server (every process of its process group: gunicorn's
    master and workers) and by the PostgreSQL backends connected to the bench database, read
    from ``/proc``. On a shared machine the rates are noisy, but what one request costs in CPU
    is not: it is the figure to compare before and after a change. ``None`` where it cannot be
    read (not Linux, or PostgreSQL on another machine)."""

    def __init__(self, server_pgid: int, admin_url: str) -> None:
        self.pgid = server_pgid
        self.admin_url = admin_url
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def _proc_cpu(self, pid: int) -> tuple[int, float] | None:
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        fields = text.rsplit(")", 1)[1].split()  # after "pid (comm)": state is fields[0]
        return int(fields[2]), (int(fields[11]) + int(fields[12])) / self.tick

    def server(self) -> float | None:
        if not Path("/proc/self/stat").exists():
            return None
        total = 0.0
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (got := self._proc_cpu(int(entry.name))) is not None:
                pgrp, cpu = got
                if pgrp == self.pgid:
                    total += cpu
        return total

    def database(self) -> float | None:
        import psycopg

        try:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                pids = [
                    r[0]
                    for r in conn.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = %s", [BENCH_DB]
                    )
                ]
        except psycopg.Error:
            return None
        cpus = [got[1] for pid in pids if (got := self._proc_cpu(pid)) is not None]
        return sum(cpus) if cpus else None

    def snapshot(self) -> tuple[float | None, float | None]:
        return self.server(), self.database()


def load(
    label: str,
    port: int,
    requests: list[Request],
    clients: int,
    time_cap: float,
    meter: CpuMeter | None = None,
) -> Result:
    """Send ``requests`` from ``clients`` threads (each its own keep-alive connection), each
    taking the next request when its previous one is answered; stop taking after
    ``time_cap`` seconds. With ``meter``, also the CPU the server and the database spent."""
    lock = threading.Lock()
    index = iter(range(len(requests)))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    outcomes: dict[str, int] = {}
    errors: list[str] = []
    deadline = time.perf_counter() + time_cap

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        try:
            while time.perf_counter() < deadline:
                with lock:
                    i = next(index, None)
                if i is None:
                    break
                method, path, body, headers_of = requests[i]
                headers = headers_of(body) if headers_of and body is not None else {}
                started = time.perf_counter()
                try:
                    conn.request(method, path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    with lock:
                        errors.append(f"{path}: {exc!r}")
                    continue
                mine.append(time.perf_counter() - started)
                outcome = ""
                if resp.headers.get_content_type() == "application/json":
                    try:
                        outcome = str(json.loads(data).get("outcome", ""))
                    except ValueError:
                        outcome = "unreadable"
                with lock:
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1
                    if outcome:
                        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    before = meter.snapshot() if meter else (None, None)
    cpu0 = time.process_time()
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    client_cpu = (time.process_time() - cpu0) / elapsed
    after = meter.snapshot() if meter else (None, None)
    server_cpu, db_cpu = (
        None if a is None or b is None else b - a for a, b in zip(before, after, strict=True)
    )
    return Result(
        label,
        elapsed,
        latencies,
        statuses,
        outcomes,
        errors,
        client_cpu,
        server_cpu,
        db_cpu,
    )


def webhook_requests(pays: list[Pay]) -> list[Request]:
    return [("POST", WEBHOOK_PATH, notification(p), signed_headers) for p in pays]


def static_requests(n: int) -> list[Request]:
    return [("GET", STATIC_PATH, None, None)] * n


def statements_of_one(pay: Pay) -> list[str]:
    """The SQL of one webhook, sent in this process through Django's test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    body = notification(pay)
    headers = {k: v for k, v in signed_headers(body).items() if k != "Content-Type"}
    with CaptureQueriesContext(connection) as ctx:
        resp = Client().post(WEBHOOK_PATH, body, content_type="application/json", headers=headers)
    if resp.status_code != 200 or resp.json().get("outcome") != "applied":
        raise RuntimeError(f"in-process webhook answered {resp.status_code}: {resp.content!r}")
    connection.close()
    return [q["sql"] for q in ctx.captured_queries]


def statement_summary(sqls: list[str]) -> str:
    """Counts by table (the first table a statement names) and transaction control."""
    import re

    counts: dict[str, int] = {}
    for sql in sqls:
        m = re.search(r'(?:FROM|INTO|UPDATE) "([a-z]+)_', sql)
        word = sql.split()[0].upper()
        key = m.group(1) if m and word not in ("SAVEPOINT", "RELEASE") else word.lower()
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


# --- checks ---------------------------------------------------------------------------------


def verify(pays: list[Pay], notifications_sent: int, env: dict[str, str]) -> list[str]:
    """Every payment credited exactly once, balances right, the audit clean."""
    from django.db import connection
    from django.db.models import Count

    from abonent.accounts.models import Account
    from abonent.billing.models import LedgerEntry
    from abonent.payments.models import Payment, PaymentEvent, PaymentStatus

    connection.close()
    problems = []
    by_pk = {p.pk: p for p in pays}
    succeeded = Payment.objects.filter(pk__in=by_pk, status=PaymentStatus.SUCCEEDED)
    if (n := succeeded.count()) != len(pays):
        problems.append(f"{len(pays) - n} of {len(pays)} payments are not succeeded")
    keys = {f"sandbox:{p.gateway_id}" for p in pays}
    entries = list(
        LedgerEntry.objects.filter(key__startswith="sandbox:").values_list(
            "key", "account_id", "amount_kop"
        )
    )
    if len(entries) != len(pays) or {e[0] for e in entries} != keys:
        problems.append(f"{len(entries)} ledger entries with gateway keys, expected {len(pays)}")
    want = {(f"sandbox:{p.gateway_id}", p.account_id, p.amount_kop) for p in pays}
    if (bad := len(want - set(entries))) and len(entries) == len(pays):
        problems.append(f"{bad} ledger entries with a wrong account or amount")
    per_account = dict(
        LedgerEntry.objects.values("account_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("account_id", "n")
    )
    if per_account:
        problems.append(f"{len(per_account)} accounts have more than one ledger entry")
    balances = dict(Account.objects.values_list("id", "balance_kop"))
    wrong = sum(1 for p in pays if balances.get(p.account_id) != p.amount_kop)
    if wrong:
        problems.append(f"{wrong} balances differ from their payment")
    linked = Payment.objects.filter(
        pk__in=by_pk, ledger_entry__isnull=False, ledger_entry__key__startswith="sandbox:"
    ).count()
    if linked != len(pays):
        problems.append(f"{len(pays) - linked} payments not linked to their ledger entry")
    events = PaymentEvent.objects.filter(gateway="sandbox", signature_ok=True).count()
    if events != notifications_sent:
        problems.append(f"{events} notifications recorded, {notifications_sent} sent")
    # The notices ("payment received") are the worker's: one task row per credit, written in
    # the credit's transaction (the server runs with --no-worker, so they are all still there).
    from django_tasks_db.models import DBTaskResult

    tasks = DBTaskResult.objects.filter(task_path__endswith=".notify_ledger_posted").count()
    if tasks != len(pays):
        problems.append(f"{tasks} notice tasks for {len(pays)} credits")
    connection.close()
    audit = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "abonent", "audit", "--fast"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    audit_out = (audit.stdout + audit.stderr).strip()
    if audit.returncode != 0 or "OK" not in audit_out:
        problems.append(f"abonent audit --fast failed: {audit_out}")
    else:
        print(f"  {audit_out.splitlines()[-1]}")
    return problems


# --- main -----------------------------------------------------------------------------------


def line(r: Result, what: str, count: int | None = None) -> str:
    return (
        f"  {r.label:<34} {r.rps(count):8.0f} {what}/s   p50 {r.pct(50):7.1f} ms   "
        f"p99 {r.pct(99):7.1f} ms   ({r.done} in {r.elapsed:.2f} s, client CPU "
        f"{r.client_cpu * 100:.0f}% of a core)"
    )


def cpu_line(r: Result, what: str, count: int | None = None) -> str:
    server_ms, db_ms = r.cpu_ms(count)
    if server_ms is None:
        return f"  CPU per {what}: not measured (needs Linux /proc)"
    db = "PostgreSQL backends not readable" if db_ms is None else f"PostgreSQL {db_ms:.2f} ms"
    total = server_ms + (db_ms or 0.0)
    return (
        f"  CPU per {what:<22} server {server_ms:.2f} ms + {db} = {total:.2f} ms "
        f"(at most ~{(os.cpu_count() or 1) * 1000 / total:.0f}/s if nothing else ran)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=2_000, help="webhooks (one per payment)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--time-cap", type=float, default=120.0, help="seconds per loop")
    args = parser.parse_args()
    n = args.payments
    warm = min(args.clients * 4, 200)
    resend = min(RESEND, n)

    def on_term(signum: int, frame: object) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_term)

    env = setup_environment()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    pays = build_data(n + warm + 1)
    connection.close()
    warmup, measured, probe = pays[:warm], pays[warm:-1], pays[-1]
    print(
        f"webhooks bench: PostgreSQL {BENCH_DB}, {n:,} payments (+{warm} for warm-up), "
        f"{args.clients} clients, gunicorn {args.workers} workers x {args.threads} threads, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"  data built in {time.perf_counter() - t0:.1f} s")
    print(
        "  path: sandbox gateway, signature + timestamp checked, amount/currency compared with "
        "our record (refetch_on_webhook False: no call to the acquirer)"
    )

    load1 = os.getloadavg()[0]
    print(
        f"  load average before the run: {load1:.2f} on {os.cpu_count()} CPUs"
        + ("  (other processes are busy: figures will be low and noisy)" if load1 > 1 else "")
    )
    server = Server(env, free_port(), args.workers, args.threads)
    meter = CpuMeter(server.proc.pid, env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres")
    try:
        server.wait_ready()
        # warm every worker's code paths and connections (not measured)
        load("warm-up", server.port, static_requests(warm * 4), args.clients, 30)
        w = load("warm-up", server.port, webhook_requests(warmup), args.clients, 60)
        if w.statuses != {200: warm}:
            raise RuntimeError(f"warm-up webhooks answered {w.statuses}:\n{server.tail()}")

        base1 = load(
            f"baseline GET {STATIC_PATH.rsplit('/', 1)[1]}",
            server.port,
            static_requests(n),
            args.clients,
            args.time_cap,
            meter,
        )
        hooks = load(
            "webhooks payment.succeeded",
            server.port,
            webhook_requests(measured),
            args.clients,
            args.time_cap,
            meter,
        )
        base2 = load(
            "baseline again (after)",
            server.port,
            static_requests(n),
            args.clients,
            args.time_cap,
            meter,
        )
        again = load(
            "re-sent (must be duplicate)",
            server.port,
            webhook_requests(measured[:resend]),
            args.clients,
            30,
        )
    finally:
        server.stop()
    print(f"  server stopped (log: {server.log_path})")

    credited = hooks.outcomes.get("applied", 0)
    print(line(base1, "req"))
    print(line(hooks, "credited", credited))
    print(line(base2, "req"))
    print(cpu_line(base1, "static GET"))
    print(cpu_line(hooks, "credited webhook", credited))
    base_rps = (base1.rps() + base2.rps()) / 2
    base_p50 = (base1.pct(50) + base2.pct(50)) / 2
    base_p99 = (base1.pct(99) + base2.pct(99)) / 2
    print(
        f"  webhooks: statuses {hooks.statuses}, outcomes {hooks.outcomes}; "
        f"re-sent {resend}: {again.outcomes}"
    )
    print(
        f"  ratio webhook rps / baseline rps:   {hooks.rps(credited) / base_rps:6.3f}  "
        f"(baseline = mean of before/after: {base_rps:.0f} req/s)"
    )
    print(
        f"  ratio webhook p99 / baseline p99:   {hooks.pct(99) / base_p99:6.1f}  "
        f"(p50 ratio {hooks.pct(50) / base_p50:.1f})"
    )
    met_rps = hooks.rps(credited) >= GOAL_RPS
    met_p99 = hooks.pct(99) <= GOAL_P99_MS
    print(
        f"  goal >= {GOAL_RPS} credited/s: {'met' if met_rps else 'NOT met'}; "
        f"goal p99 <= {GOAL_P99_MS:.0f} ms: {'met' if met_p99 else 'NOT met'}"
    )

    problems = []
    for r in (base1, hooks, base2, again):
        if r.errors:
            problems.append(f"{r.label}: {len(r.errors)} transport errors, e.g. {r.errors[0]}")
    for r in (base1, base2):
        if r.statuses != {200: n}:
            problems.append(f"{r.label}: answered {r.statuses} (expected {n} x 200)")
    if credited != n or hooks.statuses != {200: n}:
        problems.append(f"webhooks: {credited} of {n} applied, statuses {hooks.statuses}")
    if again.outcomes != {"duplicate": resend}:
        problems.append(f"re-sent notifications answered {again.outcomes}, not all duplicate")
    sqls = statements_of_one(probe)
    print(
        f"  SQL statements of one webhook (in-process, same code): {len(sqls)} "
        f"({statement_summary(sqls)})"
    )
    problems += verify(pays, warm + hooks.done + again.done + 1, env)
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print(f"  checked: {len(pays)} payments credited exactly once, balances match, audit clean")


if __name__ == "__main__":
    main()
