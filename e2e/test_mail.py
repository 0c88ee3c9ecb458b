"""The cabinet's mail in a real browser: the unread badge, the inbox with filters, reading a
broadcast with a link, marking everything read."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.messaging.models import MessageCategory
from abonent.messaging.segments import Segment
from abonent.messaging.services import message_broadcast, message_send_to_account

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_inbox_read_a_broadcast_and_mark_all_read(
    page, live_server, shot, no_sideways_scroll, support_user
) -> None:
    account = AccountFactory(holder_name="Алиса Первая")
    send = message_send_to_account
    send(
        account_id=account.pk,
        subject="Платёж получен",
        body="На ваш лицевой счёт зачислено 1 000,00 ₽. Спасибо!",
        category=MessageCategory.BILLING,
    )
    send(
        account_id=account.pk,
        subject="Ответ службы поддержки по заявке о низкой скорости в вечерние часы",
        body="Мы проверили линию до вашего дома: скорость восстановлена.",
        category=MessageCategory.SUPPORT,
        sender=support_user,
    )
    message_broadcast(
        segment=Segment(everyone=True),
        subject="Плановые работы 2 декабря с 02:00 до 05:00",
        body=(
            "Уважаемые абоненты!\n\nВ ночь на 2 декабря с 02:00 до 05:00 проводим плановые работы "
            "на магистральном оборудовании; возможны перерывы связи до 15 минут.\n\n"
            "Подробности: https://spnet.ru/news/planovye-raboty-2-dekabrya-magistral\n"
            '<script>alert("x")</script>'
        ),
        category=MessageCategory.NEWS,
        sender=support_user,
    )
    page.goto(f"{live_server.url}/cabinet/login/")
    page.get_by_label("Номер договора").fill(account.contract)
    page.get_by_label("Пароль").fill(ACCOUNT_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    nav = page.locator(".main-nav")
    if not nav.is_visible():
        page.locator(".nav-toggle-label").click()
    expect(nav.get_by_role("link", name="Почта")).to_contain_text("3")
    nav.get_by_role("link", name="Почта").click()

    expect(page.get_by_role("heading", name="Почта")).to_be_visible()
    expect(page.locator(".mail-item.is-unread")).to_have_count(3)
    shot(page, "inbox")
    no_sideways_scroll(page)

    page.get_by_role("link", name="Плановые работы").click()
    expect(page.get_by_role("heading", name="Плановые работы 2 декабря")).to_be_visible()
    link = page.get_by_role("link", name="https://spnet.ru/news/")
    expect(link).to_have_attribute("rel", "nofollow noopener noreferrer")
    expect(page.locator(".mail-body")).to_contain_text('<script>alert("x")</script>')
    shot(page, "message")
    no_sideways_scroll(page)

    page.get_by_role("link", name="Все сообщения").click()
    expect(page.locator(".mail-item.is-unread")).to_have_count(2)
    page.get_by_role("link", name="Непрочитанные").click()
    expect(page.locator(".mail-item")).to_have_count(2)
    shot(page, "unread")
    page.get_by_role("button", name="Отметить все прочитанными").click()
    expect(page.get_by_text("2 сообщения отмечены прочитанными.")).to_be_visible()
    expect(page.locator(".mail-item.is-unread")).to_have_count(0)
    expect(page.locator(".main-nav .badge")).to_have_count(0)
    shot(page, "all-read")
