"""Certification's own services change certifications; scheduling's triggers react in the same
transaction, and the scheduler hears about both through the outbox."""

from __future__ import annotations

import pytest
from django.utils import timezone

from certification import services as certification_services
from certification.models import Certification
from events.models import OutboxEvent
from scheduling.models import ShiftAssignment

from .factories import DAY, make_certification, make_skill_group, shift, tomorrow_9

pytestmark = pytest.mark.django_db


def test_revocation_through_the_certification_service_cancels_and_publishes(world):
    group = make_skill_group(world.tenant)
    cert = make_certification(world.agent, group)
    a = shift(world.agent, group, start=tomorrow_9())
    certification_services.revoke_certification(
        tenant=world.tenant, certification=cert, actor=world.lead, reason="Compliance breach"
    )
    a.refresh_from_db()
    assert a.status == ShiftAssignment.Status.CANCELLED
    types = list(OutboxEvent.objects.order_by("pk").values_list("event_type", flat=True))
    assert "certification.revoked" in types and "assignment.cancelled" in types


def test_expiry_sweep_by_recertification_deadline_cancels_later_shifts(world):
    group = make_skill_group(world.tenant)
    cert = make_certification(world.agent, group)
    Certification.objects.filter(pk=cert.pk).update(grace_until=timezone.now() + 2 * DAY)
    before = shift(world.agent, group, start=tomorrow_9())
    after = shift(world.agent, group, start=tomorrow_9() + 3 * DAY)
    certification_services.expire_due_certifications(now=timezone.now() + 2 * DAY + DAY / 2)
    before.refresh_from_db()
    after.refresh_from_db()
    # The sweep runs "in the future" here, but cancels by the database clock: both not yet ended.
    assert {before.status, after.status} == {"cancelled"}
    assert OutboxEvent.objects.filter(event_type="assignment.cancelled").count() == 2
