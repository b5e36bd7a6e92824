"""events_rfc3339(timestamptz): the SQL twin of events.schemas.rfc3339, for triggers that
publish events (the certification cascade)."""

from django.db import migrations

from events.schemas import RFC3339_SQL


class Migration(migrations.Migration):
    dependencies = [("events", "0002_feed_in_commit_order")]

    operations = [
        migrations.RunSQL(
            RFC3339_SQL, reverse_sql="DROP FUNCTION IF EXISTS events_rfc3339(timestamptz)"
        )
    ]
