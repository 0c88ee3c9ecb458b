"""``Addon.grants_static_ip``; the add-on the demo and the first installations call
``static-ip`` grants one from the start (issue #7)."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def static_ip_addon_grants(apps: Any, schema_editor: Any) -> None:
    Addon = apps.get_model("catalogue", "Addon")
    Addon.objects.filter(slug="static-ip").update(grants_static_ip=True)


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="addon",
            name="grants_static_ip",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "While connected, the subscriber gets an address from the static IP pool "
                    "(ABONENT_STATIC_IP_POOL)."
                ),
                verbose_name="grants a static IP",
            ),
        ),
        migrations.RunPython(static_ip_addon_grants, migrations.RunPython.noop),
    ]
