"""``abonent demo``: the demo provider, idempotent, safe."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.test import Client, override_settings
from django.utils import timezone

from abonent.accounts.models import Account, AccountStatus, ApiToken
from abonent.accounts.services import account_change_password
from abonent.billing.models import ChargeRun, EntryKind, LedgerEntry
from abonent.billing.periods import billing_today, month_end
from abonent.billing.services.audit import ledger_audit
from abonent.catalogue.models import Addon, BuildingType, ServiceCategory, ServiceKind, Tariff
from abonent.catalogue.selectors import tariff_public_list
from abonent.core.access import user_roles
from abonent.core.models import AuditEntry
from abonent.demo.catalogue_data import ADDONS, TARIFFS
from abonent.demo.people_data import DEFAULT_PASSWORD, LEADS, STAFF, SUBSCRIBERS
from abonent.demo.services import demo_fill
from abonent.leads.models import Lead, LeadNote, LeadStatus
from abonent.leads.services import lead_transition

pytestmark = pytest.mark.django_db


def _demo(*args: str, **options) -> str:
    out = StringIO()
    options.setdefault("force", True)
    call_command("demo", *args, stdout=out, **options)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "kinds": ServiceKind.objects.count(),
        "tariffs": Tariff.objects.count(),
        "addons": Addon.objects.count(),
        "users": get_user_model().objects.count(),
        "leads": Lead.objects.count(),
        "notes": LeadNote.objects.count(),
        "audit": AuditEntry.objects.count(),
        "accounts": Account.objects.count(),
        "ledger": LedgerEntry.objects.count(),
    }


def _catalogue_state() -> list[tuple]:
    return list(Tariff.objects.order_by("slug").values_list()) + list(
        Addon.objects.order_by("slug").values_list()
    )


def test_running_twice_gives_the_same_data() -> None:
    _demo(password="x")
    first = _counts()
    first_catalogue = _catalogue_state()
    _demo(password="x")
    assert _counts() == first
    assert _strip_times(_catalogue_state()) == _strip_times(first_catalogue)
    assert first["tariffs"] == len(TARIFFS)
    assert first["addons"] == len(ADDONS)
    assert first["leads"] == len(LEADS)


def _strip_times(rows: list[tuple]) -> list[tuple]:
    """Rows without their timestamps (``updated_at`` moves on every upsert)."""
    return [tuple(v for v in row if not isinstance(v, dt.datetime)) for row in rows]


def test_rerun_restores_edited_demo_rows() -> None:
    _demo(password="x")
    tariff = Tariff.objects.get(slug=TARIFFS[0]["slug"])
    fee = tariff.fee_kop
    Tariff.objects.filter(pk=tariff.pk).update(fee_kop=1, is_archived=True)
    _demo(password="x")
    tariff.refresh_from_db()
    assert (tariff.fee_kop, tariff.is_archived) == (fee, False)


def test_catalogue_covers_the_providers_services() -> None:
    _demo(password="x")
    assert set(ServiceKind.objects.values_list("category", flat=True)) == set(
        ServiceCategory.values
    )
    internet = Tariff.objects.filter(kind__category=ServiceCategory.INTERNET)
    flats = internet.filter(building_type=BuildingType.APARTMENT)
    assert 3 <= flats.filter(fee_period="month").count() <= 4
    assert flats.filter(fee_period="day").count() == 1
    assert 2 <= internet.filter(building_type=BuildingType.HOUSE).count() <= 3
    for tariff in internet:
        assert tariff.download_kbps and tariff.upload_kbps
    tv = Tariff.objects.filter(kind__category=ServiceCategory.TV)
    assert tv.values("kind").distinct().count() == 2
    assert all(t.channels for t in tv)
    assert Tariff.objects.filter(is_featured=True).exists()
    assert Tariff.objects.filter(needs_approval=True).count() >= 1
    for tariff in Tariff.objects.all():
        assert tariff.name and tariff.name_en and tariff.description and tariff.description_en
        assert isinstance(tariff.fee_kop, int) and tariff.fee_kop > 0
    assert set(Addon.objects.values_list("period", flat=True)) == {"month", "day", "once"}
    # everything the demo made is on sale
    assert tariff_public_list().count() == Tariff.objects.count()


def test_staff_have_their_roles_and_password() -> None:
    _demo(password="s3cret-pass")
    users = {u.username: u for u in get_user_model().objects.all()}
    for spec in STAFF:
        user = users[spec["username"]]
        assert user.is_staff and user.is_active
        assert user.check_password("s3cret-pass")
        assert set(user.groups.values_list("name", flat=True)) == set(spec["roles"])
        assert set(spec["roles"]) <= user_roles(user)
    assert users["admin"].is_superuser
    assert not users["manager"].is_superuser
    assert user_roles(users["manager"]) == {"manager"}


def test_staff_can_log_in(client) -> None:
    _demo(password="s3cret-pass")
    assert client.login(username="manager", password="s3cret-pass")
    assert not client.login(username="manager", password=DEFAULT_PASSWORD)


def test_password_kept_without_the_option_and_changed_with_it() -> None:
    first = _demo()
    assert DEFAULT_PASSWORD in first
    manager = get_user_model().objects.get(username="manager")
    assert manager.check_password(DEFAULT_PASSWORD)
    manager.set_password("changed-by-hand")
    manager.save()
    second = _demo()
    assert DEFAULT_PASSWORD not in second
    manager.refresh_from_db()
    assert manager.check_password("changed-by-hand")
    _demo(password="new-one")
    manager.refresh_from_db()
    assert manager.check_password("new-one")


def test_human_output_lists_the_logins() -> None:
    out = _demo(password="pw-123")
    assert "http://127.0.0.1:8000/staff/" in out
    for spec in STAFF:
        assert spec["username"] in out
    assert "pw-123" in out


def test_json_output() -> None:
    out = _demo(json=True, password="pw-not-in-json")
    data = json.loads(out)
    assert set(data) == {"staff", "subscribers", "tariffs", "addons"}
    assert data["tariffs"] == Tariff.objects.count()
    assert data["addons"] == Addon.objects.count()
    assert [s["username"] for s in data["staff"]] == [s["username"] for s in STAFF]
    for item, spec in zip(data["staff"], STAFF, strict=True):
        assert item["roles"] == spec["roles"]
    assert "pw-not-in-json" not in out


def test_leads_in_every_status() -> None:
    _demo(password="x")
    statuses = set(Lead.objects.values_list("status", flat=True))
    assert statuses == set(LeadStatus.values)
    scheduled = Lead.objects.get(status=LeadStatus.SCHEDULED)
    assert scheduled.scheduled_address and scheduled.scheduled_at
    manager = get_user_model().objects.get(username="manager")
    for lead in Lead.objects.exclude(status=LeadStatus.NEW):
        assert lead.assigned_to == manager
        assert lead.notes.exists()
    for lead in Lead.objects.all():
        assert lead.phone.startswith("+7") and len(lead.phone) == 12


def test_existing_leads_are_left_alone() -> None:
    _demo(password="x")
    lead = Lead.objects.get(status=LeadStatus.NEW, name=LEADS[0]["name"])
    lead_transition(lead_id=lead.pk, actor=None, to_status=LeadStatus.CONTACTED)
    _demo(password="x")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONTACTED
    assert Lead.objects.count() == len(LEADS)


@override_settings(DEMO=False)
def test_refused_outside_the_demo() -> None:
    with pytest.raises(CommandError, match="ABONENT_DEMO"):
        _demo(force=False)
    assert not Tariff.objects.exists()
    assert not get_user_model().objects.exists()


@override_settings(DEMO=True)
def test_runs_in_the_demo_without_force() -> None:
    _demo(force=False, password="x")
    assert Tariff.objects.count() == len(TARIFFS)


def test_empty_password_refused() -> None:
    with pytest.raises(CommandError):
        _demo(password=" ")
    assert not Tariff.objects.exists()


def test_cli_refusal_is_one_line_and_exit_1(tmp_path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"ABONENT_DEMO", "DATABASE_URL", "ABONENT_TESTING"}
    }
    env.update({"SECRET_KEY": "test-only", "ABONENT_VAR_DIR": str(tmp_path)})
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "abonent", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "ABONENT_DEMO" in lines[0]
    assert not (tmp_path / "abonent.sqlite3").exists()


# --- subscribers -----------------------------------------------------------------------------


def _accounts() -> list[tuple]:
    return list(
        Account.objects.order_by("legacy_contract").values_list(
            "legacy_contract", "contract", "status", "tariff__slug", "balance_kop", "password"
        )
    )


def _demo_accounts() -> dict[str, Account]:
    keys = [spec["key"] for spec in SUBSCRIBERS]
    return {
        a.legacy_contract: a
        for a in Account.objects.select_related("tariff").filter(legacy_contract__in=keys)
    }


def _token(contract: str, password: str):
    return Client().post(
        "/api/v1/auth/token",
        {"contract": contract, "password": password},
        content_type="application/json",
    )


def test_subscribers_in_every_status() -> None:
    _demo(password="x")
    accounts = _demo_accounts()
    assert len(accounts) == len(SUBSCRIBERS)
    assert {a.status for a in accounts.values()} == {
        AccountStatus.NEW,
        AccountStatus.ACTIVE,
        AccountStatus.BLOCKED,
        AccountStatus.SUSPENDED,
    }
    active = [a for a in accounts.values() if a.status == AccountStatus.ACTIVE]
    assert {a.tariff.fee_period for a in active} == {"month", "day"}
    assert any(a.tariff.kind.category == ServiceCategory.INTERNET for a in active)
    assert any(a.building_type == BuildingType.HOUSE for a in active)
    assert any(a.email for a in accounts.values())
    new = [a for a in accounts.values() if a.status == AccountStatus.NEW]
    assert {a.balance_kop for a in new} == {0, 20_000}
    for spec in SUBSCRIBERS:
        account = accounts[spec["key"]]
        assert account.status == spec["expect"]
        assert account.tariff.slug == spec["tariff"]
        assert account.phone.startswith("+7") and len(account.phone) == 12
        assert "Сергиев" in account.address
        assert not account.must_change_password
        assert account.created_by.username == "manager"


def test_money_matches_the_status() -> None:
    _demo(password="x")
    deposit = settings.ABONENT_CONNECTION_DEPOSIT_KOP
    for account in _demo_accounts().values():
        fee = account.tariff.fee_kop
        if account.status == AccountStatus.NEW:
            assert 0 <= account.balance_kop < deposit
            assert not account.ledger.filter(kind=EntryKind.FEE).exists()
        elif account.status == AccountStatus.BLOCKED:
            assert 0 <= account.balance_kop < fee
        elif account.status == AccountStatus.ACTIVE:
            assert account.balance_kop >= 0
            assert account.ledger.filter(kind=EntryKind.PAYMENT).count() >= 2
            assert account.ledger.filter(kind=EntryKind.FEE).count() >= 3
        for entry in account.ledger.all():
            assert entry.kind in (EntryKind.PAYMENT, EntryKind.FEE, EntryKind.ADDON_FEE)
            if entry.kind == EntryKind.PAYMENT:
                assert entry.amount_kop > 0 and entry.reason and entry.key
            else:
                assert entry.amount_kop < 0


def test_fees_are_the_charge_runs() -> None:
    """Every fee carries the charge run's key (item, period), so `abonent charge` knows it."""
    _demo(password="x")
    for account in _demo_accounts().values():
        fees = list(account.ledger.filter(kind=EntryKind.FEE).order_by("id"))
        for number, fee in enumerate(fees):
            assert fee.item == "tariff" and fee.key is None
            assert fee.period_start and fee.period_end
            if account.tariff.fee_period == "day":
                assert fee.period_start == fee.period_end
            else:
                assert fee.period_end == month_end(fee.period_start)
                if number:  # after the first (prorated) month, on the 1st
                    assert fee.period_start.day == 1
        starts = [fee.period_start for fee in fees]
        assert len(set(starts)) == len(starts)


