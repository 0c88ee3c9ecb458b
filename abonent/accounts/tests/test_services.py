"""Accounts services: contracts, paper passwords, authentication with lockout, tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.hashers import check_password
from django.test import override_settings
from django.utils import timezone

from abonent.accounts.contract import contract_is_valid
from abonent.accounts.models import Account, AccountStatus, ApiToken
from abonent.accounts.services import (
    account_authenticate,
    account_change_password,
    account_create,
    account_reset_password,
    token_authenticate,
    token_issue,
    token_revoke,
)
from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.catalogue.tests.factories import TariffFactory
from abonent.core.errors import ApplicationError, RateLimited, Unauthorized
from abonent.core.models import AuditEntry, RateLimitEvent
from abonent.leads.models import LeadStatus
from abonent.leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def _create(manager, **kw):
    data = {
        "actor": manager,
        "holder_name": "Петров Иван Сергеевич",
        "address": "г. Сергиев Посад, ул. Академика Силина, д. 3, кв. 7",
        "building_type": "apartment",
        "phone": "8 (916) 123-45-67",
        "tariff_id": TariffFactory().pk,
        "service_start": dt.date(2026, 11, 20),
    }
    data.update(kw)
    return account_create(**data)


def _age_events(seconds: int) -> None:
    """Move every counted attempt into the past, as if time had passed."""
    for event in RateLimitEvent.objects.all():
        event.created_at -= dt.timedelta(seconds=seconds)
        event.save(update_fields=["created_at"])


class TestAccountCreate:
    def test_new_account_has_contract_hash_and_audit(self, manager) -> None:
        creds = _create(manager)
        account = Account.objects.get(pk=creds.account.pk)
        assert account.status == AccountStatus.NEW
        assert contract_is_valid(account.contract)
        assert account.phone == "+79161234567"
        assert account.password.startswith("argon2")
        assert creds.password not in account.password
        assert check_password(creds.password, account.password)
        assert account.must_change_password
        entry = AuditEntry.objects.get(action="account.create")
        assert entry.actor == manager and entry.object_id == str(account.pk)
        assert entry.after["contract"] == account.contract
        assert creds.password not in str(entry.after)

    def test_from_a_scheduled_lead_connects_it(self, manager) -> None:
        lead = LeadFactory(
            status=LeadStatus.SCHEDULED, scheduled_at=timezone.now(), scheduled_address="x"
        )
        creds = _create(manager, lead_id=lead.pk)
        lead.refresh_from_db()
        assert lead.status == LeadStatus.CONNECTED
        assert creds.account.lead_id == lead.pk
        with pytest.raises(ApplicationError) as err:
            _create(manager, lead_id=lead.pk)
        assert err.value.code == "duplicate"

    def test_a_new_lead_is_not_ready_for_a_contract(self, manager) -> None:
        lead = LeadFactory(status=LeadStatus.NEW)
        with pytest.raises(ApplicationError) as err:
            _create(manager, lead_id=lead.pk)
        assert err.value.field == "lead_id"
        assert not Account.objects.exists()

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("holder_name", "  "),
            ("address", ""),
            ("phone", "123"),
            ("email", "nope@"),
            ("building_type", "castle"),
        ],
    )
    def test_bad_input_names_the_field(self, manager, field: str, value: str) -> None:
        with pytest.raises(ApplicationError) as err:
            _create(manager, **{field: value})
        assert err.value.field == field
        assert not Account.objects.exists()

    def test_archived_tariff_refused(self, manager) -> None:
        with pytest.raises(ApplicationError) as err:
            _create(manager, tariff_id=TariffFactory(is_archived=True).pk)
        assert err.value.field == "tariff_id"


class TestAuthenticate:
    def test_right_password(self) -> None:
        account = AccountFactory()
        assert (
            account_authenticate(
                contract=account.contract, password=ACCOUNT_PASSWORD, ip="10.0.0.1"
            )
            == account
        )

    def test_spaces_and_dashes_in_the_number_are_fine(self) -> None:
        account = AccountFactory()
        typed = f"{account.contract[:4]} {account.contract[4:]}"
        assert account_authenticate(contract=typed, password=ACCOUNT_PASSWORD, ip=None) == account

    def test_unknown_contract_and_wrong_password_look_the_same(self) -> None:
        account = AccountFactory()
        with pytest.raises(Unauthorized) as wrong:
            account_authenticate(contract=account.contract, password="nope", ip="10.0.0.1")
        other = AccountFactory.build().contract
        with pytest.raises(Unauthorized) as unknown:
            account_authenticate(contract=other, password="nope", ip="10.0.0.1")
        assert str(wrong.value) == str(unknown.value)
        assert wrong.value.code == unknown.value.code == "wrong_credentials"

    def test_typo_in_number_is_caught_before_the_database(self, django_assert_num_queries) -> None:
        account = AccountFactory()
        typo = account.contract[:-1] + str((int(account.contract[-1]) + 1) % 10)
        with django_assert_num_queries(0), pytest.raises(ApplicationError) as err:
            account_authenticate(contract=typo, password="x", ip="10.0.0.1")
        assert err.value.code == "check_digit" and err.value.field == "contract"

    @override_settings(ABONENT_LOGIN_MAX_PER_CONTRACT=5, ABONENT_LOGIN_MAX_PER_IP=100)
    def test_lockout_per_contract_refuses_even_the_right_password(self) -> None:
        account = AccountFactory()
        for i in range(5):
            with pytest.raises(Unauthorized):
                account_authenticate(contract=account.contract, password="bad", ip=f"10.0.0.{i}")
        with pytest.raises(RateLimited) as err:
            account_authenticate(
                contract=account.contract, password=ACCOUNT_PASSWORD, ip="10.1.1.1"
            )
        assert err.value.status == 429 and "15" in str(err.value)
        _age_events(14 * 60)
        with pytest.raises(RateLimited):
            account_authenticate(
                contract=account.contract, password=ACCOUNT_PASSWORD, ip="10.1.1.1"
            )
        _age_events(61)
        assert (
            account_authenticate(
                contract=account.contract, password=ACCOUNT_PASSWORD, ip="10.1.1.1"
            )
            == account
        )

    @override_settings(ABONENT_LOGIN_MAX_PER_CONTRACT=5, ABONENT_LOGIN_MAX_PER_IP=20)
    def test_lockout_per_ip_does_not_lock_the_subscriber_elsewhere(self) -> None:
        victim = AccountFactory()
        for _ in range(20):
            with pytest.raises(ApplicationError):
                account_authenticate(
                    contract=AccountFactory.build().contract, password="x", ip="6.6.6.6"
                )
        with pytest.raises(RateLimited):
            account_authenticate(contract=victim.contract, password=ACCOUNT_PASSWORD, ip="6.6.6.6")
        assert (
            account_authenticate(contract=victim.contract, password=ACCOUNT_PASSWORD, ip="10.0.0.9")
            == victim
        )

    def test_failures_spread_over_more_than_the_window_do_not_lock(self) -> None:
        account = AccountFactory()
        for _ in range(4):
            with pytest.raises(Unauthorized):
                account_authenticate(contract=account.contract, password="bad", ip="10.0.0.1")
        _age_events(16 * 60)
        with pytest.raises(Unauthorized):
            account_authenticate(contract=account.contract, password="bad", ip="10.0.0.1")
        assert (
            account_authenticate(
                contract=account.contract, password=ACCOUNT_PASSWORD, ip="10.0.0.1"
            )
            == account
        )

    def test_closed_or_passwordless_accounts_cannot_log_in(self) -> None:
        closed = AccountFactory(status=AccountStatus.CLOSED)
        imported = AccountFactory(password="!")
        for account in (closed, imported):
            with pytest.raises(Unauthorized):
                account_authenticate(contract=account.contract, password=ACCOUNT_PASSWORD, ip=None)


class TestPasswords:
    def test_change_bumps_epoch_and_revokes_tokens(self) -> None:
        account = AccountFactory(must_change_password=True)
        _raw, token = token_issue(account=account)
        changed = account_change_password(
            account_id=account.pk,
            current_password=ACCOUNT_PASSWORD,
            new_password="Берёза-у-дома-9",
            new_password2="Берёза-у-дома-9",
        )
        assert changed.auth_epoch == account.auth_epoch + 1
        assert not changed.must_change_password
        assert check_password("Берёза-у-дома-9", changed.password)
        token.refresh_from_db()
        assert token.revoked_at is not None

    @pytest.mark.parametrize(
        ("current", "new", "new2", "field"),
        [
            ("wrong", "Берёза-у-дома-9", "Берёза-у-дома-9", "current_password"),
            (ACCOUNT_PASSWORD, "Берёза-у-дома-9", "Берёза-у-дома-8", "new_password2"),
            (ACCOUNT_PASSWORD, "short", "short", "new_password"),
            (ACCOUNT_PASSWORD, ACCOUNT_PASSWORD, ACCOUNT_PASSWORD, "new_password"),
        ],
    )
    def test_change_refusals(self, current, new, new2, field) -> None:
        account = AccountFactory()
        with pytest.raises(ApplicationError) as err:
            account_change_password(
                account_id=account.pk,
                current_password=current,
                new_password=new,
                new_password2=new2,
            )
        assert err.value.field == field
        account.refresh_from_db()
        assert check_password(ACCOUNT_PASSWORD, account.password)

    def test_reset_by_staff(self, support_user) -> None:
        account = AccountFactory(must_change_password=False)
        raw, _token = token_issue(account=account)
        creds = account_reset_password(account_id=account.pk, actor=support_user)
        account.refresh_from_db()
        assert check_password(creds.password, account.password)
        assert not check_password(ACCOUNT_PASSWORD, account.password)
        assert account.must_change_password
        assert token_authenticate(raw=raw) is None
        entry = AuditEntry.objects.get(action="account.password_reset")
        assert entry.actor == support_user and creds.password not in str(entry.after)


class TestTokens:
    def test_issue_and_use(self) -> None:
        account = AccountFactory()
        raw, token = token_issue(account=account)
        assert raw not in token.key_hash and len(token.key_hash) == 64
        assert token_authenticate(raw=raw).account == account
        assert token_authenticate(raw=raw + "x") is None
        assert token_authenticate(raw="") is None

    def test_expired_and_revoked(self) -> None:
        account = AccountFactory()
        raw, token = token_issue(account=account)
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
        assert token_authenticate(raw=raw) is None
        raw2, token2 = token_issue(account=account)
        token_revoke(token=token2)
        assert token_authenticate(raw=raw2) is None
