"""Tenant-scoped tables keep only indexes that start with the tenant (tenants.checks)."""

from django.db import migrations, models

from tenants.migration_ops import tenant_key_without_index


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0003_cascade_per_statement"),
        ("tenants", "0002_tenant_first_indexes_only"),
    ]

    operations = [
        tenant_key_without_index("scheduling", "idempotencyrecord"),
        tenant_key_without_index("scheduling", "shiftassignment"),
        tenant_key_without_index("scheduling", "webhookattempt"),
        tenant_key_without_index("scheduling", "webhookdelivery"),
        tenant_key_without_index("scheduling", "webhookendpoint"),
        migrations.AddIndex(
            model_name="webhookattempt",
            index=models.Index(
                fields=["tenant", "delivery"], name="webhookattempt_tenant_delivery"
            ),
        ),
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(
                fields=["tenant", "created_at"], name="delivery_tenant_created"
            ),
        ),
        migrations.AddIndex(
            model_name="webhookendpoint",
            index=models.Index(fields=["tenant", "created_at"], name="webhook_tenant_created"),
        ),
    ]