def test_statuses_come_from_the_engine() -> None:
    """The paused one has a pause; the blocked one was blocked by a charge it could not pay."""
    _demo(password="x")
    accounts = _demo_accounts()
    paused = next(a for a in accounts.values() if a.status == AccountStatus.SUSPENDED)
    pause = paused.pauses.get()
    assert pause.resumed_on is None and pause.starts_on <= billing_today() <= pause.ends_on
    blocked = next(a for a in accounts.values() if a.status == AccountStatus.BLOCKED)
    assert blocked.ledger.filter(kind=EntryKind.FEE).exists()
    assert ChargeRun.objects.filter(day=billing_today()).exists()


def test_history_in_time_order() -> None:
    """Entries are made in the order of their (backdated) times: nothing is moved afterwards."""
    _demo(password="x")
    for account in _demo_accounts().values():
        times = list(account.ledger.order_by("id").values_list("created_at", flat=True))
        assert times == sorted(times), account.legacy_contract


def test_audit_passes_and_charge_today_charges_nobody_twice() -> None:
    _demo(password="x")
    assert ledger_audit().ok, ledger_audit().problems
    entries = LedgerEntry.objects.count()
    balances = _accounts()
    out = StringIO()
    call_command("charge", stdout=out)
    assert "charged 0 accounts" in out.getvalue()
    assert LedgerEntry.objects.count() == entries
    assert _accounts() == balances
    # tomorrow: a daily account pays once, however often the run is repeated
    tomorrow = (billing_today() + dt.timedelta(days=1)).isoformat()
    call_command("charge", date=tomorrow, stdout=StringIO())
    after = LedgerEntry.objects.count()
    call_command("charge", date=tomorrow, stdout=StringIO())
    assert LedgerEntry.objects.count() == after
    daily = _demo_accounts()["DEMO-4"]
    assert daily.ledger.filter(period_start=tomorrow).count() == 1
    call_command("audit", stdout=StringIO())  # exits 1 on a problem
    assert ledger_audit().ok, ledger_audit().problems


