"""No operation on PostgreSQL, kept for its name and place in the migration history.

It refined a DELETE trigger of the SQLite variant of the append-only event table, which is gone
with SQLite support. PostgreSQL's triggers come from 0003 and are left unchanged here, so databases
that applied it before and fresh ones end up the same."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("certification", "0003_events_append_only")]

    operations = []
