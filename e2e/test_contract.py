"""A manager turns a scheduled request into a contract and prints the sheet; the subscriber
logs in with the sheet's password, is asked to choose their own, and sees the dashboard."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from abonent.demo.services import demo_catalogue_load, demo_staff_ensure
from abonent.leads.models import LeadStatus
from abonent.leads.tests.factories import LeadFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
STAFF_PASSWORD = "Manager-pass-2026"


def test_lead_to_contract_to_first_login(page, live_server, shot, no_sideways_scroll) -> None:
    _kinds, tariffs, _addons = demo_catalogue_load()
    demo_staff_ensure(password=STAFF_PASSWORD)
    tariff = next(t for t in tariffs.values() if t.download_kbps and t.fee_period == "month")
    lead = LeadFactory(
        tariff=tariff,
        name="Ольга Смирнова",
        phone="+79161112233",
        status=LeadStatus.SCHEDULED,
        scheduled_at=timezone.now(),
        scheduled_address="г. Сергиев Посад, пр. Красной Армии, д. 5, кв. 12",
    )

    page.goto(f"{live_server.url}/staff/login/")
    page.get_by_label("Логин").fill("manager")
    page.get_by_label("Пароль").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.goto(f"{live_server.url}/staff/leads/{lead.pk}/")
    page.get_by_test_id("make-contract").click()
    expect(page.locator("input[name=holder_name]")).to_have_value("Ольга Смирнова")
    page.get_by_role("button", name="Заключить договор и распечатать лист").click()

    contract = page.get_by_test_id("sheet-contract").inner_text().replace(" ", "")
    password = page.get_by_test_id("sheet-password").inner_text().strip()
    assert len(contract) == 8 and contract.isdigit() and len(password) == 10
    shot(page, "sheet")
    no_sideways_scroll(page)
    page.goto(f"{live_server.url}/staff/")
    if page.viewport_size["width"] < 860:
        page.locator(".nav-toggle-label").click()
    page.locator(".staff-logout").click()
    expect(page).to_have_url(f"{live_server.url}/staff/login/")

    page.goto(f"{live_server.url}/cabinet/login/")
    page.get_by_label("Номер договора").fill(contract)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name="Придумайте свой пароль")).to_be_visible()
    page.get_by_label("Текущий пароль").fill(password)
    page.get_by_label("Новый пароль", exact=True).fill("Сирень-у-пруда-4")
    page.get_by_label("Новый пароль ещё раз").fill("Сирень-у-пруда-4")
    page.get_by_role("button", name="Сохранить пароль").click()
    expect(page.get_by_role("heading", name="Ольга Смирнова")).to_be_visible()
    expect(page.get_by_test_id("status")).to_contain_text("Новый")
    shot(page, "dashboard")
    no_sideways_scroll(page)
