"""Static IPs from the static-IP add-on (issue #7): the pool setting, giving and freeing
addresses on connect, disconnect and the charge run, staff's addresses left alone, an exhausted
pool, the cabinet, and two accounts at once on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.test import Client, override_settings

from abonent.accounts.models import Account
from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.billing.models import AccountAddon, EntryKind, LedgerEntry
from abonent.billing.services.addons import addon_connect, addon_disconnect
from abonent.billing.services.posting import ledger_post
from abonent.catalogue.models import Addon
from abonent.catalogue.tests.factories import AddonFactory, TariffFactory
from abonent.core.models import AuditEntry
from abonent.messaging.models import Message
from abonent.network.models import NetworkCredential
from abonent.network.services import credential_create, credential_update
from abonent.network.static_ip import (
    ACTION_ASSIGN,
    ACTION_EXHAUSTED,
    ACTION_FREE,
    StaticIpPoolError,
    static_ip_pool,
    static_ip_status_for,
    static_ip_sync,
)

pytestmark = pytest.mark.django_db
POOL = "100.64.10.0/29"  # .1 – .6
NOV10 = dt.date(2026, 11, 10)


@pytest.fixture(autouse=True)
def small_pool(settings):  # type: ignore[no-untyped-def]
    settings.ABONENT_STATIC_IP_POOL = POOL


@pytest.fixture
def static_addon():  # type: ignore[no-untyped-def]
    tariff = TariffFactory(fee_kop=50_000)
    return AddonFactory(kind=tariff.kind, slug="static-ip", grants_static_ip=True, fee_kop=15_000)


def subscriber(addon: Addon, **credential_fields: str) -> Account:
    """An active, funded account of the add-on's service kind with a network credential."""
    tariff = TariffFactory(kind=addon.kind, fee_kop=50_000)
    account = AccountFactory(tariff=tariff)
    ledger_post(account_id=account.pk, kind=EntryKind.PAYMENT, amount_kop=500_000, settle=False)
    credential = credential_create(account=account)
    for name, value in credential_fields.items():
        setattr(credential, name, value)
    credential.save()
    return account


def connect(account: Account, addon: Addon, captured, day: dt.date = NOV10) -> AccountAddon:  # type: ignore[no-untyped-def]
    with captured(execute=True):
        return addon_connect(account_id=account.pk, addon_id=addon.pk, today=day)


def ip_of(account: Account) -> str | None:
    return NetworkCredential.objects.get(account=account).static_ip


def charge(day: dt.date) -> str:
    out = StringIO()
    call_command("charge", "--date", day.isoformat(), stdout=out)
    return out.getvalue()


def cabinet(account: Account) -> Client:
    client = Client()
    client.post("/cabinet/login/", {"contract": account.contract, "password": ACCOUNT_PASSWORD})
    return client


# --- the pool setting ------------------------------------------------------------------------


