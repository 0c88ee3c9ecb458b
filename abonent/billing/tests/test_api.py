"""The subscriber's billing API under /api/v1/me/: ledger, next charge, tariff change, add-ons,
pause and promised payment, end to end through HTTP with a bearer token.

The clock is fixed (``clock``) so that fees, prorations and dates are exact; every service the
endpoints call reads the same patched ``timezone.now``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from abonent.accounts.models import Account, AccountStatus
from abonent.accounts.services import token_issue
from abonent.accounts.tests.factories import AccountFactory
from abonent.billing.models import (
    AccountAddon,
    EntryKind,
    LedgerEntry,
    PromisedPayment,
    TariffChange,
    TariffChangeStatus,
)
from abonent.billing.services.addons import addon_connect
from abonent.billing.services.audit import ledger_audit
from abonent.billing.services.charging import charge_run
from abonent.billing.services.posting import ledger_post
from abonent.billing.services.tariff_change import tariff_change_request
from abonent.catalogue.models import AddonPeriod, FeePeriod
from abonent.catalogue.tests.factories import AddonFactory, ServiceKindFactory, TariffFactory

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
NOV1 = dt.date(2026, 11, 1)
NOV15 = dt.date(2026, 11, 15)
LEDGER_MAX_QUERIES = 5  # token, its last-used stamp, the page, the count, add-on names


class Clock:
    """Moves ``timezone.now`` to noon (Moscow) of a given day."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def set(self, day: dt.date, hour: int = 12) -> None:
        moment = dt.datetime.combine(day, dt.time(hour), tzinfo=MSK).astimezone(dt.UTC)
        self.monkeypatch.setattr(timezone, "now", lambda: moment)
        # The ledger's created_at defaults to the function itself, bound at import.
        field = LedgerEntry._meta.get_field("created_at")
        self.monkeypatch.setattr(field, "_get_default", lambda: moment)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Today is 15 November 2026 unless a test moves it."""
    c = Clock(monkeypatch)
    c.set(NOV15)
    return c


def active(balance: int, fee: int = 60_000, period: str = FeePeriod.MONTH, **kw: Any) -> Account:
    """An active account with ``balance`` paid in (not settled: no fee charged yet)."""
    account = AccountFactory(
        status=AccountStatus.ACTIVE, tariff=TariffFactory(fee_kop=fee, fee_period=period), **kw
    )
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=balance, settle=False)
    account.refresh_from_db()
    return account


def api(account: Account, lang: str = "ru") -> Client:
    """A client that sends a fresh bearer token of ``account``."""
    raw, _ = token_issue(account=account)
    return Client(headers={"authorization": f"Bearer {raw}", "accept-language": lang})


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    """A JSON request; returns the response."""
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, url, data, content_type="application/json")


def assert_error(response: Any, status: int, field: str | None, code: str | None = None) -> None:
    """The API's one error shape with the right status and field."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"] and body["field"] == field, body
    if code is not None:
        assert body["code"] == code, body


def audit_ok() -> None:
    report = ledger_audit()
    assert report.ok, report.problems


ENDPOINTS = [
    ("GET", "/api/v1/me/ledger"),
    ("GET", "/api/v1/me/next-charge"),
    ("GET", "/api/v1/me/tariff-change"),
    ("POST", "/api/v1/me/tariff-change"),
    ("DELETE", "/api/v1/me/tariff-change"),
    ("GET", "/api/v1/me/tariff-change/options"),
    ("GET", "/api/v1/me/addons"),
    ("POST", "/api/v1/me/addons"),
    ("DELETE", "/api/v1/me/addons/1"),
    ("POST", "/api/v1/me/pause"),
    ("DELETE", "/api/v1/me/pause"),
    ("POST", "/api/v1/me/promised-payment"),
]


