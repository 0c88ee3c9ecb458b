"""The subscriber API's front door: tokens and GET /me."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from abonent.accounts.models import ApiToken
from abonent.accounts.services import account_change_password
from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory

pytestmark = pytest.mark.django_db


def _token(client: Client, contract: str, password: str = ACCOUNT_PASSWORD):
    return client.post(
        "/api/v1/auth/token",
        {"contract": contract, "password": password},
        content_type="application/json",
    )


def test_token_then_me() -> None:
    account = AccountFactory(balance_kop=123_450)
    client = Client()
    response = _token(client, account.contract)
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("ab_") and body["expires_at"]
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200
    data = me.json()
    assert data["contract"] == account.contract
    assert data["name"] == account.holder_name
    assert data["status"] == "active"
    assert data["balance_kop"] == 123_450 and isinstance(data["balance_kop"], int)
    assert "234" in data["balance"]
    assert data["tariff"]["id"] == account.tariff_id
    assert data["tariff"]["fee_kop"] == account.tariff.fee_kop


def test_me_without_or_with_a_bad_token_is_401() -> None:
    client = Client()
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer ab_nope"}, {"HTTP_AUTHORIZATION": "x"}):
        response = client.get("/api/v1/me", **headers)
        assert response.status_code == 401
        assert response.json()["detail"]
        assert "field" in response.json()


def test_wrong_password_is_401_and_typo_is_422() -> None:
    account = AccountFactory()
    client = Client()
    wrong = _token(client, account.contract, "wrong")
    assert wrong.status_code == 401
    assert wrong.json()["field"] == "password"
    typo = account.contract[:-1] + str((int(account.contract[-1]) + 1) % 10)
    bad = _token(client, typo)
    assert bad.status_code == 422 and bad.json()["field"] == "contract"
    missing = client.post(
        "/api/v1/auth/token", {"contract": account.contract}, content_type="application/json"
    )
    assert missing.status_code == 422 and missing.json()["field"] == "password"


@override_settings(ABONENT_LOGIN_MAX_PER_CONTRACT=3)
def test_lockout_applies_to_the_api() -> None:
    account = AccountFactory()
    client = Client()
    for _ in range(3):
        assert _token(client, account.contract, "wrong").status_code == 401
    locked = _token(client, account.contract)
    assert locked.status_code == 429
    assert locked.json()["code"] == "rate_limited"


def test_delete_token_revokes_it() -> None:
    account = AccountFactory()
    client = Client()
    raw = _token(client, account.contract).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.delete("/api/v1/auth/token", **auth).status_code == 204
    assert client.get("/api/v1/me", **auth).status_code == 401
    assert ApiToken.objects.get(account=account).revoked_at is not None


def test_password_change_ends_tokens() -> None:
    account = AccountFactory()
    client = Client()
    raw = _token(client, account.contract).json()["token"]
    account_change_password(
        account_id=account.pk,
        current_password=ACCOUNT_PASSWORD,
        new_password="Ель-на-горке-5",
        new_password2="Ель-на-горке-5",
    )
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
