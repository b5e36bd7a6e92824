"""The outbox, webhook endpoints, deliveries and attempts move here from tenants and scheduling:
the models are created in the migration state only and their tables renamed, rows kept."""

import django.db.models.deletion
from django.db import migrations, models

RENAMES = [
    ("tenants_outboxevent", "events_outboxevent"),
    ("scheduling_webhookendpoint", "events_webhookendpoint"),
    ("scheduling_webhookdelivery", "events_webhookdelivery"),
    ("scheduling_webhookattempt", "events_webhookattempt"),
]


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tenants', '0003_move_outbox_and_webhooks'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='OutboxEvent',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('event_type', models.CharField(max_length=60)),
                    ('payload', models.JSONField(default=dict)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('dispatched_at', models.DateTimeField(blank=True, null=True)),
                    ('tenant', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant', verbose_name='tenant')),
                ],
                options={
                    'verbose_name': 'outbox event',
                    'verbose_name_plural': 'outbox events',
                    'ordering': ['pk'],
                },
            ),
            migrations.CreateModel(
                name='WebhookDelivery',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('status', models.CharField(choices=[('pending', 'Pending'), ('delivered', 'Delivered'), ('failed', 'Failed (gave up)')], default='pending', max_length=10)),
                    ('attempts', models.PositiveIntegerField(default=0)),
                    ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                    ('last_status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                    ('last_error', models.TextField(blank=True)),
                    ('delivered_at', models.DateTimeField(blank=True, null=True)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='events.outboxevent')),
                    ('tenant', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant', verbose_name='tenant')),
                ],
                options={
                    'verbose_name': 'webhook delivery',
                    'verbose_name_plural': 'webhook deliveries',
                },
            ),
            migrations.CreateModel(
                name='WebhookAttempt',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('at', models.DateTimeField()),
                    ('status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                    ('error', models.TextField(blank=True)),
                    ('duration_ms', models.PositiveIntegerField(default=0)),
                    ('tenant', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant', verbose_name='tenant')),
                    ('delivery', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='log', to='events.webhookdelivery')),
                ],
                options={
                    'verbose_name': 'webhook attempt',
                    'verbose_name_plural': 'webhook attempts',
                    'ordering': ['at'],
                },
            ),
            migrations.CreateModel(
                name='WebhookEndpoint',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('url', models.URLField(max_length=500, verbose_name='URL')),
                    ('secret', models.CharField(editable=False, max_length=200, verbose_name='signing secret')),
                    ('event_types', models.JSONField(blank=True, default=list, help_text='Empty means every event type.', verbose_name='event types')),
                    ('active', models.BooleanField(default=True, verbose_name='active')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                    ('tenant', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant', verbose_name='tenant')),
                ],
                options={
                    'verbose_name': 'webhook endpoint',
                    'verbose_name_plural': 'webhook endpoints',
                },
            ),
            migrations.AddField(
                model_name='webhookdelivery',
                name='endpoint',
                field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='events.webhookendpoint'),
            ),
            migrations.AddIndex(
                model_name='outboxevent',
                index=models.Index(fields=['tenant', 'id'], name='outbox_tenant_feed'),
            ),
            migrations.AddIndex(
                model_name='outboxevent',
                index=models.Index(condition=models.Q(('dispatched_at__isnull', True)), fields=['tenant', 'created_at'], name='outbox_undispatched'),
            ),
            migrations.AddIndex(
                model_name='webhookattempt',
                index=models.Index(fields=['tenant', 'delivery'], name='webhookattempt_tenant_delivery'),
            ),
            migrations.AddIndex(
                model_name='webhookendpoint',
                index=models.Index(fields=['tenant', 'created_at'], name='webhook_tenant_created'),
            ),
            migrations.AddIndex(
                model_name='webhookdelivery',
                index=models.Index(condition=models.Q(('status', 'pending')), fields=['tenant', 'next_attempt_at'], name='delivery_due'),
            ),
            migrations.AddIndex(
                model_name='webhookdelivery',
                index=models.Index(fields=['tenant', 'created_at'], name='delivery_tenant_created'),
            ),
            migrations.AddConstraint(
                model_name='webhookdelivery',
                constraint=models.UniqueConstraint(fields=('endpoint', 'event'), name='delivery_unique'),
            ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"ALTER TABLE {old} RENAME TO {new}",
                    reverse_sql=f"ALTER TABLE {new} RENAME TO {old}",
                )
                for old, new in RENAMES
            ],
        ),
    ]