class TestAuthAndSchema:
    @pytest.mark.parametrize(("method", "url"), ENDPOINTS)
    def test_without_or_with_a_bad_token_is_401(self, method: str, url: str) -> None:
        for headers in ({}, {"authorization": "Bearer ab_nope"}):
            response = send(Client(headers=headers), method, url, {})
            assert_error(response, 401, None, "unauthorized")

    def test_every_endpoint_is_in_the_openapi_schema_with_a_summary(self) -> None:
        paths = Client().get("/api/v1/openapi.json").json()["paths"]
        for method, url in ENDPOINTS:
            path = url.replace("/addons/1", "/addons/{subscription_id}")
            operation = paths[path][method.lower()]
            assert operation["summary"], (method, path)
            assert operation["security"], (method, path)


class TestLedger:
    def test_entries_with_money_text_and_descriptions(self, clock: Clock) -> None:
        clock.set(NOV1)
        account = active(100_000)
        charge_run(day=NOV1)
        clock.set(NOV15)
        addon = AddonFactory(name="Статический IP", fee_kop=15_000, kind=account.tariff.kind)
        addon_connect(account_id=account.pk, addon_id=addon.pk)
        body = api(account).get("/api/v1/me/ledger").json()
        assert body["count"] == 3
        addon_fee, fee, payment = body["items"]
        assert (
            addon_fee["kind"] == "addon_fee" and addon_fee["kind_label"] == "Плата за доп. услугу"
        )
        assert addon_fee["description"] == "Статический IP за 15.11–30.11"
        assert addon_fee["amount_kop"] == -8_000 and addon_fee["amount"] == "-80,00\u00a0₽"
        assert addon_fee["balance_after_kop"] == 100_000 - 60_000 - 8_000
        assert addon_fee["balance_after"] == "320,00\u00a0₽"
        assert addon_fee["item"] == f"addon:{addon.pk}"
        assert fee["description"] == "Абонентская плата за 01.11–30.11"
        assert (fee["period_start"], fee["period_end"]) == ("2026-11-01", "2026-11-30")
        assert fee["item"] == "tariff" and fee["amount_kop"] == -60_000
        assert payment["description"] == payment["kind_label"] and payment["period_start"] is None
        assert payment["created_at"] == "2026-11-01T09:00:00Z"
        assert set(fee) == {
            "id",
            "created_at",
            "kind",
            "kind_label",
            "description",
            "amount_kop",
            "amount",
            "balance_after_kop",
            "balance_after",
            "reason",
            "period_start",
            "period_end",
            "item",
        }

    def test_english_descriptions(self, clock: Clock) -> None:
        account = active(100_000, fee=3_000, period=FeePeriod.DAY)
        charge_run(day=NOV15)
        ledger_post(account_id=account.pk, kind=EntryKind.CORRECTION, amount_kop=500, reason="x")
        items = api(account, "en").get("/api/v1/me/ledger").json()["items"]
        by_kind = {i["kind"]: i for i in items}
        assert by_kind["correction"]["description"] == "x"
        assert by_kind["payment"]["description"] == "Payment"
        fee = by_kind["fee"]
        assert fee["description"] == "Subscription fee for 15.11"
        assert fee["amount"] == "-₽30.00" and fee["kind_label"] == "Tariff fee"

    def test_pages_newest_first(self, clock: Clock) -> None:
        account = active(1_000)
        for n in range(6):
            ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=100 + n)
        client = api(account)
        everything = client.get("/api/v1/me/ledger").json()
        ids = [i["id"] for i in everything["items"]]
        assert everything["count"] == 7 and ids == sorted(ids, reverse=True)
        first = client.get("/api/v1/me/ledger?limit=3").json()
        assert first["count"] == 7 and [i["id"] for i in first["items"]] == ids[:3]
        middle = client.get("/api/v1/me/ledger?limit=3&offset=3").json()
        assert [i["id"] for i in middle["items"]] == ids[3:6] and middle["count"] == 7
        last = client.get("/api/v1/me/ledger?limit=3&offset=6").json()
        assert [i["id"] for i in last["items"]] == ids[6:] and last["count"] == 7
        beyond = client.get("/api/v1/me/ledger?limit=3&offset=50").json()
        assert beyond == {"items": [], "count": 7}
        assert client.get("/api/v1/me/ledger?limit=200").json()["count"] == 7

    def test_filters_by_kind_and_dates(self, clock: Clock) -> None:
        account = active(1_000)

        def at(day: int) -> dt.datetime:
            return dt.datetime(2026, 11, day, 23, 30, tzinfo=MSK)  # late evening, Moscow

        ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=10, at=at(3))
        ledger_post(account_id=account.pk, kind=EntryKind.CORRECTION, amount_kop=-5, at=at(5))
        ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=20, at=at(7))
        client = api(account)

        def amounts(query: str) -> list[int]:
            body = client.get(f"/api/v1/me/ledger?{query}").json()
            assert body["count"] == len(body["items"])
            return [i["amount_kop"] for i in body["items"]]

        assert amounts("kind=payment") == [1_000, 20, 10]
        assert amounts("kind=correction") == [-5]
        assert amounts("kind=refund") == []
        assert amounts("date_from=2026-11-05") == [1_000, 20, -5]
        assert amounts("date_from=2026-11-05&date_to=2026-11-05") == [-5]
        assert amounts("date_to=2026-11-06") == [-5, 10]
        assert amounts("kind=payment&date_from=2026-11-04&date_to=2026-11-07") == [20]

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("limit=0", "limit"),
            ("limit=201", "limit"),
            ("limit=ten", "limit"),
            ("offset=-1", "offset"),
            ("offset=x", "offset"),
            ("kind=bonus", "kind"),
            ("kind=Payment", "kind"),
            ("date_from=2026-13-01", "date_from"),
            ("date_from=20261101", "date_from"),
            ("date_from=1.11.2026", "date_from"),
            ("date_to=2026-02-30", "date_to"),
            ("date_to=yesterday", "date_to"),
            ("date_from=2026-11-10&date_to=2026-11-09", "date_from"),
        ],
    )
    def test_bad_input_is_422_with_the_field(self, clock: Clock, query: str, field: str) -> None:
        account = active(1_000)
        response = api(account).get(f"/api/v1/me/ledger?{query}")
        assert_error(response, 422, field)

    def test_translated_errors(self, clock: Clock) -> None:
        account = active(1_000)
        ru = api(account).get("/api/v1/me/ledger?date_from=x").json()["detail"]
        en = api(account, "en").get("/api/v1/me/ledger?date_from=x").json()["detail"]
        assert en == "Enter a date as YYYY-MM-DD." and ru != en

    def test_only_the_callers_entries(self, clock: Clock) -> None:
        mine, other = active(1_000), active(2_000)
        ledger_post(account_id=other.pk, kind=EntryKind.PAYMENT, amount_kop=777)
        body = api(mine).get("/api/v1/me/ledger").json()
        assert [i["amount_kop"] for i in body["items"]] == [1_000] and body["count"] == 1

    def test_query_count_does_not_grow_with_the_page(
        self, clock: Clock, django_assert_max_num_queries: Any
    ) -> None:
        account = active(1_000_000)
        kind = account.tariff.kind
        for n in range(4):
            addon = AddonFactory(fee_kop=1_000 + n, period=AddonPeriod.ONCE, kind=kind)
            addon_connect(account_id=account.pk, addon_id=addon.pk)
        for n in range(250):
            ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=1 + n)
        client = api(account)
        client.get("/api/v1/me/ledger?limit=1")  # stamps the token's last use
        counts = []
        for query in ("limit=5&offset=248", "limit=200&offset=55", "limit=200"):
            with CaptureQueriesContext(connection) as ctx:
                body = client.get(f"/api/v1/me/ledger?{query}").json()
            counts.append(len(ctx.captured_queries))
            assert body["count"] == 255
        assert body["items"][-1]["kind"] == "payment"
        with django_assert_max_num_queries(LEDGER_MAX_QUERIES):
            body = client.get("/api/v1/me/ledger?limit=200&offset=55").json()
        assert len(body["items"]) == 200
        assert sum(i["kind"] == "addon_fee" for i in body["items"]) == 4
        # 5 entries or 200 with add-on fees among them: the same queries; none: one fewer.
        assert counts[0] == counts[1] == counts[2] + 1 <= LEDGER_MAX_QUERIES, counts