def test_the_pool_reads_networks_ranges_and_addresses() -> None:
    pool = static_ip_pool("100.64.10.0/24")
    assert pool.size == 254  # without the network and broadcast addresses
    assert "100.64.10.1" in pool and "100.64.10.254" in pool
    assert "100.64.10.0" not in pool and "100.64.10.255" not in pool
    pool = static_ip_pool(" 198.51.100.10-198.51.100.12, 198.51.100.13 ,203.0.113.8/31,, ")
    assert pool.size == 6  # a range, an address next to it (merged), a /31 (both usable)
    assert pool.first_free(["198.51.100.10", "198.51.100.11"]) == "198.51.100.12"
    assert pool.first_free(["198.51.100.10", "10.0.0.1"]) == "198.51.100.11"
    assert static_ip_pool("198.51.100.7/32").first_free(["198.51.100.7"]) is None
    assert static_ip_pool("").size == 0


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("100.64.10.5/24", "100.64.10.5/24"),  # host bits set
        ("100.64.10.0/24; 100.64.11.0/24", "100.64.10.0/24; 100.64.11.0/24"),
        ("100.64.10.20-100.64.10.10", "ends before it starts"),
        ("2001:db8::/64", "2001:db8::/64"),
        ("static", "static"),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_a_bad_pool_is_a_clear_error(value: str, named: str, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ABONENT_STATIC_IP_POOL = value
    with pytest.raises(StaticIpPoolError) as error:
        static_ip_sync()
    message = str(error.value)
    assert "ABONENT_STATIC_IP_POOL" in message and named in message
    assert "100.64.10.0/24" in message or "range" in message  # says what is expected


def test_a_bad_pool_never_fails_the_purchase_and_fails_the_charge_after_the_money(
    static_addon, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    account = subscriber(static_addon)
    settings.ABONENT_STATIC_IP_POOL = "100.64.10.0/33"
    subscription = connect(account, static_addon, django_capture_on_commit_callbacks)
    assert subscription.ends_on is None and ip_of(account) is None
    assert LedgerEntry.objects.filter(account=account, kind=EntryKind.ADDON_FEE).exists()
    with pytest.raises(CommandError, match="ABONENT_STATIC_IP_POOL: '100.64.10.0/33'"):
        charge(dt.date(2026, 12, 1))
    assert LedgerEntry.objects.filter(account=account, period_start=dt.date(2026, 12, 1)).exists()


# --- giving and freeing ----------------------------------------------------------------------


def test_connecting_the_add_on_gives_the_lowest_free_address_shown_in_the_cabinet(
    static_addon, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    account = subscriber(static_addon)
    connect(account, static_addon, django_capture_on_commit_callbacks)
    assert ip_of(account) == "100.64.10.1"
    entry = AuditEntry.objects.get(action=ACTION_ASSIGN)
    assert entry.actor is None and entry.actor_repr == "system"
    assert entry.after == {"ip": "100.64.10.1"}
    assert Message.objects.filter(subject__contains="100.64.10.1").exists()
    client = cabinet(account)
    page = client.get("/cabinet/connection/").content.decode()
    assert 'data-testid="static-ip"' in page and "100.64.10.1" in page
    addons = client.get("/cabinet/addons/").content.decode()
    assert 'data-testid="static-ip"' in addons and "100.64.10.1" in addons


def test_two_accounts_get_different_addresses(
    static_addon, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    first, second = subscriber(static_addon), subscriber(static_addon)
    connect(first, static_addon, django_capture_on_commit_callbacks)
    connect(second, static_addon, django_capture_on_commit_callbacks)
    assert (ip_of(first), ip_of(second)) == ("100.64.10.1", "100.64.10.2")


def test_other_add_ons_give_nothing(static_addon, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    other = AddonFactory(kind=static_addon.kind)
    account = subscriber(static_addon)
    with django_capture_on_commit_callbacks() as callbacks:
        addon_connect(account_id=account.pk, addon_id=other.pk, today=NOV10)
    assert callbacks == [] and ip_of(account) is None
    assert static_ip_status_for(account_id=account.pk).state == "none"
    assert (
        'data-testid="static-ip"' not in cabinet(account).get("/cabinet/addons/").content.decode()
    )


def test_switched_off_the_address_stays_until_ends_on_and_the_next_days_charge_frees_it(
    static_addon, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    account = subscriber(static_addon)
    subscription = connect(account, static_addon, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        addon_disconnect(
            account_id=account.pk, subscription_id=subscription.pk, today=dt.date(2026, 11, 12)
        )
    subscription.refresh_from_db()
    assert subscription.ends_on == dt.date(2026, 11, 30)  # paid until
    assert ip_of(account) == "100.64.10.1"
    assert "freed 0" in charge(dt.date(2026, 11, 30))
    assert ip_of(account) == "100.64.10.1"
    assert "freed 1" in charge(dt.date(2026, 12, 1))
    assert ip_of(account) is None
    freed = AuditEntry.objects.get(action=ACTION_FREE)
    assert freed.actor is None and freed.before == {"ip": "100.64.10.1"}
    assert (
        Message.objects.filter(subject__contains="released").exists()
        or Message.objects.filter(subject__contains="освобожд").exists()
    )


def test_a_blocked_account_switching_off_loses_the_address_at_once(
    static_addon, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    account = subscriber(static_addon)
    subscription = connect(account, static_addon, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):  # December is not paid: ends Nov 30
        addon_disconnect(
            account_id=account.pk, subscription_id=subscription.pk, today=dt.date(2026, 12, 3)
        )
    assert ip_of(account) is None


def test_staff_addresses_outside_the_pool_are_never_touched(
    static_addon, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    without_addon = subscriber(static_addon, static_ip="203.0.113.7")
    with_addon = subscriber(static_addon, static_ip="203.0.113.8")
    connect(with_addon, static_addon, django_capture_on_commit_callbacks)
    charge(dt.date(2026, 12, 1))
    static_ip_sync(day=dt.date(2027, 1, 5))
    assert ip_of(without_addon) == "203.0.113.7"
    assert ip_of(with_addon) == "203.0.113.8"  # staff's address counts: no pool address added
    assert not AuditEntry.objects.filter(action__startswith="network.static_ip").exists()
    assert "203.0.113.8" in cabinet(with_addon).get("/cabinet/connection/").content.decode()


def test_a_pool_address_without_the_add_on_is_freed(static_addon) -> None:  # type: ignore[no-untyped-def]
    account = subscriber(static_addon)
    credential_update(account_id=account.pk, actor=None, static_ip="100.64.10.3")
    result = static_ip_sync(day=NOV10)
    assert result.freed == [(account.pk, "100.64.10.3")] and ip_of(account) is None


def test_an_exhausted_pool_leaves_no_address_and_takes_the_money_all_the_same(
    static_addon, settings, django_capture_on_commit_callbacks, caplog
) -> None:  # type: ignore[no-untyped-def]
    settings.ABONENT_STATIC_IP_POOL = "100.64.10.1"
    first, second = subscriber(static_addon), subscriber(static_addon)
    connect(first, static_addon, django_capture_on_commit_callbacks)
    subscription = connect(second, static_addon, django_capture_on_commit_callbacks)
    assert ip_of(first) == "100.64.10.1" and ip_of(second) is None
    assert subscription.ends_on is None
    assert LedgerEntry.objects.filter(account=second, kind=EntryKind.ADDON_FEE).count() == 1
    assert "exhausted" in caplog.text
    assert static_ip_sync(day=NOV10).exhausted == [second.pk]  # again: one audit row still
    assert AuditEntry.objects.filter(action=ACTION_EXHAUSTED).count() == 1
    assert static_ip_status_for(account_id=second.pk).state == "exhausted"
    for url in ("/cabinet/connection/", "/cabinet/addons/"):
        assert 'data-testid="static-ip"' in cabinet(second).get(url).content.decode()
    # the first one leaves: the day after its ends_on, the address goes to the second
    with django_capture_on_commit_callbacks(execute=True):
        addon_disconnect(
            account_id=first.pk,
            subscription_id=AccountAddon.objects.get(account=first).pk,
            today=dt.date(2026, 11, 20),
        )
    charge(dt.date(2026, 12, 1))
    assert (ip_of(first), ip_of(second)) == (None, "100.64.10.1")


def test_a_login_made_later_is_given_its_address_by_the_charge_run(
    static_addon, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    account = subscriber(static_addon)
    NetworkCredential.objects.filter(account=account).delete()
    connect(account, static_addon, django_capture_on_commit_callbacks)
    assert static_ip_status_for(account_id=account.pk, day=NOV10).state == "pending"
    credential_create(account=account)
    assert static_ip_status_for(account_id=account.pk, day=NOV10).state == "pending"
    charge(dt.date(2026, 11, 11))
    assert ip_of(account) == "100.64.10.1"


# --- catalogue, staff and demo ---------------------------------------------------------------


def test_the_migration_marks_the_static_ip_add_on() -> None:
    kind = TariffFactory().kind
    AddonFactory(kind=kind, slug="static-ip")
    AddonFactory(kind=kind, slug="antivirus")
    migration = importlib.import_module("abonent.catalogue.migrations.0002_addon_grants_static_ip")
    migration.static_ip_addon_grants(django_apps, None)
    assert dict(Addon.objects.values_list("slug", "grants_static_ip")) == {
        "static-ip": True,
        "antivirus": False,
    }


def test_staff_set_the_flag_in_the_add_on_form() -> None:
    from abonent.staff.forms import AddonForm

    addon = AddonFactory()
    form = AddonForm(instance=addon)
    assert "grants_static_ip" in form.fields
    from abonent.catalogue.services import addon_save

    addon_save(addon=addon, data={"grants_static_ip": True}, actor=None)
    addon.refresh_from_db()
    assert addon.grants_static_ip


@override_settings(ABONENT_STATIC_IP_POOL="100.64.10.0/24")
def test_the_demo_subscriber_with_the_add_on_gets_an_address() -> None:
    from abonent.demo.services import demo_fill

    demo_fill(password="x")
    holders = AccountAddon.objects.filter(addon__slug="static-ip", ends_on__isnull=True)
    assert holders.count() == 1
    assert Addon.objects.get(slug="static-ip").grants_static_ip
    assert ip_of(holders.get().account) == "100.64.10.1"


# --- PostgreSQL: two at once -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers need PostgreSQL")
def test_two_accounts_connecting_at_once_get_different_addresses(static_addon) -> None:  # type: ignore[no-untyped-def]
    accounts = [subscriber(static_addon) for _ in range(6)]
    barrier = threading.Barrier(len(accounts))
    errors: list[BaseException] = []

    def run(account: Account) -> None:
        try:
            barrier.wait()
            addon_connect(account_id=account.pk, addon_id=static_addon.pk, today=NOV10)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(a,)) for a in accounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    ips = [ip_of(a) for a in accounts]
    assert sorted(ips) == [f"100.64.10.{n}" for n in range(1, 7)]
    assert AuditEntry.objects.filter(action=ACTION_ASSIGN).count() == 6


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers need PostgreSQL")
def test_two_syncs_at_once_give_each_account_one_address(static_addon) -> None:  # type: ignore[no-untyped-def]
    accounts = [subscriber(static_addon) for _ in range(4)]
    for account in accounts:
        AccountAddon.objects.create(account=account, addon=static_addon, started_on=NOV10)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            static_ip_sync(day=NOV10)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(ip_of(a) for a in accounts) == [f"100.64.10.{n}" for n in range(1, 5)]
    assert AuditEntry.objects.filter(action=ACTION_ASSIGN).count() == 4
