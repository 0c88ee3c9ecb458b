"""The connection request page: preselection, success, every bad input, spam, CSRF, language."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from abonent.catalogue.tests.factories import TariffFactory
from abonent.core.money import format_money
from abonent.core.phone import format_phone
from abonent.leads.models import Lead, LeadSource

pytestmark = pytest.mark.django_db

CONNECT = "/connect/"
DONE = "/connect/done/"


@pytest.fixture
def tariff():
    return TariffFactory(name="Оптима", slug="optima")


def _data(tariff_obj, /, **overrides):
    data = {
        "tariff": str(tariff_obj.pk),
        "name": "Иван Петров",
        "phone": "8 (916) 123-45-67",
        "address": "ул. Академика Силина, 1",
        "comment": "После 18:00",
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _widget(page: str, field: str) -> str:
    """The opening tag of a field's input, select or textarea."""
    match = re.search(rf'<(?:input|select|textarea)[^>]*id="id_{field}"[^>]*>', page)
    assert match, field
    return match.group(0)


def _page(response) -> str:
    return htmllib.unescape(response.content.decode())


def test_urls_are_named():
    assert reverse("leads:connect") == CONNECT
    assert reverse("leads:done") == DONE


def test_form_renders_with_csrf_and_accessible_fields(client, tariff):
    response = client.get(CONNECT)
    assert response.status_code == 200
    page = response.content.decode()
    assert "csrfmiddlewaretoken" in page
    for name in ("tariff", "name", "phone", "address", "comment", "consent"):
        assert f'<label for="id_{name}"' in page or f'for="id_{name}"' in page
    assert 'class="hp-field"' in page
    assert '<meta name="description"' in page
    assert "<title>Заявка на подключение" in page


@pytest.mark.parametrize("attr", ["pk", "slug"])
def test_tariff_is_preselected_by_id_or_code(client, tariff, attr):
    TariffFactory(name="Другой")
    response = client.get(CONNECT, {"tariff": getattr(tariff, attr)})
    assert f'<option value="{tariff.pk}" selected>' in response.content.decode()


def test_unknown_or_archived_tariff_is_not_preselected(client, tariff):
    archived = TariffFactory(is_archived=True)
    for wanted in ("nope", str(archived.pk)):
        page = client.get(CONNECT, {"tariff": wanted}).content.decode()
        assert '<option value="" selected>' in page
        assert f'<option value="{tariff.pk}" selected>' not in page
        assert f'value="{archived.pk}"' not in page


def test_good_request_creates_one_lead_and_redirects_to_done(client, tariff):
    response = client.post(CONNECT, _data(tariff), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    assert response["Location"] == DONE
    lead = Lead.objects.get()
    assert lead.tariff == tariff
    assert lead.phone == "+79161234567"
    assert lead.name == "Иван Петров"
    assert lead.address == "ул. Академика Силина, 1"
    assert lead.comment == "После 18:00"
    assert lead.source == LeadSource.SITE
    assert lead.ip == "203.0.113.7"
    assert lead.language == "ru"
    done = client.get(DONE)
    page = _page(done)
    assert done.status_code == 200
    assert f"№ {lead.pk}" in page
    assert format_phone(lead.phone) in page
    assert settings.ABONENT_PROVIDER["phone"] in page
    assert format_money(settings.ABONENT_CONNECTION_DEPOSIT_KOP, "ru", cents=False) in page
    assert "Менеджер перезвонит" in page


@pytest.mark.parametrize(
    "raw", ["8 (496) 552-22-22", "+7 916 123-45-67", "9161234567", "7-916-123-45-67"]
)
def test_common_phone_spellings_are_accepted(client, tariff, raw):
    response = client.post(CONNECT, _data(tariff, phone=raw))
    assert response.status_code == 302
    phone = Lead.objects.get().phone
    assert phone.startswith("+7") and len(phone) == 12
    assert phone[2:] == "".join(ch for ch in raw if ch.isdigit())[-10:]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Укажите, как к вам обращаться."),
        ({"name": "   "}, "name", "Укажите, как к вам обращаться."),
        ({"phone": "12345"}, "phone", "Укажите российский номер, например +7 916 123-45-67."),
        ({"phone": "+1 212 555 0100"}, "phone", "Принимаются только российские номера (+7)."),
        ({"phone": ""}, "phone", "Укажите номер телефона."),
        (
            {"consent": None},
            "consent",
            "Чтобы мы могли перезвонить, нужно ваше согласие на обработку персональных данных.",
        ),
        ({"tariff": ""}, "tariff", "Выберите тариф."),
    ],
)
def test_bad_input_shows_russian_error_next_to_field_and_keeps_input(
    client, tariff, overrides, field, message
):
    data = _data(tariff, **overrides)
    response = client.post(CONNECT, data)
    assert response.status_code == 200
    assert not Lead.objects.exists()
    page = _page(response)
    error_block = f'id="id_{field}_error"'
    assert error_block in page
    assert message in page.split(error_block, 1)[1].split("</ul>", 1)[0]
    widget = _widget(page, field)
    assert 'aria-invalid="true"' in widget
    assert f"id_{field}_error" in widget.split('aria-describedby="', 1)[1].split('"', 1)[0]
    assert "autofocus" in widget
    # What was typed is still there.
    for name in ("name", "phone", "address"):
        if data.get(name, "").strip():
            assert f'value="{data[name]}"' in page
    assert data["comment"] in page
    if "consent" in data:
        assert "checked" in _widget(page, "consent")
    if data.get("tariff"):
        assert f'<option value="{tariff.pk}" selected>' in page


