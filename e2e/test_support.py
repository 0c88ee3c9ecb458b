"""Support in a real browser: a subscriber opens a ticket with a screenshot, support staff
answer it with a canned answer, the subscriber sees the reply and the note in the mail."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.staff.tests.factories import STAFF_PASSWORD
from abonent.support.models import CannedAnswer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _open_nav(page) -> None:
    nav = page.locator(".main-nav")
    if not nav.is_visible():
        page.locator(".nav-toggle-label").click()


def test_ticket_with_a_screenshot_answered_by_support(
    page, live_server, shot, no_sideways_scroll, support_user, settings, tmp_path
) -> None:
    from PIL import Image, ImageDraw

    settings.MEDIA_ROOT = tmp_path / "media"
    screenshot = tmp_path / "router-lights.png"
    image = Image.new("RGB", (320, 200), "#f5f7fa")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 60, 280, 140), fill="#1b2330")
    for n, color in enumerate(("#1a7f37", "#1a7f37", "#c62828", "#f59f00")):
        draw.ellipse((70 + n * 50, 90, 90 + n * 50, 110), fill=color)
    image.save(screenshot)
    account = AccountFactory(holder_name="Алиса Первая", balance_kop=45_000)
    # seeded by a migration, but a transactional test before this one may have flushed it
    CannedAnswer.objects.get_or_create(
        title="Перезагрузка роутера",
        defaults={"text": "Здравствуйте!\n\nПожалуйста, выключите роутер из розетки на 30 секунд."},
    )

    # The subscriber opens a ticket with the screenshot.
    page.goto(f"{live_server.url}/cabinet/login/")
    page.get_by_label("Номер договора").fill(account.contract)
    page.get_by_label("Пароль").fill(ACCOUNT_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    _open_nav(page)
    page.locator(".main-nav").get_by_role("link", name="Поддержка").click()
    expect(page.get_by_role("heading", name="Поддержка", level=1)).to_be_visible()
    page.get_by_role("link", name="Новое обращение").click()
    page.get_by_label("С чем вопрос?").select_option("no_connection")
    page.get_by_label("Тема").fill("Интернет пропадает по вечерам")
    page.get_by_label("Опишите проблему").fill(
        "С 20:00 связь пропадает на 5–10 минут.\nНа роутере мигает красный индикатор <WAN>."
    )
    page.get_by_label("Приложить изображения").set_input_files(str(screenshot))
    shot(page, "new-ticket")
    no_sideways_scroll(page)
    page.get_by_role("button", name="Отправить в техподдержку").click()

    expect(page.get_by_role("heading", name="Интернет пропадает по вечерам")).to_be_visible()
    expect(page.locator(".ticket-status")).to_have_text("Ждёт ответа")
    expect(page.locator(".ticket-text").first).to_contain_text("красный индикатор <WAN>.")
    thumb = page.get_by_role("img", name="router-lights.png")
    expect(thumb).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert page.evaluate("img => img.naturalWidth", thumb.element_handle()) == 320
    shot(page, "ticket-opened")
    no_sideways_scroll(page)
    ticket_url = page.url

    # Support staff answer it, starting from a canned answer.
    staff_page = page.context.browser.new_context(
        viewport=page.viewport_size, locale="ru-RU"
    ).new_page()
    staff_page.goto(f"{live_server.url}/staff/login/")
    staff_page.get_by_label("Логин").fill(support_user.username)
    staff_page.get_by_label("Пароль").fill(STAFF_PASSWORD)
    staff_page.get_by_role("button", name="Войти").click()
    staff_page.goto(f"{live_server.url}/staff/support/")
    expect(staff_page.get_by_role("link", name="Интернет пропадает по вечерам")).to_be_visible()
    shot(staff_page, "staff-queue")
    no_sideways_scroll(staff_page)
    staff_page.get_by_role("link", name="Интернет пропадает по вечерам").click()
    expect(staff_page.get_by_test_id("ticket-balance")).to_have_text("450,00 ₽")
    staff_page.get_by_role("button", name="Взять себе").click()
    staff_page.get_by_label("Шаблон ответа").select_option(label="Перезагрузка роутера")
    staff_page.get_by_role("button", name="Вставить").click()
    reply = staff_page.get_by_label("Ваш ответ")
    assert "выключите роутер" in reply.input_value()
    reply.press("End")
    reply.type("\n\nМария, техподдержка")
    shot(staff_page, "staff-ticket")
    no_sideways_scroll(staff_page)
    staff_page.get_by_role("button", name="Отправить ответ").click()
    expect(staff_page.get_by_text("Ответ отправлен")).to_be_visible()
    expect(staff_page.locator(".ticket-status")).to_have_text("Есть ответ")
    staff_page.context.close()

    # The subscriber sees the reply, and the note in the mail.
    page.goto(ticket_url.rsplit("/", 2)[0] + "/")
    item = page.locator(".ticket-item").first
    expect(item.locator(".ticket-status")).to_have_text("Есть ответ")
    expect(item).to_contain_text("Ответ от: Мария")
    _open_nav(page)
    expect(page.locator(".main-nav").get_by_role("link", name="Почта")).to_contain_text("1")
    shot(page, "tickets")
    no_sideways_scroll(page)
    item.get_by_role("link").click()
    staff_message = page.locator(".ticket-msg.from-staff")
    expect(staff_message).to_contain_text("выключите роутер из розетки")
    expect(staff_message).to_contain_text("Мария · техподдержка")
    shot(page, "answered")
    no_sideways_scroll(page)
