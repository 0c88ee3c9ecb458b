"""The request form's shape: grouped tariff choices, the honeypot, error placement."""

from __future__ import annotations

import pytest
from django.utils import translation

from abonent.catalogue.models import BuildingType, FeePeriod, ServiceCategory
from abonent.catalogue.selectors import tariff_public_list
from abonent.catalogue.tests.factories import ServiceKindFactory, TariffFactory
from abonent.core.money import NBSP
from abonent.leads.forms import HONEYPOT, SERVICE_FIELDS, ConnectForm, tariff_choices

pytestmark = pytest.mark.django_db


def test_choices_are_grouped_by_kind_and_building_with_price_tags():
    internet = ServiceKindFactory(slug="internet")
    tv = ServiceKindFactory(slug="tv", category=ServiceCategory.TV, name="Цифровое ТВ")
    flat = TariffFactory(kind=internet, name="Оптима", fee_kop=65_000)
    daily = TariffFactory(kind=internet, name="Сутки", fee_kop=2_000, fee_period=FeePeriod.DAY)
    house = TariffFactory(kind=internet, name="Дом", building_type=BuildingType.HOUSE)
    basic = TariffFactory(kind=tv, name="Базовый", building_type=BuildingType.ANY)
    with translation.override("ru"):
        choices = tariff_choices(tariff_public_list())
    assert choices[0][0] == ""
    groups = dict(choices[1:])
    assert set(groups) == {
        "Интернет · Многоквартирный дом",
        "Интернет · Частный дом",
        "Цифровое ТВ",
    }
    flat_options = dict(groups["Интернет · Многоквартирный дом"])
    assert flat_options[str(flat.pk)] == f"Оптима — 650{NBSP}₽/мес"
    assert flat_options[str(daily.pk)] == f"Сутки — 20{NBSP}₽/сутки"
    assert str(house.pk) in dict(groups["Интернет · Частный дом"])
    assert str(basic.pk) in dict(groups["Цифровое ТВ"])


def test_form_accepts_any_shape_and_leaves_rules_to_the_service():
    form = ConnectForm(data={"tariff": "999", "name": "", "phone": "12345"})
    assert form.is_valid()
    assert form.cleaned_data["consent"] is False
    assert not form.is_spam


def test_honeypot_marks_spam_and_is_hidden_from_people():
    form = ConnectForm(data={HONEYPOT: "http://spam.example"})
    assert form.is_valid() and form.is_spam
    html = str(form[HONEYPOT])
    assert 'tabindex="-1"' in html and 'autocomplete="off"' in html


@pytest.mark.parametrize("service_field", sorted(SERVICE_FIELDS))
def test_service_errors_land_on_their_fields(service_field):
    form = ConnectForm(data={})
    assert form.is_valid()
    form.add_service_error(service_field, "bad")
    assert form.errors[SERVICE_FIELDS[service_field]] == ["bad"]


@pytest.mark.parametrize("service_field", [None, "ip", "unknown"])
def test_other_service_errors_go_above_the_form(service_field):
    form = ConnectForm(data={})
    assert form.is_valid()
    form.add_service_error(service_field, "slow down")
    assert form.non_field_errors() == ["slow down"]


def test_invalid_field_gets_aria_attributes_and_focus():
    form = ConnectForm(data={"phone": "12345"})
    assert form.is_valid()
    form.add_service_error("phone", "bad phone")
    form.focus_first_error()
    html = str(form["phone"])
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_phone_helptext id_phone_error"' in html
    assert "autofocus" in html
    assert "autofocus" not in str(form["name"])
