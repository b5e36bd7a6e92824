"""A shift references an agent, a skill group and a certification of its own tenant only
(tenants/dbkeys.py); its status and source are known values. The guard re-resolves a shift whose
certification is repointed, and the cascade also answers a certification's deletion and any
change of its tenant or id (scheduling/dbguard.py)."""

from django.db import migrations, models

from tenants.dbkeys import same_tenant
from scheduling import dbguard


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0011_tenant_keys_and_known_values"),
        ("scheduling", "0008_cancelled_payload_as_declared"),
        ("tenants", "0004_tenant_keys_and_known_values"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="shiftassignment",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["scheduled", "cancelled"])),
                name="shiftassignment_status_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="shiftassignment",
            constraint=models.CheckConstraint(
                condition=models.Q(("source__in", ["roster", "api", "admin"])),
                name="shiftassignment_source_known",
            ),
        ),
        same_tenant("scheduling_shiftassignment", "membership_id", "tenants_membership"),
        same_tenant("scheduling_shiftassignment", "skill_group_id", "certification_skillgroup"),
        same_tenant(
            "scheduling_shiftassignment", "certification_id", "certification_certification"
        ),
        migrations.RunPython(dbguard.install, migrations.RunPython.noop, elidable=False),
    ]
