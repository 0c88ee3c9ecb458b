"""A missing page looks like the provider's site, in the visitor's language."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_404_is_our_page_in_russian_and_english() -> None:
    ru = Client().get("/no-such-page/")
    assert ru.status_code == 404
    body = ru.content.decode()
    assert "Страница не найдена" in body and "abonent.css" in body
    client = Client()
    client.cookies["abonent_lang"] = "en"
    assert "Page not found" in client.get("/no-such-page/").content.decode()


def test_api_404_stays_json() -> None:
    response = Client().get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