class TestNextCharge:
    def test_monthly_account_with_an_addon(self, clock: Clock) -> None:
        account = active(100_000)
        clock.set(NOV1)
        charge_run(day=NOV1)  # 600 ₽ for November: 400 ₽ left
        clock.set(NOV15)
        addon = AddonFactory(name="Антивирус", fee_kop=6_000, kind=account.tariff.kind)
        addon_connect(account_id=account.pk, addon_id=addon.pk)  # 32 ₽ for 15..30 Nov
        body = api(account).get("/api/v1/me/next-charge").json()
        assert body == {
            "date": "2026-12-01",
            "amount_kop": 66_000,
            "amount": "660,00\u00a0₽",
            "items": [
                {"name": account.tariff.name, "amount_kop": 60_000, "amount": "600,00\u00a0₽"},
                {"name": "Антивирус", "amount_kop": 6_000, "amount": "60,00\u00a0₽"},
            ],
            "lasts_until": "2026-11-30",
            "days_left": 15,
            "needed_kop": 0,
            "needed": "0,00\u00a0₽",
            "status": "active",
        }

    def test_pending_change_is_in_the_forecast(self, clock: Clock) -> None:
        account = active(200_000)
        cheaper = TariffFactory(kind=account.tariff.kind, fee_kop=40_000)
        tariff_change_request(account_id=account.pk, to_tariff_id=cheaper.pk)
        body = api(account).get("/api/v1/me/next-charge").json()
        assert body["date"] == "2026-12-01" and body["amount_kop"] == 40_000
        assert body["items"][0]["name"] == cheaper.name
        # 2 000 ₽ pays December..May at 400 ₽: the balance lasts until the end of April.
        assert body["lasts_until"] == "2027-04-30"

    def test_blocked_account_needs_a_top_up(self, clock: Clock) -> None:
        account = AccountFactory(status=AccountStatus.BLOCKED, tariff=TariffFactory(fee_kop=60_000))
        body = api(account).get("/api/v1/me/next-charge").json()
        assert body["status"] == "blocked" and body["date"] == "2026-11-15"
        assert body["needed_kop"] == 32_000 and body["needed"] == "320,00\u00a0₽"

    def test_paused_account_has_no_next_charge(self, clock: Clock) -> None:
        account = active(100_000)
        client = api(account)
        assert send(client, "POST", "/api/v1/me/pause", {"days": 7}).status_code == 201
        body = client.get("/api/v1/me/next-charge").json()
        assert body["date"] is None and body["items"] == [] and body["status"] == "suspended"


