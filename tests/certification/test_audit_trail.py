"""The audit trail holds against someone with the database in hand: every way of cutting,
emptying or rewriting the certification event chain, or of changing a certification behind the
services, makes `verify_certification_events` fail and name what it found. The tampering is done
by SQL as the tables' owner would (switching the append-only triggers off)."""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from certification import tasks
from certification.chain import EVENT_FIELDS, event_mac, keyring
from certification.models import CertificationEvent, ChainCheckpoint
from certification.services import (
    revoke_certification,
    start_recertification,
    write_checkpoints,
)
from events.models import OutboxEvent
from events.schemas import rfc3339
from tests.factories import MembershipFactory, TenantFactory
from training.services import new_curriculum_version, publish_curriculum

from .factories import certify, make_curriculum, make_group

EVENTS, CHECKPOINTS = CertificationEvent._meta.db_table, ChainCheckpoint._meta.db_table
ROOT = Path(__file__).resolve().parents[2]
LEGACY = importlib.import_module("certification.migrations.0009_event_sequence_and_keyed_chain")


def owner_sql(sql: str, params=None, *, table: str = EVENTS) -> None:
    """What the tables' owner can do behind the application's back: switch the append-only
    triggers off, write, switch them on again."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE needs no pending checks
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def verify(*args: str) -> tuple[int, str]:
    """Run the verifier: (exit status, what it printed and the error it ended with)."""
    out = StringIO()
    try:
        call_command("verify_certification_events", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, f"{out.getvalue()}{exc}"
    return 0, out.getvalue()


def export(path: Path, *args: str) -> dict:
    out = StringIO()
    call_command("export_certification_checkpoints", "--output", str(path), *args, stdout=out)
    return json.loads(path.read_text())


def events_of(tenant) -> list[dict]:
    return list(
        CertificationEvent.objects.filter(tenant=tenant)
        .order_by("seq")
        .values("id", *EVENT_FIELDS, "prev_hash", "hash")
    )


def rechain(tenant, *, seal, change=lambda row: None) -> None:
    """Rewrite the tenant's whole chain in place: ``change`` edits each row, ``seal(row, prev)``
    gives its new hash: what a forger with database access and no key can do at best."""
    prev = ""
    for row in events_of(tenant):
        change(row)
        digest = seal(row, prev)
        owner_sql(
            f"UPDATE {EVENTS} SET seq = %s, reason = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [row["seq"], row["reason"], prev, digest, row["id"]],
        )
        prev = digest


@pytest.fixture
def trail(world):
    """Tenant A's chain: a certification approved, another active at once, the first revoked
    (4 events), then checkpointed."""
    cert = certify(world.agent, approve_by=world.lead)
    other = certify(world.other_agent, requires_approval=False)
    revoke_certification(tenant=world.tenant, certification=cert, actor=world.lead, reason="Audit")
    (checkpoint,) = write_checkpoints()
    return SimpleNamespace(
        cert=cert, other=other, checkpoint=checkpoint, events=events_of(world.tenant)
    )


# --- an untouched trail ------------------------------------------------------------------------


def test_an_untouched_trail_verifies_clean_with_database_and_exported_checkpoints(
    trail, world, tmp_path
):
    assert [e["seq"] for e in trail.events] == [1, 2, 3, 4]
    assert (trail.checkpoint.seq, trail.checkpoint.count) == (4, 4)
    assert trail.checkpoint.head_hash == trail.events[-1]["hash"]
    document = export(tmp_path / "checkpoints.json")
    assert [(c["tenant"], c["seq"]) for c in document["checkpoints"]] == [("acme", 4)]

    status, out = verify("--checkpoints", str(tmp_path / "checkpoints.json"))
    assert status == 0, out
    assert (
        "acme: 4 events, chain intact; 1 checkpoints and 1 from files match; "
        "2 certifications match their events"
    ) in out
    assert "other: 0 events, chain intact; 0 checkpoints match" in out


def test_every_change_of_status_or_validity_records_the_resulting_validity(trail):
    trail.cert.refresh_from_db()
    window = {
        "valid_from": rfc3339(trail.cert.valid_from),
        "valid_until": rfc3339(trail.cert.valid_until),
        "grace_until": None,
    }
    mine = [e for e in trail.events if e["certification_id"] == trail.cert.pk]
    assert [(e["new_status"], e["data"]["validity"]) for e in mine] == [
        ("pending", dict.fromkeys(window)),
        ("active", window),
        ("revoked", window),  # revocation keeps the window it closes the use of
    ]


# --- cutting the chain -------------------------------------------------------------------------


def test_deleting_the_newest_event_is_detected(trail):
    owner_sql(f"DELETE FROM {EVENTS} WHERE id = %s", [trail.events[-1]["id"]])
    status, out = verify()
    assert status == 1
    assert (
        f"acme: BROKEN: the chain ends at seq 3, but checkpoint id={trail.checkpoint.pk}"
    ) in out
    assert "names seq 4: events were deleted from its end" in out
    # The revocation's event is gone, so the certification is no longer what its events say.
    assert f"certification {trail.cert.pk}: status expected 'active'" in out
    assert "found 'revoked'" in out


def test_deleting_the_newest_event_and_its_checkpoint_is_caught_by_the_exported_file(
    trail, tmp_path
):
    file = tmp_path / "checkpoints.json"
    export(file)
    owner_sql(f"DELETE FROM {EVENTS} WHERE id = %s", [trail.events[-1]["id"]])
    owner_sql(f"DELETE FROM {CHECKPOINTS}", table=CHECKPOINTS)
    # The certification is put back as the shortened chain says, too.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE certification_certification SET status = 'active', revoked_at = NULL "
            "WHERE id = %s",
            [trail.cert.pk],
        )
    assert verify()[0] == 0  # the database alone cannot tell any more
    status, out = verify("--checkpoints", str(file))
    assert status == 1
    assert f"the chain ends at seq 3, but checkpoint id={trail.checkpoint.pk}" in out
    assert f"({file}) names seq 4" in out


def test_deleting_a_tenants_only_event_is_detected(world):
    tenant = TenantFactory(slug="solo")
    certify(MembershipFactory(tenant=tenant), requires_approval=False)
    (checkpoint,) = write_checkpoints(tenant_ids=[tenant.pk])
    owner_sql(f"DELETE FROM {EVENTS} WHERE tenant_id = %s", [tenant.pk])
    status, out = verify("--tenant", "solo")
    assert status == 1
    assert f"solo: BROKEN: the chain ends at seq 0, but checkpoint id={checkpoint.pk}" in out
    assert "status expected (no event), found 'active'" in out


def test_truncating_the_event_table_is_detected(trail):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {EVENTS}")
    status, out = verify()
    assert status == 1
    assert "acme: BROKEN: the chain ends at seq 0" in out and "deleted from its end" in out


def test_truncating_events_and_checkpoints_is_caught_by_the_exported_file(trail, tmp_path):
    file = tmp_path / "checkpoints.json"
    export(file)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {EVENTS}, {CHECKPOINTS}")
    status, out = verify("--checkpoints", str(file))
    assert status == 1
    assert "the chain ends at seq 0" in out and f"({file}) names seq 4" in out


def test_a_gap_in_the_sequence_is_detected(trail):
    owner_sql(f"DELETE FROM {EVENTS} WHERE id = %s", [trail.events[1]["id"]])
    status, out = verify("--tenant", "acme")
    assert status == 1
    assert (
        f"sequence gap: seq 2 is missing, the next event is event seq=3 "
        f"(id={trail.events[2]['id']})"
    ) in out


# --- rewriting the chain -----------------------------------------------------------------------


def test_rows_rewritten_with_the_former_unkeyed_hash_are_detected(trail, world):
    def forge(row):
        if row["seq"] == 2:
            row["reason"] = "Approved by the director"

    rechain(world.tenant, change=forge, seal=LEGACY._legacy_hash)
    status, out = verify()
    assert status == 1
    assert (
        f"acme: BROKEN: event seq=1 (id={trail.events[0]['id']}): content does not match its "
        "keyed hash (rewritten, or hashed without the key)"
    ) in out


def test_a_gap_closed_and_rehashed_under_any_other_key_is_detected(trail, world):
    """The forger removes event 2, renumbers the rest and recomputes every hash with the
    application's own function, under the key they do not have."""
    owner_sql(f"DELETE FROM {EVENTS} WHERE id = %s", [trail.events[1]["id"]])
    renumber = iter(range(1, 10))

    def close_gap(row):
        row["seq"] = next(renumber)

    rechain(
        world.tenant,
        change=close_gap,
        seal=lambda row, prev: event_mac(row=row, prev_hash=prev, key=b"a guessed key"),
    )
    status, out = verify()
    assert status == 1
    assert "event seq=1" in out and "content does not match its keyed hash" in out
    # And the checkpoint still names seq 4, past the shortened chain's end.
    assert "the chain ends at seq 3" in out


