"""The catalogue editor: fees in roubles stored as kopecks, audit rows, archive vs delete."""

from __future__ import annotations

import pytest
from django.urls import reverse

from abonent.catalogue.models import Addon, ServiceKind, Tariff
from abonent.catalogue.tests.factories import AddonFactory, ServiceKindFactory, TariffFactory
from abonent.core.models import AuditEntry
from abonent.leads.tests.factories import LeadFactory


@pytest.fixture
def adm(client, admin_user):
    client.force_login(admin_user)
    return client


def tariff_data(kind: ServiceKind, **overrides) -> dict:
    data = {
        "kind": kind.pk,
        "building_type": "apartment",
        "name": "Оптимальный",
        "name_en": "Optimal",
        "slug": "optimal",
        "fee": "499,90",
        "fee_period": "month",
        "download_kbps": "100000",
        "upload_kbps": "100000",
        "channels": "",
        "description": "Безлимит",
        "description_en": "",
        "position": "10",
        "is_public": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "kop"),
    [("500", 50_000), ("499,90", 49_990), ("1 000.5", 100_050), ("0", 0), ("12,3", 1_230)],
)
def test_create_tariff_fee_in_roubles_is_stored_in_kopecks(adm, admin_user, typed, kop):
    kind = ServiceKindFactory()
    response = adm.post(reverse("staff:tariff_new"), tariff_data(kind, fee=typed))
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == reverse("staff:tariffs")
    tariff = Tariff.objects.get(slug="optimal")
    assert tariff.fee_kop == kop
    assert isinstance(tariff.fee_kop, int)
    assert tariff.is_public and not tariff.is_archived
    entry = AuditEntry.objects.get(action="tariff.create")
    assert entry.actor == admin_user
    assert entry.before == {}
    assert entry.after["fee_kop"] == kop


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["пятьсот", "5,999", "-10", "1.2.3", "", "1" * 25, "5e3"])
def test_bad_fee_is_refused_with_the_input_kept(adm, typed):
    kind = ServiceKindFactory()
    response = adm.post(reverse("staff:tariff_new"), tariff_data(kind, fee=typed))
    assert response.status_code == 422
    assert "fee" in response.context["form"].errors
    assert not Tariff.objects.exists()
    html = response.content.decode()
    assert 'value="Оптимальный"' in html
    if typed:
        assert f'value="{typed}"' in html


@pytest.mark.django_db
def test_edit_tariff_shows_fee_in_roubles_and_audits_before_after(adm):
    tariff = TariffFactory(fee_kop=50_000, name="Старт")
    page = adm.get(reverse("staff:tariff_edit", args=[tariff.pk]))
    assert 'value="500"' in page.content.decode()
    data = tariff_data(tariff.kind, slug=tariff.slug, name="Старт+", fee="650,50")
    response = adm.post(reverse("staff:tariff_edit", args=[tariff.pk]), data)
    assert response.status_code == 302
    tariff.refresh_from_db()
    assert tariff.fee_kop == 65_050
    assert tariff.name == "Старт+"
    entry = AuditEntry.objects.get(action="tariff.update")
    changes = {name: (old, new) for name, old, new in entry.changes()}
    assert changes["fee_kop"] == (50_000, 65_050)
    assert changes["name"] == ("Старт", "Старт+")


@pytest.mark.django_db
def test_duplicate_code_error_from_the_service_lands_on_its_field(adm):
    existing = TariffFactory(slug="taken")
    response = adm.post(reverse("staff:tariff_new"), tariff_data(existing.kind, slug="taken"))
    assert response.status_code == 422
    assert "slug" in response.context["form"].errors
    assert Tariff.objects.count() == 1
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_tariff_in_use_is_archived_not_deleted(adm, admin_user):
    tariff = TariffFactory(name="Популярный")
    LeadFactory(tariff=tariff)
    response = adm.post(reverse("staff:tariff_remove", args=[tariff.pk]), follow=True)
    tariff.refresh_from_db()
    assert tariff.is_archived
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1 and "Популярный" in messages[0]
    assert AuditEntry.objects.get(action="tariff.archive").after == {"is_archived": True}
    # Still listed, marked archived.
    assert tariff in response.context["tariffs"]