class TestTariffChange:
    def test_options_show_the_difference_in_money_and_speed(self, clock: Clock) -> None:
        account = active(100_000)
        kind = account.tariff.kind
        faster = TariffFactory(kind=kind, fee_kop=90_000, download_kbps=500_000)
        daily = TariffFactory(kind=kind, fee_kop=2_500, fee_period=FeePeriod.DAY)
        TariffFactory(kind=kind, building_type="house")
        TariffFactory(kind=ServiceKindFactory(slug="tv", category="tv"))
        TariffFactory(kind=kind, is_public=False)
        body = api(account).get("/api/v1/me/tariff-change/options").json()
        assert body["current"]["id"] == account.tariff_id
        assert body["effective_on"] == "2026-12-01" and body["count"] == 2
        by_id = {o["tariff"]["id"]: o for o in body["items"]}
        assert set(by_id) == {faster.pk, daily.pk}
        assert by_id[faster.pk]["difference_kop"] == 30_000
        assert by_id[faster.pk]["difference"] == "300,00\u00a0₽"
        assert by_id[faster.pk]["difference_period"] == "month"
        assert by_id[faster.pk]["download_change_kbps"] == 400_000
        assert by_id[faster.pk]["upload_change_kbps"] == 0
        # 25 ₽ a day over December's 31 days = 775 ₽ against 600 ₽ a month.
        assert by_id[daily.pk]["difference_kop"] == 17_500
        assert by_id[daily.pk]["difference_period"] == "month"
        assert by_id[faster.pk]["tariff"]["fee_kop"] == 90_000

    def test_request_read_and_cancel(self, clock: Clock) -> None:
        account = active(100_000)
        target = TariffFactory(kind=account.tariff.kind, fee_kop=40_000)
        client = api(account)
        assert_error(client.get("/api/v1/me/tariff-change"), 404, None, "not_found")
        created = send(client, "POST", "/api/v1/me/tariff-change", {"tariff_id": target.pk})
        assert created.status_code == 201
        body = created.json()
        assert body["from_tariff"]["id"] == account.tariff_id
        assert body["to_tariff"]["id"] == target.pk and body["to_tariff"]["fee_kop"] == 40_000
        assert body["status"] == "pending" and body["effective_on"] == "2026-12-01"
        assert client.get("/api/v1/me/tariff-change").json()["id"] == body["id"]
        assert send(client, "DELETE", "/api/v1/me/tariff-change").status_code == 204
        assert TariffChange.objects.get(pk=body["id"]).status == TariffChangeStatus.CANCELLED
        assert_error(client.get("/api/v1/me/tariff-change"), 404, None)
        assert_error(send(client, "DELETE", "/api/v1/me/tariff-change"), 404, None, "not_found")

    def test_a_new_request_replaces_the_open_one_and_approval_waits(self, clock: Clock) -> None:
        account = active(100_000, fee=100, period=FeePeriod.DAY)
        kind = account.tariff.kind
        first = TariffFactory(kind=kind)
        giga = TariffFactory(kind=kind, needs_approval=True)
        client = api(account)
        send(client, "POST", "/api/v1/me/tariff-change", {"tariff_id": first.pk})
        second = send(client, "POST", "/api/v1/me/tariff-change", {"tariff_id": giga.pk}).json()
        assert second["status"] == "awaiting_approval" and second["effective_on"] == "2026-11-16"
        assert client.get("/api/v1/me/tariff-change").json()["to_tariff"]["id"] == giga.pk
        assert TariffChange.objects.filter(account=account).count() == 2

    @pytest.mark.parametrize(
        ("body", "code"),
        [({}, "invalid"), ({"tariff_id": "abc"}, "invalid"), ({"tariff_id": None}, "invalid")],
    )
    def test_malformed_request_is_422(self, clock: Clock, body: Any, code: str) -> None:
        account = active(100_000)
        response = send(api(account), "POST", "/api/v1/me/tariff-change", body)
        assert_error(response, 422, "tariff_id", code)

    def test_a_tariff_that_is_not_an_option_is_422(self, clock: Clock) -> None:
        account = active(100_000)
        tv = TariffFactory(kind=ServiceKindFactory(slug="tv", category="tv"))
        client = api(account)
        for tariff_id in (tv.pk, account.tariff_id, 999_999):
            response = send(client, "POST", "/api/v1/me/tariff-change", {"tariff_id": tariff_id})
            assert_error(response, 422, "tariff_id", "unavailable")
        assert not TariffChange.objects.exists()

    def test_the_change_applies_at_the_boundary(self, clock: Clock) -> None:
        account = active(200_000)
        target = TariffFactory(kind=account.tariff.kind, fee_kop=40_000)
        send(api(account), "POST", "/api/v1/me/tariff-change", {"tariff_id": target.pk})
        clock.set(dt.date(2026, 12, 1))
        charge_run(day=dt.date(2026, 12, 1))
        client = api(account)
        assert client.get("/api/v1/me").json()["tariff"]["id"] == target.pk
        assert_error(client.get("/api/v1/me/tariff-change"), 404, None)
        assert client.get("/api/v1/me/ledger?kind=fee").json()["items"][0]["amount_kop"] == -40_000


