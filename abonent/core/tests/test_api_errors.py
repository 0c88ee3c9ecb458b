"""Every answer under /api/v1/ is ``{"detail", "field", "code"}`` JSON, in the caller's language."""

from __future__ import annotations

import json

import pytest
from django.http import Http404
from django.test import Client, RequestFactory
from django.utils import translation
from ninja.errors import AuthorizationError, HttpError, Throttled

from abonent.api import api
from abonent.catalogue.tests.factories import TariffFactory
from abonent.core.api_errors import _PYDANTIC_MESSAGES

pytestmark = pytest.mark.django_db


def _is_russian(text: str) -> bool:
    return any("а" <= ch.lower() <= "я" for ch in text)


def _json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"detail", "field", "code"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["code"] == code
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        "/api/v1/leads/",
        "/api/v1/catalogue/nothing",
        "/api/v1/me/nothing/at/all",
        "/api/v1/auth/token/extra",
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_unknown_path_is_json_404(path: str, method: str) -> None:
    client = Client(enforce_csrf_checks=True)  # an API path is never a CSRF 403
    response = client.generic(method.upper(), path, "{}", content_type="application/json")
    body = _json_error(response, 404, "not_found")
    assert body["field"] is None


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("get", "/api/v1/leads", "POST"),
        ("put", "/api/v1/leads", "POST"),
        ("post", "/api/v1/catalogue/tariffs", "GET"),
        ("delete", "/api/v1/catalogue/addons", "GET"),
        ("get", "/api/v1/auth/token", "POST"),
        ("patch", "/api/v1/me", "GET"),
    ],
)
def test_wrong_method_is_json_405(method: str, path: str, allowed: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.generic(method.upper(), path, "{}", content_type="application/json")
    body = _json_error(response, 405, "method_not_allowed")
    assert body["field"] is None
    assert allowed in response["Allow"]


def test_the_right_method_still_works() -> None:
    response = Client().get("/api/v1/catalogue/tariffs")
    assert response.status_code == 200
    assert Client().get("/api/v1/openapi.json").status_code == 200


def test_openapi_schema_unchanged_by_the_catch_all() -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/leads" in paths and "/api/v1/me" in paths


def _lead(language: str | None = None, cookie: str | None = None, **overrides) -> dict:
    tariff = TariffFactory()
    body = {"tariff_id": tariff.pk, "name": "Иван Петров", "phone": "+79161234567"}
    body["consent"] = True
    body.update(overrides)
    body = {k: v for k, v in body.items() if v is not ...}
    client = Client(HTTP_ACCEPT_LANGUAGE=language) if language else Client()
    if cookie:
        client.cookies["abonent_lang"] = cookie
    response = client.post("/api/v1/leads", json.dumps(body), content_type="application/json")
    return _json_error(response, 422, response.json().get("code", ""))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ...}, "name"),  # a schema error (pydantic)
        ({"tariff_id": "abc"}, "tariff_id"),  # another schema error
        ({"consent": False}, "consent"),  # a domain error (the leads service)
    ],
    ids=["missing", "not-a-number", "no-consent"],
)
def test_422_follows_accept_language(overrides: dict, field: str) -> None:
    ru = _lead("ru", **overrides)
    en = _lead("en", **overrides)
    assert ru["field"] == en["field"] == field
    assert ru["code"] == en["code"]
    assert _is_russian(ru["detail"]), ru
    assert en["detail"].isascii() and not _is_russian(en["detail"]), en
    assert ru["detail"] != en["detail"]


def test_422_lists_every_schema_error_translated() -> None:
    ru = _lead("ru", name=..., phone=...)
    assert ru["code"] == "invalid"
    assert {e["field"] for e in ru["errors"]} == {"name", "phone"}
    assert all(_is_russian(e["detail"]) for e in ru["errors"])


def test_language_cookie_wins_over_the_header() -> None:
    assert _lead("ru", cookie="en", name=...)["detail"].isascii()
    assert _is_russian(_lead("en", cookie="ru", name=...)["detail"])


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/v1/nope", 404, "not_found"),
        ("get", "/api/v1/leads", 405, "method_not_allowed"),
    ],
)
def test_404_and_405_are_translated(method: str, path: str, status: int, code: str) -> None:
    ru = _json_error(getattr(Client(HTTP_ACCEPT_LANGUAGE="ru"), method)(path), status, code)
    en = _json_error(getattr(Client(HTTP_ACCEPT_LANGUAGE="en"), method)(path), status, code)
    assert _is_russian(ru["detail"]) and en["detail"].isascii()


def test_401_is_translated() -> None:
    ru = Client(HTTP_ACCEPT_LANGUAGE="ru").get("/api/v1/me")
    en = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/me")
    assert _is_russian(_json_error(ru, 401, "unauthorized")["detail"])
    assert _json_error(en, 401, "unauthorized")["detail"].isascii()


def test_every_schema_message_has_a_russian_translation() -> None:
    with translation.override("ru"):
        for kind, message in _PYDANTIC_MESSAGES.items():
            assert _is_russian(str(message)), kind


def _handled(exc: Exception, language: str = "en") -> tuple[int, dict]:
    request = RequestFactory().get("/api/v1/x")
    with translation.override(language):
        response = api.on_exception(request, exc)
    return response.status_code, json.loads(response.content)


def _cause(exc: HttpError) -> HttpError:
    try:
        raise exc from ValueError("bad json")
    except HttpError as raised:
        return raised


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (Http404("gone"), 404, "not_found"),
        (AuthorizationError(), 403, "forbidden"),
        (Throttled(30), 429, "rate_limited"),
        (HttpError(418, "teapot"), 418, "http_error"),
    ],
    ids=["404", "403", "429", "other"],
)
def test_ninja_errors_have_the_same_shape(exc: Exception, status: int, code: str) -> None:
    got_status, body = _handled(exc)
    assert got_status == status
    assert body["code"] == code and body["field"] is None and body["detail"]
    if code != "http_error":
        assert _is_russian(_handled(exc, "ru")[1]["detail"])


def test_throttled_tells_when_to_retry() -> None:
    assert _handled(Throttled(30))[1]["retry_after"] == 30


def test_a_body_that_is_not_json_is_422() -> None:
    status, body = _handled(_cause(HttpError(400, "Cannot parse request body")))
    assert (status, body["code"], body["field"]) == (422, "invalid_json", None)


@pytest.mark.parametrize(("language", "russian"), [("ru", True), ("en", False)])
def test_a_request_without_its_body_names_the_body(language: str, russian: bool) -> None:
    # as `curl -X POST` sends it: no body, no Content-Type
    response = Client().generic("POST", "/api/v1/leads", HTTP_ACCEPT_LANGUAGE=language)
    body = _json_error(response, 422, "invalid")
    assert body["field"] == "body"
    assert _is_russian(body["detail"]) is russian
    assert {"field": "body", "detail": body["detail"]} in body["errors"]
