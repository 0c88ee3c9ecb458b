"""Session changes (CoA / Disconnect log), speed reply attributes per NAS type, and the policy
view that says which ``Class`` a session of each login should carry (PostgreSQL views only).

``abonent_policy`` is, per network login, the policy an Access-Request would get now:
``full`` (active: the tariff's speed and the static IP), ``restricted`` (blocked) or ``reject``,
and the ``Class`` string that names it. ``radreply`` gains a ``NASType`` column: the speed rows
come from ``network_replytemplate`` for each NAS type ('' rows are for every type), and every
accepted login gets a ``Class`` reply that the NAS echoes into accounting (``radacct.class``).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# The view's UNION branches cast to the view's column types, so a WHERE UserName = … reaches
# every branch (an index probe on the login); see 0002.
CREDENTIAL = "network_networkcredential c JOIN accounts_account a ON a.id = c.account_id"


def _speed(value: str) -> str:
    """SQL replacing the speed placeholders as ``models.render_speed`` does, in its order."""
    for placeholder, expression in [
        ("{up_bps}", "(t.upload_kbps::bigint * 1000)::text"),
        ("{down_bps}", "(t.download_kbps::bigint * 1000)::text"),
        ("{up_bytes}", "(t.upload_kbps::bigint * 125)::text"),
        ("{down_bytes}", "(t.download_kbps::bigint * 125)::text"),
        ("{up}", "t.upload_kbps::text"),
        ("{down}", "t.download_kbps::text"),
    ]:
        value = f"replace({value}, '{placeholder}', {expression})"
    return value


VIEWS = f"""
CREATE VIEW abonent_policy AS
    SELECT c.id AS credential_id, c.login::text AS username, a.id AS account_id,
           a.status::text AS status,
           (CASE a.status WHEN 'active' THEN 'full' WHEN 'blocked' THEN 'restricted'
                 ELSE 'reject' END)::text AS policy,
           t.upload_kbps AS up_kbps, t.download_kbps AS down_kbps, c.static_ip AS static_ip,
           (CASE a.status
                 WHEN 'active' THEN 'abonent:full:'
                      || COALESCE(t.upload_kbps::text || '/' || t.download_kbps::text, '-')
                      || COALESCE(':' || host(c.static_ip), '')
                 WHEN 'blocked' THEN 'abonent:restricted'
                 ELSE 'abonent:reject' END)::text AS class
      FROM {CREDENTIAL} JOIN catalogue_tariff t ON t.id = a.tariff_id;

DROP VIEW radreply;
CREATE VIEW radreply AS
    SELECT c.id * 4 AS id, c.login::text AS username, r.attribute::text AS attribute,
           r.op::varchar(2) AS op, {_speed("r.value")}::text AS value,
           r.nas_type::text AS nastype
      FROM {CREDENTIAL} JOIN catalogue_tariff t ON t.id = a.tariff_id
           CROSS JOIN network_replytemplate r
     WHERE a.status = 'active' AND t.upload_kbps IS NOT NULL AND t.download_kbps IS NOT NULL
    UNION ALL
    SELECT c.id * 4 + 1, c.login::text, 'Framed-IP-Address'::text, ':='::varchar(2),
           host(c.static_ip)::text, ''::text
      FROM {CREDENTIAL} WHERE a.status = 'active' AND c.static_ip IS NOT NULL
    UNION ALL
    SELECT p.credential_id * 4 + 2, p.username, 'Class'::text, ':='::varchar(2), p.class,
           ''::text
      FROM abonent_policy p WHERE p.policy <> 'reject';
"""

# As in 0002.
OLD_RADREPLY = f"""
DROP VIEW radreply;
DROP VIEW abonent_policy;
CREATE VIEW radreply AS
    SELECT c.id * 4 AS id, c.login::text AS username, 'Mikrotik-Rate-Limit'::text AS attribute,
           ':='::varchar(2) AS op,
           (t.upload_kbps::text || 'k/' || t.download_kbps::text || 'k')::text AS value
      FROM {CREDENTIAL} JOIN catalogue_tariff t ON t.id = a.tariff_id
     WHERE a.status = 'active' AND t.upload_kbps IS NOT NULL AND t.download_kbps IS NOT NULL
    UNION ALL
    SELECT c.id * 4 + 1, c.login::text, 'Framed-IP-Address'::text, ':='::varchar(2),
           host(c.static_ip)::text
      FROM {CREDENTIAL} WHERE a.status = 'active' AND c.static_ip IS NOT NULL;
