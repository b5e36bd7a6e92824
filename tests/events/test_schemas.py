"""Every event type has one declared schema; every way of publishing it writes that shape."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection

from events import schemas
from events.models import OutboxEvent
from events.outbox import publish
from scheduling import services as scheduling_services
from scheduling.event_types import CANCELLED
from tests.scheduling.factories import (
    make_certification,
    make_skill_group,
    revoke,
    shift,
    tomorrow_9,
)

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "integration.md"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z")


def test_both_ways_of_cancelling_a_shift_publish_the_same_fields_and_time_format(world):
    group = make_skill_group(world.tenant)
    cert = make_certification(world.agent, group)
    by_lead = shift(world.agent, group, start=tomorrow_9())
    by_revocation = shift(world.agent, group, start=tomorrow_9().replace(microsecond=250000))
    scheduling_services.cancel_assignment(
        tenant=world.tenant, assignment_id=by_lead.pk, reason="Sick", actor=world.lead.user
    )
    revoke(cert)  # the database cascade cancels the other one

    events = {
        e.payload["assignment_id"]: e.payload
        for e in OutboxEvent.objects.filter(event_type="assignment.cancelled")
    }
    service, trigger = events[by_lead.pk], events[by_revocation.pk]
    assert set(service) == set(trigger) == CANCELLED.keys
    assert service["cancelled_by"] == world.lead.user.get_username()
    assert trigger["cancelled_by"] is None
    assert (service["status"], trigger["status"]) == ("cancelled", "cancelled")
    assert trigger["certification_id"] == cert.pk
    assert service["starts_at"] == schemas.rfc3339(by_lead.starts_at)
    assert trigger["starts_at"] == schemas.rfc3339(by_revocation.starts_at)
    assert trigger["starts_at"].endswith(".250000Z")
    for payload in (service, trigger):
        assert RFC3339.fullmatch(payload["starts_at"]) and RFC3339.fullmatch(payload["ends_at"])


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 8, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC),
        datetime.fromisoformat("2026-03-02T08:00:00.5+08:00"),
    ],
)
def test_the_sql_twin_writes_times_exactly_as_python_does(value):
    with connection.cursor() as cursor:
        cursor.execute("SELECT events_rfc3339(%s)", [value])
        assert cursor.fetchone()[0] == schemas.rfc3339(value)


def test_a_payload_other_than_declared_is_refused(world):
    with pytest.raises(ValueError, match="declared"):
        publish(tenant_id=world.tenant.pk, event_type=CANCELLED.name, payload={"reason": "x"})
    with pytest.raises(Exception, match="not declared"):
        publish(tenant_id=world.tenant.pk, event_type="assignment.moved", payload={})
    assert not OutboxEvent.objects.exists()


def test_the_integration_guide_documents_every_declared_type():
    text = DOCS.read_text()
    for event_type in schemas.declared():
        heading = f"### `{event_type.name}` (version {event_type.version})"
        assert heading in text, f"docs/integration.md lacks {heading!r}"
        section = text.split(heading, 1)[1].split("\n### ", 1)[0]
        for field, kind in event_type.fields.items():
            assert f"| `{field}` | {kind} |" in section, f"{event_type.name}.{field} undocumented"


def test_the_openapi_schema_has_a_component_per_event_type(world, client_for):
    schema = client_for(world.admin).get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    for event_type in schemas.declared():
        component = components[schemas.component_name(event_type)]
        assert set(component["properties"]) == event_type.keys
        assert component["x-event-version"] == event_type.version
