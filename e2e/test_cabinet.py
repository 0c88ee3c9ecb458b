"""The subscriber's front door in a real browser: paper password → own password → dashboard;
the lockout after five wrong passwords."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_first_login_asks_for_own_password_then_shows_dashboard(
    page, live_server, shot, no_sideways_scroll
) -> None:
    account = AccountFactory(
        must_change_password=True,
        balance_kop=25_000,
        status="new",
        email="very.long.address.of.the.subscriber@example.com",
    )
    page.goto(f"{live_server.url}/cabinet/")
    expect(page).to_have_url(f"{live_server.url}/cabinet/login/?next=%2Fcabinet%2F")
    page.get_by_label("Номер договора").fill(f"{account.contract[:4]} {account.contract[4:]}")
    page.get_by_label("Пароль").fill(ACCOUNT_PASSWORD)
    shot(page, "login")
    page.get_by_role("button", name="Войти").click()

    expect(page.get_by_role("heading", name="Придумайте свой пароль")).to_be_visible()
    page.get_by_label("Текущий пароль").fill(ACCOUNT_PASSWORD)
    page.get_by_label("Новый пароль", exact=True).fill("1234567")
    page.get_by_label("Новый пароль ещё раз").fill("1234567")
    page.get_by_role("button", name="Сохранить пароль").click()
    expect(page.locator(".field-error").first).to_contain_text("не короче 8")
    shot(page, "password-error")

    page.get_by_label("Текущий пароль").fill(ACCOUNT_PASSWORD)
    page.get_by_label("Новый пароль", exact=True).fill("Клён-во-дворе-8")
    page.get_by_label("Новый пароль ещё раз").fill("Клён-во-дворе-8")
    page.get_by_role("button", name="Сохранить пароль").click()

    expect(page.get_by_role("heading", name=account.holder_name)).to_be_visible()
    expect(page.get_by_test_id("balance")).to_contain_text("250,00")
    expect(page.get_by_text("Пополните счёт на 750")).to_be_visible()
    shot(page, "dashboard")
    no_sideways_scroll(page)


def test_five_wrong_passwords_lock_the_contract(page, live_server, shot) -> None:
    account = AccountFactory()
    page.goto(f"{live_server.url}/cabinet/login/")
    for _ in range(5):
        page.get_by_label("Номер договора").fill(account.contract)
        page.get_by_label("Пароль").fill("wrong-password")
        page.get_by_role("button", name="Войти").click()
        expect(page.get_by_text("Неверный номер договора или пароль.")).to_be_visible()
    page.get_by_label("Пароль").fill(ACCOUNT_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.locator("#login-error")).to_contain_text("Вход приостановлен на 15 мин")
    shot(page, "locked")


def test_forgot_password_page(page, live_server) -> None:
    page.goto(f"{live_server.url}/cabinet/login/")
    page.get_by_role("link", name="Забыли пароль?").click()
    expect(page.get_by_role("heading", name="Забыли пароль?")).to_be_visible()
    expect(page.get_by_text("8-496-552-22-22").first).to_be_visible()