def test_archived_tariff_is_refused_and_nothing_saved(client, tariff):
    archived = TariffFactory(is_archived=True)
    response = client.post(CONNECT, _data(archived))
    assert response.status_code == 200
    assert not Lead.objects.exists()
    page = _page(response)
    assert "Этот тариф больше не подключается. Выберите другой." in page
    assert 'id="id_tariff_error"' in page
    assert 'value="Иван Петров"' in page


def test_filled_honeypot_pretends_success_and_saves_nothing(client, tariff):
    response = client.post(CONNECT, _data(tariff, website="http://spam.example"))
    assert response.status_code == 302
    assert response["Location"] == DONE
    assert not Lead.objects.exists()
    page = _page(client.get(DONE))
    assert "Заявка принята" in page and "№" not in page


@override_settings(ABONENT_LEAD_RATE_LIMIT_PHONE=2, ABONENT_LEAD_RATE_LIMIT_IP=50)
def test_rate_limit_per_phone_shows_polite_message_and_keeps_input(client, tariff):
    for _ in range(2):
        assert client.post(CONNECT, _data(tariff)).status_code == 302
    response = client.post(CONNECT, _data(tariff, comment="третья попытка"))
    assert response.status_code == 429
    assert Lead.objects.count() == 2
    page = _page(response)
    assert "Спасибо, ваши заявки уже у нас!" in page
    assert 'class="alert alert-warning"' in page
    assert "третья попытка" in page and 'value="Иван Петров"' in page


@override_settings(ABONENT_LEAD_RATE_LIMIT_PHONE=50, ABONENT_LEAD_RATE_LIMIT_IP=3)
def test_rate_limit_per_ip(client, tariff):
    for i in range(3):
        response = client.post(CONNECT, _data(tariff, phone=f"+7 916 000-00-0{i}"))
        assert response.status_code == 302
    response = client.post(CONNECT, _data(tariff, phone="+7 916 000-00-09"))
    assert response.status_code == 429
    assert Lead.objects.count() == 3
    # Another address is not affected.
    response = client.post(CONNECT, _data(tariff, phone="+7 916 000-00-09"), REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 302


def test_csrf_is_enforced(tariff):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(CONNECT, _data(tariff))
    assert response.status_code == 403
    assert not Lead.objects.exists()
    page = strict.get(CONNECT)
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    response = strict.post(CONNECT, {**_data(tariff), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Lead.objects.count() == 1


def test_english_after_switching_language(client, tariff):
    client.post(reverse("set_language"), {"language": "en", "next": CONNECT})
    page = _page(client.get(CONNECT))
    assert '<html lang="en">' in page
    assert "Your name" in page and "Send the request" in page
    response = client.post(CONNECT, _data(tariff, phone="12345"))
    page = _page(response)
    assert "Enter a Russian phone number, for example +7 916 123-45-67." in page
    assert not Lead.objects.exists()
    assert client.post(CONNECT, _data(tariff)).status_code == 302
    assert Lead.objects.get().language == "en"
    page = _page(client.get(DONE))
    assert "A manager will call you back" in page
    assert format_money(settings.ABONENT_CONNECTION_DEPOSIT_KOP, "en", cents=False) in page


def test_done_without_a_request_is_still_friendly(client):
    response = client.get(DONE)
    assert response.status_code == 200
    assert "Заявка принята" in _page(response)


def test_only_get_and_post(client):
    assert client.put(CONNECT).status_code == 405
    assert client.post(DONE).status_code == 405
