"""Contracts and paper passwords: a new contract (from scratch and from a request), the printed
sheet that is the only place the password ever appears, and the password reset."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from abonent.accounts.models import Account, AccountStatus
from abonent.accounts.passwords import PAPER_ALPHABET, PAPER_LENGTH
from abonent.accounts.services import account_authenticate, token_authenticate, token_issue
from abonent.accounts.tests.factories import ACCOUNT_PASSWORD, AccountFactory
from abonent.catalogue.tests.factories import ServiceKindFactory, TariffFactory
from abonent.core.errors import Unauthorized
from abonent.core.models import AuditEntry
from abonent.leads.models import LeadStatus
from abonent.leads.tests.factories import LeadFactory
from abonent.staff.tests.factories import make_staff

NEW = "/staff/accounts/new/"
PASSWORD_RE = re.compile(r'data-testid="sheet-password">([^<]*)<')
CONTRACT_RE = re.compile(r'data-testid="sheet-contract">([^<]*)<')


def sheet_password(html: str) -> str:
    match = PASSWORD_RE.search(html)
    assert match, "no password on the page"
    return match.group(1).strip()


def sheet_contract(html: str) -> str:
    match = CONTRACT_RE.search(html)
    assert match, "no contract on the page"
    return match.group(1).strip()


def once_token(client: Client, url: str) -> str:
    html = client.get(url).content.decode()
    match = re.search(r'name="once" value="([^"]+)"', html)
    assert match, "no one-time token in the form"
    return match.group(1)


def contract_data(tariff_obj, **overrides) -> dict:
    data = {
        "holder_name": "Белова Анна Сергеевна",
        "phone": "8 (916) 123-45-67",
        "email": "anna@example.ru",
        "address": "г. Сергиев Посад, ул. Мира, д. 7, кв. 3",
        "building_type": "apartment",
        "tariff": str(tariff_obj.pk),
        "service_start": "2026-09-01",
    }
    data.update(overrides)
    return data


def post_new(client: Client, data: dict, *, url: str = NEW):
    return client.post(NEW, {**data, "once": once_token(client, url)})


@pytest.fixture
def mgr(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def sup(client, support_user):
    client.force_login(support_user)
    return client


# --- The form -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_contract_form_offers_active_tariffs_grouped_by_service_and_today(mgr):
    internet = ServiceKindFactory(slug="internet", name="Интернет")
    tv = ServiceKindFactory(slug="tv", name="Телевидение", category="tv")
    fast = TariffFactory(kind=internet, name="Быстрый")
    TariffFactory(kind=tv, name="Базовый ТВ", download_kbps=None, building_type="any")
    old = TariffFactory(kind=internet, name="Старый", is_archived=True)
    hidden = TariffFactory(kind=internet, name="Служебный", is_public=False)
    response = mgr.get(NEW)
    assert response.status_code == 200
    groups = dict(response.context["form"].fields["tariff"].choices[1:])
    assert set(groups) == {"Интернет", "Телевидение"}
    internet_ids = [pk for pk, _label in groups["Интернет"]]
    assert fast.pk in internet_ids and hidden.pk in internet_ids and old.pk not in internet_ids
    html = response.content.decode()
    assert '<optgroup label="Телевидение">' in html
    assert "Быстрый · 500,00\u00a0₽" in html
    assert f'value="{timezone.localdate().isoformat()}"' in html
    assert 'data-testid="sheet-password"' not in html


@pytest.mark.django_db
def test_today_is_the_moscow_date(mgr):
    # 22:30 UTC on 31 August is already 1 September in Moscow.
    moment = dt.datetime(2026, 8, 31, 22, 30, tzinfo=dt.UTC)
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=moment):
        html = mgr.get(NEW).content.decode()
    assert 'value="2026-09-01"' in html


# --- A contract from scratch --------------------------------------------------------------------


@pytest.mark.django_db
def test_new_contract_shows_the_sheet_once_with_a_working_password(mgr, manager):
    tariff = TariffFactory(name="Оптимальный", fee_kop=59_000, download_kbps=200_000)
    response = post_new(mgr, contract_data(tariff))
    assert response.status_code == 200
    assert "staff/sheet.html" in [t.name for t in response.templates]
    assert "no-store" in response["Cache-Control"]

    account = Account.objects.get()
    html = response.content.decode()
    password = sheet_password(html)
    assert len(password) == PAPER_LENGTH and set(password) <= set(PAPER_ALPHABET)
    assert sheet_contract(html) == f"{account.contract[:4]} {account.contract[4:]}"
    # The password on the sheet works, and only its Argon2 hash is stored.
    assert (
        account_authenticate(contract=sheet_contract(html), password=password, ip=None) == account
    )
    assert account.password.startswith("argon2")
    assert password not in account.password
    assert password not in str(list(AuditEntry.objects.values_list("before", "after")))
    assert password not in str(dict(mgr.session))

    assert account.status == AccountStatus.NEW
    assert account.phone == "+79161234567"
    assert account.service_start == dt.date(2026, 9, 1)
    assert account.created_by == manager
    entry = AuditEntry.objects.get(action="account.create")
    assert entry.actor == manager and entry.object_id == str(account.pk)


@pytest.mark.django_db
@override_settings(ABONENT_CABINET_URL="https://my.spnet.example/cabinet/")
def test_the_sheet_carries_the_provider_the_holder_the_tariff_and_the_note(mgr, settings):
    tariff = TariffFactory(name="Оптимальный", fee_kop=59_000, download_kbps=200_000)
    html = post_new(mgr, contract_data(tariff)).content.decode()
    provider = settings.ABONENT_PROVIDER
    for value in ("name", "legal_name", "phone", "email", "address", "hours"):
        assert provider[value] in html, value
    assert "Белова Анна Сергеевна" in html
    assert "г. Сергиев Посад, ул. Мира, д. 7, кв. 3" in html
    assert "Оптимальный — 590,00\u00a0₽" in html
    assert "200 Мбит/с" in html
    assert "https://my.spnet.example/cabinet/" in html
    # The note, in Russian by default.
    assert "Сохраните этот лист" in html
    assert "нельзя восстановить" in html
    assert "При первом входе" in html
    # Print CSS, and the on-screen buttons hidden on paper.
    assert "@page { size: A4" in html
    assert "window.print()" in html
    assert 'class="sheet-toolbar no-print"' in html
    assert f'href="{reverse("staff:account", args=[Account.objects.get().pk])}"' in html


@pytest.mark.django_db
def test_the_sheet_follows_the_staff_language_only_outside_the_sheet(mgr):
    tariff = TariffFactory()
    mgr.cookies["abonent_lang"] = "en"
    html = post_new(mgr, contract_data(tariff)).content.decode()
    assert ">Print<" in html  # the staff member's toolbar in English
    assert "Сохраните этот лист" in html  # the subscriber's sheet in their language


@pytest.mark.django_db
def test_reloading_the_post_does_not_sign_a_second_contract(mgr):
    tariff = TariffFactory()
    data = {**contract_data(tariff), "once": once_token(mgr, NEW)}
    first = mgr.post(NEW, data)
    assert first.status_code == 200
    again = mgr.post(NEW, data)
    account = Account.objects.get()  # still one
    assert again.status_code == 302
    assert again["Location"] == reverse("staff:account", args=[account.pk])
    assert "sheet-password" not in again.content.decode()


@pytest.mark.django_db
def test_a_post_without_a_valid_token_keeps_the_input_and_issues_a_new_one(mgr):
    tariff = TariffFactory()
    response = mgr.post(NEW, {**contract_data(tariff), "once": "forged"})
    assert response.status_code == 422
    assert not Account.objects.exists()
    html = response.content.decode()
    assert 'value="Белова Анна Сергеевна"' in html
    token = re.search(r'name="once" value="([^"]+)"', html).group(1)
    assert token != "forged"
    assert mgr.post(NEW, {**contract_data(tariff), "once": token}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"holder_name": ""}, "holder_name"),
        ({"holder_name": "   "}, "holder_name"),  # the service's own check
        ({"phone": "12345"}, "phone"),
        ({"phone": "+1 202 555 0100"}, "phone"),
        ({"email": "anna@"}, "email"),
        ({"address": ""}, "address"),
        ({"building_type": "castle"}, "building_type"),
        ({"building_type": ""}, "building_type"),
        ({"tariff": ""}, "tariff"),
        ({"tariff": "999999"}, "tariff"),
        ({"service_start": "вчера"}, "service_start"),
        ({"service_start": ""}, "service_start"),
    ],
)
def test_bad_input_is_refused_on_its_field_with_the_input_kept(mgr, overrides, field):
    tariff = TariffFactory()
    response = post_new(mgr, contract_data(tariff, **overrides))
    assert response.status_code == 422
    form = response.context["form"]
    assert list(form.errors) == [field], form.errors
    assert not Account.objects.exists()
    assert not AuditEntry.objects.exists()
    html = response.content.decode()
    assert "sheet-password" not in html
    for name, value in contract_data(tariff, **overrides).items():
        if name not in (field, "tariff", "building_type") and value:
            assert f'value="{value}"' in html, name


@pytest.mark.django_db
def test_a_tariff_archived_meanwhile_is_refused_on_the_tariff_field(mgr):
    tariff = TariffFactory()
    token = once_token(mgr, NEW)
    tariff.is_archived = True
    tariff.save(update_fields=["is_archived"])
    response = mgr.post(NEW, {**contract_data(tariff), "once": token})
    assert response.status_code == 422
    assert "tariff" in response.context["form"].errors


# --- A contract from a request ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (LeadStatus.NEW, False),
        (LeadStatus.CONTACTED, False),
        (LeadStatus.SCHEDULED, True),
        (LeadStatus.CONNECTED, True),
        (LeadStatus.CANCELLED, False),
    ],
)
def test_make_a_contract_button_on_the_lead_page(mgr, status, shown):
    extra = {"scheduled_at": timezone.now()} if status == LeadStatus.SCHEDULED else {}
    lead = LeadFactory(status=status, **extra)
    html = mgr.get(reverse("staff:lead", args=[lead.pk])).content.decode()
    assert ('data-testid="make-contract"' in html) is shown
    if shown:
        assert f'href="{NEW}?lead={lead.pk}"' in html


@pytest.mark.django_db
def test_contract_from_a_scheduled_request(mgr, manager):
    tariff = TariffFactory(name="Дом 100", building_type="house")
    lead = LeadFactory(
        tariff=tariff,
        name="Котов Борис",
        phone="+79264445566",
        address="д. Березники",
        status=LeadStatus.SCHEDULED,
        scheduled_address="д. Березники, ул. Лесная, 12",
        scheduled_at=timezone.now(),
    )
    url = f"{NEW}?lead={lead.pk}"
    page = mgr.get(url)
    form = page.context["form"]
    assert form.initial["holder_name"] == "Котов Борис"
    assert form.initial["phone"] == "+79264445566"
    assert form.initial["address"] == "д. Березники, ул. Лесная, 12"
    assert form.initial["tariff"] == tariff.pk
    assert form.initial["building_type"] == "house"
    html = page.content.decode()
    assert f'name="lead_id" value="{lead.pk}"' in html
    assert 'value="Котов Борис"' in html

    data = {
        **contract_data(tariff),
        "holder_name": "Котов Борис Ильич",
        "phone": "+79264445566",
        "address": "д. Березники, ул. Лесная, 12",
        "building_type": "house",
        "lead_id": str(lead.pk),
    }
    response = mgr.post(NEW, {**data, "once": once_token(mgr, url)})
    assert response.status_code == 200
    account = Account.objects.get()
    assert account.lead == lead
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONNECTED
    password = sheet_password(response.content.decode())
    assert account_authenticate(contract=account.contract, password=password, ip=None) == account

    # The button is gone; the request points at its contract, and a second try leads there.
    lead_html = mgr.get(reverse("staff:lead", args=[lead.pk])).content.decode()
    assert 'data-testid="make-contract"' not in lead_html
    assert reverse("staff:account", args=[account.pk]) in lead_html
    again = mgr.get(url)
    assert again.status_code == 302
    assert again["Location"] == reverse("staff:account", args=[account.pk])


@pytest.mark.django_db
def test_contract_from_a_connected_request_keeps_it_connected(mgr):
    lead = LeadFactory(status=LeadStatus.CONNECTED, address="ул. Мира, 1")
    url = f"{NEW}?lead={lead.pk}"
    assert mgr.get(url).context["form"].initial["address"] == "ул. Мира, 1"
    data = {**contract_data(lead.tariff), "lead_id": str(lead.pk)}
    assert mgr.post(NEW, {**data, "once": once_token(mgr, url)}).status_code == 200
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONNECTED
    assert Account.objects.get().lead == lead


@pytest.mark.django_db
def test_a_request_not_yet_scheduled_cannot_become_a_contract(mgr):
    lead = LeadFactory(status=LeadStatus.CONTACTED)
    page = mgr.get(f"{NEW}?lead={lead.pk}")
    assert page.status_code == 200
    assert page.context["problem"]
    assert "alert-error" in page.content.decode()
    assert "lead_id" not in page.context["form"].initial
    # Forcing it by POST is refused by the service, the input kept.
    response = post_new(mgr, {**contract_data(lead.tariff), "lead_id": str(lead.pk)})
    assert response.status_code == 422
    assert response.context["form"].non_field_errors()
    assert 'value="Белова Анна Сергеевна"' in response.content.decode()
    assert not Account.objects.exists()


@pytest.mark.django_db
def test_a_request_with_a_contract_cannot_get_a_second_one(mgr):
    lead = LeadFactory(status=LeadStatus.CONNECTED)
    AccountFactory(lead=lead)
    response = post_new(mgr, {**contract_data(lead.tariff), "lead_id": str(lead.pk)})
    assert response.status_code == 422
    assert response.context["form"].non_field_errors()
    assert Account.objects.count() == 1


@pytest.mark.django_db
def test_unknown_request_is_404(mgr):
    assert mgr.get(f"{NEW}?lead=999999").status_code == 404
    assert mgr.get(f"{NEW}?lead=abc").status_code == 404


# --- Password reset -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_reset_asks_to_confirm_and_shows_no_password_on_get(sup):
    account = AccountFactory()
    url = reverse("staff:account_password", args=[account.pk])
    response = sup.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "sheet-password" not in html
    assert 'method="post"' in html
    with pytest.raises(Unauthorized):
        account_authenticate(contract=account.contract, password="x" * 10, ip=None)
    account.refresh_from_db()
    # Only looking at the confirmation changes nothing.
    assert account.auth_epoch == 0
    assert account_authenticate(contract=account.contract, password=ACCOUNT_PASSWORD, ip=None)


@pytest.mark.django_db
def test_reset_prints_a_new_password_and_ends_everything_old(sup, support_user):
    account = AccountFactory()
    # The subscriber is signed in to the cabinet and to an app.
    cabinet = Client()
    login = cabinet.post(
        "/cabinet/login/", {"contract": account.contract, "password": ACCOUNT_PASSWORD}
    )
    assert login.status_code == 302
    assert cabinet.get("/cabinet/").status_code == 200
    raw_token, _token = token_issue(account=account)

    url = reverse("staff:account_password", args=[account.pk])
    response = sup.post(url, {"once": once_token(sup, url)})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    password = sheet_password(html)
    assert sheet_contract(html) == f"{account.contract[:4]} {account.contract[4:]}"

    with pytest.raises(Unauthorized):
        account_authenticate(contract=account.contract, password=ACCOUNT_PASSWORD, ip=None)
    assert account_authenticate(contract=account.contract, password=password, ip=None) == account
    account.refresh_from_db()
    assert account.password.startswith("argon2") and password not in account.password
    assert account.must_change_password
    # The subscriber's sessions and tokens are over.
    follow = cabinet.get("/cabinet/")
    assert follow.status_code == 302 and follow["Location"].startswith("/cabinet/login/")
    assert token_authenticate(raw=raw_token) is None
    entry = AuditEntry.objects.get(action="account.password_reset")
    assert entry.actor == support_user and entry.object_id == str(account.pk)
    assert password not in str(entry.after)
    # A POST without a token from the confirmation page makes nothing.
    stale = sup.post(url, {"once": "stale"})
    assert stale.status_code == 422 and "sheet-password" not in stale.content.decode()
    assert AuditEntry.objects.filter(action="account.password_reset").count() == 1


@pytest.mark.django_db
def test_reloading_the_reset_post_does_not_print_another_password(sup):
    account = AccountFactory()
    url = reverse("staff:account_password", args=[account.pk])
    data = {"once": once_token(sup, url)}
    password = sheet_password(sup.post(url, data).content.decode())
    again = sup.post(url, data)
    assert again.status_code == 302
    assert again["Location"] == reverse("staff:account", args=[account.pk])
    assert account_authenticate(contract=account.contract, password=password, ip=None)
    assert AuditEntry.objects.filter(action="account.password_reset").count() == 1


@pytest.mark.django_db
def test_a_token_for_one_account_does_not_reset_another(sup):
    first, second = AccountFactory(), AccountFactory()
    token = once_token(sup, reverse("staff:account_password", args=[first.pk]))
    response = sup.post(reverse("staff:account_password", args=[second.pk]), {"once": token})
    assert response.status_code == 422
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_no_get_ever_shows_a_password(sup):
    account = AccountFactory()
    url = reverse("staff:account_password", args=[account.pk])
    password = sheet_password(sup.post(url, {"once": once_token(sup, url)}).content.decode())
    for page in (
        url,
        reverse("staff:account", args=[account.pk]),
        reverse("staff:accounts"),
        NEW,
        reverse("staff:home"),
        reverse("staff:audit"),
    ):
        html = sup.get(page).content.decode()
        assert password not in html, page
        assert "sheet-password" not in html, page


# --- Roles ----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "cashier"])
def test_managers_and_cashiers_cannot_reset_passwords(client, role):
    account = AccountFactory()
    client.force_login(make_staff(f"r-{role}", role))
    url = reverse("staff:account_password", args=[account.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"once": "x"}).status_code == 403
    account.refresh_from_db()
    assert account.auth_epoch == 0
    assert account_authenticate(contract=account.contract, password=ACCOUNT_PASSWORD, ip=None)
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["support", "cashier"])
def test_support_and_cashiers_cannot_sign_contracts(client, role):
    tariff = TariffFactory()
    client.force_login(make_staff(f"c-{role}", role))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {**contract_data(tariff), "once": "x"}).status_code == 403
    assert not Account.objects.exists()
    html = client.get(reverse("staff:accounts")).content.decode()
    assert f'href="{NEW}"' not in html


@pytest.mark.django_db
def test_support_cannot_edit_tariffs(sup):
    tariff = TariffFactory(name="Старт")
    assert sup.get(reverse("staff:tariff_edit", args=[tariff.pk])).status_code == 403
    response = sup.post(reverse("staff:tariff_edit", args=[tariff.pk]), {"name": "Взлом"})
    assert response.status_code == 403
    tariff.refresh_from_db()
    assert tariff.name == "Старт"


@pytest.mark.django_db
def test_admins_do_both(client, admin_user):
    tariff = TariffFactory()
    client.force_login(admin_user)
    created = post_new(client, contract_data(tariff))
    assert created.status_code == 200
    account = Account.objects.get()
    url = reverse("staff:account_password", args=[account.pk])
    reset = client.post(url, {"once": once_token(client, url)})
    assert reset.status_code == 200
    first, second = (sheet_password(r.content.decode()) for r in (created, reset))
    assert first != second
    assert account_authenticate(contract=account.contract, password=second, ip=None)


# --- CSRF -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_contract_needs_csrf(manager):
    tariff = TariffFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    page = client.get(NEW)
    token = re.search(r'name="once" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(NEW, {**contract_data(tariff), "once": token})
    assert response.status_code == 403
    assert not Account.objects.exists()
    ok = client.post(
        NEW,
        {
            **contract_data(tariff),
            "once": token,
            "csrfmiddlewaretoken": str(page.context["csrf_token"]),
        },
    )
    assert ok.status_code == 200 and Account.objects.count() == 1


@pytest.mark.django_db
def test_password_reset_needs_csrf(support_user):
    account = AccountFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(support_user)
    url = reverse("staff:account_password", args=[account.pk])
    page = client.get(url)
    token = re.search(r'name="once" value="([^"]+)"', page.content.decode()).group(1)
    assert client.post(url, {"once": token}).status_code == 403
    account.refresh_from_db()
    assert account.auth_epoch == 0
    assert not AuditEntry.objects.exists()
