"""A network credential for every existing account, and the ``restricted`` group's defaults."""

import secrets

from django.db import migrations

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    Account = apps.get_model("accounts", "Account")
    NetworkCredential = apps.get_model("network", "NetworkCredential")
    GroupAttribute = apps.get_model("network", "GroupAttribute")
    have = set(NetworkCredential.objects.values_list("account_id", flat=True))
    batch = []
    for account_id, contract in Account.objects.values_list("id", "contract").iterator():
        if account_id in have:
            continue
        password = "".join(secrets.choice(ALPHABET) for _ in range(12))
        batch.append(NetworkCredential(account_id=account_id, login=contract, password=password))
        if len(batch) >= 5000:
            NetworkCredential.objects.bulk_create(batch)
            batch = []
    NetworkCredential.objects.bulk_create(batch)
    for attribute, value in [
        ("Mikrotik-Address-List", "abonent-blocked"),
        ("Mikrotik-Rate-Limit", "1024k/1024k"),
    ]:
        GroupAttribute.objects.get_or_create(
            group="restricted",
            list="reply",
            attribute=attribute,
            defaults={"op": ":=", "value": value},
        )


class Migration(migrations.Migration):
    dependencies = [("network", "0002_radius_schema")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
