"""Public catalogue pages: home, tariffs (with filters), one tariff."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from abonent.catalogue.models import BuildingType, FeePeriod, ServiceCategory
from abonent.catalogue.tests.factories import AddonFactory, ServiceKindFactory, TariffFactory
from abonent.catalogue.views import price_tag, speed_text
from abonent.core.money import NBSP, format_money

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    """Internet for flats and houses, TV, and things a visitor must never see."""
    internet = ServiceKindFactory(slug="internet", position=1)
    tv = ServiceKindFactory(
        slug="tv", category=ServiceCategory.TV, name="Цифровое ТВ", name_en="Digital TV", position=2
    )
    hidden_kind = ServiceKindFactory(slug="secret", name="Скрытое", is_public=False, position=3)
    return {
        "internet": internet,
        "tv": tv,
        "flat": TariffFactory(
            kind=internet, name="Оптима", name_en="Optima", slug="optima", is_featured=True
        ),
        "daily": TariffFactory(
            kind=internet, name="Посуточный", fee_kop=2_000, fee_period=FeePeriod.DAY
        ),
        "house": TariffFactory(
            kind=internet,
            name="Дом Гигабит",
            building_type=BuildingType.HOUSE,
            download_kbps=1_000_000,
            upload_kbps=500_000,
            fee_kop=120_000,
        ),
        "tv_basic": TariffFactory(
            kind=tv,
            name="Базовый ТВ",
            building_type=BuildingType.ANY,
            download_kbps=None,
            upload_kbps=None,
            channels=121,
            fee_kop=25_000,
            is_featured=True,
        ),
        "archived": TariffFactory(kind=internet, name="Старый архивный", is_archived=True),
        "private": TariffFactory(kind=internet, name="Служебный тариф", is_public=False),
        "hidden": TariffFactory(kind=hidden_kind, name="Тариф скрытой услуги"),
    }


def _text(response) -> str:
    return response.content.decode()


def test_price_tag_and_speed_words_in_russian():
    with translation.override("ru"):
        assert price_tag(50_000, FeePeriod.MONTH) == f"500{NBSP}₽/мес"
        assert price_tag(2_000, FeePeriod.DAY) == f"20{NBSP}₽/сутки"
        assert speed_text(100_000) == "100 Мбит/с"
        assert speed_text(1_500) == "1,5 Мбит/с"
        assert speed_text(1_000_000) == "1 Гбит/с"
        assert speed_text(512) == "512 кбит/с"
    with translation.override("en"):
        assert price_tag(50_000, FeePeriod.MONTH) == "₽500/mo"
        assert speed_text(2_500) == "2.5 Mbit/s"


def test_home_shows_services_featured_tariffs_steps_and_contacts(client, catalogue):
    response = client.get(reverse("catalogue:home"))
    assert response.status_code == 200
    html = _text(response)
    provider = settings.ABONENT_PROVIDER
    assert provider["name"] in html
    assert provider["phone"] in html
    assert provider["email"] in html
    assert provider["address"] in html
    # Public service kinds with an icon each; the hidden one is not there.
    assert catalogue["internet"].name in html and catalogue["tv"].name in html
    assert "Скрытое" not in html
    assert html.count('class="service-icon"') >= 2
    assert f"{reverse('catalogue:tariffs')}?kind=tv" in html
    # Featured tariffs only.
    assert catalogue["flat"].name in html and catalogue["tv_basic"].name in html
    assert catalogue["daily"].name not in html
    # "How to connect" with the configured deposit.
    assert format_money(settings.ABONENT_CONNECTION_DEPOSIT_KOP, "ru", cents=False) in html
    assert "Как подключиться" in html
    assert '<meta name="description"' in html
    assert re.search(r"<title>[^<]+— " + re.escape(provider["name"]) + "</title>", html)


def test_home_cheapest_price_per_service(client, catalogue):
    html = _text(client.get(reverse("catalogue:home")))
    cheapest_monthly = min(
        t.fee_kop
        for t in (catalogue["flat"], catalogue["house"])
        if t.fee_period == FeePeriod.MONTH
    )
    assert f"от <strong>{format_money(cheapest_monthly, 'ru', cents=False)}</strong>/мес" in html


def test_home_without_any_catalogue_still_renders(client):
    response = client.get(reverse("catalogue:home"))
    assert response.status_code == 200
    assert settings.ABONENT_PROVIDER["phone"] in _text(response)


def test_tariffs_lists_only_orderable_tariffs_with_prices_and_speeds(client, catalogue):
    response = client.get(reverse("catalogue:tariffs"))
    assert response.status_code == 200
    html = _text(response)
    for key in ("flat", "daily", "house", "tv_basic"):
        assert catalogue[key].name in html
        assert f"/connect/?tariff={catalogue[key].pk}" in html
    for key in ("archived", "private", "hidden"):
        assert catalogue[key].name not in html
    assert f'500{NBSP}₽</span><span class="per">/мес' in html
    assert f'20{NBSP}₽</span><span class="per">/сутки' in html
    assert f"1{NBSP}200{NBSP}₽" in html
    assert "100 Мбит/с" in html and "1 Гбит/с" in html and "500 Мбит/с" in html
    assert "121 телеканал<" in html
    assert "Подключить" in html
    # Group headings: building types of internet.
    assert "Многоквартирный дом" in html
    assert "Частный дом" in html


def test_tariffs_filter_by_service_kind(client, catalogue):
    html = _text(client.get(reverse("catalogue:tariffs"), {"kind": "tv"}))
    assert catalogue["tv_basic"].name in html
    assert catalogue["flat"].name not in html
    assert 'aria-current="page"' in html
    # Building chips are offered for internet only.
    assert "?kind=tv&amp;building=" not in html


def test_tariffs_filter_by_building_type_for_internet(client, catalogue):
    url = reverse("catalogue:tariffs")
    html = _text(client.get(url, {"kind": "internet"}))
    assert "?kind=internet&amp;building=house" in html
    assert "?kind=internet&amp;building=apartment" in html
    html = _text(client.get(url, {"kind": "internet", "building": "house"}))
    assert catalogue["house"].name in html
    assert catalogue["flat"].name not in html
    assert catalogue["tv_basic"].name not in html


def test_tariffs_unknown_filters_are_ignored(client, catalogue):
    response = client.get(reverse("catalogue:tariffs"), {"kind": "nope", "building": "castle"})
    assert response.status_code == 200
    html = _text(response)
    assert catalogue["flat"].name in html and catalogue["tv_basic"].name in html


def test_tariffs_empty_catalogue(client):
    response = client.get(reverse("catalogue:tariffs"))
    assert response.status_code == 200
    assert "Здесь пока нет тарифов." in _text(response)


def test_tariff_page_shows_details_addons_of_its_kind_and_connect_button(client, catalogue):
    own = AddonFactory(kind=catalogue["internet"], name="Статический IP", fee_kop=15_000)
    other = AddonFactory(kind=catalogue["tv"], name="Пакет «Кино»")
    gone = AddonFactory(kind=catalogue["internet"], name="Снятая услуга", is_archived=True)
    tariff = catalogue["flat"]
    response = client.get(reverse("catalogue:tariff", args=[tariff.slug]))
    assert response.status_code == 200
    html = _text(response)
    assert tariff.name in html
    assert tariff.description in html
    assert f"/connect/?tariff={tariff.pk}" in html
    assert own.name in html and f"150{NBSP}₽" in html
    assert other.name not in html and gone.name not in html
    assert f"<title>Тариф «{tariff.name}»" in html
    assert '<meta name="description" content="Интернет, тариф «Оптима»' in html


@pytest.mark.parametrize("key", ["archived", "private", "hidden"])
def test_tariff_page_404_for_what_cannot_be_ordered(client, catalogue, key):
    response = client.get(reverse("catalogue:tariff", args=[catalogue[key].slug]))
    assert response.status_code == 404


def test_tariff_page_404_for_unknown_code(client):
    assert client.get(reverse("catalogue:tariff", args=["no-such-tariff"])).status_code == 404


def test_pages_in_english_after_switching_language(client, catalogue):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("catalogue:tariffs")}
    )
    assert response.status_code == 302
    html = _text(client.get(reverse("catalogue:tariffs")))
    assert '<html lang="en">' in html
    assert "Optima" in html and "Оптима" not in html
    assert '₽500</span><span class="per">/mo' in html
    assert "100 Mbit/s" in html
    assert "121 TV channels" in html
    html = _text(client.get(reverse("catalogue:home")))
    assert "How to connect" in html and "Digital TV" in html


def _many_tariffs(n: int) -> None:
    kinds = [
        ServiceKindFactory(slug="internet"),
        ServiceKindFactory(slug="tv", category=ServiceCategory.TV),
        ServiceKindFactory(slug="phone", category=ServiceCategory.TELEPHONY),
    ]
    for i in range(n):
        TariffFactory(kind=kinds[i % len(kinds)], is_featured=i % 2 == 0)


@pytest.mark.parametrize("n", [3, 12])
def test_home_query_count_does_not_grow_with_the_catalogue(
    client, django_assert_max_num_queries, n
):
    _many_tariffs(n)
    with django_assert_max_num_queries(3):
        assert client.get(reverse("catalogue:home")).status_code == 200


@pytest.mark.parametrize("n", [3, 12])
def test_tariffs_query_count_does_not_grow_with_the_catalogue(
    client, django_assert_max_num_queries, n
):
    _many_tariffs(n)
    with django_assert_max_num_queries(3):
        assert client.get(reverse("catalogue:tariffs")).status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(reverse("catalogue:tariffs"), {"kind": "internet"}).status_code == 200
