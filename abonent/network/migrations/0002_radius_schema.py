"""FreeRADIUS 3's rlm_sql schema over our tables (PostgreSQL only).

``radcheck``, ``radreply``, ``radusergroup``, ``radgroupcheck``, ``radgroupreply`` and ``nas`` are
views with the columns of FreeRADIUS's reference schema
(/etc/freeradius/3.0/mods-config/sql/main/postgresql/schema.sql); they read the credential, the
account's status and its tariff's speeds, never the ledger, so a look-up is one index probe on
the login whatever the ledger's size. ``radacct`` and ``radpostauth`` are real tables as in the
reference schema, ``radpostauth`` with one more column, ``reason``. On SQLite nothing is made.
"""

from django.db import migrations

# Every branch of a UNION casts to exactly the view's column types: PostgreSQL pushes a
# ``WHERE UserName = …`` into each branch (an index probe on the login) only then.

CREDENTIAL = (
    "network_networkcredential c JOIN accounts_account a ON a.id = c.account_id"
)

VIEWS = f"""
CREATE VIEW radcheck AS
    SELECT c.id * 4 AS id, c.login::text AS username, 'Cleartext-Password'::text AS attribute,
           ':='::varchar(2) AS op, c.password::text AS value
      FROM {CREDENTIAL} WHERE a.status IN ('active', 'blocked')
    UNION ALL
    SELECT c.id * 4 + 1, c.login::text, 'Auth-Type'::text, ':='::varchar(2), 'Reject'::text
      FROM {CREDENTIAL} WHERE a.status NOT IN ('active', 'blocked')
    UNION ALL
    SELECT c.id * 4 + 2, c.login::text, 'Abonent-Reason'::text, ':='::varchar(2), a.status::text
      FROM {CREDENTIAL} WHERE a.status <> 'active'
    UNION ALL
    SELECT c.id * 4 + 3, c.login::text, 'Abonent-MAC'::text, ':='::varchar(2), c.mac::text
      FROM {CREDENTIAL} WHERE c.mac <> '' AND a.status IN ('active', 'blocked');

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

CREATE VIEW radusergroup AS
    SELECT c.id AS id, c.login::text AS username, 'restricted'::text AS groupname,
           1::integer AS priority
      FROM {CREDENTIAL} WHERE a.status = 'blocked';

CREATE VIEW radgroupcheck AS
    SELECT id::integer AS id, "group"::text AS groupname, attribute::text AS attribute,
           op::varchar(2) AS op, value::text AS value
      FROM network_groupattribute WHERE list = 'check';

CREATE VIEW radgroupreply AS
    SELECT id::integer AS id, "group"::text AS groupname, attribute::text AS attribute,
           op::varchar(2) AS op, value::text AS value
      FROM network_groupattribute WHERE list = 'reply';

CREATE VIEW nas AS
    SELECT id::integer AS id, nasname::text AS nasname, shortname::text AS shortname,
           type::text AS type, ports::integer AS ports, secret::text AS secret,
           NULLIF(server, '')::text AS server, NULLIF(community, '')::text AS community,
           description::text AS description
      FROM network_nas;
"""

DROP_VIEWS = """
DROP VIEW IF EXISTS nas;
DROP VIEW IF EXISTS radgroupreply;
DROP VIEW IF EXISTS radgroupcheck;
DROP VIEW IF EXISTS radusergroup;
DROP VIEW IF EXISTS radreply;
DROP VIEW IF EXISTS radcheck;
"""

# As FreeRADIUS 3.2's reference schema, plus radpostauth.reason.
TABLES = """
CREATE TABLE radacct (
    RadAcctId bigserial PRIMARY KEY,
    AcctSessionId text NOT NULL,
    AcctUniqueId text NOT NULL UNIQUE,
    UserName text,
    Realm text,
    NASIPAddress inet NOT NULL,
    NASPortId text,
    NASPortType text,
    AcctStartTime timestamp with time zone,
    AcctUpdateTime timestamp with time zone,
    AcctStopTime timestamp with time zone,
    AcctInterval bigint,
    AcctSessionTime bigint,
    AcctAuthentic text,
    ConnectInfo_start text,
    ConnectInfo_stop text,
    AcctInputOctets bigint,
    AcctOutputOctets bigint,
    CalledStationId text,
    CallingStationId text,
    AcctTerminateCause text,
    ServiceType text,
    FramedProtocol text,
    FramedIPAddress inet,
    FramedIPv6Address inet,
    FramedIPv6Prefix inet,
    FramedInterfaceId text,
    DelegatedIPv6Prefix inet,
    Class text
);
CREATE INDEX radacct_active_session_idx ON radacct (AcctUniqueId) WHERE AcctStopTime IS NULL;
CREATE INDEX radacct_bulk_close ON radacct (NASIPAddress, AcctStartTime)
    WHERE AcctStopTime IS NULL;
CREATE INDEX radacct_start_user_idx ON radacct (AcctStartTime, UserName);
CREATE INDEX radacct_user_open_idx ON radacct (UserName) WHERE AcctStopTime IS NULL;
CREATE INDEX radacct_calss_idx ON radacct (Class);

CREATE TABLE radpostauth (
    id bigserial PRIMARY KEY,
    username text NOT NULL,
    pass text,
    reply text,
    CalledStationId text,
    CallingStationId text,
    authdate timestamp with time zone NOT NULL DEFAULT now(),
    Class text,
    reason text
);
CREATE INDEX radpostauth_username_idx ON radpostauth (username, authdate);
CREATE INDEX radpostauth_class_idx ON radpostauth (Class);
"""

DROP_TABLES = """
DROP TABLE IF EXISTS radpostauth;
DROP TABLE IF EXISTS radacct;
"""


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
        ("network", "0001_credentials_nas_groups"),
        ("accounts", "0002_account_account_legacy_contract_once"),
        ("catalogue", "0001_initial"),
    ]

    operations = [
        PostgresOnlySQL(TABLES, DROP_TABLES),
        PostgresOnlySQL(VIEWS, DROP_VIEWS),
    ]
