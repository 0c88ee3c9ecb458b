"""Card payments in a real browser, at phone and desktop size, against the sandbox acquirer
served by the same live server: pay 500 ₽ with a new card on the acquirer's hosted page with
3-D Secure and save it, pay again in one click with the saved card, see the balance and the
ledger change, and remove the card; and attach a card from the cards page without paying (a
1 ₽ check refunded at once)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from abonent.accounts.models import AccountStatus
from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.billing.models import EntryKind, LedgerEntry
from abonent.catalogue.tests.factories import ServiceKindFactory, TariffFactory
from abonent.payments.models import Card, Payment, PaymentStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CARD_3DS = "4000 0000 0000 3220"  # the sandbox's published test card that asks for 3-D Secure
CODE_3DS = "123456"


@pytest.fixture
def sandbox(settings, live_server):
    """Point the payments gateway, the return address and the sandbox's webhooks at the live
    server, where the sandbox acquirer answers under /sandbox-acquirer/."""
    settings.ABONENT_PAYMENT_GATEWAY = "sandbox"
    settings.ABONENT_SANDBOX_API_URL = f"{live_server.url}/sandbox-acquirer/api/v3/"
    settings.ABONENT_PAYMENT_RETURN_BASE_URL = live_server.url
    settings.ABONENT_SANDBOX_WEBHOOK_URL = f"{live_server.url}/payments/webhooks/sandbox/"
    settings.ABONENT_SANDBOX_PUBLIC_URL = f"{live_server.url}/sandbox-acquirer/"
    return live_server


def log_in(page, base: str, account) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/cabinet/login/")
    page.get_by_label("Номер договора").fill(account.contract)
    page.get_by_label("Пароль").fill(ACCOUNT_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name=account.holder_name)).to_be_visible()


def test_pay_with_a_new_card_then_in_one_click_then_remove_it(
    page, sandbox, shot, no_sideways_scroll, viewport
) -> None:
    base = sandbox.url
    tariff = TariffFactory(kind=ServiceKindFactory(), name="Домашний 100", fee_kop=50_000)
    account = AccountFactory(
        tariff=tariff, status=AccountStatus.ACTIVE, balance_kop=12_000, holder_name="Ирина Котова"
    )
    log_in(page, base, account)

    # The dashboard's "Top up" leads to the payment page.
    no_sideways_scroll(page)
    shot(page, "0-home")
    page.get_by_test_id("topup").click()
    expect(page.get_by_role("heading", name="Пополнить баланс")).to_be_visible()
    no_sideways_scroll(page)
    page.get_by_role("link", name=re.compile("500")).last.click()  # the 500 ₽ preset
    expect(page.get_by_test_id("amount")).to_have_value("500")
    expect(page.get_by_test_id("method-new")).to_be_checked()
    expect(page.get_by_test_id("save-card")).to_be_checked()
    shot(page, "1-pay-form")
    page.get_by_test_id("pay-submit").click()

    # The acquirer's hosted page, then its 3-D Secure page.
    page.wait_for_url(re.compile(r"/sandbox-acquirer/pay/"))
    page.locator("input[name=number]").fill(CARD_3DS)
    page.locator("input[name=expiry]").fill("12/30")
    page.locator("input[name=cvc]").fill("123")
    page.locator("input[name=holder]").fill("IRINA KOTOVA")
    page.get_by_role("button", name=re.compile("Оплатить")).click()
    page.wait_for_url(re.compile(r"/3ds$"))
    page.locator("input[name=code]").fill(CODE_3DS)
    page.get_by_role("button", name="Подтвердить").click()

    # Back on our return page: pending until the notification (or the gateway's answer).
    page.wait_for_url(re.compile(r"/payments/return/\d+/"))
    call_command("sandbox_deliver")
    status = page.get_by_test_id("payment-status")
    expect(status).to_have_attribute("data-status", "succeeded", timeout=15_000)
    expect(page.get_by_test_id("return-balance")).to_have_text(re.compile("620,00"))
    no_sideways_scroll(page)
    shot(page, "2-paid-new-card")
    first = Payment.objects.get(account=account)
    assert first.status == PaymentStatus.SUCCEEDED and first.amount_kop == 50_000
    card = Card.objects.get(account=account)
    assert card.last4 == "3220" and card.is_default

    # Pay again in one click with the saved card.
    page.goto(f"{base}/cabinet/pay/")
    expect(page.get_by_test_id("method-card")).to_be_checked()
    expect(page.get_by_text("•••• 3220").first).to_be_visible()
    page.get_by_test_id("amount").fill("500")
    shot(page, "3-pay-saved-card")
    page.get_by_test_id("pay-submit").click()
    page.wait_for_url(re.compile(r"/payments/return/\d+/"))
    expect(page.get_by_test_id("payment-status")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("return-balance")).to_have_text(re.compile("1\u00a0120,00"))
    assert Payment.objects.filter(account=account, status=PaymentStatus.SUCCEEDED).count() == 2
    assert LedgerEntry.objects.filter(account=account, kind=EntryKind.PAYMENT).count() == 2, (
        "each payment is credited once"
    )

    # The balance on the dashboard and the ledger in the balance history.
    page.get_by_test_id("back-home").click()
    expect(page.get_by_test_id("balance")).to_have_text(re.compile("1\u00a0120,00"))
    page.goto(f"{base}/cabinet/history/")
    expect(page.locator("td.amount-in", has_text="+500,00")).to_have_count(2)
    no_sideways_scroll(page)
    shot(page, "4-ledger")
    page.goto(f"{base}/cabinet/pay/history/")
    expect(page.locator("tr[data-status=succeeded]")).to_have_count(2)
    no_sideways_scroll(page)
    shot(page, "5-payment-history")

    # Remove the card.
    page.goto(f"{base}/cabinet/pay/cards/")
    expect(page.get_by_test_id("card-row")).to_have_count(1)
    no_sideways_scroll(page)
    shot(page, "6-cards")
    page.get_by_test_id("card-remove").click()
    expect(page.get_by_role("heading", name=re.compile("3220"))).to_be_visible()
    page.get_by_test_id("card-remove-confirm").click()
    expect(page.get_by_test_id("no-cards")).to_be_visible()
    shot(page, "7-card-removed")
    assert not Card.objects.filter(account=account).exists()
    page.goto(f"{base}/cabinet/pay/autopay/")
    no_sideways_scroll(page)
    shot(page, "8-autopay")


def test_attach_a_card_from_the_cards_page_without_paying(
    page, sandbox, shot, no_sideways_scroll, viewport
) -> None:
    """ "Привязать карту": a 1 ₽ check on the acquirer's page with 3-D Secure, the card listed,
    the 1 ₽ refunded through the acquirer at once, and the balance never moving."""
    base = sandbox.url
    tariff = TariffFactory(kind=ServiceKindFactory(), name="Домашний 100", fee_kop=50_000)
    account = AccountFactory(
        tariff=tariff, status=AccountStatus.ACTIVE, balance_kop=12_000, holder_name="Олег Жуков"
    )
    log_in(page, base, account)
    page.goto(f"{base}/cabinet/pay/cards/")
    expect(page.get_by_test_id("no-cards")).to_be_visible()
    expect(page.get_by_test_id("card-attach-form")).to_contain_text("1,00")
    no_sideways_scroll(page)
    shot(page, "1-cards-empty")
    page.get_by_test_id("card-attach").click()

    # The acquirer's page asks for 1 ₽; 3-D Secure as for any payment.
    page.wait_for_url(re.compile(r"/sandbox-acquirer/pay/"))
    expect(page.get_by_text(re.compile(r"1,00"))).not_to_have_count(0)
    page.locator("input[name=number]").fill(CARD_3DS)
    page.locator("input[name=expiry]").fill("11/31")
    page.locator("input[name=cvc]").fill("321")
    page.locator("input[name=holder]").fill("OLEG ZHUKOV")
    page.get_by_role("button", name=re.compile("Оплатить")).click()
    page.wait_for_url(re.compile(r"/3ds$"))
    page.locator("input[name=code]").fill(CODE_3DS)
    page.get_by_role("button", name="Подтвердить").click()

    # Our return page: "card attached", not "paid"; the money goes back by itself.
    page.wait_for_url(re.compile(r"/payments/return/\d+/"))
    call_command("sandbox_deliver")
    status = page.get_by_test_id("payment-status")
    expect(status).to_have_attribute("data-status", "succeeded", timeout=15_000)
    expect(status).to_have_attribute("data-purpose", "card_check")
    expect(page.get_by_role("heading", name="Карта привязана")).to_be_visible()
    expect(page.get_by_test_id("payment-status-text")).to_contain_text(
        "вернулись на карту", timeout=15_000
    )
    expect(page.get_by_test_id("return-balance")).to_have_count(0)
    no_sideways_scroll(page)
    shot(page, "2-card-attached")
    check = Payment.objects.get(account=account)
    assert check.purpose == "card_check" and check.amount_kop == 100
    assert check.status == PaymentStatus.SUCCEEDED and check.refunded_kop == 100
    call_command("sandbox_deliver")  # the refund's own notification: a duplicate
    assert check.refunds.count() == 1 and check.refunds.get().status == "succeeded"

    # The card is listed; the balance did not move; the history says what it was.
    page.get_by_test_id("to-cards").click()
    expect(page.get_by_test_id("card-row")).to_have_count(1)
    expect(page.get_by_text("•••• 3220").first).to_be_visible()
    expect(page.get_by_text("Основная карта")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "3-card-listed")
    card = Card.objects.get(account=account)
    assert card.last4 == "3220" and card.is_default
    page.goto(f"{base}/cabinet/")
    expect(page.get_by_test_id("balance")).to_have_text(re.compile("120,00"))
    page.goto(f"{base}/cabinet/pay/history/")
    row = page.locator("tr[data-status=succeeded]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Проверка карты")
    expect(row).to_contain_text("возвращено 1,00")
    no_sideways_scroll(page)
    shot(page, "4-history")
    assert not LedgerEntry.objects.filter(account=account).exists()
    account.refresh_from_db()
    assert account.balance_kop == 12_000
