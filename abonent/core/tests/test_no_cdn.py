"""No page loads anything from another host: styles, scripts, fonts and images are ours."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from abonent.demo.services import demo_catalogue_load

pytestmark = pytest.mark.django_db
ASSET = re.compile(r"<(?:script|img|link|iframe)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", re.I)


@pytest.mark.parametrize(
    "url", ["/", "/tariffs/", "/connect/", "/cabinet/login/", "/staff/login/", "/api/v1/docs"]
)
def test_assets_come_from_our_own_host(url: str) -> None:
    demo_catalogue_load()
    response = Client().get(url)
    assert response.status_code == 200
    assets = ASSET.findall(response.content.decode())
    assert assets, "the page should load at least its own stylesheet"
    foreign = [a for a in assets if re.match(r"^(https?:)?//", a)]
    assert not foreign, foreign