@pytest.mark.django_db
def test_unused_tariff_is_deleted(adm):
    tariff = TariffFactory(name="Пробный")
    response = adm.post(reverse("staff:tariff_remove", args=[tariff.pk]), follow=True)
    assert not Tariff.objects.filter(pk=tariff.pk).exists()
    assert AuditEntry.objects.get(action="tariff.delete").before["name"] == "Пробный"
    assert response.redirect_chain[-1][0] == reverse("staff:tariffs")
    text = " ".join(str(m) for m in response.context["messages"])
    assert "Пробный" in text


@pytest.mark.django_db
def test_archive_and_delete_messages_differ(adm):
    used, unused = TariffFactory(name="A"), TariffFactory(name="B")
    LeadFactory(tariff=used)
    archived = adm.post(reverse("staff:tariff_remove", args=[used.pk]), follow=True)
    deleted = adm.post(reverse("staff:tariff_remove", args=[unused.pk]), follow=True)
    (m1,) = list(archived.context["messages"])
    (m2,) = list(deleted.context["messages"])
    assert m1.level_tag == "warning" and m2.level_tag == "success"
    assert str(m1).replace("A", "") != str(m2).replace("B", "")


@pytest.mark.django_db
def test_remove_is_post_only(adm):
    tariff = TariffFactory()
    assert adm.get(reverse("staff:tariff_remove", args=[tariff.pk])).status_code == 405
    assert Tariff.objects.filter(pk=tariff.pk).exists()


@pytest.mark.django_db
def test_addon_create_edit_and_remove(adm):
    kind = ServiceKindFactory()
    data = {
        "kind": "",
        "name": "Антивирус",
        "name_en": "",
        "slug": "antivirus",
        "fee": "99,90",
        "period": "month",
        "description": "",
        "description_en": "",
        "position": "100",
        "is_public": "on",
    }
    assert adm.post(reverse("staff:addon_new"), data).status_code == 302
    addon = Addon.objects.get(slug="antivirus")
    assert addon.fee_kop == 9_990 and addon.kind is None
    data.update(fee="150", kind=str(kind.pk))
    assert adm.post(reverse("staff:addon_edit", args=[addon.pk]), data).status_code == 302
    addon.refresh_from_db()
    assert addon.fee_kop == 15_000 and addon.kind == kind
    update = AuditEntry.objects.get(action="addon.update")
    assert (update.before["fee_kop"], update.after["fee_kop"]) == (9_990, 15_000)
    assert adm.post(reverse("staff:addon_remove", args=[addon.pk])).status_code == 302
    assert not Addon.objects.filter(pk=addon.pk).exists()


@pytest.mark.django_db
def test_service_kind_create_and_edit(adm):
    data = {
        "category": "tv",
        "name": "Цифровое ТВ",
        "name_en": "Digital TV",
        "slug": "digital-tv",
        "summary": "",
        "summary_en": "",
        "icon": "tv",
        "position": "20",
        "is_public": "on",
    }
    assert adm.post(reverse("staff:kind_new"), data).status_code == 302
    kind = ServiceKind.objects.get(slug="digital-tv")
    data["name"] = "Телевидение"
    assert adm.post(reverse("staff:kind_edit", args=[kind.pk]), data).status_code == 302
    kind.refresh_from_db()
    assert kind.name == "Телевидение"
    entry = AuditEntry.objects.get(action="service_kind.update")
    assert ("name", "Цифровое ТВ", "Телевидение") in entry.changes()


@pytest.mark.django_db
def test_lists_show_archived_too(adm):
    TariffFactory(name="Живой")
    TariffFactory(name="Архивный", is_archived=True)
    AddonFactory(name="Старый", is_archived=True)
    assert {t.name for t in adm.get(reverse("staff:tariffs")).context["tariffs"]} == {
        "Живой",
        "Архивный",
    }
    assert "Старый" in adm.get(reverse("staff:addons")).content.decode()
    assert adm.get(reverse("staff:kinds")).status_code == 200
