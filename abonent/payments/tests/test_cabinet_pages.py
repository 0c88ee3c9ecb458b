"""The cabinet's payment pages: top up, saved cards, autopay, history, and the return page."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.payments.models import AutopaySetting, Card, Payment, PaymentStatus
from abonent.payments.tests.factories import CardFactory, PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def logged_in(account, **kwargs) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        "/cabinet/login/", {"contract": account.contract, "password": ACCOUNT_PASSWORD}
    )
    assert response.status_code == 302
    if kwargs:
        other = Client(**kwargs)
        other.cookies = client.cookies
        return other
    return client


def once_of(response) -> str:
    match = re.search(r'name="once" value="([^"]+)"', response.content.decode())
    assert match, "the form carries a one-time token"
    return match.group(1)


def pay(client, **data):
    form = client.get("/cabinet/pay/")
    return client.post("/cabinet/pay/", {"once": once_of(form), **data})


# --- Paying ---------------------------------------------------------------------------------


def test_pay_page_offers_presets_limits_and_saved_cards(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    CardFactory(account=account, last4="4242", is_default=True)
    response = logged_in(account).get("/cabinet/pay/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-amount="1000"' in body and 'data-amount="500"' in body
    assert "•••• 4242" in body and 'value="new"' in body
    assert "From ₽10 to ₽100,000." in body
    assert 'aria-current="page">Payment' in body.replace("\n", "")


def test_new_card_redirects_to_the_acquirer_once_for_a_double_click(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    client = logged_in(account)
    token = once_of(client.get("/cabinet/pay/"))
    data = {"once": token, "amount": "500", "method": "new", "save_card": "on"}
    first = client.post("/cabinet/pay/", data)
    second = client.post("/cabinet/pay/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"].startswith("http://acquirer.test/pay/")
    assert first["Location"] == second["Location"]
    payment = Payment.objects.get(account=account)
    assert payment.amount_kop == 50_000 and payment.save_card
    assert len(acquirer.payment_requests()) == 1


def test_amounts_are_parsed_without_floats(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    response = pay(logged_in(account), amount="1 250,50", method="new")
    assert response.status_code == 302
    assert Payment.objects.get(account=account).amount_kop == 125_050


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("9,99", "Enter an amount from ₽10 to ₽100,000"),
        ("100000,01", "Enter an amount from ₽10 to ₽100,000"),
        ("-50", "Enter an amount from ₽10 to ₽100,000"),
        ("пятьсот", "Enter the amount in roubles"),
        ("", "Enter the amount in roubles"),
        ("1.2.3", "Enter the amount in roubles"),
    ],
)
def test_bad_amounts_are_refused_and_the_input_kept(acquirer, amount, message) -> None:
    account = AccountFactory(balance_kop=0)
    response = pay(logged_in(account), amount=amount, method="new", save_card="on")
    body = response.content.decode()
    assert response.status_code == 422
    assert message in body
    assert f'value="{amount}"' in body
    assert 'name="save_card" checked' in body
    assert not Payment.objects.exists()


def test_limits_message_is_translated(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    client = logged_in(account)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    with translation.override("ru"):
        response = pay(client, amount="5", method="new")
    body = response.content.decode()
    assert response.status_code == 422
    assert "Введите сумму от 10" in body and "100\u00a0000\u00a0₽" in body


def test_a_stale_form_token_is_refused_with_the_input_kept(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    client = logged_in(account)
    response = client.post("/cabinet/pay/", {"once": "forged", "amount": "700", "method": "new"})
    assert response.status_code == 422
    assert "The form has expired" in response.content.decode()
    assert 'value="700"' in response.content.decode()
    assert not Payment.objects.exists()


def test_saved_card_pays_in_one_click_and_shows_the_result(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    card = CardFactory(account=account, token="tok-saved", is_default=True)
    acquirer.add_token("tok-saved")
    client = logged_in(account)
    response = pay(client, amount="500", method=f"card:{card.pk}")
    payment = Payment.objects.get(account=account)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/payments/return/{payment.pk}/")
    assert payment.status == PaymentStatus.SUCCEEDED and payment.card_id == card.pk
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="succeeded"' in page and "₽500.00" in page
    assert 'http-equiv="refresh"' not in page
    assert LedgerEntry.objects.get(account=account, kind=EntryKind.PAYMENT).amount_kop == 50_000


def test_declined_saved_card_shows_the_reason_and_try_again(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    card = CardFactory(account=account, token="tok-poor", is_default=True)
    acquirer.add_token("tok-poor")
    acquirer.declined_tokens["tok-poor"] = "insufficient_funds"
    client = logged_in(account)
    response = pay(client, amount="750", method=f"card:{card.pk}")
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="failed"' in page
    assert "Not enough money on the card." in page
    assert 'href="/cabinet/pay/?amount=750"' in page
    assert not LedgerEntry.objects.filter(account=account).exists()


def test_pending_return_page_refreshes_itself(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    client = logged_in(account)
    pay(client, amount="500", method="new")
    payment = Payment.objects.get(account=account)
    page = client.get(f"/payments/return/{payment.pk}/").content.decode()
    assert 'data-status="pending"' in page and 'http-equiv="refresh"' in page
    assert "/static/cabinet/cabinet.css" in page  # it looks like the cabinet
    acquirer.pay(payment.gateway_payment_id)
    page = client.get(f"/payments/return/{payment.pk}/").content.decode()
    assert 'data-status="succeeded"' in page and 'http-equiv="refresh"' not in page


def test_another_accounts_card_cannot_pay(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    theirs = CardFactory(token="tok-theirs")
    response = pay(logged_in(account), amount="500", method=f"card:{theirs.pk}")
    assert response.status_code == 422
    assert "no longer saved" in response.content.decode()
    assert not Payment.objects.exists()


def test_forms_need_csrf(acquirer) -> None:
    account = AccountFactory(balance_kop=0)
    card = CardFactory(account=account)
    client = logged_in(account, enforce_csrf_checks=True)
    token = once_of(client.get("/cabinet/pay/"))
    for url, data in [
        ("/cabinet/pay/", {"once": token, "amount": "500", "method": "new"}),
        (f"/cabinet/pay/cards/{card.pk}/remove/", {}),
        (f"/cabinet/pay/cards/{card.pk}/default/", {}),
        ("/cabinet/pay/autopay/", {"enabled": "on"}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert not Payment.objects.exists() and Card.objects.filter(pk=card.pk).exists()


# --- Cards ----------------------------------------------------------------------------------


def test_cards_list_default_and_remove(acquirer) -> None:
    account = AccountFactory()
    first = CardFactory(account=account, last4="1111", is_default=True)
    second = CardFactory(account=account, last4="2222", brand="MasterCard")
    client = logged_in(account)
    body = client.get("/cabinet/pay/cards/").content.decode()
    assert "Visa •••• 1111" in body and "MasterCard •••• 2222" in body and "12/30" in body
    assert "Main card" in body
    assert client.get(f"/cabinet/pay/cards/{second.pk}/default/").status_code == 405
    assert client.post(f"/cabinet/pay/cards/{second.pk}/default/").status_code == 302
    second.refresh_from_db()
    assert second.is_default
    confirm = client.get(f"/cabinet/pay/cards/{first.pk}/remove/")
    assert confirm.status_code == 200 and "Remove Visa •••• 1111?" in confirm.content.decode()
    assert Card.objects.filter(pk=first.pk).exists()  # a GET removes nothing
    assert client.post(f"/cabinet/pay/cards/{first.pk}/remove/").status_code == 302
    assert not Card.objects.filter(pk=first.pk).exists()


def test_another_accounts_card_is_404_everywhere(acquirer) -> None:
    account = AccountFactory()
    theirs = CardFactory()
    client = logged_in(account)
    for url in (
        f"/cabinet/pay/cards/{theirs.pk}/remove/",
        f"/cabinet/pay/cards/{theirs.pk}/default/",
    ):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert Card.objects.filter(pk=theirs.pk).exists()


def test_cards_page_explains_how_to_save_one(acquirer) -> None:
    account = AccountFactory()
    body = logged_in(account).get("/cabinet/pay/cards/").content.decode()
    assert "No saved cards yet." in body and "Save this card" in body


# --- Autopay --------------------------------------------------------------------------------


def test_autopay_needs_a_card(acquirer) -> None:
    account = AccountFactory()
    client = logged_in(account)
    assert "Autopay needs a saved card" in client.get("/cabinet/pay/autopay/").content.decode()
    response = client.post("/cabinet/pay/autopay/", {"enabled": "on", "rule": "next_charge"})
    assert response.status_code == 422
    assert "Save a card first" in response.content.decode()
    assert not AutopaySetting.objects.filter(account=account, enabled=True).exists()


def test_autopay_threshold_rule_and_errors_keep_input(acquirer) -> None:
    account = AccountFactory()
    CardFactory(account=account, is_default=True)
    client = logged_in(account)
    body = client.get("/cabinet/pay/autopay/").content.decode()
    assert "One attempt per charge period" in body and "we send you a message" in body
    bad = client.post(
        "/cabinet/pay/autopay/",
        {"enabled": "on", "rule": "threshold", "threshold": "100", "topup": "5"},
    )
    assert bad.status_code == 422
    assert "Enter an amount from ₽10 to ₽100,000" in bad.content.decode()
    assert 'value="100"' in bad.content.decode() and 'value="5"' in bad.content.decode()
    typo = client.post(
        "/cabinet/pay/autopay/",
        {"enabled": "on", "rule": "threshold", "threshold": "сто", "topup": "500"},
    )
    assert typo.status_code == 422 and 'value="сто"' in typo.content.decode()
    ok = client.post(
        "/cabinet/pay/autopay/",
        {"enabled": "on", "rule": "threshold", "threshold": "100", "topup": "500,50"},
    )
    assert ok.status_code == 302
    setting = AutopaySetting.objects.get(account=account)
    assert (setting.enabled, setting.rule, setting.threshold_kop, setting.topup_kop) == (
        True,
        "threshold",
        10_000,
        50_050,
    )
    assert client.post("/cabinet/pay/autopay/", {"rule": "next_charge"}).status_code == 302
    setting.refresh_from_db()
    assert not setting.enabled


# --- History --------------------------------------------------------------------------------


def test_history_lists_only_own_payments_paginated(acquirer, django_assert_num_queries) -> None:
    account = AccountFactory()
    for i in range(25):
        PaymentFactory(account=account, amount_kop=10_000 + i * 100, card_title="Visa •••• 1111")
    PaymentFactory(
        account=account,
        amount_kop=77_700,
        status=PaymentStatus.SUCCEEDED,
        receipt_url="http://acquirer.test/receipts/r1",
    )
    PaymentFactory(account=account, status=PaymentStatus.FAILED, failure_reason="card_expired")
    PaymentFactory(amount_kop=99_900)  # someone else's
    client = logged_in(account)
    client.get("/cabinet/pay/history/")  # warm the session
    # session, account (+ tariff), count, page of payments, messages none
    with django_assert_num_queries(5):
        response = client.get("/cabinet/pay/history/")
    body = response.content.decode()
    assert "₽777.00" in body and "http://acquirer.test/receipts/r1" in body
    assert "The card has expired." in body
    assert "₽999.00" not in body
    assert "1 of 2" in body
    second = client.get("/cabinet/pay/history/?page=2").content.decode()
    assert second.count("<tr data-status") == 7
    with django_assert_num_queries(5):
        client.get("/cabinet/pay/history/?page=2")


def test_pay_page_query_count(acquirer, django_assert_num_queries) -> None:
    account = AccountFactory(balance_kop=0)
    CardFactory(account=account, is_default=True)
    client = logged_in(account)
    client.get("/cabinet/pay/")
    with django_assert_num_queries(12):
        client.get("/cabinet/pay/")


# --- Dashboard ------------------------------------------------------------------------------


def test_dashboard_has_a_top_up_button(acquirer) -> None:
    account = AccountFactory()
    body = logged_in(account).get("/cabinet/").content.decode()
    assert 'data-testid="topup"' in body and 'href="/cabinet/pay/"' in body
