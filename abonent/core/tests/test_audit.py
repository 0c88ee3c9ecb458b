"""The audit log: who, what, before → after."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from abonent.catalogue.tests.factories import TariffFactory
from abonent.core.audit import audit_record, snapshot
from abonent.core.models import AuditEntry
from abonent.leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_snapshot_gives_json_values_and_foreign_keys_as_ids(manager) -> None:
    when = timezone.now().replace(microsecond=0)
    lead = LeadFactory(scheduled_at=when, assigned_to=manager)
    snap = snapshot(lead, ["name", "tariff", "scheduled_at", "assigned_to", "status"])
    assert snap == {
        "name": lead.name,
        "tariff": lead.tariff_id,
        "scheduled_at": when.isoformat(),
        "assigned_to": manager.pk,
        "status": "new",
    }
    json.dumps(snap)  # storable as is


def test_audit_record_stores_actor_object_and_states(admin_user) -> None:
    tariff = TariffFactory(fee_kop=50_000)
    entry = audit_record(
        actor=admin_user,
        action="tariff.update",
        obj=tariff,
        before={"fee_kop": 50_000, "name": "A"},
        after={"fee_kop": 60_000, "name": "A"},
        ip="192.0.2.1",
    )
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.actor == admin_user
    assert entry.actor_repr == admin_user.username
    assert entry.object_type == "catalogue.tariff"
    assert entry.object_id == str(tariff.pk)
    assert entry.object_repr == str(tariff)
    assert entry.before == {"fee_kop": 50_000, "name": "A"}
    assert entry.after == {"fee_kop": 60_000, "name": "A"}
    assert entry.ip == "192.0.2.1"
    assert entry.changes() == [("fee_kop", 50_000, 60_000)]
    assert entry.action in str(entry) and admin_user.username in str(entry)


@pytest.mark.parametrize("actor", [None, AnonymousUser()])
def test_audit_record_without_a_user_is_the_system(actor) -> None:
    entry = audit_record(actor=actor, action="x", obj=TariffFactory())
    assert entry.actor is None
    assert entry.actor_repr == "system"
    assert entry.before == {} and entry.after == {}
    assert entry.changes() == []


def test_audit_record_makes_values_json_ready(manager) -> None:
    when = dt.datetime(2026, 3, 1, 10, 30, tzinfo=dt.UTC)
    entry = audit_record(
        actor=manager,
        action="lead.status",
        obj=LeadFactory(),
        after={"at": when, "day": when.date(), "who": manager, "tags": (1, 2)},
    )
    entry.refresh_from_db()
    assert entry.after == {
        "at": when.isoformat(),
        "day": "2026-03-01",
        "who": str(manager.pk),
        "tags": [1, 2],
    }


def test_changes_covers_added_and_removed_keys_in_order() -> None:
    entry = AuditEntry(before={"b": 1, "a": 1, "same": 5}, after={"a": 2, "c": 3, "same": 5})
    assert entry.changes() == [("a", 1, 2), ("b", 1, None), ("c", None, 3)]


def test_long_object_repr_is_cut(manager) -> None:
    lead = LeadFactory(name="Я" * 150)
    entry = audit_record(actor=manager, action="lead.note", obj=lead)
    assert len(entry.object_repr) <= 255
