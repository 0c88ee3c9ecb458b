"""The audit log page, and CSRF on every back-office form."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from abonent.catalogue.services import tariff_save
from abonent.catalogue.tests.factories import TariffFactory
from abonent.core.models import AuditEntry
from abonent.leads.services import lead_add_note
from abonent.leads.tests.factories import LeadFactory
from abonent.messaging.models import Message
from abonent.staff.tests.factories import STAFF_PASSWORD


@pytest.fixture
def adm(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.django_db
def test_audit_log_shows_who_what_and_before_after_newest_first(adm, admin_user, manager):
    tariff = TariffFactory(name="Старт", fee_kop=50_000)
    tariff_save(tariff=tariff, data={"fee_kop": 60_000}, actor=admin_user)
    lead = LeadFactory()
    lead_add_note(lead_id=lead.pk, actor=manager, text="Перезвонить")
    response = adm.get(reverse("staff:audit"))
    rows = response.context["rows"]
    assert [r["entry"].action for r in rows] == ["lead.note", "tariff.update"]
    assert rows[1]["changes"] == [("fee_kop", 50_000, 60_000)]
    html = response.content.decode()
    assert "admin" in html and "manager" in html
    assert "500,00\u00a0₽" in html and "600,00\u00a0₽" in html  # kopecks shown as money
    assert f'href="{reverse("staff:lead", args=[lead.pk])}"' in html


@pytest.mark.django_db
def test_audit_log_shows_times_in_moscow(adm, manager):
    import datetime as dt

    from abonent.leads.services import lead_transition

    lead = LeadFactory(address="ул. Мира, 7")
    lead_transition(
        lead_id=lead.pk,
        actor=manager,
        to_status="scheduled",
        scheduled_at=dt.datetime(2026, 12, 1, 7, 30, tzinfo=dt.UTC),
    )
    html = adm.get(reverse("staff:audit")).content.decode()
    assert "01.12.2026 10:30" in html


@pytest.mark.django_db
def test_audit_log_filters_by_action_and_object_type(adm, admin_user, manager):
    tariff = TariffFactory()
    tariff_save(tariff=tariff, data={"name": "Новое имя"}, actor=admin_user)
    lead = LeadFactory()
    lead_add_note(lead_id=lead.pk, actor=manager, text="Раз")
    lead_add_note(lead_id=lead.pk, actor=manager, text="Два")
    by_action = adm.get(reverse("staff:audit"), {"action": "lead.note"}).context["rows"]
    assert [r["entry"].after["note"] for r in by_action] == ["Два", "Раз"]
    by_type = adm.get(reverse("staff:audit"), {"type": "catalogue.tariff"}).context["rows"]
    assert [r["entry"].action for r in by_type] == ["tariff.update"]
    # An unknown filter value shows everything rather than failing.
    assert len(adm.get(reverse("staff:audit"), {"action": "x"}).context["rows"]) == 3


@pytest.mark.django_db
def test_audit_log_is_paginated(adm, admin_user):
    tariff = TariffFactory()
    for n in range(55):
        tariff_save(tariff=tariff, data={"position": n}, actor=admin_user)
    first = adm.get(reverse("staff:audit"))
    assert len(first.context["rows"]) == 50
    second = adm.get(reverse("staff:audit"), {"page": 2})
    assert len(second.context["rows"]) == 5
    assert AuditEntry.objects.count() == 55


@pytest.mark.django_db
def test_login_needs_csrf(manager):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("staff:login"), {"username": "manager", "password": STAFF_PASSWORD}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_with_the_csrf_token_works(manager):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("staff:login"))
    token = page.context["csrf_token"]
    response = client.post(
        reverse("staff:login"),
        {"username": "manager", "password": STAFF_PASSWORD, "csrfmiddlewaretoken": str(token)},
    )
    assert response.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "key", "data"),
    [
        ("staff:logout", None, {}),
        ("staff:lead_transition", "lead", {"to_status": "contacted"}),
        ("staff:lead_note", "lead", {"text": "x"}),
        ("staff:tariff_new", None, {"name": "x"}),
        ("staff:tariff_remove", "tariff", {}),
        ("staff:addon_new", None, {"name": "x"}),
        ("staff:kind_new", None, {"name": "x"}),
        ("staff:account_new", None, {"holder_name": "x"}),
        ("staff:account_password", "account", {}),
        ("staff:account_correction", "account", {"operation": "credit", "confirm": "1"}),
        ("staff:tariff_change_decide", "change", {"decision": "approve"}),
        (
            "staff:mail_new",
            None,
            {"audience": "everyone", "category": "news", "subject": "x", "body": "y"},
        ),
        (
            "staff:mail_new",
            None,
            {"audience": "everyone", "subject": "x", "body": "y", "confirm": "1"},
        ),
    ],
)
def test_every_form_needs_csrf(admin_user, name, key, data):
    from abonent.accounts.tests.factories import AccountFactory

    tariff = TariffFactory()
    lead = LeadFactory(tariff=tariff)
    account = AccountFactory(tariff=tariff)
    kwargs = {
        "lead": {"lead_id": lead.pk},
        "tariff": {"tariff_id": tariff.pk},
        "account": {"account_id": account.pk},
        "change": {"change_id": 1},
    }.get(key)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(reverse(name, kwargs=kwargs), data)
    assert response.status_code == 403
    assert not AuditEntry.objects.exists()
    assert not Message.objects.exists()
    assert "_auth_user_id" in client.session  # not signed out either


@pytest.mark.django_db
def test_pages_carry_the_csrf_field_in_their_forms(adm):
    lead = LeadFactory()
    html = adm.get(reverse("staff:lead", args=[lead.pk])).content.decode()
    assert html.count("csrfmiddlewaretoken") >= 3  # status, note, sign-out
