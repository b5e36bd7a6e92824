"""Tenant-scoped tables keep only indexes that start with the tenant (tenants.checks)."""

from django.db import migrations, models

from tenants.migration_ops import tenant_key_without_index


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0001_initial"),
    ]

    operations = [
        tenant_key_without_index("tenants", "apikey"),
        tenant_key_without_index("tenants", "membership"),
        tenant_key_without_index("tenants", "outboxevent"),
        tenant_key_without_index("tenants", "team"),
        migrations.AddIndex(
            model_name="apikey",
            index=models.Index(fields=["tenant", "created_at"], name="apikey_tenant_created"),
        ),
    ]