"""

# The index that finds a session's pending requests, and the open sessions by Class.
INDEXES = """
CREATE INDEX radacct_open_class_idx ON radacct (UserName, Class) WHERE AcctStopTime IS NULL;
"""
DROP_INDEXES = "DROP INDEX IF EXISTS radacct_open_class_idx;"

# Speed reply attributes per NAS type (as services.REPLY_TEMPLATE_DEFAULTS at the time).
REPLY_TEMPLATES = [
    ("mikrotik", "Mikrotik-Rate-Limit", ":=", "{up}k/{down}k"),
    ("other", "Mikrotik-Rate-Limit", ":=", "{up}k/{down}k"),
    # accel-ppp's shaper, [shaper] attr=Filter-Id: "down/up" in kbit/s.
    ("accel-ppp", "Filter-Id", ":=", "{down}/{up}"),
    (
        "cisco",
        "Cisco-AVPair",
        "+=",
        "lcp:interface-config#1=rate-limit output {down_bps} {down_bytes} {down_bytes} "
        "conform-action transmit exceed-action drop",
    ),
    (
        "cisco",
        "Cisco-AVPair",
        "+=",
        "lcp:interface-config#2=rate-limit input {up_bps} {up_bytes} {up_bytes} "
        "conform-action transmit exceed-action drop",
    ),
    # Policies the router defines, one per speed (e.g. "abonent-down-100000k").
    ("juniper", "ERX-Egress-Policy-Name", ":=", "abonent-down-{down}k"),
    ("juniper", "ERX-Ingress-Policy-Name", ":=", "abonent-up-{up}k"),
]


def seed_reply_templates(apps, schema_editor):  # type: ignore[no-untyped-def]
    ReplyTemplate = apps.get_model("network", "ReplyTemplate")
    if ReplyTemplate.objects.exists():
        return
    ReplyTemplate.objects.bulk_create(
        ReplyTemplate(nas_type=nas_type, attribute=attribute, op=op, value=value)
        for nas_type, attribute, op, value in REPLY_TEMPLATES
    )


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that does nothing on other databases (the RADIUS schema needs PostgreSQL)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_account_account_legacy_contract_once'),
        ('network', '0003_credentials_for_existing_accounts'),
        ('catalogue', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReplyTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('nas_type', models.CharField(choices=[('mikrotik', 'MikroTik'), ('juniper', 'Juniper'), ('cisco', 'Cisco'), ('accel-ppp', 'accel-ppp'), ('other', 'Other')], max_length=16, verbose_name='NAS type')),
                ('attribute', models.CharField(max_length=64, verbose_name='attribute')),
                ('op', models.CharField(default=':=', max_length=2, verbose_name='operator')),
                ('value', models.CharField(max_length=253, verbose_name='value template')),
            ],
            options={
                'verbose_name': 'speed reply attribute',
                'verbose_name_plural': 'speed reply attributes',
                'ordering': ['nas_type', 'id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('attribute', ''), _negated=True), name='reply_template_attribute'), models.CheckConstraint(condition=models.Q(('op__in', [':=', '=', '+='])), name='reply_template_op')],
            },
        ),
        migrations.CreateModel(
            name='SessionChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('radacct_id', models.BigIntegerField(verbose_name='session')),
                ('username', models.CharField(max_length=253, verbose_name='network login')),
                ('acct_session_id', models.CharField(max_length=253, verbose_name='session id')),
                ('nas_ip', models.GenericIPAddressField(verbose_name='NAS address')),
                ('framed_ip', models.GenericIPAddressField(blank=True, null=True, verbose_name="subscriber's IP address")),
                ('kind', models.CharField(choices=[('disconnect', 'Disconnect'), ('coa', 'Change of speed (CoA)')], max_length=16, verbose_name='request')),
                ('reason', models.CharField(choices=[('blocked', 'The account was blocked'), ('unblocked', 'The account was unblocked'), ('not_allowed', 'The account may not be online (new, paused or closed)'), ('unknown_login', 'The network login no longer exists'), ('speed', 'The speed changed'), ('address', 'The static IP address changed'), ('staff', 'Disconnected by staff')], max_length=16, verbose_name='reason')),
                ('granted_class', models.CharField(blank=True, max_length=253, verbose_name='policy the session has')),
                ('target_class', models.CharField(blank=True, max_length=253, verbose_name='policy it should have')),
                ('state', models.CharField(choices=[('pending', 'Waiting to be sent'), ('acked', 'Done by the NAS'), ('naked', 'Refused by the NAS'), ('failed', 'The NAS did not answer'), ('cancelled', 'Not needed any more')], default='pending', max_length=16, verbose_name='state')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt')),
                ('last_error', models.CharField(blank=True, max_length=255, verbose_name='last error')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                ('account', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='accounts.account')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('nas', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='network.nas')),
            ],
            options={
                'verbose_name': 'session change',
                'verbose_name_plural': 'session changes',
                'ordering': ['-id'],
                'indexes': [models.Index(condition=models.Q(('state', 'pending')), fields=['next_attempt_at'], name='session_change_due'), models.Index(fields=['radacct_id'], name='session_change_session')],
                'constraints': [models.UniqueConstraint(condition=models.Q(models.Q(('reason', 'staff'), _negated=True), models.Q(('state', 'cancelled'), _negated=True)), fields=('radacct_id', 'target_class', 'kind'), name='session_change_once'), models.CheckConstraint(condition=models.Q(('state', 'pending'), ('finished_at__isnull', False), _connector='OR'), name='session_change_finished')],
            },
        ),
        migrations.RunPython(seed_reply_templates, migrations.RunPython.noop),
        PostgresOnlySQL(VIEWS, OLD_RADREPLY),
        PostgresOnlySQL(INDEXES, DROP_INDEXES),
    ]
