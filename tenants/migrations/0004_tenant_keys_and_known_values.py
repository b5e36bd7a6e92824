"""References between tenant-owned rows are keyed by tenant too (tenants/dbkeys.py), and
choice columns refuse values outside their known set."""

from django.db import migrations, models

from tenants.dbkeys import same_tenant


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0003_move_outbox_and_webhooks"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                fields=("tenant", "id"), name="membership_tenant_row"
            ),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.CheckConstraint(
                condition=models.Q(("role__in", ["agent", "team_lead", "trainer", "tenant_admin"])),
                name="membership_role_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="team",
            constraint=models.UniqueConstraint(fields=("tenant", "id"), name="team_tenant_row"),
        ),
        migrations.AddConstraint(
            model_name="tenant",
            constraint=models.CheckConstraint(
                condition=models.Q(("default_language__in", ["en", "zh-hans"])),
                name="tenant_language_known",
            ),
        ),
        same_tenant("tenants_team", "lead_id", "tenants_membership"),
        same_tenant("tenants_membership", "team_id", "tenants_team"),
    ]
