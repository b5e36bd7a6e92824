"""The cascade's assignment.cancelled carries the declared fields and time format of the
service's (scheduling.event_types): reinstall the functions of scheduling/dbguard.py."""

from django.db import migrations

from scheduling import dbguard


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0007_cascade_into_events_outbox"),
        ("events", "0003_rfc3339_function"),
    ]

    operations = [
        migrations.RunPython(
            dbguard.install_statement_cascade, migrations.RunPython.noop, elidable=False
        )
    ]
