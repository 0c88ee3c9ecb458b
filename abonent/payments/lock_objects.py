"""Row locks of payments (as Saleor keeps them, in ``lock_objects``).

``payment_lock_by_gateway_id`` is the webhook's look-up: the payment with the gateway's id and
its account, both locked until the caller's transaction ends, in one statement. It is the
same query as ``Payment.objects.select_for_update().select_related("account").filter(...)``,
but its SQL is written once per process from the models' columns instead of being compiled
by the ORM on every call: compiling that join of ~50 columns was the largest single share of
a webhook's Python time. The rows become model instances the way the ORM makes them
(``Model.from_db`` after the database's and the fields' converters), so nothing downstream can
tell the difference. On SQLite there is no ``FOR UPDATE``: its ``IMMEDIATE`` transactions
already serialise writers (as the ORM's ``select_for_update`` is a no-op there).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction
from django.db.models import Model

from abonent.accounts.models import Account
from abonent.payments.models import Payment

Converter = tuple[list[Callable[..., Any]], Any]


@dataclass(frozen=True)
class _Plan:
    """What one database needs to run the look-up and read its row."""

    sql: str
    payment_names: list[str]
    account_names: list[str]
    converters: dict[int, Converter]


_plans: dict[str, _Plan] = {}


def _plan(alias: str) -> _Plan:
    plan = _plans.get(alias)
    if plan is None:
        plan = _plans[alias] = _build(alias)
    return plan


def _build(alias: str) -> _Plan:
    connection = connections[alias]
    q = connection.ops.quote_name
    models: Sequence[type[Model]] = (Payment, Account)
    columns: list[str] = []
    converters: dict[int, Converter] = {}
    for model, table_alias in zip(models, ("p", "a"), strict=True):
        for field in model._meta.concrete_fields:
            col = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                converters[len(columns)] = (found, col)
            columns.append(f"{table_alias}.{q(field.column)}")
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    tables = (
        f"{q(Payment._meta.db_table)} p INNER JOIN {q(Account._meta.db_table)} a "
        f"ON a.{q('id')} = p.{q('account_id')}"
    )
    where = f"p.{q('gateway')} = %s AND p.{q('gateway_payment_id')} = %s"
    # Only the models' own names, quoted, go into the text; the values are parameters.
    sql = f"SELECT {', '.join(columns)} FROM {tables} WHERE {where}{lock}"  # noqa: S608
    return _Plan(
        sql=sql,
        payment_names=[f.attname for f in Payment._meta.concrete_fields],
        account_names=[f.attname for f in Account._meta.concrete_fields],
        converters=converters,
    )


def payment_lock_by_gateway_id(
    *, gateway: str, gateway_payment_id: str, using: str = "default"
) -> Payment | None:
    """The payment of ``gateway`` with that id, its ``account`` loaded, both rows locked for
    the rest of the caller's transaction; None when there is none."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("a row lock needs a transaction")
    plan = _plan(using)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, [gateway, gateway_payment_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, (functions, col) in plan.converters.items():
        for convert in functions:
            values[index] = convert(values[index], col, connection)
    split = len(plan.payment_names)
    payment = Payment.from_db(using, plan.payment_names, values[:split])
    payment.account = Account.from_db(using, plan.account_names, values[split:])
    return payment
