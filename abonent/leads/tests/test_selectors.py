"""The managers' queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from abonent.catalogue.tests.factories import TariffFactory
from abonent.core.errors import NotFound
from abonent.leads.models import LeadStatus
from abonent.leads.selectors import lead_get, lead_queue, lead_status_counts
from abonent.leads.services import lead_add_note, lead_transition
from abonent.leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def _ids(qs) -> set[int]:
    return {lead.pk for lead in qs}


def test_queue_is_newest_first() -> None:
    old = LeadFactory()
    new = LeadFactory()
    assert [lead.pk for lead in lead_queue()] == [new.pk, old.pk]


def test_queue_filters_by_status_and_tariff() -> None:
    tariff = TariffFactory()
    fresh = LeadFactory(tariff=tariff)
    called = LeadFactory(tariff=tariff, status=LeadStatus.CONTACTED)
    other = LeadFactory(status=LeadStatus.CONTACTED)
    assert _ids(lead_queue(status=LeadStatus.CONTACTED)) == {called.pk, other.pk}
    assert _ids(lead_queue(tariff_id=tariff.pk)) == {fresh.pk, called.pk}
    assert _ids(lead_queue(status=LeadStatus.NEW, tariff_id=tariff.pk)) == {fresh.pk}
    assert _ids(lead_queue(status=LeadStatus.CONNECTED)) == set()


@pytest.mark.parametrize(
    "query",
    [
        "+79161234567",
        "8 (916) 123-45-67",
        "+7 916 123 45 67",
        "89161234567",
        "79161234567",
        "9161234567",
        "916-123",
        "45-67",
        "123",
    ],
)
def test_search_by_phone_in_any_spelling(query: str) -> None:
    wanted = LeadFactory(phone="+79161234567", name="Анна")
    LeadFactory(phone="+74965522222", name="Борис")
    assert _ids(lead_queue(query=query)) == {wanted.pk}


def test_two_digits_are_not_a_phone_search() -> None:
    LeadFactory(phone="+79161234567", name="Анна")
    assert _ids(lead_queue(query="67")) == set()


@pytest.mark.parametrize("query", ["Петров", "петров", "ПЕТРОВ", "иван петров", "  Иван  "])
def test_search_by_name_in_any_case(query: str) -> None:
    wanted = LeadFactory(name="Иван Петров")
    LeadFactory(name="Мария Сидорова")
    assert _ids(lead_queue(query=query)) == {wanted.pk}


def test_search_by_address() -> None:
    wanted = LeadFactory(address="ул. Вознесенская, д. 40")
    LeadFactory(address="ул. Дружбы, д. 9")
    assert _ids(lead_queue(query="вознесенская")) == {wanted.pk}


def test_search_combines_with_filters() -> None:
    LeadFactory(name="Иван Петров")
    called = LeadFactory(name="Иван Сидоров", status=LeadStatus.CONTACTED)
    assert _ids(lead_queue(query="иван", status=LeadStatus.CONTACTED)) == {called.pk}


def test_queue_query_count(django_assert_num_queries, manager) -> None:
    for _ in range(5):
        LeadFactory(assigned_to=manager)
    with django_assert_num_queries(1):
        rows = [(lead.tariff.kind.slug, lead.assigned_to.username) for lead in lead_queue()]
    assert len(rows) == 5


def test_status_counts() -> None:
    LeadFactory.create_batch(3)
    LeadFactory(status=LeadStatus.CANCELLED)
    LeadFactory(status=LeadStatus.SCHEDULED, scheduled_at=timezone.now())
    counts = lead_status_counts()
    assert counts == {
        "new": 3,
        "contacted": 0,
        "scheduled": 1,
        "connected": 0,
        "cancelled": 1,
    }


def test_status_counts_empty() -> None:
    assert lead_status_counts() == dict.fromkeys(LeadStatus.values, 0)


def test_lead_get_with_notes(manager, django_assert_num_queries) -> None:
    lead = LeadFactory()
    lead_transition(lead_id=lead.pk, actor=manager, to_status=LeadStatus.CONTACTED, note="a")
    lead_add_note(lead_id=lead.pk, actor=manager, text="b")
    lead_transition(
        lead_id=lead.pk,
        actor=manager,
        to_status=LeadStatus.SCHEDULED,
        scheduled_address="ул. Дружбы, д. 9",
        scheduled_at=timezone.now() + dt.timedelta(days=1),
    )
    with django_assert_num_queries(3):
        got = lead_get(lead_id=lead.pk)
        notes = [(n.text, n.status_to, n.author.username) for n in got.notes.all()]
        assert got.tariff.kind.slug
    assert notes == [
        ("a", "contacted", manager.username),
        ("b", "", manager.username),
        ("", "scheduled", manager.username),
    ]


def test_lead_get_missing() -> None:
    with pytest.raises(NotFound):
        lead_get(lead_id=12345)
