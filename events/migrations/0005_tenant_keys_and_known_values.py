"""Deliveries and attempts reference endpoints, events and deliveries of their own tenant only
(tenants/dbkeys.py); a delivery's status is one of the known values."""

from django.db import migrations, models

from tenants.dbkeys import same_tenant


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0004_delivery_index_by_event"),
        ("tenants", "0004_tenant_keys_and_known_values"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="outboxevent",
            constraint=models.UniqueConstraint(
                fields=("tenant", "id"), name="outboxevent_tenant_row"
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.UniqueConstraint(
                fields=("tenant", "id"), name="webhookdelivery_tenant_row"
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["pending", "delivered", "failed"])),
                name="webhookdelivery_status_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookendpoint",
            constraint=models.UniqueConstraint(
                fields=("tenant", "id"), name="webhookendpoint_tenant_row"
            ),
        ),
        same_tenant("events_webhookdelivery", "endpoint_id", "events_webhookendpoint"),
        same_tenant("events_webhookdelivery", "event_id", "events_outboxevent"),
        same_tenant("events_webhookattempt", "delivery_id", "events_webhookdelivery"),
    ]
