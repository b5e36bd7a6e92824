"""Issue 16: least privilege. The role the web processes and workers use runs every operation of
the application, and is refused what only the tables' owner may do: truncating, DDL, disabling
triggers, and changing or deleting rows of the append-only tables."""

from __future__ import annotations

import io
import json
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from certification.models import Certification, CertificationEvent, ChainCheckpoint
from certification.services import (
    expire_due_certifications,
    revoke_certification,
    write_checkpoints,
)
from core.db.roles import append_only_tables, grant_runtime_privileges
from events.models import OutboxEvent
from events.services import purge_delivered_events
from scheduling.models import ShiftAssignment
from tests.certification.factories import certify
from tests.scheduling.factories import HOUR, tomorrow_9

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def runtime_role(db):
    """A role like production's runtime role (created inside the test's transaction, so it
    disappears with it; named after the test database so parallel runs do not collide)."""
    name = f"{connection.settings_dict['NAME']}_runtime"[:63]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {connection.ops.quote_name(name)} NOLOGIN")
    grant_runtime_privileges(role=name)
    return name


@contextmanager
def acting_as(role: str):
    """Run the block with exactly the privileges of ``role`` (what a connection logged in as
    that role would have)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def _current_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def test_the_runtime_role_runs_the_applications_own_operations(
    world, runtime_role, api_client_for, client_for
):
    api = api_client_for(world.tenant)
    lead = client_for(world.lead)
    with acting_as(runtime_role):
        assert _current_user() == runtime_role
        # Training, the certification rules and a team lead's approval (event chain, outbox).
        cert = certify(world.agent, approve_by=world.lead)
        assert cert.status == Certification.Status.ACTIVE
        # The scheduler schedules and cancels through the API (guard, idempotency, outbox).
        start = tomorrow_9()
        item = {
            "employee_id": world.agent.employee_id,
            "skill_group": cert.skill_group.code,
            "starts_at": start.isoformat(),
            "ends_at": (start + 8 * HOUR).isoformat(),
        }
        created = api.post(
            f"{API}/assignments/",
            data=json.dumps([item]),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="roles-1",
        )
        assert created.status_code == 201, created.content
        first = ShiftAssignment.objects.get()
        cancelled = api.delete(
            f"{API}/assignments/{first.pk}/",
            data=json.dumps({"reason": "Agent on leave"}),
            content_type="application/json",
        )
        assert cancelled.status_code == 200
        # The lead's pages (sessions, the dashboard's reads).
        assert lead.get("/").status_code == 200
        # A revocation cascades into the shifts (the trigger runs as the runtime role).
        api.post(
            f"{API}/assignments/",
            data=json.dumps([{**item, "external_ref": "again"}]),
            content_type="application/json",
        )
        revoke_certification(
            tenant=world.tenant, certification=cert, actor=world.admin, reason="Audit"
        )
        assert set(ShiftAssignment.objects.values_list("status", flat=True)) == {"cancelled"}
        # The periodic sweeps: expiry (set-based) and the outbox purge (deletes).
        expire_due_certifications(now=timezone.now() + timedelta(days=3650))
        OutboxEvent.objects.update(dispatched_at=timezone.now() - timedelta(days=90))
        assert purge_delivered_events(older_than=timedelta(days=30)) > 0
        # The beat task signs a checkpoint of the chain's head (an append-only table).
        write_checkpoints()
        assert ChainCheckpoint.objects.filter(tenant=world.tenant).exists()
        # The verifier reads the chain.
        call_command("verify_certification_events", stdout=io.StringIO())
    assert CertificationEvent.objects.filter(certification=cert).count() >= 2


FORBIDDEN = {
    "truncate the outbox": "TRUNCATE events_outboxevent",
    "truncate the event chain": "TRUNCATE certification_certificationevent CASCADE",
    "rewrite an event": "UPDATE certification_certificationevent SET reason = 'edited'",
    "delete an event": "DELETE FROM certification_certificationevent",
    "rewrite a checkpoint": "UPDATE certification_chaincheckpoint SET seq = 0",
    "delete a checkpoint": "DELETE FROM certification_chaincheckpoint",
    "disable the guard": "ALTER TABLE scheduling_shiftassignment DISABLE TRIGGER ALL",
    "drop the append-only trigger": (
        "DROP TRIGGER certification_event_no_update ON certification_certificationevent"
    ),
    "create a table": "CREATE TABLE skillgate_backdoor (id int)",
    "drop a table": "DROP TABLE tenants_apikey CASCADE",
    "add a column": "ALTER TABLE tenants_membership ADD COLUMN backdoor int",
}


@pytest.mark.parametrize("statement", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_the_runtime_role_is_refused_what_only_the_owner_may_do(world, runtime_role, statement):
    certify(world.agent, approve_by=world.lead)
    events = CertificationEvent.objects.count()
    assert events > 0
    with (
        acting_as(runtime_role),
        pytest.raises(DatabaseError, match="permission denied|must be owner"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert CertificationEvent.objects.count() == events


def test_migrate_grants_the_configured_runtime_role(runtime_role, settings):
    with connection.cursor() as cursor:
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {runtime_role}")
    settings.DATABASE_RUNTIME_ROLE = runtime_role
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    def may(table: str, privilege: str) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT has_table_privilege(%s, %s, %s)", [runtime_role, table, privilege]
            )
            return cursor.fetchone()[0]

    assert append_only_tables() == [
        "certification_certificationevent",
        "certification_chaincheckpoint",
    ]
    assert may("tenants_membership", "UPDATE")
    assert may("certification_certificationevent", "INSERT")
    assert not may("certification_certificationevent", "UPDATE")
    assert not may("certification_certificationevent", "DELETE")
    assert not may("events_outboxevent", "TRUNCATE")
