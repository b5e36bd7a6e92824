"""Webhook endpoints, deliveries and attempts now belong to the events app; the tables stay
where they are until events 0001 renames them, so no row is copied or lost."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0005_shift_keys_without_own_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.RemoveField(
                model_name='webhookdelivery',
                name='endpoint',
            ),
            migrations.RemoveField(
                model_name='webhookdelivery',
                name='event',
            ),
            migrations.RemoveField(
                model_name='webhookdelivery',
                name='tenant',
            ),
            migrations.RemoveField(
                model_name='webhookendpoint',
                name='tenant',
            ),
            migrations.DeleteModel(
                name='WebhookAttempt',
            ),
            migrations.DeleteModel(
                name='WebhookDelivery',
            ),
            migrations.DeleteModel(
                name='WebhookEndpoint',
            ),
            ],
            database_operations=[],
        ),
    ]
