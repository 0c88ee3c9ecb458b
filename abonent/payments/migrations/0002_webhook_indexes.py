"""Fewer indexes to write on the webhook's path: the account's own index on payments (the
index on account, -created_at, -id serves the same look-ups), the index on the ledger entry
(nothing looks a payment up by it; without it the credit's UPDATE changes no indexed column),
and the LIKE-pattern twin of the notifications' object id index."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_account_account_legacy_contract_once"),
        ("billing", "0004_alter_ledgerentry_created_at"),
        ("payments", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="payment",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="accounts.account",
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="ledger_entry",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="billing.ledgerentry",
            ),
        ),
        migrations.AlterField(
            model_name="paymentevent",
            name="gateway_object_id",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddIndex(
            model_name="paymentevent",
            index=models.Index(fields=["gateway_object_id"], name="payment_event_object_idx"),
        ),
    ]
