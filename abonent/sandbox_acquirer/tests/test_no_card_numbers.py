"""No card number (any Luhn-valid 13–19 digits) is stored or logged after every sandbox flow."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.apps import apps
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone
from django.views.debug import SafeExceptionReporterFilter

from abonent.sandbox_acquirer import views
from abonent.sandbox_acquirer.cards import luhn_valid
from abonent.sandbox_acquirer.webhooks import deliver_due

from .conftest import FakeTransport, pay_card

pytestmark = pytest.mark.django_db

# A run of digits standing alone (not a piece of a UUID or another hex/word token).
GROUPED = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")


def card_numbers_in(text: str) -> set[str]:
    """Luhn-valid 13–19 digit numbers, written together or in groups."""
    found = set()
    for match in GROUPED.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            found.add(digits)
    return found


def test_the_scanner_finds_numbers():
    assert card_numbers_in("x 4111 1111 1111 1111 y") == {"4111111111111111"}
    assert card_numbers_in('"5555555555554444"') == {"5555555555554444"}
    assert card_numbers_in("4111111111111112 2026-01-01 12:00:00.123456") == set()
    # digits inside a UUID are not a card number, even when they pass Luhn
    assert card_numbers_in("9eac0207-a25c-4107-8611-38340228bf32") == set()


def all_flows(api, client, transport) -> None:
    for number in (
        "4111 1111 1111 1111",
        "5555 5555 5555 4444",
        "2200 0000 0000 0004",
        "4000 0000 0000 0002",
        "4000 0000 0000 0069",
        "4000 0000 0000 0341",
    ):
        payment = api.create_payment(save_payment_method=True)
        pay_card(client, payment, number)
    for code in ("123456", "000000"):
        payment = api.create_payment(save_payment_method=True)
        pay_card(client, payment, "4000 0000 0000 3220")
        client.post(f"/sandbox-acquirer/pay/{payment['id']}/3ds", {"code": code})
    payment = api.create_payment()
    # bad inputs: mistyped, expired, short CVC, not a test card
    pay_card(client, payment, "4111 1111 1111 1112")
    pay_card(client, payment, "4111 1111 1111 1111", expiry="01/20")
    pay_card(client, payment, "4111 1111 1111 1111", cvc="1")
    pay_card(client, payment, "4242 4242 4242 4242")
    pay_card(client, payment, "5555 5555 5555 4444")
    body = api.get(f"payments/{payment['id']}").json()
    token = body["payment_method"]["id"]
    charge = {"amount": {"value": "10.00", "currency": "RUB"}, "payment_method_id": token}
    api.post("payments", charge)
    api.post(
        "refunds", {"payment_id": payment["id"], "amount": {"value": "1.00", "currency": "RUB"}}
    )
    deliver_due(timezone.now() + dt.timedelta(seconds=30), transport=transport)


def test_no_card_number_in_tables_or_logs(api, client, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    caplog.set_level(logging.DEBUG, logger="django.request")
    transport = FakeTransport()
    connection.force_debug_cursor = True  # SQL and its parameters go to the log as well
    try:
        all_flows(api, client, transport)
    finally:
        connection.force_debug_cursor = False
    assert len(transport.calls) >= 10

    dumped = []
    with connection.cursor() as cursor:
        for model in apps.get_app_config("sandbox_acquirer").get_models():
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            rows = cursor.fetchall()
            assert rows, model
            dumped.append(repr(rows))
    assert card_numbers_in("\n".join(dumped)) == set()

    log_text = "\n".join(
        f"{record.getMessage()} {record.__dict__.get('request', '')!r}" for record in caplog.records
    )
    assert "INSERT" in log_text  # the SQL log was captured
    assert card_numbers_in(log_text) == set()
    assert card_numbers_in("".join(c["body"].decode() for c in transport.calls)) == set()


def test_error_reports_hide_the_card_fields(api):
    payment = api.create_payment()
    request = RequestFactory().post(
        f"/sandbox-acquirer/pay/{payment['id']}",
        {"number": "4111 1111 1111 1111", "expiry": "12/30", "cvc": "123", "holder": "X"},
    )
    request._dont_enforce_csrf_checks = True
    views.pay(request, payment["id"])
    cleansed = SafeExceptionReporterFilter().get_post_parameters(request)
    assert cleansed["number"] != "4111 1111 1111 1111"
    assert cleansed["cvc"] != "123"
    assert cleansed["expiry"] == "12/30"
