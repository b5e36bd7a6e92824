"""CertificationEvent rows can be inserted, never updated or deleted, whatever writes them
(ORM, QuerySet.update()/delete(), raw SQL): row triggers refuse UPDATE and DELETE. TRUNCATE is
left to the table owner (it is how test databases are flushed); application roles should not own
the table.
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


def forward(apps, schema_editor):
    schema_editor.execute(PG_FORWARD, params=None)


def backward(apps, schema_editor):
    schema_editor.execute(PG_BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("certification", "0002_notifications_email_outbox")]

    operations = [migrations.RunPython(forward, backward)]
