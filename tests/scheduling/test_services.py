"""Assignment services: reasons in words before the database guard, all-or-nothing vs partial,
cancellation, eligibility now and for past windows, headcount, constant query counts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from certification.models import Certification
from core.errors import InvalidInput
from events.models import OutboxEvent
from scheduling import selectors, services
from scheduling.models import ShiftAssignment
from scheduling.services import AssignmentRequest, AssignmentsRefused
from tests.factories import MembershipFactory

from .factories import DAY, HOUR, make_certification, make_skill_group, revoke, shift, tomorrow_9

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(world):
    return make_skill_group(world.tenant, "telecom")


def req(member, code="telecom", start=None, hours=8, **kw):
    start = start or tomorrow_9()
    return AssignmentRequest(
        employee_id=member.employee_id if hasattr(member, "employee_id") else member,
        skill_group=code,
        starts_at=start,
        ends_at=start + hours * HOUR,
        **kw,
    )


def create(world, items, partial=False):
    return services.create_assignments(
        tenant=world.tenant, items=items, source="api", partial=partial
    )


def test_every_reason_code_is_given_for_the_matching_item(world, group):
    start = tomorrow_9()
    pending = MembershipFactory(tenant=world.tenant)
    revoked = MembershipFactory(tenant=world.tenant)
    short = MembershipFactory(tenant=world.tenant)
    make_certification(world.agent, group)
    make_certification(pending, group, status=Certification.Status.PENDING)
    make_certification(revoked, group, status=Certification.Status.REVOKED)
    make_certification(short, group, valid_until=start + HOUR)
    naive = start.replace(tzinfo=None)
    items = [
        req(world.agent, start=start),  # 0 ok
        req(world.other_agent, start=start),  # 1 not certified
        req(pending, start=start),  # 2
        req(short, start=start),  # 3
        req(revoked, start=start),  # 4
        req("NOPE", start=start),  # 5
        req(world.agent, code="nope", start=start),  # 6
        req(world.agent, start=start + 4 * HOUR),  # 7 overlaps item 0
        AssignmentRequest(world.agent.employee_id, "telecom", start, start),  # 8
        AssignmentRequest(world.agent.employee_id, "telecom", naive, naive + HOUR),  # 9
    ]
    with pytest.raises(AssignmentsRefused) as exc:
        create(world, items)
    codes = {r["index"]: r["code"] for r in exc.value.details["refused"]}
    assert codes == {
        1: "not_certified",
        2: "pending_approval",
        3: "expires_before_shift_end",
        4: "revoked",
        5: "unknown_agent",
        6: "unknown_skill_group",
        7: "overlapping_assignment",
        8: "invalid_window",
        9: "naive_datetime",
    }
    assert not ShiftAssignment.objects.exists()

    result = create(world, items, partial=True)
    assert len(result.created) == 1
    assert [r.index for r in result.refused] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert ShiftAssignment.objects.count() == 1


def test_overlap_with_an_existing_shift_in_another_group_is_refused(world, group):
    other = make_skill_group(world.tenant, "ecommerce")
    make_certification(world.agent, group)
    make_certification(world.agent, other)
    shift(world.agent, other, start=tomorrow_9())
    with pytest.raises(AssignmentsRefused) as exc:
        create(world, [req(world.agent, start=tomorrow_9() + 7 * HOUR)])
    assert exc.value.details["refused"][0]["code"] == "overlapping_assignment"
    # Back-to-back is fine.
    create(world, [req(world.agent, start=tomorrow_9() + 8 * HOUR)])


def test_created_shifts_publish_events_and_link_certifications(world, group):
    cert = make_certification(world.agent, group)
    result = create(world, [req(world.agent, external_ref="WFM-7")])
    (a,) = result.created
    assert a.pk and a.certification_id == cert.pk and a.external_ref == "WFM-7"
    event = OutboxEvent.objects.get(event_type="assignment.created")
    assert event.payload["assignment_id"] == a.pk
    assert event.payload["employee_id"] == world.agent.employee_id


def test_too_many_items_are_refused_before_anything_else(world):
    items = [req("x")] * (services.MAX_ITEMS + 1)
    with pytest.raises(InvalidInput) as exc:
        create(world, items)
    assert exc.value.code == "too_many_items"


def test_cancel_needs_a_reason_and_is_idempotent(world, group):
    make_certification(world.agent, group)
    a = shift(world.agent, group, start=tomorrow_9())
    with pytest.raises(InvalidInput) as exc:
        services.cancel_assignment(tenant=world.tenant, assignment_id=a.pk, reason="  ")
    assert exc.value.code == "reason_required"
    services.cancel_assignment(tenant=world.tenant, assignment_id=a.pk, reason="Sick leave")
    services.cancel_assignment(tenant=world.tenant, assignment_id=a.pk, reason="Other")
    a.refresh_from_db()
    assert (a.status, a.cancel_reason) == ("cancelled", "Sick leave")
    assert OutboxEvent.objects.filter(event_type="assignment.cancelled").count() == 1


def test_cancel_of_another_tenants_shift_is_not_found(world, group):
    from core.errors import NotFound

    make_certification(world.agent, group)
    a = shift(world.agent, group, start=tomorrow_9())
    with pytest.raises(NotFound):
        services.cancel_assignment(tenant=world.other_tenant, assignment_id=a.pk, reason="x")


def test_eligibility_covers_the_whole_window_only(world, group):
    start = tomorrow_9()
    make_certification(world.agent, group)
    make_certification(world.other_agent, group, valid_until=start + 4 * HOUR)
    eligible = selectors.eligible_agents(
        tenant=world.tenant, skill_group=group, start=start, end=start + 8 * HOUR
    )
    assert [c.membership_id for c in eligible] == [world.agent.pk]
    eligible = selectors.eligible_agents(
        tenant=world.tenant, skill_group=group, start=start, end=start + 2 * HOUR
    )
    assert {c.membership_id for c in eligible} == {world.agent.pk, world.other_agent.pk}


def test_eligibility_for_a_past_window_counts_later_revoked_and_expired_certifications(
    world, group
):
    now = timezone.now()
    last_march = now - 200 * DAY
    window = (last_march, last_march + 8 * HOUR)
    revoked = make_certification(world.agent, group, valid_from=now - 300 * DAY)
    revoke(revoked, at=now - 100 * DAY)
    make_certification(
        world.other_agent,
        group,
        status=Certification.Status.EXPIRED,
        valid_from=now - 365 * DAY,
        valid_until=now - 10 * DAY,
    )
    late = MembershipFactory(tenant=world.tenant)
    make_certification(late, group, valid_from=now - 50 * DAY)  # certified after the window
    early_revoked = MembershipFactory(tenant=world.tenant)
    make_certification(
        early_revoked,
        group,
        status=Certification.Status.REVOKED,
        valid_from=now - 365 * DAY,
        revoked_at=now - 250 * DAY,
    )
    pending = MembershipFactory(tenant=world.tenant)
    make_certification(pending, group, status=Certification.Status.PENDING)

    past = selectors.eligible_agents(
        tenant=world.tenant, skill_group=group, start=window[0], end=window[1]
    )
    assert {c.membership_id for c in past} == {world.agent.pk, world.other_agent.pk}

    start = tomorrow_9()
    future = selectors.eligible_agents(
        tenant=world.tenant, skill_group=group, start=start, end=start + HOUR
    )
    assert {c.membership_id for c in future} == {late.pk}


def test_headcount_counts_agents_certified_now(world, group):
    make_certification(world.agent, group)
    make_certification(world.other_agent, group, status=Certification.Status.PENDING)
    make_skill_group(world.tenant, "travel")
    counts = {
        g.code: g.certified_headcount
        for g in selectors.skill_groups_with_headcount(tenant=world.tenant)
    }
    assert counts == {"telecom": 1, "travel": 0}


def _agents(world, group, n):
    members = MembershipFactory.create_batch(n, tenant=world.tenant)
    for m in members:
        make_certification(m, group)
    return members


def test_eligible_agents_query_count_is_constant(world, group, django_assert_num_queries):
    start = tomorrow_9()
    _agents(world, group, 3)
    with django_assert_num_queries(1):
        assert (
            len(
                selectors.eligible_agents(
                    tenant=world.tenant, skill_group=group, start=start, end=start + HOUR
                )
            )
            == 3
        )
    _agents(world, group, 30)
    with django_assert_num_queries(1):
        assert (
            len(
                selectors.eligible_agents(
                    tenant=world.tenant, skill_group=group, start=start, end=start + HOUR
                )
            )
            == 33
        )


def _bulk(members, days):
    start = tomorrow_9()
    return [req(m, start=start + d * DAY) for m in members for d in range(days)]


def test_bulk_assignment_query_count_does_not_grow_with_the_items(
    world, group, django_assert_num_queries
):
    # Savepoint, agents, skill groups, certifications, existing shifts, one INSERT of the
    # shifts, one of their outbox events, release.
    members = _agents(world, group, 10)
    with django_assert_num_queries(8) as small:
        create(world, _bulk(members[:2], 2))
    ShiftAssignment.objects.all().delete()
    with django_assert_num_queries(len(small.captured_queries)):
        create(world, _bulk(members, 6))


def test_ten_thousand_assignments_take_as_many_queries_as_ten(
    world, group, django_assert_num_queries
):
    members = _agents(world, group, 100)
    with django_assert_num_queries(8) as small:
        result = create(world, _bulk(members[:5], 2))
    assert len(result.created) == 10
    ShiftAssignment.objects.all().delete()
    with django_assert_num_queries(len(small.captured_queries)):
        result = create(world, _bulk(members, 100))
    assert len(result.created) == 10_000


def test_old_idempotency_records_are_purged(world):
    from scheduling.models import IdempotencyRecord
    from scheduling.tasks import purge_idempotency_records

    old = IdempotencyRecord.objects.create(
        tenant=world.tenant, key="old", request_hash="h", status_code=201, response={}
    )
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - 3 * DAY)
    IdempotencyRecord.objects.create(
        tenant=world.tenant, key="new", request_hash="h", status_code=201, response={}
    )
    assert purge_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
