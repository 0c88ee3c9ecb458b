"""POST /api/v1/leads and the API's error shape; the OpenAPI schema."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

from abonent.catalogue.tests.factories import TariffFactory
from abonent.leads.models import Lead, LeadSource, LeadStatus
from abonent.leads.services import COMMENT_MAX

pytestmark = pytest.mark.django_db

URL = "/api/v1/leads"


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="ru")


@pytest.fixture
def tariff():
    return TariffFactory()


def _body(tariff, **overrides):
    body = {
        "tariff_id": tariff.pk,
        "name": "Иван Петров",
        "phone": "8 (916) 123-45-67",
        "address": "ул. Вознесенская, д. 40, кв. 12",
        "comment": "после 18:00",
        "consent": True,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def _post(client: Client, body, **extra):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, raw, content_type="application/json", **extra)


def _assert_error(response, status: int, field: str | None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert "field" in body
    assert body["field"] == field
    return body


def test_create_lead(client, tariff) -> None:
    response = _post(client, _body(tariff), REMOTE_ADDR="198.51.100.8")
    assert response.status_code == 201
    body = response.json()
    lead = Lead.objects.get(pk=body["id"])
    assert lead.phone == "+79161234567"
    assert lead.tariff == tariff
    assert lead.name == "Иван Петров"
    assert lead.address == "ул. Вознесенская, д. 40, кв. 12"
    assert lead.source == LeadSource.API
    assert lead.ip == "198.51.100.8"
    assert lead.language == "ru"
    assert body["phone"] == "+79161234567"
    assert body["status"] == LeadStatus.NEW
    assert body["tariff_id"] == tariff.pk
    assert body["next_steps"]
    assert body["created_at"]


def test_create_lead_minimal(client, tariff) -> None:
    response = _post(client, _body(tariff, address=..., comment=...))
    assert response.status_code == 201
    assert Lead.objects.get().address == ""


def test_create_lead_language_follows_the_request(tariff) -> None:
    response = _post(Client(HTTP_ACCEPT_LANGUAGE="en"), _body(tariff))
    assert response.status_code == 201
    assert Lead.objects.get().language == "en"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tariff_id": ...}, "tariff_id"),
        ({"tariff_id": "abc"}, "tariff_id"),
        ({"tariff_id": None}, "tariff_id"),
        ({"tariff_id": True}, "tariff_id"),
        ({"tariff_id": 1.5}, "tariff_id"),
        ({"tariff_id": 10**6}, "tariff_id"),
        ({"tariff_id": 10**30}, "tariff_id"),
        ({"name": ...}, "name"),
        ({"name": ""}, "name"),
        ({"name": "  "}, "name"),
        ({"name": None}, "name"),
        ({"phone": ...}, "phone"),
        ({"phone": ""}, "phone"),
        ({"phone": "+1 212 555 0100"}, "phone"),
        ({"phone": "8 916 ABC"}, "phone"),
        ({"phone": 89161234567}, "phone"),
        ({"consent": ...}, "consent"),
        ({"consent": False}, "consent"),
        ({"consent": None}, "consent"),
        ({"consent": "yes"}, "consent"),
        ({"consent": 1}, "consent"),
        ({"comment": "к" * (COMMENT_MAX + 1)}, "comment"),
        ({"address": "д" * 256}, "address"),
    ],
)
def test_bad_input_is_422_with_the_field(client, tariff, overrides, field) -> None:
    _assert_error(_post(client, _body(tariff, **overrides)), 422, field)
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    "unavailable", [{"is_archived": True}, {"is_public": False}], ids=["archived", "private"]
)
def test_tariff_not_on_sale_is_422(client, unavailable) -> None:
    tariff = TariffFactory(**unavailable)
    body = _assert_error(_post(client, _body(tariff)), 422, "tariff_id")
    assert body["code"] == "unavailable"
    assert not Lead.objects.exists()


@pytest.mark.parametrize("raw", ["{bad json", '{"tariff_id": 1,}', "tariff_id=1&name=x", "\udcff"])
def test_malformed_body_is_422(client, raw) -> None:
    response = client.post(
        URL, raw.encode("utf-8", "surrogateescape"), content_type="application/json"
    )
    _assert_error(response, 422, None)
    assert not Lead.objects.exists()


@pytest.mark.parametrize("raw", ["", "null", "[]", "42", '"text"'])
def test_body_that_is_not_an_object_is_422(client, raw) -> None:
    response = client.post(URL, raw, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] and "field" in body
    assert not Lead.objects.exists()


def test_error_messages_follow_the_language(tariff) -> None:
    ru = _post(Client(HTTP_ACCEPT_LANGUAGE="ru"), _body(tariff, consent=False)).json()["detail"]
    en = _post(Client(HTTP_ACCEPT_LANGUAGE="en"), _body(tariff, consent=False)).json()["detail"]
    assert en.isascii()
    if ru == en:
        pytest.skip("the leads Russian catalogue is not compiled yet")
    assert any("а" <= ch.lower() <= "я" for ch in ru)


@override_settings(ABONENT_LEAD_RATE_LIMIT_PHONE=2, ABONENT_LEAD_RATE_LIMIT_IP=100)
def test_rate_limited_per_phone_is_429(client, tariff) -> None:
    for spelling in ("8 (916) 123-45-67", "+7 916 123-45-67"):
        assert _post(client, _body(tariff, phone=spelling)).status_code == 201
    body = _assert_error(_post(client, _body(tariff, phone="9161234567")), 429, "phone")
    assert body["code"] == "rate_limited"
    assert Lead.objects.count() == 2


@override_settings(ABONENT_LEAD_RATE_LIMIT_PHONE=100, ABONENT_LEAD_RATE_LIMIT_IP=2)
def test_rate_limited_per_ip_is_429(client, tariff) -> None:
    for n in range(2):
        response = _post(client, _body(tariff, phone=f"+7 916 000-00-0{n}"), REMOTE_ADDR="10.1.1.1")
        assert response.status_code == 201
    response = _post(client, _body(tariff, phone="+7 916 000-00-09"), REMOTE_ADDR="10.1.1.1")
    _assert_error(response, 429, None)
    response = _post(client, _body(tariff, phone="+7 916 000-00-09"), REMOTE_ADDR="10.1.1.2")
    assert response.status_code == 201
    assert Lead.objects.count() == 3


@override_settings(ABONENT_TRUSTED_PROXIES=1, ABONENT_LEAD_RATE_LIMIT_IP=1)
def test_rate_limit_uses_the_forwarded_address_behind_a_proxy(client, tariff) -> None:
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    first = _post(client, _body(tariff), HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    assert first.status_code == 201
    other = _post(
        client,
        _body(tariff, phone="+7 926 000-00-01"),
        HTTP_X_FORWARDED_FOR="198.51.100.2",
        **proxy,
    )
    assert other.status_code == 201
    assert set(Lead.objects.values_list("ip", flat=True)) == {"198.51.100.1", "198.51.100.2"}


def test_leads_cannot_be_listed(client) -> None:
    assert client.get(URL).status_code == 405


def test_openapi_schema_lists_the_endpoints(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert "get" in paths["/api/v1/catalogue/tariffs"]
    assert "get" in paths["/api/v1/catalogue/addons"]
    assert "post" in paths["/api/v1/leads"]
    params = {p["name"] for p in paths["/api/v1/catalogue/tariffs"]["get"]["parameters"]}
    assert {"service_kind", "building_type"} <= params
    assert "201" in paths["/api/v1/leads"]["post"]["responses"]


def test_api_docs_page(client) -> None:
    assert client.get("/api/v1/docs").status_code == 200
