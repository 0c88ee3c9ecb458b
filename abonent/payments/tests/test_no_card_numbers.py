"""No card number ever lands on our side: after a run through every payment path, no text
column of our tables, no log line and no fixture holds a Luhn-valid 13–19 digit number."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.payments.models import Card
from abonent.payments.services import (
    autopay_run,
    autopay_set,
    payment_create,
    refund_create,
    webhook_process,
)

pytestmark = pytest.mark.django_db
# A run of digits standing alone, not a piece of a hex token (idempotency keys, UUIDs).
DIGIT_RUN = re.compile(r"(?<![\w-])\d{13,19}(?![\w-])")
FIXTURES = Path(__file__).parent / "fixtures"
SCANNED_APPS = ("payments", "billing", "core", "messaging", "accounts")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_numbers(text: str) -> list[str]:
    # spaces and dashes between groups, as people write card numbers, count too
    squeezed = re.sub(r"(?<=\d)[ -](?=\d)", "", text)
    return [m for m in DIGIT_RUN.findall(squeezed) if luhn_ok(m)]


def with_check_digit(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if luhn_ok(prefix + d))


def test_the_detector_finds_what_it_must() -> None:
    number = with_check_digit("411111111111111")
    assert card_numbers(f"card {number} ok") == [number]
    spaced = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    assert card_numbers(spaced) == [number]
    assert card_numbers(str(int(number) + 1)) == []


def deliver(acquirer, event, obj, **kw):
    headers, body = acquirer.notification(event, obj, **kw)
    return webhook_process(gateway_name="sandbox", headers=headers, raw_body=body, client_ip="::1")


def run_every_path(acquirer, cashier) -> None:
    account = AccountFactory(balance_kop=0)
    client = Client()
    client.post("/cabinet/login/", {"contract": account.contract, "password": ACCOUNT_PASSWORD})
    saved = payment_create(
        account_id=account.pk, amount_kop=70_000, idempotency_key="a", save_card=True
    )
    obj = acquirer.pay(saved.gateway_payment_id)
    for _ in range(2):
        deliver(acquirer, "payment.succeeded", obj)
    deliver(acquirer, "payment.succeeded", {**obj, "amount": {"value": "1.00", "currency": "RUB"}})
    deliver(acquirer, "payment.succeeded", obj, secret="forged")
    client.get(f"/payments/return/{saved.pk}/")
    card = Card.objects.get(account=account)
    one_click = payment_create(
        account_id=account.pk, amount_kop=10_000, idempotency_key="b", card_id=card.pk
    )
    refund_create(
        payment_id=one_click.pk,
        amount_kop=5_000,
        actor=cashier,
        idempotency_key="r",
        reason="Paid twice by mistake",
    )
    declined = payment_create(account_id=account.pk, amount_kop=20_000, idempotency_key="c")
    deliver(acquirer, "payment.canceled", acquirer.decline(declined.gateway_payment_id))
    acquirer.declined_tokens[card.token] = "card_expired"
    autopay_set(
        account_id=account.pk, enabled=True, rule="threshold", threshold_kop=10**9, topup_kop=30_000
    )
    import datetime as dt

    autopay_run(day=dt.date(2026, 11, 30))


def text_of_every_row() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for label in SCANNED_APPS:
        for model in apps.get_app_config(label).get_models():
            fields = [
                f.attname
                for f in model._meta.concrete_fields
                if isinstance(f, (models.CharField, models.TextField, models.JSONField))
            ]
            for row in model._default_manager.values(*fields):
                for name, value in row.items():
                    if value not in (None, ""):
                        text = value if isinstance(value, str) else json.dumps(value)
                        found.append((f"{model._meta.label}.{name}", text))
    return found


def test_no_card_number_in_the_database_the_logs_or_the_fixtures(acquirer, cashier, caplog):
    caplog.set_level(logging.DEBUG)
    run_every_path(acquirer, cashier)
    rows = text_of_every_row()
    assert any(name == "payments.PaymentEvent.body" for name, _ in rows)  # it did scan them
    leaks = [(name, n) for name, text in rows for n in card_numbers(text)]
    assert caplog.records, "the payment paths log something"
    leaks += [("log", n) for n in card_numbers(caplog.text)]
    for path in sorted(FIXTURES.glob("*")):
        leaks += [(path.name, n) for n in card_numbers(path.read_text())]
    assert not leaks, leaks
