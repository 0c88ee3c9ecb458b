"""The visitor's path in a real browser, at phone and desktop size:
home → pick a tariff → submit with a bad phone → the error, input kept → fix it → success;
then a manager logs in to the back office and finds the request."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from abonent.demo.services import demo_catalogue_load, demo_staff_ensure
from abonent.leads.models import Lead

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
STAFF_PASSWORD = "Manager-pass-2026"


def test_visitor_requests_a_connection_and_manager_finds_it(
    page, live_server, shot, no_sideways_scroll
) -> None:
    demo_catalogue_load()
    demo_staff_ensure(password=STAFF_PASSWORD)

    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot(page, "home")
    no_sideways_scroll(page)

    if page.viewport_size["width"] < 860:
        page.locator(".nav-toggle-label").click()  # the phone menu
    page.locator("header").get_by_role("link", name="Тарифы").click()
    expect(page).to_have_url(live_server.url + "/tariffs/")
    no_sideways_scroll(page)
    card = page.locator(".tariff-card").first
    tariff_name = card.locator(".tariff-name").inner_text().strip()
    card.get_by_role("link", name="Подключить").click()
    expect(page.get_by_role("heading", name="Заявка на подключение")).to_be_visible()
    expect(page.get_by_label("Тариф")).to_contain_text(tariff_name)

    page.get_by_label("Ваше имя").fill("Светлана Кузнецова")
    page.get_by_label("Телефон").fill("12345")
    page.get_by_label("Адрес").fill("ул. Вознесенская, д. 10, кв. 4")
    page.get_by_label("Я согласен", exact=False).check()
    page.locator(".connect-form button[type=submit]").click()

    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator(".field-error").first).to_contain_text("+7 916 123-45-67")
    expect(page.get_by_label("Ваше имя")).to_have_value("Светлана Кузнецова")
    expect(page.get_by_label("Адрес")).to_have_value("ул. Вознесенская, д. 10, кв. 4")
    expect(page.locator("input[name=consent]")).to_be_checked()
    shot(page, "bad-phone")
    no_sideways_scroll(page)
    assert Lead.objects.count() == 0

    page.get_by_label("Телефон").fill("8 (916) 555-12-34")
    page.locator(".connect-form button[type=submit]").click()
    expect(page).to_have_url(live_server.url + "/connect/done/")
    expect(page.get_by_text("менеджер", exact=False).first).to_be_visible()
    shot(page, "done")
    lead = Lead.objects.get()
    assert lead.phone == "+79165551234" and lead.tariff.name == tariff_name

    page.goto(live_server.url + "/staff/")
    page.get_by_label("Логин").fill("manager")
    page.get_by_label("Пароль").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.goto(live_server.url + "/staff/leads/?q=5551234")
    row = page.locator("tbody tr", has_text="Светлана Кузнецова")
    expect(row).to_be_visible()
    expect(row).to_contain_text("+7 916 555-12-34")
    shot(page, "manager-queue")
    no_sideways_scroll(page)
