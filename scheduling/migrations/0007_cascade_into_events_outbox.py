"""The certification cascade writes its assignment.cancelled events into the outbox's new table
(events_outboxevent): reinstall the functions of scheduling/dbguard.py."""

from django.db import migrations

from scheduling import dbguard


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0006_move_outbox_and_webhooks"),
        ("events", "0001_move_outbox_and_webhooks"),
    ]

    operations = [
        migrations.RunPython(
            dbguard.install_statement_cascade, migrations.RunPython.noop, elidable=False
        )
    ]
