"""FreeRADIUS's per-request look-ups as PL/pgSQL functions (PostgreSQL only).

rlm_sql sends every query as literal text and never prepares it, so PostgreSQL parsed, rewrote
and planned the ``UNION ALL`` views of 0002/0004 on every Access-Request (0.4–0.7 ms of CPU per
view, ten times their execution). A PL/pgSQL function plans the queries inside it once per
connection and reuses the plan (rlm_sql keeps its connections), so the generated
``queries.conf`` calls these instead of selecting from the views:

- ``radcheck_of(login)``: the rows ``radcheck`` has for the login;
- ``radreply_of(login, nas_type)``: the rows ``radreply`` has for the login and the asking NAS's
  type (``NASType IN ('', nas_type)``), plus ``Fall-Through = Yes`` for a blocked account: with
  rlm_sql's ``read_groups = no`` that row is what sends it to its group ``restricted``, and an
  active account costs no group query;
- ``radusergroup_of(login)``: the groups ``radusergroup`` has for the login;
- ``radpostauth_log(…)``: the post-auth row, committed with ``synchronous_commit = off`` for
  that transaction only (a crash may lose the last few authentication log rows, never money;
  nothing else FreeRADIUS writes changes).

They read the tables directly (one index probe on the login each), which measured cheaper than
wrapping the views; the views stay as they were (staff, documentation, third-party tools), and
the tests hold the functions' answers to the views' for every status and NAS type. They run with
their owner's rights (SECURITY DEFINER), every table schema-qualified, so FreeRADIUS's role needs
only EXECUTE on them (revoked from PUBLIC here: radcheck_of returns passwords).
"""

from django.db import migrations

FUNCTIONS = """
CREATE FUNCTION {s}.radcheck_of(login text)
RETURNS TABLE (id bigint, username text, attribute text, value text, op varchar)
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
BEGIN
    -- As the radcheck view (0002): one row per attribute, the same ids, in id order.
    RETURN QUERY
    SELECT c.id * 4 + v.n, c.login::text, v.attribute, v.value, ':='::varchar
      FROM {s}.network_networkcredential c
      JOIN {s}.accounts_account a ON a.id = c.account_id
     CROSS JOIN LATERAL (VALUES
         (0, 'Cleartext-Password',
          CASE WHEN a.status IN ('active', 'blocked') THEN c.password::text END),
         (1, 'Auth-Type', CASE WHEN a.status NOT IN ('active', 'blocked') THEN 'Reject' END),
         (2, 'Abonent-Reason', CASE WHEN a.status <> 'active' THEN a.status::text END),
         (3, 'Abonent-MAC',
          CASE WHEN c.mac <> '' AND a.status IN ('active', 'blocked') THEN c.mac::text END)
     ) AS v (n, attribute, value)
     WHERE c.login = $1 AND v.value IS NOT NULL
     ORDER BY v.n;
END $$;

CREATE FUNCTION {s}.radreply_of(login text, nas_type text)
RETURNS TABLE (id bigint, username text, attribute text, value text, op varchar)
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
DECLARE
    c record;
BEGIN
    -- As the radreply view (0004) for NASType IN ('', nas_type), plus Fall-Through for the
    -- blocked (their reply comes from the group restricted).
    SELECT cr.id, cr.login::text AS login, a.status::text AS status,
           t.upload_kbps AS up, t.download_kbps AS down, cr.static_ip
      INTO c
      FROM {s}.network_networkcredential cr
      JOIN {s}.accounts_account a ON a.id = cr.account_id
      JOIN {s}.catalogue_tariff t ON t.id = a.tariff_id
     WHERE cr.login = $1;
    IF NOT FOUND OR c.status NOT IN ('active', 'blocked') THEN
        RETURN;
    END IF;
    username := c.login;
    op := ':=';
    IF c.status = 'blocked' THEN
        id := c.id * 4 + 2; attribute := 'Class'; value := 'abonent:restricted';
        RETURN NEXT;
        id := c.id * 4 + 3; attribute := 'Fall-Through'; value := 'Yes'; op := '=';
        RETURN NEXT;
        RETURN;
    END IF;
    IF c.up IS NOT NULL AND c.down IS NOT NULL THEN
        -- The NAS type's speed templates, placeholders replaced as models.render_speed does.
        RETURN QUERY
        SELECT c.id * 4, c.login, r.attribute::text,
               replace(replace(replace(replace(replace(replace(r.value,
                   '{{up_bps}}', (c.up::bigint * 1000)::text),
                   '{{down_bps}}', (c.down::bigint * 1000)::text),
                   '{{up_bytes}}', (c.up::bigint * 125)::text),
                   '{{down_bytes}}', (c.down::bigint * 125)::text),
                   '{{up}}', c.up::text),
                   '{{down}}', c.down::text)::text,
               r.op::varchar
          FROM {s}.network_replytemplate r
         WHERE r.nas_type = $2
         ORDER BY r.id;
    END IF;
    IF c.static_ip IS NOT NULL THEN
        id := c.id * 4 + 1; attribute := 'Framed-IP-Address'; value := host(c.static_ip);
        RETURN NEXT;
    END IF;
    -- The Class of the abonent_policy view (0004).
    id := c.id * 4 + 2; attribute := 'Class';
    value := 'abonent:full:' || COALESCE(c.up::text || '/' || c.down::text, '-')
             || COALESCE(':' || host(c.static_ip), '');
    RETURN NEXT;
END $$;

CREATE FUNCTION {s}.radusergroup_of(login text)
RETURNS TABLE (groupname text, priority integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
BEGIN
    -- As the radusergroup view (0002).
    RETURN QUERY
    SELECT 'restricted'::text, 1
      FROM {s}.network_networkcredential c
      JOIN {s}.accounts_account a ON a.id = c.account_id
     WHERE c.login = $1 AND a.status = 'blocked';
END $$;

CREATE FUNCTION {s}.radpostauth_log(username text, reply text, callingstationid text,
                                   authdate timestamptz, reason text, class text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
BEGIN
    -- An authentication log row: not worth a WAL flush before the answer. A crash may lose
    -- the last few rows (the cabinet's "last answer"), never money: for this transaction only.
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO {s}.radpostauth (username, reply, callingstationid, authdate, reason, class)
    VALUES ($1, $2, $3, $4, $5, $6);
END $$;

REVOKE ALL ON FUNCTION {s}.radcheck_of(text), {s}.radreply_of(text, text),
    {s}.radusergroup_of(text),
    {s}.radpostauth_log(text, text, text, timestamptz, text, text) FROM PUBLIC;
"""

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS {s}.radpostauth_log(text, text, text, timestamptz, text, text);
DROP FUNCTION IF EXISTS {s}.radusergroup_of(text);
DROP FUNCTION IF EXISTS {s}.radreply_of(text, text);
DROP FUNCTION IF EXISTS {s}.radcheck_of(text);
"""


def _run(sql: str):  # type: ignore[no-untyped-def]
    """RunPython code running ``sql`` on PostgreSQL with ``{s}`` the current schema (the one
    Django's tables are in), so that the SECURITY DEFINER bodies name their tables exactly."""

    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT quote_ident(current_schema())")
            schema = cursor.fetchone()[0]
            cursor.execute(sql.format(s=schema))

    return run


class Migration(migrations.Migration):
    dependencies = [("network", "0004_session_changes_reply_templates")]

    operations = [migrations.RunPython(_run(FUNCTIONS), _run(DROP_FUNCTIONS))]
