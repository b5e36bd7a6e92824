"""Each outbox row records the transaction that wrote it, and the feed pages by (txid, id):
events.selectors.event_feed explains why. Rows written before get this migration's transaction,
after every earlier one, and keep their id order."""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0001_move_outbox_and_webhooks'),
        ('tenants', '0003_move_outbox_and_webhooks'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='outboxevent',
            name='outbox_tenant_feed',
        ),
        migrations.AddField(
            model_name='outboxevent',
            name='txid',
            field=models.BigIntegerField(db_default=django.db.models.functions.comparison.Cast(django.db.models.functions.comparison.Cast(models.Func(function='pg_current_xact_id', output_field=models.TextField()), models.TextField()), models.BigIntegerField()), editable=False),
        ),
        migrations.AddIndex(
            model_name='outboxevent',
            index=models.Index(fields=['tenant', 'txid', 'id'], name='outbox_feed'),
        ),
    ]
