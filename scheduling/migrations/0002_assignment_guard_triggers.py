"""The invariant in the database: see scheduling/dbguard.py (PostgreSQL triggers)."""

from django.db import migrations

from scheduling import dbguard


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0001_assignments_webhooks"),
        ("certification", "0001_skill_groups_certifications"),
        ("tenants", "0001_initial"),
    ]

    operations = [migrations.RunPython(dbguard.install, dbguard.uninstall, elidable=False)]
