"""Authentication for the subscriber API and ``GET /me``."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status
from ninja.security import HttpBearer

from abonent.accounts.models import Account
from abonent.accounts.schemas import MeOut, MeTariffOut, TokenIn, TokenOut
from abonent.accounts.services import account_authenticate, token_issue, token_revoke
from abonent.accounts.services import token_authenticate as token_lookup
from abonent.accounts.texts import status_explanation
from abonent.core.clientip import client_ip
from abonent.core.money import format_money


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; puts ``request.account`` and ``request.api_token``."""

    def authenticate(self, request: HttpRequest, token: str) -> Account | None:
        api_token = token_lookup(raw=token)
        if api_token is None:
            return None
        request.account = api_token.account  # type: ignore[attr-defined]
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.account


token_auth = TokenAuth()
auth_router = Router(tags=["auth"])
me_router = Router(tags=["me"], auth=token_auth)


@auth_router.post("/token", response=TokenOut, summary="Log in: contract and password → token")
def create_token(request: HttpRequest, payload: TokenIn) -> TokenOut:
    """401 on a wrong contract or password, 429 while locked out (the cabinet's lockout)."""
    ip = client_ip(request)
    account = account_authenticate(contract=payload.contract, password=payload.password, ip=ip)
    raw, token = token_issue(account=account, ip=ip)
    return TokenOut(token=raw, expires_at=token.expires_at)


@auth_router.delete("/token", auth=token_auth, response={204: None}, summary="Log out")
def delete_token(request: HttpRequest) -> Status[None]:
    """Revoke the token this request was made with."""
    token_revoke(token=request.api_token)  # type: ignore[attr-defined]
    return Status(204, None)


def me_out(account: Account) -> MeOut:
    """The API shape of the caller's account."""
    tariff = account.tariff
    return MeOut(
        contract=account.contract,
        name=account.holder_name,
        status=account.status,
        status_text=status_explanation(account),
        balance_kop=account.balance_kop,
        balance=format_money(account.balance_kop),
        credit_limit_kop=account.credit_limit_kop,
        credit_limit=format_money(account.credit_limit_kop),
        tariff=MeTariffOut(
            id=tariff.pk,
            name=tariff.title,
            service_kind=tariff.kind.slug,
            fee_kop=tariff.fee_kop,
            fee=format_money(tariff.fee_kop),
            fee_period=tariff.fee_period,
            download_kbps=tariff.download_kbps,
            upload_kbps=tariff.upload_kbps,
        ),
        address=account.address,
        phone=account.phone,
        email=account.email,
        service_start=account.service_start,
        must_change_password=account.must_change_password,
    )


@me_router.get("", response=MeOut, summary="The caller's account")
def get_me(request: HttpRequest) -> MeOut:
    """Contract, holder, status in plain words, balance, tariff."""
    return me_out(request.account)  # type: ignore[attr-defined]
