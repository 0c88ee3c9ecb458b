"""Catalogue writes: validated, audited, used tariffs archived."""

from __future__ import annotations

import pytest

from abonent.catalogue.models import Addon, ServiceKind, Tariff
from abonent.catalogue.services import (
    addon_remove,
    addon_save,
    service_kind_save,
    tariff_in_use,
    tariff_remove,
    tariff_save,
)
from abonent.catalogue.tests.factories import AddonFactory, ServiceKindFactory, TariffFactory
from abonent.core.errors import ApplicationError
from abonent.core.models import AuditEntry
from abonent.leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def _tariff_data(**overrides):
    data = {
        "kind": ServiceKindFactory(),
        "building_type": "apartment",
        "slug": "optima-300",
        "name": "Оптима 300",
        "fee_kop": 65_000,
        "fee_period": "month",
        "download_kbps": 300_000,
        "upload_kbps": 300_000,
    }
    data.update(overrides)
    return data


def test_tariff_save_creates_and_audits(admin_user) -> None:
    tariff = tariff_save(data=_tariff_data(), actor=admin_user)
    tariff.refresh_from_db()
    assert tariff.fee_kop == 65_000 and tariff.slug == "optima-300"
    entry = AuditEntry.objects.get(object_type="catalogue.tariff", object_id=str(tariff.pk))
    assert entry.action == "tariff.create"
    assert entry.actor == admin_user
    assert entry.before == {}
    assert entry.after["fee_kop"] == 65_000
    assert entry.after["kind"] == tariff.kind_id


def test_tariff_save_update_records_before_and_after(admin_user) -> None:
    tariff = TariffFactory(fee_kop=50_000, name="Старт")
    tariff_save(tariff=tariff, data={"fee_kop": 55_000}, actor=admin_user)
    tariff.refresh_from_db()
    assert tariff.fee_kop == 55_000
    entry = AuditEntry.objects.get(action="tariff.update", object_id=str(tariff.pk))
    assert entry.before["fee_kop"] == 50_000
    assert entry.after["fee_kop"] == 55_000
    assert entry.changes() == [("fee_kop", 50_000, 55_000)]


@pytest.mark.parametrize("fee", [-1, -50_000, 10.5, "500", None])
def test_tariff_save_refuses_a_bad_fee(admin_user, fee) -> None:
    tariff = TariffFactory(fee_kop=50_000)
    with pytest.raises(ApplicationError) as info:
        tariff_save(tariff=tariff, data={"fee_kop": fee}, actor=admin_user)
    assert info.value.field == "fee_kop"
    tariff.refresh_from_db()
    assert tariff.fee_kop == 50_000
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"slug": "not a slug!"}, "slug"),
        ({"building_type": "castle"}, "building_type"),
        ({"fee_period": "year"}, "fee_period"),
        ({"kind": None}, "kind"),
    ],
)
def test_tariff_save_maps_validation_errors_to_the_field(admin_user, overrides, field) -> None:
    with pytest.raises(ApplicationError) as info:
        tariff_save(data=_tariff_data(**overrides), actor=admin_user)
    assert info.value.field == field
    assert str(info.value.message)
    assert not Tariff.objects.exists()
    assert not AuditEntry.objects.exists()


def test_tariff_save_refuses_a_taken_slug(admin_user) -> None:
    TariffFactory(slug="optima-300")
    with pytest.raises(ApplicationError) as info:
        tariff_save(data=_tariff_data(slug="optima-300"), actor=admin_user)
    assert info.value.field == "slug"
    assert Tariff.objects.count() == 1


def test_tariff_save_refuses_an_unknown_field(admin_user) -> None:
    with pytest.raises(ApplicationError) as info:
        tariff_save(data=_tariff_data(created_at=None), actor=admin_user)
    assert info.value.field == "created_at"
    assert not Tariff.objects.exists()


def test_tariff_remove_deletes_an_unused_tariff(admin_user) -> None:
    tariff = TariffFactory()
    pk = tariff.pk
    assert not tariff_in_use(tariff=tariff)
    assert tariff_remove(tariff=tariff, actor=admin_user) == "deleted"
    assert not Tariff.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(action="tariff.delete")
    assert entry.object_id == str(pk)
    assert entry.before["slug"] == tariff.slug
    assert entry.after == {}


def test_tariff_remove_archives_a_tariff_with_a_lead(admin_user) -> None:
    lead = LeadFactory()
    tariff = lead.tariff
    assert tariff_in_use(tariff=tariff)
    assert tariff_remove(tariff=tariff, actor=admin_user) == "archived"
    tariff.refresh_from_db()
    assert tariff.is_archived
    entry = AuditEntry.objects.get(action="tariff.archive")
    assert entry.before == {"is_archived": False}
    assert entry.after == {"is_archived": True}
    assert entry.actor == admin_user


def test_addon_save_and_remove(admin_user) -> None:
    addon = addon_save(
        data={"slug": "static-ip", "name": "Статический IP", "fee_kop": 15_000, "period": "month"},
        actor=admin_user,
    )
    assert addon.kind is None
    addon_save(addon=addon, data={"fee_kop": 20_000}, actor=admin_user)
    addon.refresh_from_db()
    assert addon.fee_kop == 20_000
    with pytest.raises(ApplicationError) as info:
        addon_save(addon=addon, data={"fee_kop": -1}, actor=admin_user)
    assert info.value.field == "fee_kop"
    with pytest.raises(ApplicationError) as info:
        addon_save(addon=addon, data={"period": "year"}, actor=admin_user)
    assert info.value.field == "period"
    assert addon_remove(addon=addon, actor=admin_user) == "deleted"
    assert not Addon.objects.exists()
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["addon.create", "addon.update", "addon.delete"]


def test_addon_remove_of_a_kind_keeps_the_kind(admin_user) -> None:
    addon = AddonFactory()
    assert addon_remove(addon=addon, actor=admin_user) == "deleted"
    assert ServiceKind.objects.filter(pk=addon.kind_id).exists()


def test_service_kind_save(admin_user) -> None:
    kind = service_kind_save(
        data={"slug": "cctv", "category": "cctv", "name": "Видеонаблюдение", "position": 50},
        actor=admin_user,
    )
    service_kind_save(kind=kind, data={"name_en": "Video surveillance"}, actor=admin_user)
    kind.refresh_from_db()
    assert kind.name_en == "Video surveillance"
    entry = AuditEntry.objects.get(action="service_kind.update")
    assert entry.changes() == [("name_en", "", "Video surveillance")]
    with pytest.raises(ApplicationError) as info:
        service_kind_save(data={"slug": "tv", "category": "radio", "name": "X"}, actor=admin_user)
    assert info.value.field == "category"
