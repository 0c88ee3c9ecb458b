"""The client's address behind a known number of proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from abonent.core.clientip import client_ip


def _request(remote: str | None = "203.0.113.9", forwarded: str | None = None):
    meta = {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    return request


@override_settings(ABONENT_TRUSTED_PROXIES=0)
def test_no_trusted_proxy_ignores_forwarded_for() -> None:
    assert client_ip(_request(forwarded="198.51.100.1")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (1, "198.51.100.7", "198.51.100.7"),
        # a visitor may put anything on the left; only the hops we trust count from the right
        (1, "10.6.6.6, 198.51.100.7", "198.51.100.7"),
        (2, "10.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (2, " 198.51.100.7 ,10.0.0.2 ", "198.51.100.7"),
        (2, "10.0.0.2", "203.0.113.9"),  # fewer hops than trusted: fall back to the socket
        (1, "", "203.0.113.9"),
        (1, " , ", "203.0.113.9"),
    ],
)
def test_trusted_proxy_hops(hops: int, forwarded: str, expected: str) -> None:
    with override_settings(ABONENT_TRUSTED_PROXIES=hops):
        assert client_ip(_request(forwarded=forwarded)) == expected


@override_settings(ABONENT_TRUSTED_PROXIES=1)
def test_no_header_behind_a_proxy_uses_the_socket() -> None:
    assert client_ip(_request()) == "203.0.113.9"


@override_settings(ABONENT_TRUSTED_PROXIES=0)
def test_missing_remote_addr() -> None:
    assert client_ip(_request(remote=None)) == "0.0.0.0"  # noqa: S104
