"""Network credentials: made for every account, rotated, bound."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from abonent.accounts.services import account_create
from abonent.accounts.tests.factories import AccountFactory
from abonent.catalogue.tests.factories import TariffFactory
from abonent.core.errors import ApplicationError
from abonent.network.models import GroupAttribute, NetworkCredential
from abonent.network.services import (
    PASSWORD_ALPHABET,
    RESTRICTED_GROUP,
    RadiusNeedsPostgres,
    credential_create,
    credential_rotate_password,
    credential_update,
    group_defaults_ensure,
    mac_normalize,
    radius_require_postgres,
)

pytestmark = pytest.mark.django_db


def test_account_create_makes_a_credential_with_the_contract_as_login(manager):
    credentials = account_create(
        actor=manager,
        holder_name="Иванов Иван",
        address="ул. Разина, 1",
        building_type="apartment",
        phone="+79260000001",
        tariff_id=TariffFactory().pk,
        service_start=dt.date(2026, 1, 15),
    )
    credential = NetworkCredential.objects.get(account=credentials.account)
    assert credential.login == credentials.account.contract
    assert len(credential.password) == 12
    assert set(credential.password) <= set(PASSWORD_ALPHABET)
    assert credential.password != credentials.password  # not the cabinet password


def test_credential_create_is_idempotent():
    account = AccountFactory()
    first = credential_create(account=account)
    assert credential_create(account=account) == first
    assert NetworkCredential.objects.filter(account=account).count() == 1


def test_rotate_gives_a_new_password_and_audits_without_it(manager):
    from abonent.core.models import AuditEntry

    account = AccountFactory()
    old = credential_create(account=account).password
    credential = credential_rotate_password(account_id=account.pk, actor=manager)
    assert credential.password != old
    entry = AuditEntry.objects.get(action="network.password_rotate")
    assert credential.password not in str(entry.before) + str(entry.after)


def test_update_binds_a_mac_and_refuses_a_taken_ip(manager):
    one, two = AccountFactory(), AccountFactory()
    credential = credential_update(
        account_id=one.pk, actor=manager, mac="aa:bb:cc:dd:ee:0f", static_ip="10.1.0.5"
    )
    assert credential.mac == "AA-BB-CC-DD-EE-0F"
    assert credential.static_ip == "10.1.0.5"
    with pytest.raises(ApplicationError):
        credential_update(account_id=two.pk, actor=manager, static_ip="10.1.0.5")
    assert credential_update(account_id=one.pk, actor=manager, mac="").mac == ""


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("aabb.ccdd.eeff", "AA-BB-CC-DD-EE-FF"), ("AA-BB-CC-DD-EE-FF", "AA-BB-CC-DD-EE-FF")],
)
def test_mac_normalize(raw, normal):
    assert mac_normalize(raw) == normal


def test_mac_normalize_refuses_garbage():
    with pytest.raises(ApplicationError):
        mac_normalize("not a mac")


def test_restricted_group_defaults_are_put_back():
    GroupAttribute.objects.all().delete()
    group_defaults_ensure()
    group_defaults_ensure()
    assert GroupAttribute.objects.filter(group=RESTRICTED_GROUP).count() == 2


def test_radius_says_it_needs_postgres():
    if connection.vendor == "postgresql":
        radius_require_postgres()
    else:
        with pytest.raises(RadiusNeedsPostgres, match="PostgreSQL"):
            radius_require_postgres()
