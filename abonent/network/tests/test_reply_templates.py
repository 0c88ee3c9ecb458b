"""Speed reply attributes per NAS type: editing them safely."""

from __future__ import annotations

import pytest

from abonent.core.errors import ApplicationError, NotFound
from abonent.core.models import AuditEntry
from abonent.network import services
from abonent.network.models import ReplyTemplate, render_speed
from abonent.network.services import (
    reply_template_delete,
    reply_template_save,
    reply_templates_ensure,
)

pytestmark = pytest.mark.django_db


def test_placeholders_are_replaced_in_one_order():
    value = "{up}k/{down}k {up_bps} {down_bps} {up_bytes} {down_bytes} {other}"
    assert render_speed(value, up_kbps=50_000, down_kbps=100_000) == (
        "50000k/100000k 50000000 100000000 6250000 12500000 {other}"
    )


def test_defaults_are_seeded_into_an_empty_table_only():
    ReplyTemplate.objects.all().delete()
    assert reply_templates_ensure() == len(services.REPLY_TEMPLATE_DEFAULTS)
    assert reply_templates_ensure() == 0
    ReplyTemplate.objects.exclude(nas_type="mikrotik").delete()  # staff's choice stays
    assert reply_templates_ensure() == 0


def test_save_checks_and_audits(monkeypatch):
    monkeypatch.setattr(
        services,
        "radius_attribute_names",
        lambda: frozenset({"mikrotik-rate-limit", "erx-service-activate"}),
    )
    template = reply_template_save(
        actor=None, nas_type="mikrotik", attribute="Mikrotik-Rate-Limit", value="{up}k/{down}k 0/0"
    )
    assert AuditEntry.objects.get(action="network.reply_template_save").object_id == str(
        template.pk
    )
    tagged = reply_template_save(
        actor=None, nas_type="juniper", attribute="ERX-Service-Activate:1", value="svc({down_bps})"
    )
    assert tagged.attribute == "ERX-Service-Activate:1"
    changed = reply_template_save(
        actor=None,
        template_id=template.pk,
        nas_type="mikrotik",
        attribute="Mikrotik-Rate-Limit",
        value="{up}k/{down}k",
    )
    assert changed.pk == template.pk and changed.value == "{up}k/{down}k"

    with pytest.raises(ApplicationError) as error:
        reply_template_save(actor=None, nas_type="cisco", attribute="Cisco-AVPiar", value="x")
    assert error.value.field == "attribute"
    with pytest.raises(ApplicationError) as error:
        reply_template_save(
            actor=None, nas_type="mikrotik", attribute="Mikrotik-Rate-Limit", value="{upload}k"
        )
    assert error.value.field == "value"
    with pytest.raises(ApplicationError):
        reply_template_save(
            actor=None, nas_type="huawei", attribute="Mikrotik-Rate-Limit", value="x"
        )
    with pytest.raises(ApplicationError):
        reply_template_save(
            actor=None, nas_type="mikrotik", attribute="Mikrotik-Rate-Limit", value="x", op="-="
        )

    reply_template_delete(actor=None, template_id=template.pk)
    assert not ReplyTemplate.objects.filter(pk=template.pk).exists()
    with pytest.raises(NotFound):
        reply_template_delete(actor=None, template_id=template.pk)


def test_the_installed_dictionaries_know_the_defaults():
    known = services.radius_attribute_names()
    if known is None:
        pytest.skip("FreeRADIUS's dictionaries are not installed")
    for _type, attribute, _op, _value in services.REPLY_TEMPLATE_DEFAULTS:
        assert attribute.lower() in known
