"""A failed Disconnect/CoA no longer blocks a new one for the same session and policy: after a
long NAS outage the reconciler asks again (``coa.RETRY_FAILED_AFTER``) while the session stays
out of date, instead of leaving a blocked subscriber online until they dial again."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_account_account_legacy_contract_once'),
        ('network', '0006_radius_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='sessionchange',
            name='session_change_once',
        ),
        migrations.AddConstraint(
            model_name='sessionchange',
            constraint=models.UniqueConstraint(condition=models.Q(models.Q(('reason', 'staff'), _negated=True), models.Q(('state__in', ['cancelled', 'failed']), _negated=True)), fields=('radacct_id', 'target_class', 'kind'), name='session_change_once'),
        ),
    ]
