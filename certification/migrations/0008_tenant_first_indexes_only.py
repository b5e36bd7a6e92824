"""Tenant-scoped tables keep only indexes that start with the tenant (tenants.checks)."""

from django.db import migrations, models

from tenants.migration_ops import tenant_key_without_index


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0007_certification_index_active_grace"),
        ("tenants", "0002_tenant_first_indexes_only"),
        ("training", "0003_tenant_first_indexes_only"),
    ]

    operations = [
        tenant_key_without_index("certification", "certification"),
        tenant_key_without_index("certification", "certificationevent"),
        tenant_key_without_index("certification", "emailmessage"),
        tenant_key_without_index("certification", "notification"),
        tenant_key_without_index("certification", "requirement"),
        tenant_key_without_index("certification", "skillgroup"),
        migrations.AddIndex(
            model_name="emailmessage",
            index=models.Index(fields=["tenant", "created_at"], name="email_tenant_created"),
        ),
        migrations.AddIndex(
            model_name="requirement",
            index=models.Index(fields=["tenant", "skill_group"], name="requirement_tenant_group"),
        ),
    ]
