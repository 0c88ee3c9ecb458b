"""The managers' queue and the lead page: filters, search, pages, transitions, notes, audit."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from abonent.catalogue.tests.factories import TariffFactory
from abonent.core.models import AuditEntry
from abonent.leads.models import Lead, LeadNote, LeadStatus
from abonent.leads.services import TRANSITIONS
from abonent.leads.tests.factories import LeadFactory

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
QUEUE = "/staff/leads/"


@pytest.fixture
def mgr_client(client, manager):
    client.force_login(manager)
    return client


def ids(response) -> list[int]:
    return [lead.pk for lead in response.context["page"].object_list]


# --- The queue ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_queue_newest_first_with_formatted_phone_and_tel_link(mgr_client):
    old = LeadFactory(phone="+79161234567", name="Старый")
    new = LeadFactory(name="Новый")
    Lead.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
    response = mgr_client.get(QUEUE)
    assert ids(response) == [new.pk, old.pk]
    html = response.content.decode()
    assert 'href="tel:+79161234567"' in html
    assert "+7 916 123-45-67" in html


@pytest.mark.django_db
def test_queue_shows_received_time_in_moscow(mgr_client):
    lead = LeadFactory()
    Lead.objects.filter(pk=lead.pk).update(created_at=dt.datetime(2026, 3, 1, 9, 5, tzinfo=dt.UTC))
    html = mgr_client.get(QUEUE).content.decode()
    assert "01.03.2026 12:05" in html


@pytest.mark.django_db
def test_status_tabs_count_and_filter(mgr_client):
    LeadFactory.create_batch(3)
    contacted = LeadFactory(status=LeadStatus.CONTACTED)
    response = mgr_client.get(QUEUE, {"status": "contacted"})
    assert ids(response) == [contacted.pk]
    tabs = {tab["status"]: tab["count"] for tab in response.context["tabs"]}
    assert tabs["new"] == 3
    assert tabs["contacted"] == 1
    assert tabs[""] == 4
    assert [t["active"] for t in response.context["tabs"]].count(True) == 1


@pytest.mark.django_db
def test_filter_by_tariff_and_search_by_phone_or_name(mgr_client):
    t1, t2 = TariffFactory(), TariffFactory()
    a = LeadFactory(tariff=t1, name="Анна Белова", phone="+79031112233")
    b = LeadFactory(tariff=t2, name="Борис Котов", phone="+79264445566")
    assert ids(mgr_client.get(QUEUE, {"tariff": t2.pk})) == [b.pk]
    assert ids(mgr_client.get(QUEUE, {"q": "белова"})) == [a.pk]
    assert ids(mgr_client.get(QUEUE, {"q": "8 (926) 444-55-66"})) == [b.pk]
    assert ids(mgr_client.get(QUEUE, {"q": "445"})) == [b.pk]
    assert ids(mgr_client.get(QUEUE, {"q": "Котов", "tariff": t1.pk})) == []


@pytest.mark.django_db
def test_status_tab_links_keep_the_other_filters(mgr_client):
    tariff = TariffFactory()
    response = mgr_client.get(QUEUE, {"tariff": tariff.pk, "q": "Анна"})
    new_tab = next(t for t in response.context["tabs"] if t["status"] == "new")
    assert "status=new" in new_tab["url"]
    assert f"tariff={tariff.pk}" in new_tab["url"]
    assert "q=" in new_tab["url"]


@pytest.mark.django_db
def test_pagination_fifty_a_page(mgr_client):
    tariff = TariffFactory()
    LeadFactory.create_batch(120, tariff=tariff)
    first = mgr_client.get(QUEUE)
    assert len(ids(first)) == 50
    assert first.context["page"].paginator.num_pages == 3
    third = mgr_client.get(QUEUE, {"page": 3})
    assert len(ids(third)) == 20
    assert set(ids(first)).isdisjoint(ids(third))
    html = first.content.decode()
    assert "?page=2" in html
    filtered = mgr_client.get(QUEUE, {"tariff": tariff.pk, "page": 2})
    assert f"tariff={tariff.pk}&amp;page=3" in filtered.content.decode()


@pytest.mark.django_db
def test_queue_query_count_does_not_grow_with_leads(
    mgr_client, manager, django_assert_max_num_queries
):
    tariffs = TariffFactory.create_batch(3)
    for n in range(60):
        LeadFactory(tariff=tariffs[n % 3], assigned_to=manager if n % 2 else None)
    # session, user, roles, status counts, tariff choices, page count, page rows
    with django_assert_max_num_queries(7):
        response = mgr_client.get(QUEUE, {"q": "Иван"})
    assert response.status_code == 200
    with django_assert_max_num_queries(7):
        mgr_client.get(QUEUE, {"status": "new", "tariff": tariffs[0].pk, "page": 2})


# --- The lead page ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_lead_page_shows_data_and_only_allowed_transitions(mgr_client):
    lead = LeadFactory(address="ул. Ленина, 1", comment="После шести")
    response = mgr_client.get(reverse("staff:lead", args=[lead.pk]))
    html = response.content.decode()
    assert "ул. Ленина, 1" in html and "После шести" in html
    buttons = [value for value, _ in response.context["transition_buttons"]]
    assert set(buttons) == TRANSITIONS[LeadStatus.NEW]
    assert 'value="connected"' not in html


@pytest.mark.django_db
def test_unknown_lead_is_404(mgr_client):
    assert mgr_client.get(reverse("staff:lead", args=[999999])).status_code == 404


def post_status(client, lead, to_status, **extra):
    data = {"to_status": to_status, "note": extra.pop("note", "")}
    data.update(extra)
    return client.post(reverse("staff:lead_transition", args=[lead.pk]), data)


@pytest.mark.django_db
def test_lead_moves_through_the_whole_path_with_notes_and_audit(mgr_client, manager):
    lead = LeadFactory(address="ул. Ленина, 1")
    assert post_status(mgr_client, lead, "contacted", note="Дозвонились").status_code == 302
    response = post_status(
        mgr_client,
        lead,
        "scheduled",
        note="Договорились",
        scheduled_address="ул. Ленина, 1, кв. 5",
        scheduled_at="2026-12-01T10:30",
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.SCHEDULED
    assert lead.scheduled_address == "ул. Ленина, 1, кв. 5"
    assert lead.scheduled_at == dt.datetime(2026, 12, 1, 10, 30, tzinfo=MSK)  # Moscow time
    assert lead.assigned_to == manager
    assert post_status(mgr_client, lead, "connected", note="Готово").status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONNECTED

    notes = list(LeadNote.objects.filter(lead=lead).values_list("status_from", "status_to", "text"))
    assert notes == [
        ("new", "contacted", "Дозвонились"),
        ("contacted", "scheduled", "Договорились"),
        ("scheduled", "connected", "Готово"),
    ]
    entries = list(AuditEntry.objects.filter(action="lead.status").order_by("id"))
    assert [(e.before["status"], e.after["status"]) for e in entries] == [
        ("new", "contacted"),
        ("contacted", "scheduled"),
        ("scheduled", "connected"),
    ]
    assert all(e.actor == manager for e in entries)
    page = mgr_client.get(reverse("staff:lead", args=[lead.pk]))
    html = page.content.decode()
    assert "Дозвонились" in html and "Готово" in html
    assert "01.12.2026 10:30" in html
    assert page.context["transition_buttons"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("to_status", ["cancelled", "contacted"])
def test_cancel_and_reopen(mgr_client, to_status):
    lead = LeadFactory(status=LeadStatus.CANCELLED if to_status == "contacted" else "new")
    assert post_status(mgr_client, lead, to_status).status_code == 302
    lead.refresh_from_db()
    assert lead.status == to_status


@pytest.mark.django_db
def test_disallowed_transition_is_refused(mgr_client):
    lead = LeadFactory(status=LeadStatus.NEW)
    response = post_status(mgr_client, lead, "connected", note="Сразу")
    assert response.status_code == 422
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    assert not LeadNote.objects.filter(lead=lead).exists()
    assert not AuditEntry.objects.filter(action="lead.status").exists()


@pytest.mark.django_db
def test_refusal_after_someone_else_moved_it_is_explained(mgr_client):
    # The page offered "cancel" while the request was new; meanwhile it got connected.
    lead = LeadFactory(status=LeadStatus.NEW)
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.CONNECTED)
    response = post_status(mgr_client, lead, "cancelled", note="Нет")
    assert response.status_code == 422
    assert response.context["transition_form"].errors["to_status"]
    assert "alert-error" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONNECTED


@pytest.mark.django_db
def test_scheduled_without_time_is_refused_with_the_input_kept(mgr_client):
    lead = LeadFactory(status=LeadStatus.CONTACTED)
    response = post_status(
        mgr_client, lead, "scheduled", note="Согласовали адрес", scheduled_address="ул. Мира, 7"
    )
    assert response.status_code == 422
    form = response.context["transition_form"]
    assert "scheduled_at" in form.errors
    html = response.content.decode()
    assert 'value="ул. Мира, 7"' in html
    assert "Согласовали адрес" in html
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONTACTED
    assert lead.scheduled_at is None


@pytest.mark.django_db
def test_scheduled_with_a_garbled_time_is_refused(mgr_client):
    lead = LeadFactory(status=LeadStatus.CONTACTED, address="ул. Мира, 7")
    response = post_status(mgr_client, lead, "scheduled", scheduled_at="завтра")
    assert response.status_code == 422
    assert "scheduled_at" in response.context["transition_form"].errors


@pytest.mark.django_db
def test_add_note_and_empty_note_refused(mgr_client, manager):
    lead = LeadFactory()
    url = reverse("staff:lead_note", args=[lead.pk])
    assert mgr_client.post(url, {"text": "Перезвонить в субботу"}).status_code == 302
    note = LeadNote.objects.get(lead=lead)
    assert note.text == "Перезвонить в субботу" and note.author == manager
    entry = AuditEntry.objects.get(action="lead.note")
    assert entry.after == {"note": "Перезвонить в субботу"}
    response = mgr_client.post(url, {"text": "   "})
    assert response.status_code == 422
    assert "text" in response.context["note_form"].errors
    assert LeadNote.objects.filter(lead=lead).count() == 1
