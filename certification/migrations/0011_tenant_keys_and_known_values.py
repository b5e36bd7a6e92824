"""Requirements, certifications, their events and notifications reference rows of their own
tenant only, and a skill group's industries are its tenant's (tenants/dbkeys.py); a
certification's status is one of the known values."""

from django.conf import settings
from django.db import migrations, models

from tenants.dbkeys import same_tenant, tenant_m2m


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0010_chain_checkpoints"),
        ("tenants", "0004_tenant_keys_and_known_values"),
        ("training", "0004_tenant_keys_and_known_values"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="certification",
            constraint=models.UniqueConstraint(
                fields=("tenant", "id"), name="certification_tenant_row"
            ),
        ),
        migrations.AddConstraint(
            model_name="certification",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["pending", "active", "expired", "rejected", "revoked"])
                ),
                name="certification_status_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="skillgroup",
            constraint=models.UniqueConstraint(
                fields=("tenant", "id"), name="skillgroup_tenant_row"
            ),
        ),
        same_tenant("certification_requirement", "skill_group_id", "certification_skillgroup"),
        same_tenant("certification_requirement", "curriculum_id", "training_curriculum"),
        same_tenant("certification_requirement", "quiz_id", "training_quiz"),
        same_tenant("certification_certification", "membership_id", "tenants_membership"),
        same_tenant("certification_certification", "skill_group_id", "certification_skillgroup"),
        same_tenant(
            "certification_certificationevent", "certification_id", "certification_certification"
        ),
        same_tenant("certification_notification", "membership_id", "tenants_membership"),
        same_tenant(
            "certification_notification", "certification_id", "certification_certification"
        ),
        *tenant_m2m(
            "certification_skillgroup_industries",
            owner_column="skillgroup_id",
            owner="certification_skillgroup",
            other_column="industry_id",
            other="training_industry",
        ),
    ]