class TestAddons:
    def test_list_connected_and_available_with_the_price_now(self, clock: Clock) -> None:
        account = active(100_000)
        kind = account.tariff.kind
        ip = AddonFactory(name="IP", fee_kop=15_000, kind=kind, position=1)
        tv = AddonFactory(name="ТВ", fee_kop=300, period=AddonPeriod.DAY, kind=None, position=2)
        setup = AddonFactory(name="Настройка", fee_kop=50_000, period=AddonPeriod.ONCE, kind=kind)
        AddonFactory(kind=ServiceKindFactory(slug="tv", category="tv"))
        AddonFactory(kind=kind, is_public=False)
        sub = addon_connect(account_id=account.pk, addon_id=ip.pk)
        body = api(account).get("/api/v1/me/addons").json()
        assert body["count"] == 1
        (item,) = body["items"]
        assert item["id"] == sub.pk and item["addon"]["id"] == ip.pk
        assert item["addon"]["name"] == "IP" and item["addon"]["service_kind"] == kind.slug
        assert (item["started_on"], item["ends_on"]) == ("2026-11-15", None)
        assert (item["period"], item["fee_kop"], item["fee"]) == ("month", 15_000, "150,00\u00a0₽")
        offers = {o["addon"]["id"]: o for o in body["available"]}
        assert set(offers) == {tv.pk, setup.pk}
        assert offers[tv.pk]["price_now_kop"] == 300
        assert offers[tv.pk]["charged_until"] == "2026-11-15"
        assert offers[setup.pk]["price_now_kop"] == 50_000
        assert offers[setup.pk]["price_now"] == "500,00\u00a0₽"

    def test_connect_see_the_charge_disconnect(self, clock: Clock) -> None:
        account = active(100_000)
        addon = AddonFactory(name="Статический IP", fee_kop=15_000, kind=account.tariff.kind)
        client = api(account)
        offer = client.get("/api/v1/me/addons").json()["available"][0]
        assert offer["price_now_kop"] == 8_000  # 16 of November's 30 days
        assert (offer["charged_from"], offer["charged_until"]) == ("2026-11-15", "2026-11-30")
        created = send(client, "POST", "/api/v1/me/addons", {"addon_id": addon.pk})
        assert created.status_code == 201
        sub = created.json()
        assert sub["addon"]["id"] == addon.pk and sub["ends_on"] is None
        assert sub["started_on"] == "2026-11-15"
        entry = client.get("/api/v1/me/ledger?kind=addon_fee").json()["items"][0]
        assert entry["amount_kop"] == -8_000
        assert entry["description"] == "Статический IP за 15.11–30.11"
        assert client.get("/api/v1/me").json()["balance_kop"] == 92_000
        listed = client.get("/api/v1/me/addons").json()
        assert [i["id"] for i in listed["items"]] == [sub["id"]] and listed["available"] == []

        clock.set(dt.date(2026, 11, 20))
        gone = send(client, "DELETE", f"/api/v1/me/addons/{sub['id']}")
        assert gone.status_code == 200
        assert gone.json()["ends_on"] == "2026-11-30" and gone.json()["id"] == sub["id"]
        listed = client.get("/api/v1/me/addons").json()
        assert listed["items"][0]["ends_on"] == "2026-11-30"
        # Still paid for: connecting it again costs nothing and keeps the subscription.
        assert listed["available"][0]["price_now_kop"] == 0
        assert_error(send(client, "DELETE", f"/api/v1/me/addons/{sub['id']}"), 404, None)
        clock.set(dt.date(2026, 12, 1))
        charge_run(day=dt.date(2026, 12, 1))
        assert client.get("/api/v1/me/ledger?kind=addon_fee").json()["count"] == 1
        assert client.get("/api/v1/me/addons").json()["items"] == []
        audit_ok()

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({}, "invalid"),
            ({"addon_id": "x"}, "invalid"),
            ({"addon_id": 999_999}, "unavailable"),
        ],
    )
    def test_bad_addon_is_422(self, clock: Clock, body: Any, code: str) -> None:
        account = active(100_000)
        response = send(api(account), "POST", "/api/v1/me/addons", body)
        assert_error(response, 422, "addon_id", code)

    def test_duplicate_foreign_kind_and_no_money_are_422(self, clock: Clock) -> None:
        account = active(5_000)
        kind = account.tariff.kind
        cheap = AddonFactory(fee_kop=300, period=AddonPeriod.DAY, kind=kind)
        dear = AddonFactory(fee_kop=300_000, period=AddonPeriod.ONCE, kind=kind)
        tv = AddonFactory(kind=ServiceKindFactory(slug="tv", category="tv"))
        client = api(account)
        assert send(client, "POST", "/api/v1/me/addons", {"addon_id": cheap.pk}).status_code == 201
        duplicate = send(client, "POST", "/api/v1/me/addons", {"addon_id": cheap.pk})
        assert_error(duplicate, 422, "addon_id", "duplicate")
        poor = send(client, "POST", "/api/v1/me/addons", {"addon_id": dear.pk})
        assert_error(poor, 422, "addon_id", "insufficient_funds")
        assert "3\u00a0000" in poor.json()["detail"]
        foreign = send(client, "POST", "/api/v1/me/addons", {"addon_id": tv.pk})
        assert_error(foreign, 422, "addon_id", "unavailable")
        assert AccountAddon.objects.filter(account=account).count() == 1

    def test_blocked_account_cannot_connect(self, clock: Clock) -> None:
        account = AccountFactory(status=AccountStatus.BLOCKED)
        addon = AddonFactory(kind=account.tariff.kind)
        response = send(api(account), "POST", "/api/v1/me/addons", {"addon_id": addon.pk})
        assert_error(response, 422, None, "inactive")

    def test_another_accounts_subscription_is_404(self, clock: Clock) -> None:
        mine, other = active(100_000), active(100_000)
        addon = AddonFactory(fee_kop=1_000, kind=other.tariff.kind)
        theirs = addon_connect(account_id=other.pk, addon_id=addon.pk)
        client = api(mine)
        response = send(client, "DELETE", f"/api/v1/me/addons/{theirs.pk}")
        assert_error(response, 404, None, "not_found")
        theirs.refresh_from_db()
        assert theirs.ends_on is None
        assert client.get("/api/v1/me/addons").json()["items"] == []
        assert_error(send(client, "DELETE", "/api/v1/me/addons/abc"), 422, "subscription_id")


