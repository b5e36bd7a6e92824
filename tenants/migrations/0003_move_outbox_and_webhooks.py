"""The outbox now belongs to the events app; events 0001 renames its table."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0006_move_outbox_and_webhooks'),
        ('tenants', '0002_tenant_first_indexes_only'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.DeleteModel(
                name='OutboxEvent',
            ),
            ],
            database_operations=[],
        ),
    ]
