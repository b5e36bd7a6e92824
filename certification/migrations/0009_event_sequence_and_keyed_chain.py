"""Certification events get a per-tenant sequence number (1, 2, 3, ... without gaps, unique per
tenant, only ever continued) and keyed hashes (HMAC-SHA256 under settings.AUDIT_CHAIN_KEY,
certification.chain) in place of the plain sha256 chain.

Rows already stored are re-sealed, not trusted blindly: each tenant's chain is first verified
with the plain hash it was written with (frozen below); only an intact chain is numbered in its
id order and re-hashed with the key. A broken one stops the migration, naming the tenant and the
row, because sealing it with the key would launder the tampering (docs/decisions/certification.md).
An operator who has examined the break and accepts it sets AUDIT_CHAIN_RESEAL_BROKEN=true for this
one run; the break is then logged and sealed. The migration runs as the table's owner, which
disables the append-only trigger of 0003 for the re-sealing UPDATE and enables it again.

Going back restores the plain hashes (of the same content), so the previous release's verifier
accepts the chain again.
"""

import hashlib
import json
import logging
import os

from django.db import migrations, models

logger = logging.getLogger(__name__)

TABLE = "certification_certificationevent"
COLUMNS = (
    "id",
    "tenant_id",
    "certification_id",
    "actor_id",
    "at",
    "old_status",
    "new_status",
    "reason",
    "request_id",
    "data",
    "prev_hash",
    "hash",
)


def _legacy_hash(row: dict, prev_hash: str) -> str:
    """The unkeyed hash of migrations 0001-0008 (certification.chain before the key), frozen."""
    content = {
        "tenant": row["tenant_id"],
        "certification": row["certification_id"],
        "actor": row["actor_id"],
        "at": row["at"].isoformat(),
        "old_status": row["old_status"],
        "new_status": row["new_status"],
        "reason": row["reason"],
        "request_id": row["request_id"],
        "data": row["data"],
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _rows(cursor, tenant_id):
    cursor.execute(
        f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE tenant_id = %s ORDER BY id",  # noqa: S608 - constant SQL
        [tenant_id],
    )
    for values in cursor.fetchall():
        row = dict(zip(COLUMNS, values, strict=True))
        if isinstance(row["data"], str):
            row["data"] = json.loads(row["data"])
        yield row


def _tenants(cursor):
    cursor.execute(f"SELECT DISTINCT tenant_id FROM {TABLE} ORDER BY tenant_id")  # noqa: S608
    return [tenant_id for (tenant_id,) in cursor.fetchall()]


def _rewrite(schema_editor, updates):
    """UPDATE rows (seq, key_id, prev_hash, hash, id) with the append-only trigger off."""
    if not updates:
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER certification_event_no_update")
        cursor.executemany(
            f"UPDATE {TABLE} SET seq = %s, key_id = %s, prev_hash = %s, hash = %s WHERE id = %s",  # noqa: S608
            updates,
        )
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER certification_event_no_update")


def reseal(apps, schema_editor):
    from certification.chain import event_mac, keyring

    accept_broken = os.environ.get("AUDIT_CHAIN_RESEAL_BROKEN", "").lower() in {"1", "true", "yes"}
    kid, ring = keyring()
    key = ring[kid]
    updates = []
    with schema_editor.connection.cursor() as cursor:
        for tenant_id in _tenants(cursor):
            legacy_prev, prev = "", ""
            for seq, row in enumerate(_rows(cursor, tenant_id), start=1):
                if row["prev_hash"] != legacy_prev or _legacy_hash(row, legacy_prev) != row["hash"]:
                    message = (
                        f"certification event id={row['id']} of tenant id={tenant_id} does not "
                        "match the chain it was written in (plain sha256); the trail was altered "
                        "before this upgrade"
                    )
                    if not accept_broken:
                        raise RuntimeError(
                            f"{message}. Sealing it with the key would hide that: examine it, "
                            "then rerun with AUDIT_CHAIN_RESEAL_BROKEN=true to accept it."
                        )
                    logger.error("%s; sealed as found (AUDIT_CHAIN_RESEAL_BROKEN)", message)
                legacy_prev = row["hash"]
                digest = event_mac(row={**row, "seq": seq, "key_id": kid}, prev_hash=prev, key=key)
                updates.append((seq, kid, prev, digest, row["id"]))
                prev = digest
    _rewrite(schema_editor, updates)


def unseal(apps, schema_editor):
    updates = []
    with schema_editor.connection.cursor() as cursor:
        for tenant_id in _tenants(cursor):
            prev = ""
            for row in _rows(cursor, tenant_id):
                digest = _legacy_hash(row, prev)
                updates.append((None, "", prev, digest, row["id"]))
                prev = digest
    _rewrite(schema_editor, updates)


# Inserts continue each tenant's sequence: the new rows of a statement are numbered one after
# another, right after the tenant's highest number (a row can be neither slipped into the past
# nor numbered past a gap). Checked once per statement over its new rows, so the expiry sweep's
# one INSERT of thousands of events costs two index probes per tenant.
SEQUENCE_FORWARD = f"""
CREATE OR REPLACE FUNCTION certification_event_sequence_continues() RETURNS trigger AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.tenant_id, n.lo, n.hi INTO bad
    FROM (SELECT tenant_id, min(seq) AS lo, max(seq) AS hi, count(*) AS k
          FROM new_rows GROUP BY tenant_id) AS n
    WHERE n.hi - n.lo + 1 <> n.k
       OR coalesce((SELECT max(e.seq) FROM {TABLE} AS e
                    WHERE e.tenant_id = n.tenant_id AND e.seq < n.lo), 0) <> n.lo - 1
       OR EXISTS (SELECT 1 FROM {TABLE} AS e WHERE e.tenant_id = n.tenant_id AND e.seq > n.hi)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'certification events of tenant % must continue its sequence (got %..%)',
            bad.tenant_id, bad.lo, bad.hi
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS certification_event_sequence ON {TABLE};
CREATE TRIGGER certification_event_sequence AFTER INSERT ON {TABLE}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION certification_event_sequence_continues();
"""
SEQUENCE_BACKWARD = f"""
DROP TRIGGER IF EXISTS certification_event_sequence ON {TABLE};
DROP FUNCTION IF EXISTS certification_event_sequence_continues();
"""


class Migration(migrations.Migration):
    dependencies = [("certification", "0008_tenant_first_indexes_only")]

    operations = [
        migrations.AddField(
            model_name="certificationevent",
            name="seq",
            field=models.BigIntegerField(null=True, verbose_name="sequence number"),
        ),
        migrations.AddField(
            model_name="certificationevent",
            name="key_id",
            field=models.CharField(default="", max_length=16, verbose_name="key id"),
            preserve_default=False,
        ),
        migrations.RunPython(reseal, unseal),
        migrations.AlterField(
            model_name="certificationevent",
            name="seq",
            field=models.BigIntegerField(verbose_name="sequence number"),
        ),
        migrations.AddConstraint(
            model_name="certificationevent",
            constraint=models.UniqueConstraint(
                fields=("tenant", "seq"), name="certevent_tenant_seq"
            ),
        ),
        migrations.AddConstraint(
            model_name="certificationevent",
            constraint=models.CheckConstraint(
                condition=models.Q(("seq__gte", 1)), name="certevent_seq_positive"
            ),
        ),
        migrations.RunSQL(SEQUENCE_FORWARD, SEQUENCE_BACKWARD),
    ]
