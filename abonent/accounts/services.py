"""Writes to subscribers' accounts and credentials: contracts, passwords, logins, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from abonent.accounts.contract import contract_clean, contract_generate, contract_is_valid
from abonent.accounts.models import Account, AccountStatus, ApiToken
from abonent.accounts.passwords import password_check_new, password_generate
from abonent.catalogue.models import BuildingType, Tariff
from abonent.core.audit import audit_record, snapshot
from abonent.core.errors import ApplicationError, NotFound, RateLimited, Unauthorized
from abonent.core.phone import normalize_phone
from abonent.core.ratelimit import ratelimit_clear, ratelimit_hit, ratelimit_locked_until
from abonent.leads.models import Lead, LeadStatus

WRONG_CREDENTIALS = _("Wrong contract number or password.")
# A hash to check against when the contract does not exist, so both cases take the same time.
_DUMMY_HASH: str | None = None


@dataclass
class Credentials:
    """A new account or password as shown once to staff for the printed sheet."""

    account: Account
    password: str


def _clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise ApplicationError(_("This field is required."), field=field, code="required")
    if len(text) > max_length:
        raise ApplicationError(
            _("Too long: at most %(n)d characters.") % {"n": max_length},
            field=field,
            code="too_long",
        )
    return text


def _clean_email(value: str) -> str:
    email = (value or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ApplicationError(
                _("Enter a valid e-mail address."), field="email", code="invalid"
            ) from None
    return email


def account_create(
    *,
    actor: Any,
    holder_name: str,
    address: str,
    building_type: str,
    phone: str,
    tariff_id: int,
    service_start: dt.date,
    email: str = "",
    lead_id: int | None = None,
) -> Credentials:
    """Sign a contract: a new account in status ``new`` with a generated contract number and
    paper password (only its hash is kept). From a lead, the lead becomes ``connected``."""
    holder_name = _clean_text(holder_name, field="holder_name", max_length=200)
    address = _clean_text(address, field="address", max_length=255)
    if building_type not in (BuildingType.APARTMENT, BuildingType.HOUSE):
        raise ApplicationError(_("Choose the building type."), field="building_type")
    phone = normalize_phone(phone)
    email = _clean_email(email)
    tariff = Tariff.objects.filter(pk=tariff_id, is_archived=False).first()
    if tariff is None:
        raise ApplicationError(_("Choose a tariff."), field="tariff_id", code="required")
    if service_start is None:
        raise ApplicationError(_("Enter the date service started."), field="service_start")
    password = password_generate()
    with transaction.atomic():
        lead = None
        if lead_id is not None:
            lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
            if lead is None:
                raise NotFound(_("No such request."))
            if lead.status not in (LeadStatus.SCHEDULED, LeadStatus.CONNECTED):
                raise ApplicationError(
                    _("A contract is made from a scheduled or connected request."),
                    field="lead_id",
                )
            if Account.objects.filter(lead=lead).exists():
                raise ApplicationError(
                    _("This request already has a contract."), field="lead_id", code="duplicate"
                )
        account = None
        for _attempt in range(20):
            try:
                with transaction.atomic():
                    account = Account.objects.create(
                        contract=contract_generate(),
                        holder_name=holder_name,
                        address=address,
                        building_type=building_type,
                        phone=phone,
                        email=email,
                        tariff=tariff,
                        service_start=service_start,
                        password=make_password(password),
                        must_change_password=settings.ABONENT_FORCE_PASSWORD_CHANGE,
                        lead=lead,
                        created_by=actor if getattr(actor, "is_authenticated", False) else None,
                    )
                break
            except IntegrityError:
                continue  # a contract number collision: draw another
        if account is None:  # pragma: no cover - 20 collisions in a row
            raise RuntimeError("could not allocate a contract number")
        from abonent.network.services import credential_create  # lazy: network reads accounts

        credential_create(account=account)
        if lead is not None and lead.status == LeadStatus.SCHEDULED:
            from abonent.leads.services import lead_transition

            lead_transition(
                lead_id=lead.pk,
                actor=actor,
                to_status=LeadStatus.CONNECTED,
                note=gettext("Contract %(contract)s signed.") % {"contract": account.contract},
            )
        audit_record(
            actor=actor,
            action="account.create",
            obj=account,
            after=snapshot(
                account,
                [
                    "contract",
                    "holder_name",
                    "address",
                    "building_type",
                    "phone",
                    "email",
                    "tariff",
                    "service_start",
                    "status",
                    "lead",
                ],
            ),
        )
    return Credentials(account=account, password=password)


def account_reset_password(*, account_id: int, actor: Any) -> Credentials:
    """Staff print a new sheet: a new paper password; every session and token of the account
    ends; audited (the password itself is never written anywhere but the sheet)."""
    password = password_generate()
    with transaction.atomic():
        account = Account.objects.select_for_update().filter(pk=account_id).first()
        if account is None:
            raise NotFound(_("No such account."))
        account.password = make_password(password)
        account.must_change_password = settings.ABONENT_FORCE_PASSWORD_CHANGE
        account.password_changed_at = timezone.now()
        account.auth_epoch += 1
        account.save(
            update_fields=[
                "password",
                "must_change_password",
                "password_changed_at",
                "auth_epoch",
                "updated_at",
            ]
        )
        revoked = ApiToken.objects.filter(account=account, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="account.password_reset",
            obj=account,
            after={"sessions_ended": True, "tokens_revoked": revoked},
        )
        # The subscriber gets a security notice in the cabinet's mail. Messaging builds on
        # accounts (messaging → accounts), so it is imported here, not at the top: no import
        # cycle, and accounts does not otherwise know about mail. It is written in this same
        # transaction rather than on commit: it is one row in our own database, and this way
        # the notice exists exactly when the reset does (an e-mail copy, an outside system,
        # will go through the outbox after commit).
        from abonent.messaging.services import notify_password_reset

        notify_password_reset(account=account, actor=actor)
        ratelimit_clear(scope="cabinet_login_contract", key=account.contract)
    return Credentials(account=account, password=password)


def account_change_password(
    *,
    account_id: int,
    current_password: str,
    new_password: str,
    new_password2: str,
    check_current: bool = True,
) -> Account:
    """The subscriber chooses a password. Ends every other session and all API tokens
    (the caller keeps its own session by adopting the new ``auth_epoch``)."""
    with transaction.atomic():
        account = Account.objects.select_for_update().filter(pk=account_id).first()
        if account is None:
            raise NotFound(_("No such account."))
        if check_current and not check_password(current_password or "", account.password):
            raise ApplicationError(
                _("The current password is wrong."), field="current_password", code="wrong"
            )
        password_check_new(password=new_password, contract=account.contract)
        if new_password != new_password2:
            raise ApplicationError(
                _("The two new passwords differ."), field="new_password2", code="mismatch"
            )
        if check_password(new_password, account.password):
            raise ApplicationError(
                _("The new password must differ from the current one."),
                field="new_password",
                code="same",
            )
        account.password = make_password(new_password)
        account.must_change_password = False
        account.password_changed_at = timezone.now()
        account.auth_epoch += 1
        account.save(
            update_fields=[
                "password",
                "must_change_password",
                "password_changed_at",
                "auth_epoch",
                "updated_at",
            ]
        )
        ApiToken.objects.filter(account=account, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    return account


def _lock_message(until: dt.datetime) -> RateLimited:
    minutes = max(1, int((until - timezone.now()).total_seconds() + 59) // 60)
    return RateLimited(
        _(
            "Too many wrong attempts. Login is paused for %(minutes)d min. If you have lost "
            "your password, the office or the hotline will issue a new one."
        )
        % {"minutes": minutes},
        field=None,
        extra={"retry_after": minutes * 60},
    )


def account_authenticate(*, contract: str, password: str, ip: str | None) -> Account:
    """Check a contract number and password, with the lockout per contract and per IP.

    The error never tells whether the contract exists. While locked, even the right password
    is refused.
    """
    global _DUMMY_HASH
    number = contract_clean(contract)
    if not number:
        raise ApplicationError(_("Enter your contract number."), field="contract", code="required")
    if not password:
        raise ApplicationError(_("Enter your password."), field="password", code="required")
    if not contract_is_valid(number):
        # Caught before the database: a typo in the number, not a guess at a password.
        raise ApplicationError(
            _("There is a typo in the contract number: check it against your contract."),
            field="contract",
            code="check_digit",
        )
    window = settings.ABONENT_LOGIN_WINDOW_SECONDS
    lockout = settings.ABONENT_LOGIN_LOCKOUT_SECONDS
    checks = [("cabinet_login_contract", number, settings.ABONENT_LOGIN_MAX_PER_CONTRACT)]
    if ip:
        checks.append(("cabinet_login_ip", ip, settings.ABONENT_LOGIN_MAX_PER_IP))
    for scope, key, limit in checks:
        until = ratelimit_locked_until(
            scope=scope, key=key, limit=limit, window_seconds=window, lockout_seconds=lockout
        )
        if until is not None:
            raise _lock_message(until)
    account = Account.objects.filter(contract=number).first()
    if account is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = make_password(secrets.token_hex(8))
        check_password(password, _DUMMY_HASH)
        ok = False
    else:
        ok = (
            account.has_usable_password
            and account.status != AccountStatus.CLOSED
            and check_password(password, account.password)
        )
    if not ok:
        for scope, key, _limit in checks:
            ratelimit_hit(scope=scope, key=key)
        raise Unauthorized(WRONG_CREDENTIALS, field="password", code="wrong_credentials")
    assert account is not None  # noqa: S101 - ok implies an account
    ratelimit_clear(scope="cabinet_login_contract", key=number)
    return account


# --- API tokens -----------------------------------------------------------------------------


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(*, account: Account, ip: str | None = None) -> tuple[str, ApiToken]:
    """A new bearer token for an authenticated account. The raw value is returned once."""
    raw = "ab_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        account=account,
        key_hash=_token_hash(raw),
        prefix=raw[3:11],
        auth_epoch=account.auth_epoch,
        expires_at=timezone.now() + dt.timedelta(days=settings.ABONENT_API_TOKEN_DAYS),
        ip=ip,
    )
    return raw, token


def token_authenticate(*, raw: str) -> ApiToken | None:
    """The live token for a raw bearer value (not expired, not revoked, same auth epoch)."""
    if not raw or not raw.startswith("ab_") or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("account", "account__tariff")
        .filter(key_hash=_token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or token.expires_at <= timezone.now():
        return None
    if token.auth_epoch != token.account.auth_epoch or token.account.status == AccountStatus.CLOSED:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def token_revoke(*, token: ApiToken) -> None:
    """End one token (logout from an app)."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
