"""GET /api/v1/catalogue/tariffs and /addons."""

from __future__ import annotations

import pytest
from django.test import Client

from abonent.catalogue.tests.factories import AddonFactory, ServiceKindFactory, TariffFactory
from abonent.core.money import format_money

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="ru")


@pytest.fixture
def internet():
    return ServiceKindFactory(slug="internet", category="internet", position=10)


@pytest.fixture
def tv():
    return ServiceKindFactory(
        slug="digital-tv", category="tv", name="Цифровое ТВ", name_en="Digital TV", position=20
    )


def test_tariffs_shape(client, internet) -> None:
    tariff = TariffFactory(
        kind=internet,
        name="Оптима 300",
        name_en="Optima 300",
        fee_kop=65_050,
        download_kbps=300_000,
        upload_kbps=150_000,
        needs_approval=True,
    )
    response = client.get("/api/v1/catalogue/tariffs")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["count"] == 1 == len(body["items"])
    item = body["items"][0]
    assert item["id"] == tariff.pk
    assert item["slug"] == tariff.slug
    assert item["name"] == "Оптима 300"
    assert item["fee_kop"] == 65_050
    assert isinstance(item["fee_kop"], int)
    assert item["fee"] == format_money(65_050, "ru")
    assert item["fee_period"] == "month"
    assert item["building_type"] == "apartment"
    assert item["download_kbps"] == 300_000 and item["upload_kbps"] == 150_000
    assert item["channels"] is None
    assert item["needs_approval"] is True
    assert item["service_kind"] == {
        "id": internet.pk,
        "slug": "internet",
        "category": "internet",
        "name": internet.name,
    }


def test_tariffs_in_english(internet) -> None:
    TariffFactory(kind=internet, name="Оптима", name_en="Optima", fee_kop=100_000)
    item = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/catalogue/tariffs").json()["items"][0]
    assert item["name"] == "Optima"
    assert item["fee"] == format_money(100_000, "en")
    assert item["service_kind"]["name"] == internet.name_en


def test_tariffs_filters(client, internet, tv) -> None:
    flat = TariffFactory(kind=internet, building_type="apartment")
    house = TariffFactory(kind=internet, building_type="house")
    channels = TariffFactory(kind=tv, building_type="any", channels=120)

    def ids(query: str) -> set[int]:
        body = client.get(f"/api/v1/catalogue/tariffs{query}").json()
        assert body["count"] == len(body["items"])
        return {item["id"] for item in body["items"]}

    assert ids("") == {flat.pk, house.pk, channels.pk}
    assert ids("?service_kind=internet") == {flat.pk, house.pk}
    assert ids("?service_kind=digital-tv") == {channels.pk}
    assert ids("?building_type=house") == {house.pk, channels.pk}
    assert ids("?service_kind=internet&building_type=apartment") == {flat.pk}
    assert ids("?service_kind=nothing") == set()


def test_tariffs_exclude_archived_and_private(client, internet) -> None:
    shown = TariffFactory(kind=internet)
    TariffFactory(kind=internet, is_archived=True)
    TariffFactory(kind=internet, is_public=False)
    TariffFactory(kind=ServiceKindFactory(slug="secret", is_public=False))
    body = client.get("/api/v1/catalogue/tariffs").json()
    assert [item["id"] for item in body["items"]] == [shown.pk]
    assert body["count"] == 1


def test_tariffs_query_count(client, internet, tv, django_assert_max_num_queries) -> None:
    TariffFactory.create_batch(5, kind=internet)
    TariffFactory.create_batch(5, kind=tv)
    with django_assert_max_num_queries(2):
        assert client.get("/api/v1/catalogue/tariffs").json()["count"] == 10


def test_addons(client, internet, tv) -> None:
    ip = AddonFactory(kind=internet, fee_kop=15_000, period="month")
    setup = AddonFactory(kind=None, fee_kop=50_000, period="once")
    kino = AddonFactory(kind=tv, fee_kop=29_900)
    AddonFactory(kind=internet, is_archived=True)
    response = client.get("/api/v1/catalogue/addons")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    by_id = {item["id"]: item for item in body["items"]}
    assert set(by_id) == {ip.pk, setup.pk, kino.pk}
    assert by_id[ip.pk]["service_kind"] == "internet"
    assert by_id[setup.pk]["service_kind"] is None
    assert by_id[setup.pk]["period"] == "once"
    assert by_id[kino.pk]["fee_kop"] == 29_900
    assert by_id[kino.pk]["fee"] == format_money(29_900, "ru")
    only_tv = client.get("/api/v1/catalogue/addons?service_kind=digital-tv").json()
    assert [item["id"] for item in only_tv["items"]] == [kino.pk]


def test_catalogue_is_read_only(client) -> None:
    assert client.post("/api/v1/catalogue/tariffs", {}).status_code == 405
