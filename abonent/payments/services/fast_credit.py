"""The webhook's fast path: the common credit written as one SQL statement (PostgreSQL).

The common notification is a ``payment.succeeded`` for a pending top-up of ours, with our
amount and currency, on an ``active`` account, the card not to be saved. Through the ORM that
costs seven statements after ``BEGIN`` and about 2 ms of Python building, dumping and reading
them (the payment and account looked up and locked, the account's balance, the ledger entry,
the notices' task row, the payment, the notification's record). Here it is one statement,
written once per process from the models, with data-modifying ``WITH`` clauses:

1. ``p``: the payment and its account, found by the gateway's id **and** the conditions of
   the common case, both rows locked (``FOR UPDATE``, as ``lock_objects`` does). A row that no
   longer matches once its lock is granted (a concurrent copy of the same notification
   credited it: ``status`` is no longer ``pending``) is dropped by PostgreSQL's re-check;
2. ``a``: the account's balance moved (``balance_kop + amount``), ``RETURNING`` the new one;
3. ``e``: the ledger entry (kind ``payment``, key ``"<gateway>:<gateway payment id>"``,
   ``balance_after_kop`` the new balance) — the key's unique index stays the last word;
4. ``u``: the payment ``succeeded`` and linked to its entry, as ``payment_apply_gateway_state``
   leaves it;
5. ``t``: the task row of the notices (``notify_ledger_posted(entry_id, was="")``) as
   django-tasks-db's ``enqueue`` writes it (an ``active`` account stays active: no "services
   on"; its constant columns are taken from that backend's own model once per process);
6. ``ev``: the notification's record, outcome ``applied``.

No row back means "not the common case": nothing was written and nothing locked, and the
caller goes on with the ORM path in the same transaction (``payment_apply_gateway_state``):
new or blocked accounts that need ``account_settle``, mismatches, unknown or final payments,
card checks, cards to save, refunds. The tests run both paths on the same inputs and compare
the rows column by column (``test_fast_credit.py``).

The statement goes through a server-side-binding psycopg cursor, so psycopg prepares it on
the connection after a few runs: PostgreSQL parses and plans it once per connection, not once
per webhook (Django's own cursors bind on the client and are never prepared).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from dataclasses import dataclass
from typing import Any, cast

from django.db import connections, transaction
from django.db.models import Field, Model, signals

from abonent.accounts.models import Account, AccountStatus
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.payments import conf
from abonent.payments.gateways.base import GatewayPayment
from abonent.payments.models import (
    EventOutcome,
    Payment,
    PaymentEvent,
    PaymentPurpose,
    PaymentStatus,
)


@dataclass(frozen=True)
class FastCredit:
    """What the statement wrote."""

    payment_id: int
    entry_id: int
    event_id: int
    balance_kop: int


@dataclass(frozen=True)
class _Plan:
    sql: str
    task_constants: dict[str, Any]


_plans: dict[str, _Plan | None] = {}


def _task_backend() -> Any:
    """The backend of the notices' task when it is django-tasks-db's (else None: the fast
    path then stays off, and the ORM path enqueues through whatever backend is set)."""
    from django_tasks_db.backend import DatabaseBackend

    from abonent.messaging.tasks import notify_ledger_posted

    backend = notify_ledger_posted.get_backend()
    return backend if isinstance(backend, DatabaseBackend) else None


def _task_constants(alias: str) -> dict[str, Any]:
    """The task row's columns that do not change between webhooks, made as django-tasks-db's
    ``enqueue`` makes them: its model with the task's priority, path, queue and backend, its
    ``pre_save`` receivers run (``run_after`` becomes its "no date" value), each value
    prepared for the database by its field."""
    from django_tasks_db.models import DBTaskResult

    from abonent.messaging.tasks import notify_ledger_posted as task

    backend = _task_backend()
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "args_kwargs": {"args": [], "kwargs": {}},
        "priority": task.priority,
        "task_path": task.module_path,
        "queue_name": task.queue_name,
        "run_after": task.run_after,
        "backend_name": backend.alias,
    }
    row: Any = DBTaskResult(**values)
    signals.pre_save.send(
        sender=DBTaskResult, instance=row, raw=False, using=alias, update_fields=None
    )
    connection = connections[alias]
    varying = {"id", "args_kwargs", "enqueued_at"}
    return {
        f.column: f.get_db_prep_save(getattr(row, f.attname), connection)
        for f in DBTaskResult._meta.concrete_fields
        if f.attname not in varying
    }


def _build(alias: str) -> _Plan | None:
    connection = connections[alias]
    if connection.vendor != "postgresql" or _task_backend() is None:
        return None
    from django_tasks_db.models import DBTaskResult

    q = connection.ops.quote_name

    def table(model: type[Model]) -> str:
        return q(model._meta.db_table)

    def col(model: type[Model], name: str) -> str:
        return q(cast(Field, model._meta.get_field(name)).column)

    constants = _task_constants(alias)
    types = {f.column: f.db_type(connection) for f in DBTaskResult._meta.concrete_fields}
    task_columns = ["id", "args_kwargs", "enqueued_at", *constants]
    task_values = [
        "%(task_id)s::uuid",
        "jsonb_build_object('args', '[]'::jsonb, 'kwargs', "
        "jsonb_build_object('entry_id', e.id, 'was', ''))",
        "%(now)s::timestamptz",
        *(f"%(task_{c})s::{types[c]}" for c in constants),
    ]
    P, A, L, E = Payment, Account, LedgerEntry, PaymentEvent  # noqa: N806 - model aliases
    # Only the models' own names, quoted, go into the text; every value is a parameter.
    sql = f"""
