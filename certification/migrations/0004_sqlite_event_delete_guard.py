"""SQLite: events may be deleted only while Django flushes the whole database (see
certification/purge.py); the earlier guard depended on the order in which flush empties tables."""

from django.db import migrations

TABLE = "certification_certificationevent"

NEW = f"""CREATE TRIGGER certification_event_no_delete BEFORE DELETE ON {TABLE}
WHEN NOT certification_event_purge_allowed()
BEGIN SELECT RAISE(ABORT, 'certification events are append-only (DELETE refused)'); END;"""
OLD = f"""CREATE TRIGGER certification_event_no_delete BEFORE DELETE ON {TABLE}
WHEN EXISTS (SELECT 1 FROM certification_certification c WHERE c.id = OLD.certification_id)
BEGIN SELECT RAISE(ABORT, 'certification events are append-only (DELETE refused)'); END;"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS certification_event_no_delete;")
        schema_editor.execute(NEW)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS certification_event_no_delete;")
        schema_editor.execute(OLD)


class Migration(migrations.Migration):
    dependencies = [("certification", "0003_events_append_only")]

    operations = [migrations.RunPython(forward, backward)]
