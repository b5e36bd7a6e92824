"""Signed checkpoints of each tenant's chain head (certification.models.ChainCheckpoint), append-
only like the events: row triggers refuse UPDATE and DELETE, whatever writes them. TRUNCATE stays
with the owner, as for the events (migration 0003)."""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "certification_chaincheckpoint"

APPEND_ONLY_FORWARD = f"""
CREATE OR REPLACE FUNCTION certification_checkpoint_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'certification chain checkpoints are append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS certification_checkpoint_no_update ON {TABLE};
CREATE TRIGGER certification_checkpoint_no_update BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION certification_checkpoint_append_only();
"""
APPEND_ONLY_BACKWARD = f"""
DROP TRIGGER IF EXISTS certification_checkpoint_no_update ON {TABLE};
DROP FUNCTION IF EXISTS certification_checkpoint_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0009_event_sequence_and_keyed_chain"),
        ("tenants", "0003_move_outbox_and_webhooks"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChainCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(verbose_name="head sequence number")),
                ("head_hash", models.CharField(max_length=64, verbose_name="head hash")),
                ("count", models.BigIntegerField(verbose_name="events counted")),
                ("at", models.DateTimeField(verbose_name="at")),
                ("key_id", models.CharField(max_length=16, verbose_name="key id")),
                ("signature", models.CharField(max_length=64, verbose_name="signature")),
                (
                    "tenant",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenants.tenant",
                        verbose_name="tenant",
                    ),
                ),
            ],
            options={
                "verbose_name": "chain checkpoint",
                "verbose_name_plural": "chain checkpoints",
                "ordering": ["pk"],
                "indexes": [
                    models.Index(fields=["tenant", "at"], name="checkpoint_tenant_at"),
                ],
            },
        ),
        migrations.RunSQL(APPEND_ONLY_FORWARD, APPEND_ONLY_BACKWARD),
    ]
