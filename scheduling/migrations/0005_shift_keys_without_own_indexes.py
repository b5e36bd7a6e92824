"""Shift assignments keep only tenant-first indexes: their three keys lose their own indexes
(ShiftAssignment explains why)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0008_tenant_first_indexes_only"),
        ("scheduling", "0004_tenant_first_indexes_only"),
        ("tenants", "0002_tenant_first_indexes_only"),
    ]

    operations = [
        migrations.AlterField(
            model_name="shiftassignment",
            name="certification",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assignments",
                to="certification.certification",
            ),
        ),
        migrations.AlterField(
            model_name="shiftassignment",
            name="membership",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assignments",
                to="tenants.membership",
                verbose_name="agent",
            ),
        ),
        migrations.AlterField(
            model_name="shiftassignment",
            name="skill_group",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assignments",
                to="certification.skillgroup",
            ),
        ),
    ]
