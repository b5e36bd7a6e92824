"""Deliveries are found by their event (dispatch, the retention purge) through a tenant-first
index."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0003_rfc3339_function'),
        ('tenants', '0003_move_outbox_and_webhooks'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='webhookdelivery',
            index=models.Index(fields=['tenant', 'event'], name='delivery_tenant_event'),
        ),
    ]
