"""The subscriber's billing pages in a real browser, at phone and desktop size: the tariff change
wizard and its cancel, an add-on connected and disconnected, a pause and a resume, a promised
payment while blocked, the history with its chart."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from abonent.accounts.models import AccountStatus
from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.billing.models import EntryKind
from abonent.billing.services.posting import ledger_post
from abonent.catalogue.models import FeePeriod
from abonent.catalogue.tests.factories import AddonFactory, ServiceKindFactory, TariffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
MSK = ZoneInfo("Europe/Moscow")


def log_in(page, live_server, account) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/cabinet/login/")
    page.get_by_label("Номер договора").fill(account.contract)
    page.get_by_label("Пароль").fill(ACCOUNT_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name=account.holder_name)).to_be_visible()


def open_menu(page, viewport: str) -> None:  # type: ignore[no-untyped-def]
    if viewport == "phone":
        page.locator(".nav-toggle-label").click()


def subscriber(**kw):  # type: ignore[no-untyped-def]
    kind = ServiceKindFactory()
    tariff = TariffFactory(
        kind=kind,
        name="Домашний 100",
        fee_kop=50_000,
        download_kbps=100_000,
        upload_kbps=100_000,
        description="Безлимитный интернет для квартиры",
    )
    TariffFactory(
        kind=kind, name="Турбо 500", fee_kop=90_000, download_kbps=500_000, upload_kbps=500_000
    )
    TariffFactory(
        kind=kind,
        name="Посуточный",
        fee_kop=2_500,
        fee_period=FeePeriod.DAY,
        download_kbps=100_000,
        upload_kbps=100_000,
    )
    AddonFactory(
        kind=kind,
        name="Статический IP-адрес",
        fee_kop=15_000,
        description="Постоянный внешний адрес",
    )
    AddonFactory(kind=None, name="Антивирус Про", fee_kop=9_900)
    return AccountFactory(tariff=tariff, holder_name="Ирина Соколова", **kw)


def test_tariff_change_wizard_and_cancel(
    page, live_server, shot, viewport, no_sideways_scroll
) -> None:  # type: ignore[no-untyped-def]
    account = subscriber()
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=180_000, settle=False)
    log_in(page, live_server, account)
    expect(page.get_by_test_id("next-charge")).to_contain_text("Баланса хватит до")
    no_sideways_scroll(page)
    shot(page, "dashboard")

    open_menu(page, viewport)
    page.get_by_role("link", name="Тариф", exact=True).click()
    expect(page.get_by_role("heading", name="Ваш тариф")).to_be_visible()
    expect(page.get_by_text("Помесячное списание: плата за весь")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "tariff")

    page.get_by_role("link", name="Сменить тариф").click()
    expect(page.get_by_role("heading", name="Выберите новый тариф")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "wizard-step1")
    page.get_by_role("link", name="Выбрать «Турбо 500»").click()
    expect(page.get_by_role("heading", name="Перейти на «Турбо 500»?")).to_be_visible()
    expect(page.get_by_test_id("difference")).to_contain_text("на 400 ₽ больше")
    no_sideways_scroll(page)
    shot(page, "wizard-step2")
    page.get_by_role("button", name="Подтвердить смену").click()

    expect(page.locator(".alert-success")).to_contain_text("Тариф сменится на «Турбо 500»")
    expect(page.get_by_test_id("open-change")).to_contain_text("Турбо 500")
    shot(page, "change-filed")
    page.get_by_role("button", name="Отменить смену тарифа").click()
    expect(page.locator(".alert-success")).to_contain_text("отменён")
    expect(page.get_by_test_id("open-change")).to_have_count(0)


def test_addon_connect_and_disconnect(
    page, live_server, shot, viewport, no_sideways_scroll
) -> None:  # type: ignore[no-untyped-def]
    account = subscriber()
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=100_000, settle=False)
    log_in(page, live_server, account)
    open_menu(page, viewport)
    page.get_by_role("link", name="Услуги", exact=True).click()
    expect(page.get_by_role("heading", name="Услуги", exact=True)).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "addons")
    page.get_by_role("button", name="Подключить «Статический IP-адрес»").click()
    expect(page.locator(".alert-success")).to_contain_text("Статический IP-адрес")
    connected = page.get_by_test_id("connected-addon")
    expect(connected).to_contain_text("Статический IP-адрес")
    shot(page, "addon-connected")
    connected.get_by_role("link", name="Отключить").click()
    expect(page.get_by_role("heading", name="Отключить «Статический IP-адрес»?")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "addon-confirm")
    page.get_by_role("button", name="Отключить").click()
    expect(page.locator(".alert-success")).to_contain_text("будет отключена после")
    expect(page.get_by_test_id("connected-addon")).to_contain_text("Будет отключена после")
    no_sideways_scroll(page)
    shot(page, "addon-leaving")


def test_pause_and_resume(page, live_server, shot, viewport, no_sideways_scroll) -> None:  # type: ignore[no-untyped-def]
    account = subscriber()
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=100_000, settle=False)
    log_in(page, live_server, account)
    page.get_by_role("link", name="Приостановить обслуживание").click()
    expect(page.get_by_role("heading", name="Добровольная блокировка")).to_be_visible()
    page.get_by_label("Срок паузы, дней").fill("3")
    page.get_by_role("button", name="Приостановить обслуживание").click()
    expect(page.locator(".field-error")).to_contain_text("от 7 до 90 дней")
    expect(page.get_by_label("Срок паузы, дней")).to_have_value("3")
    no_sideways_scroll(page)
    shot(page, "pause-error")
    page.get_by_label("Срок паузы, дней").fill("21")
    page.get_by_role("button", name="Приостановить обслуживание").click()
    expect(page.locator(".alert-success")).to_contain_text("приостановлено до")
    expect(page.get_by_test_id("paused")).to_be_visible()
    shot(page, "paused")
    page.get_by_role("button", name="Возобновить сейчас").click()
    expect(page.locator(".alert-success")).to_contain_text("Обслуживание возобновлено")
    expect(page.get_by_test_id("status")).to_have_text("Активен")


def test_promised_payment_when_blocked(
    page, live_server, shot, viewport, no_sideways_scroll
) -> None:  # type: ignore[no-untyped-def]
    account = subscriber(status=AccountStatus.BLOCKED)
    log_in(page, live_server, account)
    expect(page.get_by_test_id("needed")).to_be_visible()
    shot(page, "dashboard-blocked")
    page.get_by_test_id("next-charge").get_by_role("link", name="Взять обещанный платёж").click()
    expect(page.get_by_role("heading", name="Обещанный платёж", exact=True)).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "promised")
    page.get_by_role("button", name="Взять 500 ₽").click()
    expect(page.locator(".alert-success")).to_contain_text("500,00")
    expect(page.get_by_test_id("promise-active")).to_be_visible()
    shot(page, "promised-taken")


def test_history_with_chart(page, live_server, shot, viewport, no_sideways_scroll) -> None:  # type: ignore[no-untyped-def]
    account = subscriber()
    start = dt.datetime(2026, 9, 1, 10, tzinfo=MSK)
    for i in range(0, 80, 3):
        at = start + dt.timedelta(days=i)
        if i % 30 == 0:
            ledger_post(
                account_id=account.pk,
                kind=EntryKind.PAYMENT,
                amount_kop=70_000,
                settle=False,
                at=at,
            )
        ledger_post(
            account_id=account.pk,
            kind=EntryKind.CORRECTION,
            amount_kop=-6_000,
            reason="Плата за период",
            settle=False,
            at=at + dt.timedelta(hours=2),
        )
    log_in(page, live_server, account)
    open_menu(page, viewport)
    page.get_by_role("link", name="История", exact=True).click()
    expect(page.get_by_role("heading", name="История баланса")).to_be_visible()
    chart = page.get_by_role("img", name="Баланс по дням")
    expect(chart).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "history")
    page.get_by_label("Операция").select_option("payment")
    page.get_by_label("С", exact=True).fill("2026-10-01")
    page.get_by_role("button", name="Показать").click()
    expect(page.locator("table.ledger tbody tr")).to_have_count(2)
    no_sideways_scroll(page)
    shot(page, "history-filtered")
    with page.expect_download() as download:
        page.get_by_role("link", name="Скачать CSV").click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Дата;Операция;Сумма")
    assert "700,00" in text and len(text.splitlines()) == 3
