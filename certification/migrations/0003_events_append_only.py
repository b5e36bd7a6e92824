"""CertificationEvent rows can be inserted, never updated or deleted, whatever writes them
(ORM, QuerySet.update()/delete(), raw SQL). Enforced by database triggers per vendor.

PostgreSQL: row triggers refuse UPDATE and DELETE. TRUNCATE is left to the table owner (it is
how test databases are flushed); application roles should not own the table.
SQLite: the same (the DELETE guard is refined in 0004: only a whole-database flush may delete).
"""

from django.db import migrations

TABLE = "certification_certificationevent"

PG_FORWARD = f"""
CREATE OR REPLACE FUNCTION certification_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'certification events are append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS certification_event_no_update ON {TABLE};
CREATE TRIGGER certification_event_no_update BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION certification_event_append_only();
"""
PG_BACKWARD = f"""
DROP TRIGGER IF EXISTS certification_event_no_update ON {TABLE};
DROP FUNCTION IF EXISTS certification_event_append_only();
"""

SQLITE_FORWARD = [
    f"""CREATE TRIGGER IF NOT EXISTS certification_event_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'certification events are append-only (UPDATE refused)'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS certification_event_no_delete BEFORE DELETE ON {TABLE}
    WHEN EXISTS (SELECT 1 FROM certification_certification c WHERE c.id = OLD.certification_id)
    BEGIN SELECT RAISE(ABORT, 'certification events are append-only (DELETE refused)'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS certification_event_no_update;",
    "DROP TRIGGER IF EXISTS certification_event_no_delete;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql)
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"no append-only trigger for {vendor}")


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("certification", "0002_notifications_email_outbox")]

    operations = [migrations.RunPython(forward, backward)]