class TestPause:
    def test_pause_and_resume_with_a_refund_of_the_paused_days(self, clock: Clock) -> None:
        account = active(100_000)
        clock.set(NOV1)
        charge_run(day=NOV1)  # 600 ₽ for November
        clock.set(NOV15)
        client = api(account)
        created = send(client, "POST", "/api/v1/me/pause", {"days": 10})
        assert created.status_code == 201
        pause = created.json()
        assert (pause["starts_on"], pause["ends_on"]) == ("2026-11-15", "2026-11-24")
        assert pause["status"] == "suspended"
        assert client.get("/api/v1/me").json()["status"] == "suspended"
        clock.set(dt.date(2026, 11, 20))
        resumed = send(client, "DELETE", "/api/v1/me/pause")
        assert resumed.status_code == 200
        body = resumed.json()
        # 5 paused days (15..19 Nov) of a 600 ₽ month = 100 ₽ back.
        assert body["status"] == "active" and body["balance_kop"] == 40_000 + 10_000
        assert body["balance"] == "500,00\u00a0₽" and body["status_text"]
        refund = client.get("/api/v1/me/ledger?kind=refund").json()["items"][0]
        assert refund["amount_kop"] == 10_000
        assert refund["description"] == "Возврат за дни паузы 15.11.2026–19.11.2026"
        assert_error(send(client, "DELETE", "/api/v1/me/pause"), 404, None, "not_found")
        audit_ok()

    @pytest.mark.parametrize("body", [{}, {"days": 6}, {"days": 91}, {"days": "week"}, {"days": 0}])
    def test_bad_days_are_422(self, clock: Clock, body: dict[str, Any]) -> None:
        account = active(100_000)
        response = send(api(account), "POST", "/api/v1/me/pause", body)
        assert_error(response, 422, "days")
        account.refresh_from_db()
        assert account.status == AccountStatus.ACTIVE

    def test_only_an_active_account_pauses(self, clock: Clock) -> None:
        account = AccountFactory(status=AccountStatus.BLOCKED)
        client = api(account, "en")
        response = send(client, "POST", "/api/v1/me/pause", {"days": 7})
        assert_error(response, 422, None, "inactive")
        assert response.json()["detail"] == "Only an active account can be paused."
        assert_error(send(client, "DELETE", "/api/v1/me/pause"), 404, None)


