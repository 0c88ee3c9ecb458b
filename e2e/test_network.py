"""The back office's «Сеть» in a real browser: an admin opens it from the menu, adds a NAS (after a
mistake the form keeps what was typed) and sees it in the list, the secret hidden; an admin sees
what MikroTik gets for a 100/50 Mbit/s tariff and adds a speed attribute whose example follows the
typing; support opens the log of requests to NASes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from abonent.network.services import reply_templates_ensure
from abonent.staff.tests.factories import STAFF_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _open_nav(page) -> None:
    nav = page.locator(".main-nav")
    if not nav.is_visible():
        page.locator(".nav-toggle-label").click()


def _sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/staff/login/")
    page.get_by_label("Логин").fill(user.username)
    page.get_by_label("Пароль").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Войти").click()


def test_an_admin_adds_a_nas(page, live_server, shot, no_sideways_scroll, admin_user) -> None:
    _sign_in(page, live_server, admin_user)
    _open_nav(page)
    page.locator(".main-nav").get_by_role("link", name="Сеть").click()
    # The test database is SQLite: no sessions here, and the page says why.
    expect(page.get_by_test_id("no-radius")).to_contain_text("PostgreSQL")
    no_sideways_scroll(page)

    page.get_by_role("link", name="NAS", exact=True).click()
    expect(page.get_by_test_id("no-nas")).to_be_visible()
    page.get_by_test_id("nas-add").click()
    page.get_by_label("IP-адрес или сеть").fill("10.20.0.300")
    page.get_by_label("Краткое имя").fill("bras-yug")
    page.get_by_label("Тип").select_option("accel-ppp")
    page.get_by_label("Общий секрет").fill("Yug-Secret-2026")
    page.get_by_label("Описание").fill("Южный район")
    page.get_by_role("button", name="Добавить NAS").click()
    expect(page.locator(".field-error")).to_contain_text("Введите IP-адрес")
    expect(page.get_by_label("Краткое имя")).to_have_value("bras-yug")
    shot(page, "nas-mistake")
    no_sideways_scroll(page)

    page.get_by_label("IP-адрес или сеть").fill("10.20.0.1")
    page.get_by_role("button", name="Добавить NAS").click()
    expect(page.get_by_text("NAS bras-yug (10.20.0.1) добавлен.")).to_be_visible()
    expect(page.get_by_text("systemctl restart freeradius").first).to_be_visible()
    row = page.get_by_test_id("nas-table").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("bras-yug")
    expect(row).to_contain_text("10.20.0.1")
    expect(row).to_contain_text("accel-ppp")
    expect(row).not_to_contain_text("Yug-Secret-2026")
    shot(page, "nas-list")
    no_sideways_scroll(page)


def test_an_admin_sees_and_adds_speed_attributes(
    page, live_server, shot, no_sideways_scroll, admin_user
) -> None:
    reply_templates_ensure()  # a transactional test starts from an empty table
    _sign_in(page, live_server, admin_user)
    page.goto(f"{live_server.url}/staff/network/")
    page.get_by_role("link", name="Атрибуты скорости").click()
    expect(page.get_by_test_id("example-mikrotik")).to_contain_text(
        'Mikrotik-Rate-Limit := "50000k/100000k"'
    )
    expect(page.get_by_test_id("speed-note")).to_contain_text("Перезапуск не нужен")
    shot(page, "speed")
    no_sideways_scroll(page)

    page.get_by_test_id("speed-juniper").get_by_role("link", name="Добавить атрибут").click()
    expect(page.get_by_label("Тип")).to_have_value("juniper")
    page.get_by_label("Атрибут", exact=True).fill("ERX-Service-Activate:1")
    page.get_by_label("Значение").fill("svc-{down_bps}")
    expect(page.get_by_test_id("speed-example")).to_have_text(
        'ERX-Service-Activate:1 := "svc-100000000"'
    )
    page.get_by_label("Значение").fill("svc-{download}")
    page.get_by_role("button", name="Добавить атрибут").click()
    expect(page.locator(".field-error")).to_contain_text("Неизвестная подстановка {download}")
    expect(page.get_by_label("Атрибут", exact=True)).to_have_value("ERX-Service-Activate:1")
    shot(page, "speed-mistake")
    no_sideways_scroll(page)

    page.get_by_label("Значение").fill("svc-{down_bps}")
    page.get_by_role("button", name="Добавить атрибут").click()
    expect(page.get_by_text("ERX-Service-Activate:1 добавлен для Juniper.")).to_be_visible()
    expect(page.get_by_test_id("example-juniper")).to_contain_text("svc-100000000")


def test_support_opens_the_log_of_requests(
    page, live_server, shot, no_sideways_scroll, support_user
) -> None:
    _sign_in(page, live_server, support_user)
    page.get_by_test_id("home-network-changes").click()
    expect(page.get_by_test_id("count-pending")).to_contain_text("0")
    expect(page.get_by_test_id("no-changes")).to_be_visible()
    expect(page.get_by_role("link", name="Атрибуты скорости")).to_have_count(0)
    shot(page, "changes")
    no_sideways_scroll(page)
