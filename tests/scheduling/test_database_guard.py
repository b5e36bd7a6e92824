"""The invariant holds in the database: whatever writes the row (ORM, bulk_create,
QuerySet.update, raw SQL), no scheduled shift exists without an active certification covering
its whole window; and a certification that stops covering cancels what relied on it."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from certification.models import Certification
from events.models import OutboxEvent
from scheduling.dbguard import GUARD_MESSAGE
from scheduling.models import ShiftAssignment
from tests.database import run_deferred_checks

from .factories import DAY, HOUR, make_certification, make_skill_group, revoke, shift, tomorrow_9

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(world):
    return make_skill_group(world.tenant, "telecom")


def _refused():
    return pytest.raises(DatabaseError, match=GUARD_MESSAGE)


STATES = {
    "uncertified": None,
    "pending": {"status": Certification.Status.PENDING},
    "revoked": {"status": Certification.Status.REVOKED},
    "expired": {"status": Certification.Status.EXPIRED},
    "rejected": {"status": Certification.Status.REJECTED},
    # Active, but ends one hour into tomorrow's 09:00-17:00 shift.
    "expires_during_shift": {"valid_until_offset": 1},
    # Active, but only from 10:00 tomorrow.
    "not_yet_valid": {"valid_from_offset": 1},
}


def _certify(world, group, state):
    spec = STATES[state]
    if spec is None:
        return
    spec = dict(spec)
    start = tomorrow_9()
    if "valid_until_offset" in spec:
        spec = {"valid_until": start + spec.pop("valid_until_offset") * HOUR}
    if "valid_from_offset" in spec:
        spec = {"valid_from": start + spec.pop("valid_from_offset") * HOUR}
    make_certification(world.agent, group, **spec)


@pytest.mark.parametrize("state", list(STATES))
def test_orm_create_of_uncovered_assignment_fails_in_the_database(world, group, state):
    _certify(world, group, state)
    with _refused(), transaction.atomic():
        shift(world.agent, group, start=tomorrow_9())
    assert not ShiftAssignment.objects.exists()


@pytest.mark.parametrize("state", list(STATES))
def test_bulk_create_of_uncovered_assignment_fails_in_the_database(world, group, state):
    _certify(world, group, state)
    start = tomorrow_9()
    rows = [
        ShiftAssignment(
            tenant=world.tenant,
            membership=world.agent,
            skill_group=group,
            starts_at=start + i * DAY,
            ends_at=start + i * DAY + 8 * HOUR,
            source="api",
        )
        for i in range(3)
    ]
    with _refused(), transaction.atomic():
        ShiftAssignment.objects.bulk_create(rows)
    assert not ShiftAssignment.objects.exists()


@pytest.mark.parametrize("state", list(STATES))
def test_raw_sql_insert_of_uncovered_assignment_fails_in_the_database(world, group, state):
    _certify(world, group, state)
    start = tomorrow_9()
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scheduling_shiftassignment (tenant_id, membership_id, skill_group_id,"
            " starts_at, ends_at, status, cancel_reason, source, external_ref, created_at)"
            " VALUES (%s, %s, %s, %s, %s, 'scheduled', '', 'api', '', %s)",
            [world.tenant.pk, world.agent.pk, group.pk, start, start + 8 * HOUR, timezone.now()],
        )
    assert not ShiftAssignment.objects.exists()


def test_covered_assignment_is_written_and_linked_to_its_certification(world, group):
    cert = make_certification(world.agent, group)
    a = shift(world.agent, group, start=tomorrow_9())
    a.refresh_from_db()
    assert a.certification_id == cert.pk


def test_certification_of_another_agent_or_group_does_not_cover(world, group):
    other_group = make_skill_group(world.tenant, "ecommerce")
    make_certification(world.other_agent, group)
    make_certification(world.agent, other_group)
    with _refused(), transaction.atomic():
        shift(world.agent, group, start=tomorrow_9())


def test_moving_a_shift_past_the_certification_fails_for_save_and_queryset_update(world, group):
    start = tomorrow_9()
    make_certification(world.agent, group, valid_until=start + 2 * DAY)
    a = shift(world.agent, group, start=start)
    a.ends_at = start + 3 * DAY
    with _refused(), transaction.atomic():
        a.save()
    with _refused(), transaction.atomic():
        ShiftAssignment.objects.filter(pk=a.pk).update(
            starts_at=start + 3 * DAY, ends_at=start + 4 * DAY
        )
    # Moving it to another agent without a certification fails too.
    with _refused(), transaction.atomic():
        ShiftAssignment.objects.filter(pk=a.pk).update(membership=world.other_agent)
    # Changing a harmless column of a covered shift is fine.
    ShiftAssignment.objects.filter(pk=a.pk).update(external_ref="WFM-1")


def test_reviving_a_cancelled_shift_is_checked_again(world, group):
    cert = make_certification(world.agent, group)
    a = shift(world.agent, group, start=tomorrow_9())
    revoke(cert)
    a.refresh_from_db()
    assert a.status == "cancelled"
    with _refused(), transaction.atomic():
        ShiftAssignment.objects.filter(pk=a.pk).update(status="scheduled", cancel_reason="")


def test_revocation_cancels_exactly_the_uncovered_future_shifts_in_the_same_transaction(
    world, group
):
    other_group = make_skill_group(world.tenant, "ecommerce")
    now = timezone.now()
    cert = make_certification(world.agent, group, valid_from=now - 10 * DAY)
    make_certification(world.agent, other_group)
    make_certification(world.other_agent, group)
    start = tomorrow_9()
    future = [shift(world.agent, group, start=start + i * DAY) for i in range(3)]
    running = shift(world.agent, group, start=now - HOUR, hours=4)  # started, not ended
    ended = shift(world.agent, group, start=now - 2 * DAY)
    other_group_shift = shift(world.agent, other_group, start=start + 5 * DAY)
    other_agent_shift = shift(world.other_agent, group, start=start)
    already = shift(world.agent, group, start=start + 6 * DAY)
    ShiftAssignment.objects.filter(pk=already.pk).update(status="cancelled", cancel_reason="sick")
    events_before = OutboxEvent.objects.count()

    try:
        with transaction.atomic():
            revoke(cert)
            assert (
                ShiftAssignment.objects.filter(
                    pk__in=[a.pk for a in [*future, running]], status="cancelled"
                ).count()
                == 4
            )
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    # Rolled back together: nothing cancelled, no event.
    assert ShiftAssignment.objects.filter(status="cancelled").count() == 1
    assert OutboxEvent.objects.count() == events_before

    revoke(cert)

    cancelled = set(ShiftAssignment.objects.filter(status="cancelled").values_list("pk", flat=True))
    assert cancelled == {a.pk for a in [*future, running, already]}
    for a in [*future, running]:
        a.refresh_from_db()
        assert a.cancel_reason and a.cancelled_at is not None
        assert "revoked" in a.cancel_reason
    for a in (ended, other_group_shift, other_agent_shift):
        a.refresh_from_db()
        assert a.status == "scheduled"
    events = list(OutboxEvent.objects.filter(event_type="assignment.cancelled").order_by("pk"))
    assert [e.payload["assignment_id"] for e in events] == [
        running.pk,
        *[a.pk for a in future],
    ]
    assert events[0].payload["reason_code"] == "certification_revoked"
    assert events[0].payload["employee_id"] == world.agent.employee_id
    assert events[0].payload["skill_group"] == "telecom"
    assert events[0].payload["starts_at"].endswith("Z")
    assert all(e.tenant_id == world.tenant.pk for e in events)


def test_shortened_validity_cancels_only_shifts_beyond_the_new_end(world, group):
    start = tomorrow_9()
    cert = make_certification(world.agent, group, valid_until=start + 30 * DAY)
    shifts = [shift(world.agent, group, start=start + i * DAY) for i in range(5)]
    Certification.objects.filter(pk=cert.pk).update(valid_until=start + 2 * DAY + 12 * HOUR)
    status = dict(ShiftAssignment.objects.values_list("pk", "status"))
    assert [status[a.pk] for a in shifts] == [
        "scheduled",
        "scheduled",
        "scheduled",
        "cancelled",
        "cancelled",
    ]
    reasons = OutboxEvent.objects.filter(event_type="assignment.cancelled").values_list(
        "payload", flat=True
    )
    assert {p["reason_code"] for p in reasons} == {"certification_window_changed"}


def test_expiry_by_raw_sql_cancels_and_publishes(world, group):
    cert = make_certification(world.agent, group)
    a = shift(world.agent, group, start=tomorrow_9())
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE certification_certification SET status = 'expired' WHERE id = %s", [cert.pk]
        )
    a.refresh_from_db()
    assert a.status == "cancelled"
    event = OutboxEvent.objects.get(event_type="assignment.cancelled")
    assert event.payload["reason_code"] == "certification_expired"
    assert event.dispatched_at is None


def test_unrelated_certification_update_cancels_nothing(world, group):
    cert = make_certification(world.agent, group)
    a = shift(world.agent, group, start=tomorrow_9())
    Certification.objects.filter(pk=cert.pk).update(
        decision_comment="ok", valid_until=cert.valid_until + DAY
    )
    a.refresh_from_db()
    assert a.status == "scheduled"
    assert not OutboxEvent.objects.filter(event_type="assignment.cancelled").exists()


def test_one_statement_expiring_many_certifications_cancels_each_shift_once(world, group):
    """The expiry sweep changes thousands of certifications in one UPDATE: every shift they no
    longer cover is cancelled once, its event names its own certification and tenant, and a
    certification the statement leaves active keeps its shifts."""
    other_group = make_skill_group(world.other_tenant, "telecom")
    start = tomorrow_9()
    mine = make_certification(world.agent, group)
    theirs = make_certification(world.other_agent_b, other_group)
    kept = make_certification(world.other_agent, group)
    my_shifts = [shift(world.agent, group, start=start + i * DAY) for i in range(2)]
    their_shift = shift(world.other_agent_b, other_group, start=start)
    kept_shift = shift(world.other_agent, group, start=start)

    Certification.objects.filter(pk__in=[mine.pk, theirs.pk, kept.pk]).update(
        status=Case(When(pk=kept.pk, then=F("status")), default=Value("expired"))
    )

    status = dict(ShiftAssignment.objects.values_list("pk", "status"))
    assert [status[a.pk] for a in [*my_shifts, their_shift]] == ["cancelled"] * 3
    assert status[kept_shift.pk] == "scheduled"
    events = OutboxEvent.objects.filter(event_type="assignment.cancelled").order_by("pk")
    assert [
        (e.tenant_id, e.payload["assignment_id"], e.payload["certification_id"]) for e in events
    ] == sorted(
        [
            (world.tenant.pk, my_shifts[0].pk, mine.pk),
            (world.tenant.pk, my_shifts[1].pk, mine.pk),
            (world.other_tenant.pk, their_shift.pk, theirs.pk),
        ],
        key=lambda e: (e[2], e[1]),
    )
    assert {e.payload["reason_code"] for e in events} == {"certification_expired"}


def _cancel_reasons():
    return [
        e.payload["reason_code"]
        for e in OutboxEvent.objects.filter(event_type="assignment.cancelled").order_by("pk")
    ]


def test_revoking_by_delete_and_reinsert_cancels_the_shifts(world, group):
    """Deleting the row and inserting it again under the same id with another status passes
    the deferred foreign keys at commit; the delete alone already cancels what it covered."""
    cert = make_certification(world.agent, group)
    a = shift(world.agent, group, start=tomorrow_9())
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE saved AS SELECT * FROM certification_certification WHERE id = %s",
            [cert.pk],
        )
        cursor.execute("DELETE FROM certification_certification WHERE id = %s", [cert.pk])
        cursor.execute("UPDATE saved SET status = 'revoked', revoked_at = now()")
        cursor.execute("INSERT INTO certification_certification SELECT * FROM saved")
    run_deferred_checks()
    a.refresh_from_db()
    assert a.status == "cancelled"
    assert _cancel_reasons() == ["certification_deleted"]


def test_deleting_a_certification_that_shifts_rely_on_is_refused_at_commit(world, group):
    cert = make_certification(world.agent, group)
    shift(world.agent, group, start=tomorrow_9())
    with pytest.raises(DatabaseError, match="certification_id"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM certification_certification WHERE id = %s", [cert.pk])
        run_deferred_checks()
    assert Certification.objects.filter(pk=cert.pk).exists()


def test_truncating_certifications_is_refused_while_shifts_reference_them(world, group):
    make_certification(world.agent, group)
    shift(world.agent, group, start=tomorrow_9())
    run_deferred_checks()
    with (
        pytest.raises(DatabaseError, match="foreign key"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE certification_certification")
    assert ShiftAssignment.objects.filter(status="scheduled").count() == 1


def test_moving_a_certification_to_another_tenant_cancels_its_shifts_and_is_refused(world, group):
    cert = make_certification(world.agent, group)
    a = shift(world.agent, group, start=tomorrow_9())
    with pytest.raises(DatabaseError, match="tenant_fk"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE certification_certification SET tenant_id = %s WHERE id = %s",
                [world.other_tenant.pk, cert.pk],
            )
        # Even before the keys refuse it at commit, the shift no longer counts as covered.
        a.refresh_from_db()
        assert a.status == "cancelled"
        assert _cancel_reasons() == ["certification_window_changed"]
        run_deferred_checks()
    a.refresh_from_db()
    assert a.status == "scheduled"


def test_renumbering_a_certification_that_shifts_rely_on_is_refused_at_commit(world, group):
    cert = make_certification(world.agent, group)
    shift(world.agent, group, start=tomorrow_9())
    with pytest.raises(DatabaseError, match="certification_id"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE certification_certification SET id = id + 1000 WHERE id = %s", [cert.pk]
            )
        run_deferred_checks()
    assert Certification.objects.filter(pk=cert.pk).exists()


def test_repointing_a_shift_at_a_revoked_certification_is_resolved_again(world, group):
    active = make_certification(world.agent, group)
    revoked = make_certification(world.agent, group, status=Certification.Status.REVOKED)
    a = shift(world.agent, group, start=tomorrow_9())
    ShiftAssignment.objects.filter(pk=a.pk).update(certification=revoked)
    a.refresh_from_db()
    assert (a.status, a.certification_id) == ("scheduled", active.pk)