def test_a_row_claiming_another_key_is_detected(trail):
    owner_sql(
        f"UPDATE {EVENTS} SET key_id = 'feedfeedfeedfeed' WHERE id = %s", [trail.events[2]["id"]]
    )
    status, out = verify()
    assert status == 1
    assert "event seq=3" in out and "signed with an unknown key id 'feedfeedfeedfeed'" in out


def test_a_retired_key_still_verifies_what_it_signed_and_new_events_use_the_current_key(
    trail, world, settings
):
    old_id = trail.events[0]["key_id"]
    settings.AUDIT_CHAIN_RETIRED_KEYS = [settings.AUDIT_CHAIN_KEY]
    settings.AUDIT_CHAIN_KEY = "a new key, rotated in " + "x" * 32
    certify(MembershipFactory(tenant=world.tenant, team=world.team), requires_approval=False)
    newest = events_of(world.tenant)[-1]
    assert newest["key_id"] == keyring()[0] != old_id
    assert write_checkpoints()[0].key_id == keyring()[0]
    assert verify()[0] == 0
    settings.AUDIT_CHAIN_RETIRED_KEYS = []
    status, out = verify()
    assert status == 1 and f"signed with an unknown key id {old_id!r}" in out


# --- checkpoints -------------------------------------------------------------------------------


