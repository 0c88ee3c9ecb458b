"""A payment's purpose: a top-up, or a card check (saves the card, refunded at once, never
in the ledger)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_webhook_indexes")]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="purpose",
            field=models.CharField(
                choices=[("topup", "Top-up"), ("card_check", "Card check")],
                default="topup",
                max_length=16,
            ),
        ),
    ]