def test_history_spans_months() -> None:
    _demo(password="x")
    for account in _demo_accounts().values():
        if account.tariff.fee_period == "month" and account.status == AccountStatus.ACTIVE:
            times = list(account.ledger.values_list("created_at", flat=True))
            assert max(times) - min(times) >= dt.timedelta(days=45)
            assert max(times) <= timezone.now()
            assert account.service_start <= timezone.localdate(min(times))


def test_balances_equal_ledger_sums() -> None:
    _demo(password="x")
    for account in Account.objects.all():
        total = account.ledger.aggregate(s=Sum("amount_kop"))["s"] or 0
        assert account.balance_kop == total, account.legacy_contract
        running = 0
        for entry in account.ledger.order_by("created_at", "id"):
            running += entry.amount_kop
            assert entry.balance_after_kop == running


def test_rerun_keeps_subscribers_and_posts_nothing() -> None:
    _demo(password="x")
    accounts = _accounts()
    ledger = LedgerEntry.objects.count()
    runs = ChargeRun.objects.count()
    assert ledger > 0 and runs > 0
    _demo(password="x")
    _demo()
    assert _accounts() == accounts
    assert LedgerEntry.objects.count() == ledger
    assert ChargeRun.objects.count() == runs


def test_a_missing_subscriber_is_made_again_without_charging_the_others_twice() -> None:
    _demo(password="x")
    before = {key: a.balance_kop for key, a in _demo_accounts().items()}
    Account.objects.filter(legacy_contract="DEMO-4").update(legacy_contract="gone")
    _demo(password="x")
    after = {key: a.balance_kop for key, a in _demo_accounts().items()}
    assert after == before
    assert ledger_audit().ok, ledger_audit().problems


