"""The cabinet's billing pages: tariff and its change, add-ons, pause, promised payment, history
with its chart and CSV; every page for every status, happy paths and refusals, CSRF, queries."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from abonent.accounts.models import AccountStatus
from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.billing.models import AccountAddon, EntryKind, LedgerEntry, TariffChange
from abonent.billing.periods import billing_today, month_end, next_month_start
from abonent.billing.services.addons import addon_connect
from abonent.billing.services.pause import account_pause
from abonent.billing.services.posting import ledger_post
from abonent.cabinet.chart import balance_chart
from abonent.cabinet.presenters import period_text, rubles_text
from abonent.catalogue.models import AddonPeriod, FeePeriod
from abonent.catalogue.tests.factories import AddonFactory, ServiceKindFactory, TariffFactory

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
PAGES = [
    "/cabinet/",
    "/cabinet/tariff/",
    "/cabinet/tariff/change/",
    "/cabinet/addons/",
    "/cabinet/pause/",
    "/cabinet/promised/",
    "/cabinet/history/",
    "/cabinet/history.csv",
]


def ru(msgid: str) -> str:
    with translation.override("ru"):
        return translation.gettext(msgid)


def login(account) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post(
        "/cabinet/login/", {"contract": account.contract, "password": ACCOUNT_PASSWORD}
    )
    assert response.status_code == 302
    return client


def pay(account, amount_kop: int, at: dt.datetime | None = None) -> None:  # type: ignore[no-untyped-def]
    ledger_post(
        account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=amount_kop, settle=False, at=at
    )
    account.refresh_from_db()


def make(status: str, balance: int = 0, **kw):  # type: ignore[no-untyped-def]
    """An account in a status, with money posted through the ledger."""
    paused = status == "paused"
    account = AccountFactory(
        status=AccountStatus.ACTIVE if paused else status,
        **kw,
    )
    if balance:
        pay(account, balance)
    if paused:
        account_pause(account_id=account.pk, days=14)
        account.refresh_from_db()
    return account


def html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode().replace("\xa0", " ")


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    if not response.context:
        return []
    return [str(m).replace("\xa0", " ") for m in response.context["messages"]]


# --- Every page for every status ---------------------------------------------------------


@pytest.mark.parametrize("status", ["active", "blocked", "new", "paused"])
def test_every_page_renders_for_every_status(status: str) -> None:
    account = make(status, balance=100_000 if status in ("active", "paused") else 25_000)
    client = login(account)
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, (status, url, response.status_code)
        if not url.endswith(".csv"):
            body = html(response)
            assert account.holder_name not in body or url == "/cabinet/"
            for name in ("Обзор", "Тариф", "Услуги", "История", "Пароль", "Выйти"):
                assert name in body, (url, name)


def test_dashboard_shows_the_next_charge_and_how_long_the_balance_lasts() -> None:
    account = make("active", balance=150_000, tariff=TariffFactory(fee_kop=50_000))
    body = html(login(account).get("/cabinet/"))
    first = next_month_start(billing_today())
    assert "500,00" in body
    assert f"{first.day} " in body
    assert "Баланса хватит до" in body
    assert "Смена тарифа" in body and "Подключить или отключить услуги" in body


def test_dashboard_of_new_and_blocked_accounts_asks_to_top_up() -> None:
    new = make("new", balance=25_000)
    body = html(login(new).get("/cabinet/"))
    assert re.search(r'data-testid="needed">750,00', body)
    blocked = make("blocked", tariff=TariffFactory(fee_kop=31_000, fee_period=FeePeriod.DAY))
    body = html(login(blocked).get("/cabinet/"))
    assert re.search(r'data-testid="needed">310,00', body)
    assert "Обещанный платёж" in body


def test_dashboard_of_a_paused_account_says_no_fees() -> None:
    account = make("paused", balance=100_000)
    body = html(login(account).get("/cabinet/"))
    assert "не списывается" in body
    assert "Возобновить" in body


# --- Tariff and the change wizard ---------------------------------------------------------


@pytest.fixture
def tariffs():  # type: ignore[no-untyped-def]
    kind = ServiceKindFactory()
    current = TariffFactory(
        kind=kind, name="Старт", fee_kop=50_000, download_kbps=50_000, upload_kbps=50_000
    )
    faster = TariffFactory(
        kind=kind, name="Турбо", fee_kop=80_000, download_kbps=300_000, upload_kbps=300_000
    )
    daily = TariffFactory(kind=kind, name="Посуточный", fee_kop=2_000, fee_period=FeePeriod.DAY)
    vip = TariffFactory(kind=kind, name="Гигабит", fee_kop=150_000, needs_approval=True)
    tv = TariffFactory(kind=ServiceKindFactory(slug="tv", name="ТВ"), name="Телевидение")
    return current, faster, daily, vip, tv


def test_tariff_page_explains_what_and_when(tariffs) -> None:  # type: ignore[no-untyped-def]
    current, *_ = tariffs
    account = make("active", balance=200_000, tariff=current)
    AccountAddon.objects.create(
        account=account, addon=AddonFactory(name="Статический IP"), started_on=billing_today()
    )
    body = html(login(account).get("/cabinet/tariff/"))
    assert "Старт" in body and "500 ₽" in body
    assert "Помесячное списание" in body
    assert "50 Мбит/с" in body
    assert "Статический IP" in body


def test_wizard_lists_options_compares_and_files_the_change(tariffs) -> None:  # type: ignore[no-untyped-def]
    current, faster, daily, vip, tv = tariffs
    account = make("active", balance=200_000, tariff=current)
    client = login(account)
    step1 = html(client.get("/cabinet/tariff/change/"))
    for name in ("Турбо", "Посуточный", "Гигабит"):
        assert name in step1
    assert "Телевидение" not in step1 and f"?to={current.pk}" not in step1
    step2 = client.get(f"/cabinet/tariff/change/?to={faster.pk}")
    body = html(step2)
    assert step2.status_code == 200
    assert "300,00" not in body  # the difference is a price tag, not an amount with kopecks
    assert "на 300 ₽ больше" in body
    assert "300 Мбит/с" in body
    boundary = next_month_start(billing_today())
    assert f"{boundary.day} " in body
    assert 'name="csrfmiddlewaretoken"' in body
    done = client.post("/cabinet/tariff/change/", {"to_tariff_id": faster.pk}, follow=True)
    assert done.redirect_chain[-1][0] == "/cabinet/tariff/"
    change = TariffChange.objects.get(account=account, status="pending")
    assert change.to_tariff == faster and change.effective_on == boundary
    assert any("Турбо" in m for m in messages_of(done))
    assert "Отменить смену" in html(done)
    cancelled = client.post("/cabinet/tariff/change/cancel/", follow=True)
    change.refresh_from_db()
    assert change.status == "cancelled"
    assert any("отменён" in m for m in messages_of(cancelled))


def test_wizard_explains_monthly_to_daily_per_month(tariffs) -> None:  # type: ignore[no-untyped-def]
    current, _faster, daily, *_ = tariffs
    account = make("active", balance=200_000, tariff=current)
    body = html(login(account).get(f"/cabinet/tariff/change/?to={daily.pk}"))
    days = (next_month_start(next_month_start(billing_today())) - dt.timedelta(days=1)).day
    per_month = 2_000 * days
    assert f"{per_month // 100} ₽" in body.replace("\xa0", " ")
    assert "Посуточное списание" in body or "посуточн" in body


def test_wizard_says_when_staff_must_approve(tariffs) -> None:  # type: ignore[no-untyped-def]
    current, _f, _d, vip, _tv = tariffs
    account = make("active", balance=200_000, tariff=current)
    client = login(account)
    assert "одобрен" in html(client.get(f"/cabinet/tariff/change/?to={vip.pk}"))
    done = client.post("/cabinet/tariff/change/", {"to_tariff_id": vip.pk}, follow=True)
    assert TariffChange.objects.get(account=account).status == "awaiting_approval"
    assert "Ждёт одобрения" in html(done)


def test_wizard_refuses_a_tariff_of_another_service(tariffs) -> None:  # type: ignore[no-untyped-def]
    current, *_, tv = tariffs
    account = make("active", balance=200_000, tariff=current)
    client = login(account)
    refused = client.post("/cabinet/tariff/change/", {"to_tariff_id": tv.pk})
    assert refused.status_code == 200
    assert ru("This tariff is not available for your connection.") in html(refused)
    assert "Этот тариф" in html(refused)
    assert not TariffChange.objects.filter(account=account).exists()
    shown = client.get(f"/cabinet/tariff/change/?to={tv.pk}")
    assert "Этот тариф" in html(shown)
    garbage = client.post("/cabinet/tariff/change/", {"to_tariff_id": "x"})
    assert garbage.status_code == 200 and "alert-error" in html(garbage)


def test_cancel_without_a_change_says_so() -> None:
    account = make("active", balance=100_000)
    done = login(account).post("/cabinet/tariff/change/cancel/", follow=True)
    assert any("Нет заявки на смену тарифа" in m for m in messages_of(done))


# --- Add-ons ------------------------------------------------------------------------------


def test_addons_connect_and_disconnect() -> None:
    account = make("active", balance=100_000)
    addon = AddonFactory(name="Антивирус", fee_kop=15_000, kind=account.tariff.kind)
    client = login(account)
    page = html(client.get("/cabinet/addons/"))
    assert "Антивирус" in page and "Сейчас" in page
    done = client.post("/cabinet/addons/connect/", {"addon_id": addon.pk}, follow=True)
    sub = AccountAddon.objects.get(account=account, addon=addon)
    assert any("Антивирус" in m for m in messages_of(done))
    assert LedgerEntry.objects.filter(account=account, kind=EntryKind.ADDON_FEE).exists()
    confirm = client.get(f"/cabinet/addons/{sub.pk}/disconnect/")
    assert confirm.status_code == 200 and "Отключить «Антивирус»?" in html(confirm)
    off = client.post(f"/cabinet/addons/{sub.pk}/disconnect/", follow=True)
    sub.refresh_from_db()
    assert sub.ends_on == month_end(billing_today())
    assert any("будет отключена после" in m for m in messages_of(off))
    assert "Будет отключена после" in html(off)
    assert client.get(f"/cabinet/addons/{sub.pk}/disconnect/").status_code == 404


def test_addon_refusals_are_shown_next_to_it() -> None:
    account = make("active", balance=100)
    addon = AddonFactory(
        name="ТВ-пакет", fee_kop=90_000, kind=account.tariff.kind, period=AddonPeriod.ONCE
    )
    client = login(account)
    refused = client.post("/cabinet/addons/connect/", {"addon_id": addon.pk})
    body = html(refused)
    assert refused.status_code == 200
    assert "Недостаточно средств" in body and "has-error" in body
    assert not AccountAddon.objects.filter(account=account).exists()
    unknown = client.post("/cabinet/addons/connect/", {"addon_id": 999_999})
    assert "недоступна" in html(unknown)


def test_blocked_account_cannot_connect_addons() -> None:
    account = make("blocked")
    addon = AddonFactory(kind=account.tariff.kind)
    client = login(account)
    page = html(client.get("/cabinet/addons/"))
    assert "пока лицевой счёт активен" in page and 'name="addon_id"' not in page
    refused = client.post("/cabinet/addons/connect/", {"addon_id": addon.pk})
    assert "пока лицевой счёт активен" in html(refused)


# --- Pause --------------------------------------------------------------------------------


def test_pause_and_resume() -> None:
    account = make("active", balance=100_000)
    client = login(account)
    page = html(client.get("/cabinet/pause/"))
    assert "не списывается" in page or "не списываются" in page
    done = client.post("/cabinet/pause/", {"days": "10"}, follow=True)
    account.refresh_from_db()
    assert account.status == AccountStatus.SUSPENDED
    until = billing_today() + dt.timedelta(days=9)
    assert any("приостановлено" in m for m in messages_of(done))
    assert f"{until.day} " in html(done) and "Возобновить" in html(done)
    resumed = client.post("/cabinet/pause/resume/", follow=True)
    account.refresh_from_db()
    assert account.status in (AccountStatus.ACTIVE, AccountStatus.BLOCKED)
    assert any("возобновлено" in m for m in messages_of(resumed))


@pytest.mark.parametrize("days", ["3", "91", "много"])
def test_pause_refusals_keep_the_input(days: str) -> None:
    account = make("active", balance=100_000)
    refused = login(account).post("/cabinet/pause/", {"days": days})
    body = html(refused)
    assert refused.status_code == 200
    assert f'value="{days}"' in body and "has-error" in body
    if days != "много":
        assert ru("A pause lasts from %(low)d to %(high)d days.") % {"low": 7, "high": 90} in body
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE


def test_resume_when_not_paused_says_so() -> None:
    account = make("active", balance=100_000)
    done = login(account).post("/cabinet/pause/resume/", follow=True)
    assert any("не приостановлен" in m for m in messages_of(done))


# --- Promised payment ---------------------------------------------------------------------


def test_blocked_account_takes_a_promised_payment_once() -> None:
    account = make("blocked", tariff=TariffFactory(fee_kop=3_000, fee_period=FeePeriod.DAY))
    client = login(account)
    page = html(client.get("/cabinet/promised/"))
    assert "500 ₽" in page and "Взять 500 ₽" in page
    done = client.post("/cabinet/promised/", follow=True)
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    assert LedgerEntry.objects.filter(account=account, kind=EntryKind.PROMISED_PAYMENT).exists()
    assert any("500,00" in m for m in messages_of(done))
    assert 'data-testid="promise-active"' in html(done)
    again = client.post("/cabinet/promised/")
    assert again.status_code == 200
    assert "alert-error" in html(again)
    assert LedgerEntry.objects.filter(account=account, kind=EntryKind.PROMISED_PAYMENT).count() == 1


def test_promised_payment_refused_when_the_balance_is_enough() -> None:
    account = make("active", balance=500_000)
    client = login(account)
    page = html(client.get("/cabinet/promised/"))
    refusal = ru("Your balance is enough for now; a promised payment is for when it is not.")
    assert refusal in page and "Взять 500" not in page
    refused = client.post("/cabinet/promised/")
    assert refusal in html(refused) and "alert-error" in html(refused)
    assert not LedgerEntry.objects.filter(account=account, kind=EntryKind.PROMISED_PAYMENT)


# --- CSRF ---------------------------------------------------------------------------------


def test_every_form_needs_the_csrf_token(tariffs) -> None:  # type: ignore[no-untyped-def]
    current, faster, *_ = tariffs
    account = make("active", balance=100_000, tariff=current)
    addon = AddonFactory(kind=current.kind)
    client = Client(enforce_csrf_checks=True)
    client.get("/cabinet/login/")
    token = client.cookies["csrftoken"].value
    client.post(
        "/cabinet/login/",
        {"contract": account.contract, "password": ACCOUNT_PASSWORD, "csrfmiddlewaretoken": token},
    )
    sub = addon_connect(account_id=account.pk, addon_id=AddonFactory(kind=current.kind).pk)
    for url, data in [
        ("/cabinet/tariff/change/", {"to_tariff_id": faster.pk}),
        ("/cabinet/tariff/change/cancel/", {}),
        ("/cabinet/addons/connect/", {"addon_id": addon.pk}),
        (f"/cabinet/addons/{sub.pk}/disconnect/", {}),
        ("/cabinet/pause/", {"days": 10}),
        ("/cabinet/pause/resume/", {}),
        ("/cabinet/promised/", {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert not TariffChange.objects.exists()
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE


# --- History, chart, CSV ------------------------------------------------------------------


def history_account(days: int = 3):  # type: ignore[no-untyped-def]
    """An account with a payment and a fee on each of ``days`` days in November 2026."""
    account = AccountFactory(balance_kop=0)
    for i in range(days):
        at = dt.datetime(2026, 11, 1 + i % 28, 10, 0, tzinfo=MSK) + dt.timedelta(minutes=i)
        pay(account, 123_450, at=at)
        ledger_post(
            account_id=account.pk,
            kind=EntryKind.CORRECTION,
            amount_kop=-1_000,
            reason="Округление",
            settle=False,
            at=at + dt.timedelta(hours=1),
        )
    return account


def test_history_lists_entries_with_words_and_colours() -> None:
    account = history_account(2)
    addon = AddonFactory(name="Статический IP", kind=account.tariff.kind)
    LedgerEntry.objects.create(
        account=account,
        kind=EntryKind.FEE,
        amount_kop=-50_000,
        balance_after_kop=0,
        item="tariff",
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        created_at=dt.datetime(2026, 11, 3, 9, tzinfo=MSK),
    )
    LedgerEntry.objects.create(
        account=account,
        kind=EntryKind.ADDON_FEE,
        amount_kop=-5_000,
        balance_after_kop=0,
        item=f"addon:{addon.pk}",
        period_start=dt.date(2026, 11, 20),
        period_end=dt.date(2026, 11, 30),
        created_at=dt.datetime(2026, 11, 3, 9, 5, tzinfo=MSK),
    )
    body = html(login(account).get("/cabinet/history/"))
    assert "Абонентская плата за ноябрь 2026" in body
    assert "«Статический IP» за 20–30 ноября 2026" in body
    assert "Округление" in body and "Корректировка: Округление" not in body
    assert re.search(r'class="num ledger-amount amount-in">\+1', body) and "amount-out" in body


def test_history_filters_by_kind_and_dates() -> None:
    account = history_account(5)
    client = login(account)
    only = html(client.get("/cabinet/history/", {"kind": "payment"}))
    assert "Округление" not in only
    dated = client.get("/cabinet/history/", {"date_from": "2026-11-02", "date_to": "03.11.2026"})
    assert dated.context["page"].paginator.count == 4
    assert 'value="2026-11-02"' in html(dated)


def test_history_bad_dates_say_so_and_keep_the_filters() -> None:
    account = history_account(2)
    client = login(account)
    bad = client.get("/cabinet/history/", {"kind": "payment", "date_from": "32.13.2026"})
    body = html(bad)
    assert bad.status_code == 200
    assert 'value="32.13.2026"' in body and "has-error" in body
    assert '<option value="payment" selected>' in body
    assert bad.context["page"].paginator.count == 2  # the kind still applies
    backwards = client.get(
        "/cabinet/history/", {"date_from": "2026-11-05", "date_to": "2026-11-01"}
    )
    assert "раньше начала" in html(backwards)
    csv = client.get("/cabinet/history.csv", {"date_from": "nope"})
    assert csv.status_code == 302 and csv["Location"].startswith("/cabinet/history/?")


def test_history_is_paginated_by_25() -> None:
    account = history_account(15)  # 30 entries
    client = login(account)
    first = client.get("/cabinet/history/")
    assert len(first.context["rows"]) == 25
    second = client.get("/cabinet/history/", {"page": 2})
    assert len(second.context["rows"]) == 5
    assert "2 из 2" in html(second)


def test_history_chart_has_one_point_per_day_and_is_accessible() -> None:
    account = history_account(4)
    body = html(login(account).get("/cabinet/history/"))
    svg = re.search(r"<svg class=\"balance-chart\".*?</svg>\s*</div>", body, re.S)
    assert svg
    chart = svg.group(0)
    assert 'role="img"' in chart and '<title id="chart-title">' in chart and "<desc" in chart
    assert chart.count('class="chart-dot') == 4
    assert "<polyline" in chart and "https://" not in chart.replace("http://www.w3.org", "")


def test_the_chart_draws_a_single_day_and_negative_balances() -> None:
    one = balance_chart([(dt.date(2026, 11, 1), 5_000)])
    assert one is not None and one.points == 1
    dip = balance_chart([(dt.date(2026, 11, 1), 5_000), (dt.date(2026, 11, 9), -2_000)])
    assert dip is not None and "chart-zero" in dip.svg and "chart-dot-neg" in dip.svg
    assert balance_chart([]) is None


def test_csv_export_for_excel() -> None:
    account = history_account(2)
    other = history_account(1)
    response = login(account).get("/cabinet/history.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "Дата;Операция;Сумма, ₽;Баланс после, ₽;Описание"
    assert len(lines) == 1 + 4
    date, kind, amount, after, text = lines[-1].split(";")
    assert (date, amount, after, text) == (
        "01.11.2026 10:00",
        "1234,50",
        "1234,50",
        ru("Payment, thank you"),
    )
    assert kind  # the kind's name, translated by the billing app
    assert any(";-10,00;1224,50;Округление" in line for line in lines)
    assert other.contract not in raw.decode("utf-8-sig")
    only = login(account).get("/cabinet/history.csv", {"kind": "correction"})
    assert len(only.content.decode("utf-8-sig").splitlines()) == 1 + 2


def test_csv_keeps_formulas_out_of_the_spreadsheet() -> None:
    account = AccountFactory()
    ledger_post(
        account_id=account.pk,
        kind=EntryKind.CORRECTION,
        amount_kop=100,
        reason="=HYPERLINK(1)",
        settle=False,
    )
    text = login(account).get("/cabinet/history.csv").content.decode("utf-8-sig")
    assert ";'=HYPERLINK(1)" in text  # quoted, not a formula
    assert ";=" not in text


def test_money_for_spreadsheets_and_periods_in_words() -> None:
    assert rubles_text(123_450) == "1234,50"
    assert rubles_text(-5) == "-0,05"
    assert rubles_text(0) == "0,00"
    with translation.override("ru"):
        assert period_text(dt.date(2026, 2, 1), dt.date(2026, 2, 28)) == "февраль 2026"
        assert period_text(dt.date(2026, 2, 3), dt.date(2026, 2, 3)) == "3 февраля 2026"


# --- Query counts -------------------------------------------------------------------------


@pytest.mark.parametrize("days", [2, 28])
def test_history_and_csv_queries_do_not_grow_with_entries(
    days: int, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    account = history_account(days)
    addon = AddonFactory(kind=account.tariff.kind)
    LedgerEntry.objects.create(
        account=account,
        kind=EntryKind.ADDON_FEE,
        amount_kop=-100,
        balance_after_kop=0,
        item=f"addon:{addon.pk}",
        period_start=dt.date(2026, 11, 2),
        period_end=dt.date(2026, 11, 2),
    )
    client = login(account)
    with django_assert_max_num_queries(9):
        assert client.get("/cabinet/history/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/cabinet/history.csv").status_code == 200


@pytest.mark.parametrize("n_addons", [1, 6])
def test_dashboard_and_addons_queries_are_bounded(
    n_addons: int, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    account = make("active", balance=500_000)
    for _ in range(n_addons):
        addon_connect(account_id=account.pk, addon_id=AddonFactory(kind=account.tariff.kind).pk)
    AddonFactory(kind=account.tariff.kind)
    client = login(account)
    with django_assert_max_num_queries(10):
        assert client.get("/cabinet/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/cabinet/addons/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/cabinet/tariff/").status_code == 200


def test_settings_drive_the_promised_terms() -> None:
    account = make("blocked")
    body = html(login(account).get("/cabinet/promised/"))
    assert f"{settings.ABONENT_PROMISED_DAYS} дней" in body