class TestPromisedPayment:
    def test_blocked_account_takes_one_and_is_unblocked(self, clock: Clock) -> None:
        account = AccountFactory(status=AccountStatus.BLOCKED, tariff=TariffFactory(fee_kop=60_000))
        client = api(account)
        response = send(client, "POST", "/api/v1/me/promised-payment")
        assert response.status_code == 201
        body = response.json()
        assert body["amount_kop"] == 50_000 and body["amount"] == "500,00\u00a0₽"
        assert (body["taken_on"], body["expires_on"]) == ("2026-11-15", "2026-11-20")
        # 500 ₽ in, the rest of November (320 ₽) out: active with 180 ₽.
        assert body["account_status"] == "active" and body["balance_kop"] == 18_000
        kinds = [i["kind"] for i in client.get("/api/v1/me/ledger").json()["items"]]
        assert kinds == ["fee", "promised_payment"]
        again = send(client, "POST", "/api/v1/me/promised-payment")
        assert_error(again, 422, None, "promised_refused")
        assert PromisedPayment.objects.filter(account=account).count() == 1
        audit_ok()

    def test_refusals_are_translated(self, clock: Clock) -> None:
        account = active(1_000_000)
        ru = send(api(account), "POST", "/api/v1/me/promised-payment")
        en = send(api(account, "en"), "POST", "/api/v1/me/promised-payment")
        assert_error(ru, 422, None, "promised_refused")
        assert en.json()["detail"] == (
            "Your balance is enough for now; a promised payment is for when it is not."
        )
        assert ru.json()["detail"] != en.json()["detail"]
        assert not PromisedPayment.objects.exists()

    def test_nearly_blocked_active_account_may_take_one(self, clock: Clock) -> None:
        account = active(5_000, fee=2_000, period=FeePeriod.DAY)  # lasts two more days
        body = send(api(account), "POST", "/api/v1/me/promised-payment").json()
        assert body["account_status"] == "active" and body["balance_kop"] == 55_000


def test_the_caller_never_touches_another_account(clock: Clock) -> None:
    mine, other = active(100_000), active(100_000)
    target = TariffFactory(kind=other.tariff.kind)
    tariff_change_request(account_id=other.pk, to_tariff_id=target.pk)
    client = api(mine)
    assert_error(client.get("/api/v1/me/tariff-change"), 404, None)
    assert_error(send(client, "DELETE", "/api/v1/me/tariff-change"), 404, None)
    assert TariffChange.objects.get(account=other).status == TariffChangeStatus.PENDING
    assert LedgerEntry.objects.filter(account=other).count() == 1
