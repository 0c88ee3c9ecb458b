"""Catalogue reads for the public site and the API."""

from __future__ import annotations

import pytest

from abonent.catalogue.selectors import (
    addon_public_list,
    service_kind_public_list,
    tariff_featured_list,
    tariff_groups,
    tariff_public_get,
    tariff_public_list,
)
from abonent.catalogue.tests.factories import AddonFactory, ServiceKindFactory, TariffFactory
from abonent.core.errors import NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def kinds():
    internet = ServiceKindFactory(slug="internet", category="internet", position=10)
    tv = ServiceKindFactory(slug="digital-tv", category="tv", name="ТВ", position=20)
    hidden = ServiceKindFactory(slug="hidden", category="tv", name="Скрыто", is_public=False)
    return internet, tv, hidden


def test_public_list_excludes_archived_private_and_hidden_kinds(kinds) -> None:
    internet, tv, hidden = kinds
    shown = [TariffFactory(kind=internet), TariffFactory(kind=tv, building_type="any")]
    TariffFactory(kind=internet, is_archived=True)
    TariffFactory(kind=internet, is_public=False)
    TariffFactory(kind=hidden)
    assert {t.pk for t in tariff_public_list()} == {t.pk for t in shown}


def test_public_list_filters_by_kind(kinds) -> None:
    internet, tv, _ = kinds
    net = TariffFactory(kind=internet)
    TariffFactory(kind=tv)
    assert [t.pk for t in tariff_public_list(kind_slug="internet")] == [net.pk]
    assert list(tariff_public_list(kind_slug="nothing")) == []


def test_building_type_filter_includes_any(kinds) -> None:
    internet, _, _ = kinds
    flat = TariffFactory(kind=internet, building_type="apartment")
    house = TariffFactory(kind=internet, building_type="house")
    anywhere = TariffFactory(kind=internet, building_type="any")
    assert {t.pk for t in tariff_public_list(building_type="house")} == {house.pk, anywhere.pk}
    assert {t.pk for t in tariff_public_list(building_type="apartment")} == {
        flat.pk,
        anywhere.pk,
    }
    assert len(tariff_public_list()) == 3


def test_public_list_joins_the_kind(kinds, django_assert_num_queries) -> None:
    internet, tv, _ = kinds
    TariffFactory.create_batch(3, kind=internet)
    TariffFactory.create_batch(2, kind=tv)
    with django_assert_num_queries(1):
        assert {t.kind.slug for t in tariff_public_list()} == {"internet", "digital-tv"}


def test_featured_list(kinds) -> None:
    internet, _, _ = kinds
    featured = TariffFactory.create_batch(5, kind=internet, is_featured=True)
    TariffFactory(kind=internet)
    TariffFactory(kind=internet, is_featured=True, is_archived=True)
    assert len(tariff_featured_list()) == 4
    assert {t.pk for t in tariff_featured_list(limit=10)} == {t.pk for t in featured}


def test_public_get(kinds) -> None:
    internet, _, hidden = kinds
    tariff = TariffFactory(kind=internet, slug="optima")
    TariffFactory(kind=internet, slug="old", is_archived=True)
    TariffFactory(kind=hidden, slug="secret")
    assert tariff_public_get(slug="optima") == tariff
    for slug in ("old", "secret", "missing"):
        with pytest.raises(NotFound):
            tariff_public_get(slug=slug)


def test_addon_public_list(kinds) -> None:
    internet, tv, _ = kinds
    ip = AddonFactory(kind=internet)
    kino = AddonFactory(kind=tv)
    general = AddonFactory(kind=None)
    AddonFactory(kind=internet, is_archived=True)
    AddonFactory(kind=internet, is_public=False)
    assert {a.pk for a in addon_public_list()} == {ip.pk, kino.pk, general.pk}
    assert [a.pk for a in addon_public_list(kind_slug="digital-tv")] == [kino.pk]


def test_tariff_groups_by_kind_then_building_type_in_catalogue_order(kinds) -> None:
    internet, tv, hidden = kinds
    # created out of order on purpose
    tv_b = TariffFactory(kind=tv, building_type="any", position=20, fee_kop=40_000)
    house = TariffFactory(kind=internet, building_type="house", position=10)
    flat_2 = TariffFactory(kind=internet, building_type="apartment", position=20)
    tv_a = TariffFactory(kind=tv, building_type="any", position=10, fee_kop=25_000)
    flat_1 = TariffFactory(kind=internet, building_type="apartment", position=10)
    TariffFactory(kind=hidden)
    groups = tariff_groups()
    assert [(g.kind.slug, g.building_type) for g in groups] == [
        ("internet", "apartment"),
        ("internet", "house"),
        ("digital-tv", "any"),
    ]
    assert [[t.pk for t in g.tariffs] for g in groups] == [
        [flat_1.pk, flat_2.pk],
        [house.pk],
        [tv_a.pk, tv_b.pk],
    ]
    assert groups[0].building_label and groups[1].building_label
    assert groups[0].building_label != groups[1].building_label
    assert groups[2].building_label == ""


def test_tariff_groups_respects_kind_position(kinds) -> None:
    internet, tv, _ = kinds
    TariffFactory(kind=internet)
    TariffFactory(kind=tv, building_type="any")
    tv.position, internet.position = 1, 2
    tv.save()
    internet.save()
    assert [g.kind.slug for g in tariff_groups()] == ["digital-tv", "internet"]


def test_tariff_groups_filters(kinds) -> None:
    internet, tv, _ = kinds
    TariffFactory(kind=internet, building_type="apartment")
    TariffFactory(kind=internet, building_type="house")
    TariffFactory(kind=tv, building_type="any")
    assert [(g.kind.slug, g.building_type) for g in tariff_groups(building_type="house")] == [
        ("internet", "house"),
        ("digital-tv", "any"),
    ]
    assert [g.building_type for g in tariff_groups(kind_slug="internet")] == [
        "apartment",
        "house",
    ]


def test_service_kind_public_list_prefetches_public_tariffs(
    kinds, django_assert_num_queries
) -> None:
    internet, tv, _ = kinds
    shown = TariffFactory(kind=internet)
    TariffFactory(kind=internet, is_archived=True)
    TariffFactory(kind=tv, is_public=False)
    with django_assert_num_queries(2):
        result = service_kind_public_list()
        by_slug = {k.slug: [t.pk for t in k.public_tariffs] for k in result}
    assert by_slug == {"internet": [shown.pk], "digital-tv": []}