def test_a_checkpoint_below_an_earlier_one_is_detected(trail, world, caplog):
    """The chain emptied and grown again: the next checkpoint names a lower sequence number."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {EVENTS}")
    certify(MembershipFactory(tenant=world.tenant, team=world.team), requires_approval=False)
    with caplog.at_level(logging.ERROR, logger="certification.services.checkpoints"):
        (later,) = write_checkpoints()
    assert "went back from seq 4 to 1" in caplog.text
    status, out = verify()
    assert status == 1
    assert (
        f"acme: BROKEN: checkpoint id={later.pk} of {later.at.isoformat()} (database) names "
        f"seq 1, below seq 4 of the earlier checkpoint id={trail.checkpoint.pk}"
    ) in out
    assert "the chain went backwards" in out


def test_an_altered_checkpoint_is_detected(trail):
    owner_sql(
        f"UPDATE {CHECKPOINTS} SET seq = 3, count = 3, head_hash = %s",
        [trail.events[2]["hash"]],
        table=CHECKPOINTS,
    )
    status, out = verify()
    assert status == 1
    assert f"checkpoint id={trail.checkpoint.pk}" in out and "signature does not match" in out


def test_an_altered_exported_checkpoint_is_detected(trail, tmp_path):
    file = tmp_path / "checkpoints.json"
    document = export(file)
    document["checkpoints"][0]["seq"] = 3
    file.write_text(json.dumps(document))
    status, out = verify("--checkpoints", str(file))
    assert status == 1 and f"({file}): signature does not match" in out


def test_an_exported_checkpoint_missing_from_the_database_is_detected(trail, tmp_path):
    file = tmp_path / "checkpoints.json"
    export(file)
    owner_sql(f"DELETE FROM {CHECKPOINTS}", table=CHECKPOINTS)
    status, out = verify("--checkpoints", str(file))
    assert status == 1 and "is missing from the database's checkpoints" in out


def test_a_tenant_of_the_exported_file_missing_from_the_database_is_detected(trail, tmp_path):
    file = tmp_path / "checkpoints.json"
    document = export(file)
    document["checkpoints"][0]["tenant_id"] = 987654
    file.write_text(json.dumps(document))
    status, out = verify("--checkpoints", str(file))
    assert status == 1 and "BROKEN: tenant id=987654 of checkpoint id=" in out


def test_checkpoints_cannot_be_updated_or_deleted(trail):
    for sql in (f"UPDATE {CHECKPOINTS} SET seq = 1", f"DELETE FROM {CHECKPOINTS}"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert ChainCheckpoint.objects.get().seq == 4


def test_an_insert_that_does_not_continue_the_sequence_is_refused(trail, world):
    columns = ", ".join(name for name in EVENT_FIELDS if name != "seq")
    copy = (
        f"INSERT INTO {EVENTS} (seq, {columns}, prev_hash, hash) "
        f"SELECT %s, {columns}, prev_hash, hash FROM {EVENTS} WHERE id = %s"
    )
    for seq in (6, 0, 2):  # past a gap, not positive, taken
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(copy, [seq, trail.events[0]["id"]])
    owner_sql(f"DELETE FROM {EVENTS} WHERE id = %s", [trail.events[1]["id"]])
    with (
        pytest.raises(DatabaseError, match="must continue its sequence"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(copy, [2, trail.events[0]["id"]])  # back into the past
    assert CertificationEvent.objects.filter(tenant=world.tenant).count() == 3


# --- certifications against their events -------------------------------------------------------


def test_a_status_changed_behind_the_services_is_named(trail):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE certification_certification SET status = 'active' WHERE id = %s",
            [trail.cert.pk],
        )
    status, out = verify()
    assert status == 1
    assert (
        f"acme: BROKEN: certification {trail.cert.pk}: status expected 'revoked' (event seq=4), "
        "found 'active'"
    ) in out
    assert out.rstrip().endswith("found 'active')")  # the error names the first problem


def test_a_validity_extended_behind_the_services_is_named(trail):
    trail.other.refresh_from_db()
    longer = trail.other.valid_until + timedelta(days=365)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE certification_certification SET valid_until = %s WHERE id = %s",
            [longer, trail.other.pk],
        )
    status, out = verify()
    assert status == 1
    assert (
        f"certification {trail.other.pk}: valid_until expected "
        f"'{trail.other.valid_until.isoformat()}' (event seq=3), found '{longer.isoformat()}'"
    ) in out


def test_a_recertification_deadline_removed_behind_the_services_is_named(world):
    curriculum = make_curriculum(world.tenant)
    group = make_group(world.tenant, curricula=[curriculum], requires_approval=False)
    cert = certify(world.agent, group=group)
    new_version = new_curriculum_version(curriculum=curriculum, requires_recertification=True)
    new_version = publish_curriculum(curriculum=new_version)
    assert start_recertification(tenant=world.tenant, curriculum=new_version) == 1
    cert.refresh_from_db()
    event = CertificationEvent.objects.filter(certification=cert).order_by("seq").last()
    assert event.data["validity"]["grace_until"] is not None
    assert verify()[0] == 0
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE certification_certification SET grace_until = NULL WHERE id = %s", [cert.pk]
        )
    status, out = verify()
    assert status == 1
    assert (
        f"certification {cert.pk}: grace_until expected '{cert.grace_until.isoformat()}' "
        f"(event seq={event.seq}), found none"
    ) in out


def test_a_certification_without_events_is_named(trail, world):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO certification_certification (tenant_id, membership_id, skill_group_id, "
            "status, evidence, decision_comment, created_at) "
            "SELECT tenant_id, %s, skill_group_id, 'pending', '{}', '', now() "
            "FROM certification_certification WHERE id = %s RETURNING id",
            [world.admin.pk, trail.other.pk],
        )
        (forged,) = cursor.fetchone()
    status, out = verify()
    assert status == 1
    assert f"certification {forged}: status expected (no event), found 'pending'" in out


# --- the beat task and the published event -----------------------------------------------------


def test_the_beat_task_writes_a_checkpoint_and_publishes_it_once_when_run_twice(world):
    certify(world.agent, approve_by=world.lead)
    assert "certification-checkpoints" in settings.CELERY_BEAT_SCHEDULE
    entry = settings.CELERY_BEAT_SCHEDULE["certification-checkpoints"]
    assert entry["task"] == tasks.write_checkpoints.name

    assert tasks.write_checkpoints.delay().get() == 1  # tenant B has no events: nothing to sign
    assert tasks.write_checkpoints.delay().get() == 0
    checkpoint = ChainCheckpoint.objects.get()
    assert (checkpoint.tenant_id, checkpoint.seq, checkpoint.count) == (world.tenant.pk, 2, 2)
    published = OutboxEvent.objects.filter(event_type="certification.checkpoint")
    assert published.count() == 1
    payload = published.get().payload
    assert payload["checkpoint_id"] == checkpoint.pk
    assert (payload["seq"], payload["head_hash"]) == (2, checkpoint.head_hash)
    assert payload["signature"] == checkpoint.signature


def test_the_beat_task_checkpoints_only_the_tenants_it_is_given(world):
    certify(world.agent, requires_approval=False)
    certify(MembershipFactory(tenant=world.other_tenant), requires_approval=False)
    assert tasks.write_checkpoints.delay([world.other_tenant.pk]).get() == 1
    assert list(ChainCheckpoint.objects.values_list("tenant_id", flat=True)) == [
        world.other_tenant.pk
    ]
    # A new event moves the head: the next run signs it.
    assert tasks.write_checkpoints.delay().get() == 1
    certify(MembershipFactory(tenant=world.other_tenant), requires_approval=False)
    assert tasks.write_checkpoints.delay().get() == 1
    assert ChainCheckpoint.objects.filter(tenant=world.other_tenant).count() == 2


# --- the commands ------------------------------------------------------------------------------


def test_export_writes_to_standard_output_and_refuses_what_it_cannot_do(trail, tmp_path):
    out = StringIO()
    call_command("export_certification_checkpoints", "--output", "-", stdout=out)
    document = json.loads(out.getvalue())
    assert document["format"] == "skillgate-certification-checkpoints"
    assert document["checkpoints"][0]["signature"] == trail.checkpoint.signature
    with pytest.raises(CommandError, match="no tenant with slug 'nope'") as refused:
        call_command("export_certification_checkpoints", "--output", "-", "--tenant", "nope")
    assert refused.value.returncode == 2
    with pytest.raises(CommandError, match="cannot be written"):
        call_command(
            "export_certification_checkpoints", "--output", str(tmp_path / "no" / "such.json")
        )
    assert ChainCheckpoint.objects.count() == 1  # nothing new to sign, every time


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot be read"),
        ("{not json", "not a JSON document"),
        ('{"format": "something else"}', "not a checkpoint file"),
        ('{"format": "skillgate-certification-checkpoints", "version": 9}', "version 9"),
        (
            '{"format": "skillgate-certification-checkpoints", "version": 1, '
            '"checkpoints": [{"tenant_id": "1"}]}',
            "checkpoints[0].tenant_id must be a int",
        ),
    ],
)
def test_an_unreadable_checkpoint_file_exits_2_naming_what_and_where(
    trail, tmp_path, content, message
):
    file = tmp_path / "checkpoints.json"
    if content is not None:
        file.write_text(content)
    status, out = verify("--checkpoints", str(file))
    assert status == 2
    assert str(file) in out and message in out


def test_an_unknown_tenant_exits_2(db):
    assert verify("--tenant", "nope") == (2, "no tenant with slug 'nope'")


def test_production_settings_require_an_audit_key():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"AUDIT_CHAIN_KEY", "PYTEST_CURRENT_TEST", "SKILLGATE_TESTING"}
    }
    env.update(DEBUG="false", SECRET_KEY="s" * 50)
    code = "import skillgate.settings as s; print(len(s.AUDIT_CHAIN_KEY))"
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode != 0 and "AUDIT_CHAIN_KEY must be set" in run.stderr
    env["AUDIT_CHAIN_KEY"] = "k" * 48
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.stdout.strip() == "48", run.stderr


def test_deploy_check_warns_about_a_weak_audit_key(settings):
    from django.core.checks import run_checks

    settings.AUDIT_CHAIN_KEY = "short"
    assert "certification.W001" in [m.id for m in run_checks(include_deployment_checks=True)]
    settings.AUDIT_CHAIN_KEY = settings.SECRET_KEY
    assert "certification.W001" in [m.id for m in run_checks(include_deployment_checks=True)]
    settings.AUDIT_CHAIN_KEY = "k" * 64
    assert "certification.W001" not in [m.id for m in run_checks(include_deployment_checks=True)]
