"""Pages are Russian unless the visitor chose English; the API honours Accept-Language."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_pages_ignore_the_browser_language() -> None:
    html = Client().get("/cabinet/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="ru"' in html and "Номер договора" in html


def test_the_switcher_cookie_chooses_english() -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/cabinet/login/"})
    assert response.status_code == 302
    html = client.get("/cabinet/login/").content.decode()
    assert 'lang="en"' in html and "Contract number" in html


def test_api_follows_accept_language() -> None:
    body = {"contract": "1", "password": "x"}
    ru = Client().post(
        "/api/v1/auth/token", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="ru"
    )
    en = Client().post(
        "/api/v1/auth/token", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert ru.status_code == en.status_code == 422
    assert ru.json()["detail"] != en.json()["detail"]
    assert "договор" in ru.json()["detail"]