def test_subscriber_logs_in_with_the_given_password() -> None:
    _demo(password="subscriber-pw")
    for account in _demo_accounts().values():
        response = _token(account.contract, "subscriber-pw")
        assert response.status_code == 200, response.content
        token = response.json()["token"]
        me = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()
        assert (me["contract"], me["status"]) == (account.contract, account.status)
        assert me["balance_kop"] == account.balance_kop
        assert me["must_change_password"] is False


def test_subscriber_logs_in_to_the_cabinet(client) -> None:
    _demo(password="subscriber-pw")
    account = _demo_accounts()["DEMO-3"]
    response = client.post(
        "/cabinet/login/", {"contract": account.contract, "password": "subscriber-pw"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"], follow=True)
    assert page.status_code == 200
    assert account.contract in page.content.decode()


def test_subscriber_passwords_kept_without_the_option() -> None:
    first = _demo()
    account = _demo_accounts()["DEMO-3"]
    assert _token(account.contract, DEFAULT_PASSWORD).status_code == 200
    account_change_password(
        account_id=account.pk,
        current_password=DEFAULT_PASSWORD,
        new_password="my-own-secret-77",
        new_password2="my-own-secret-77",
    )
    second = _demo()
    assert DEFAULT_PASSWORD in first and "unchanged" in second
    assert _token(account.contract, "my-own-secret-77").status_code == 200
    token = _token(account.contract, "my-own-secret-77").json()["token"]
    _demo(password="set-by-demo")
    assert _token(account.contract, "set-by-demo").status_code == 200
    assert _token(account.contract, "my-own-secret-77").status_code == 401
    # a new password ends the tokens issued with the old one
    assert not ApiToken.objects.filter(prefix=token[3:11], revoked_at__isnull=True).exists()


def test_the_connected_request_became_a_contract() -> None:
    _demo(password="x")
    spec = next(s for s in SUBSCRIBERS if s.get("from_lead"))
    account = _demo_accounts()[spec["key"]]
    assert account.lead is not None
    assert account.lead.status == LeadStatus.CONNECTED
    assert account.lead.phone == account.phone


def test_human_output_lists_the_subscribers() -> None:
    out = _demo(password="pw-456")
    assert "/cabinet/login/" in out
    for account in _demo_accounts().values():
        line = next(line for line in out.splitlines() if account.contract in line)
        assert account.status in line and account.tariff.slug in line and "pw-456" in line


def test_json_lists_the_subscribers() -> None:
    data = json.loads(_demo(json=True, password="pw-not-in-json"))
    by_key = _demo_accounts()
    assert [s["contract"] for s in data["subscribers"]] == [
        by_key[spec["key"]].contract for spec in SUBSCRIBERS
    ]
    for item, spec in zip(data["subscribers"], SUBSCRIBERS, strict=True):
        assert set(item) == {"contract", "status", "tariff"}
        assert (item["status"], item["tariff"]) == (spec["expect"], spec["tariff"])


@pytest.mark.parametrize(
    "now",
    [
        "2026-11-25 15:00",
        "2026-12-01 00:03",
        "2026-12-01 12:00",
        "2027-01-31 23:00",
        "2027-03-01 09:00",
        "2027-03-31 09:00",
        "2028-02-29 18:00",
    ],
)
def test_the_engine_leads_to_the_spec_status_on_any_date(now: str) -> None:
    moment = timezone.make_aware(dt.datetime.strptime(now, "%Y-%m-%d %H:%M"))  # noqa: DTZ007
    result = demo_fill(password="x", now=moment)
    accounts = _demo_accounts()
    for spec, login in zip(SUBSCRIBERS, result.subscribers, strict=True):
        assert login.status == spec["expect"], (now, spec["key"])
        assert accounts[spec["key"]].status == spec["expect"], (now, spec["key"])
    assert ledger_audit().ok, ledger_audit().problems
    for entry in LedgerEntry.objects.all():
        assert entry.balance_after_kop >= 0
        assert entry.created_at <= moment
    today = timezone.localdate(moment)
    assert ChargeRun.objects.order_by("-day").first().day == today
    # the day after, the charge run keeps the statuses but for daily fees running out
    entries = LedgerEntry.objects.count()
    call_command("charge", date=today.isoformat(), stdout=StringIO())
    assert LedgerEntry.objects.count() == entries