WITH p AS (
    SELECT p.{col(P, "id")} AS id, p.{col(P, "account")} AS account_id,
           p.{col(P, "amount_kop")} AS amount_kop
    FROM {table(P)} p INNER JOIN {table(A)} a ON a.{col(A, "id")} = p.{col(P, "account")}
    WHERE p.{col(P, "gateway")} = %(gateway)s
      AND p.{col(P, "gateway_payment_id")} = %(gateway_payment_id)s
      AND p.{col(P, "status")} = %(pending)s
      AND p.{col(P, "purpose")} = %(topup)s
      AND p.{col(P, "amount_kop")} = %(amount_kop)s::bigint
      AND p.{col(P, "currency")} = %(currency)s
      AND a.{col(A, "status")} = %(active)s
    FOR UPDATE
), a AS (
    UPDATE {table(A)} acc
    SET {col(A, "balance_kop")} = acc.{col(A, "balance_kop")} + p.amount_kop,
        {col(A, "updated_at")} = %(now)s::timestamptz
    FROM p WHERE acc.{col(A, "id")} = p.account_id
    RETURNING acc.{col(A, "id")} AS id, acc.{col(A, "balance_kop")} AS balance_kop
), e AS (
    INSERT INTO {table(L)} ({col(L, "account")}, {col(L, "kind")}, {col(L, "amount_kop")},
        {col(L, "balance_after_kop")}, {col(L, "reason")}, {col(L, "key")}, {col(L, "item")},
        {col(L, "period_start")}, {col(L, "period_end")}, {col(L, "created_by")},
        {col(L, "created_at")})
    SELECT a.id, %(kind)s::text, p.amount_kop, a.balance_kop, %(reason)s::text || p.id::text,
        %(key)s::text, NULL, NULL, NULL, NULL, %(now)s::timestamptz
    FROM p INNER JOIN a ON a.id = p.account_id
    RETURNING {col(L, "id")} AS id
), u AS (
    UPDATE {table(P)} pay
    SET {col(P, "status")} = %(succeeded)s::text, {col(P, "failure_reason")} = '',
        {col(P, "finished_at")} = %(now)s::timestamptz, {col(P, "ledger_entry")} = e.id,
        {col(P, "receipt_url")} = %(receipt_url)s::text,
        {col(P, "updated_at")} = %(now)s::timestamptz,
        {col(P, "card_title")} = CASE WHEN pay.{col(P, "card_title")} = ''
            THEN %(card_title)s::text ELSE pay.{col(P, "card_title")} END
    FROM p, e WHERE pay.{col(P, "id")} = p.id
    RETURNING pay.{col(P, "id")} AS id
), t AS (
    INSERT INTO {table(DBTaskResult)} ({", ".join(q(c) for c in task_columns)})
    SELECT {", ".join(task_values)} FROM e
), ev AS (
    INSERT INTO {table(E)} ({col(E, "gateway")}, {col(E, "event_type")},
        {col(E, "gateway_object_id")}, {col(E, "payment")}, {col(E, "body")},
        {col(E, "signature_ok")}, {col(E, "client_ip")}, {col(E, "outcome")},
        {col(E, "detail")}, {col(E, "received_at")})
    SELECT %(gateway)s::text, %(event_type)s::text, %(object_id)s::text, u.id, %(body)s::jsonb,
        true, %(client_ip)s::inet, %(applied)s::text, '', %(received_at)s::timestamptz
    FROM u
    RETURNING {col(E, "id")} AS id
)
SELECT u.id, e.id, ev.id, a.balance_kop FROM u, e, ev, a"""  # noqa: S608
    return _Plan(sql=sql, task_constants=constants)


def _plan(alias: str) -> _Plan | None:
    if alias not in _plans:
        _plans[alias] = _build(alias)
    return _plans[alias]


@functools.cache
def _prepared_cursor_class() -> type:
    """psycopg's server-side-binding cursor, every statement prepared (Django turns psycopg's
    automatic preparing off, ``prepare_threshold=None``, and its own cursors bind on the
    client): PostgreSQL parses and plans the statement once per connection."""
    import psycopg

    class PreparedCursor(psycopg.Cursor):  # type: ignore[type-arg]
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            return super().execute(query, params, prepare=True)

        def _convert_query(self, query: Any, params: Any = None) -> Any:
            # psycopg keeps the text of a statement it sends unprepared only; keep it for a
            # prepared one too, so Django's query log (DEBUG, tests) shows what ran.
            pgq = super()._convert_query(query, params)
            self._query = pgq
            return pgq

    return PreparedCursor


def fast_credit_possible(gp: GatewayPayment, *, using: str = "default") -> bool:
    """Whether the fast path may be tried for this gateway state: PostgreSQL with
    django-tasks-db, a ``succeeded`` payment whose card is not to be saved, the path on."""
    return (
        gp.status == "succeeded"
        and (gp.card is None or not gp.card.saved)
        and conf.webhook_fast_path()
        and _plan(using) is not None
    )


def payment_credit_fast(
    *,
    gateway_name: str,
    gp: GatewayPayment,
    event_type: str,
    object_id: str,
    body: dict[str, Any],
    client_ip: str | None,
    received_at: dt.datetime,
    now: dt.datetime,
    using: str = "default",
) -> FastCredit | None:
    """Credit the common case in one statement inside the caller's transaction (the webhook's),
    and record the notification as ``applied``; None (nothing written) when it is not the
    common case. Call only when ``fast_credit_possible(gp)``."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("the fast credit needs a transaction")
    plan = _plan(using)
    assert plan is not None  # noqa: S101 - fast_credit_possible said so
    title = f"{gp.card.brand or 'Card'} •••• {gp.card.last4}"[:64] if gp.card else ""
    params: dict[str, Any] = {
        "gateway": gateway_name,
        "gateway_payment_id": gp.id,
        "pending": PaymentStatus.PENDING.value,
        "topup": PaymentPurpose.TOPUP.value,
        "amount_kop": gp.amount_kop,
        "currency": gp.currency,
        "active": AccountStatus.ACTIVE.value,
        "now": now,
        "kind": EntryKind.PAYMENT.value,
        "reason": "card payment ",
        "key": f"{gateway_name}:{gp.id}",
        "succeeded": PaymentStatus.SUCCEEDED.value,
        "receipt_url": gp.receipt_url[:1000],
        "card_title": title,
        "task_id": uuid.uuid4(),
        "event_type": event_type[:64],
        "object_id": object_id[:64],
        "body": json.dumps(body),
        "client_ip": client_ip,
        "applied": EventOutcome.APPLIED.value,
        "received_at": received_at,
        **{f"task_{c}": v for c, v in plan.task_constants.items()},
    }
    connection.ensure_connection()
    # A server-side-binding cursor that prepares the statement on its connection, wrapped as
    # Django wraps its own (query logging, execute wrappers).
    pg = connection.connection
    if pg.prepare_threshold is None:
        # Django's "never prepare" (its own cursors bind on the client and would not prepare
        # anyway): let a statement that asks be prepared, and none other automatically.
        pg.prepare_threshold = 2**31 - 1
    raw = _prepared_cursor_class()(pg)
    with connection._prepare_cursor(raw) as cursor:  # type: ignore[attr-defined]
        cursor.execute(plan.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return FastCredit(*(int(v) for v in row))
