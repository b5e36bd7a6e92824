"""Admin of scheduling: shifts are cancelled through the service and drill down by date."""

from __future__ import annotations

import pytest

from events.models import OutboxEvent
from scheduling.models import ShiftAssignment

from .factories import make_certification, make_skill_group, shift, tomorrow_9

pytestmark = pytest.mark.django_db


def test_cancel_action_goes_through_the_service(world, client_for):
    group = make_skill_group(world.tenant)
    make_certification(world.agent, group)
    a = shift(world.agent, group, start=tomorrow_9())
    client_for(world.admin).post(
        "/admin/scheduling/shiftassignment/",
        {"action": "cancel", "_selected_action": [a.pk]},
    )
    a.refresh_from_db()
    assert a.status == ShiftAssignment.Status.CANCELLED and a.cancel_reason
    assert OutboxEvent.objects.filter(event_type="assignment.cancelled").count() == 1


def test_shifts_drill_down_by_date_in_the_admin(world, client_for):
    # The date hierarchy lists years, then days, from a time-zone-converted truncation: a query
    # whose parameters sit in SELECT and ORDER BY, which server-side binding must still accept.
    group = make_skill_group(world.tenant)
    make_certification(world.agent, group)
    start = tomorrow_9()
    shift(world.agent, group, start=start)
    client = client_for(world.admin)
    url = "/admin/scheduling/shiftassignment/"
    assert f"starts_at__year={start.year}" in client.get(url).content.decode()
    month = {"starts_at__year": start.year, "starts_at__month": start.month}
    assert f"starts_at__day={start.day}" in client.get(url, month).content.decode()
    day = client.get(url, {**month, "starts_at__day": start.day})
    assert day.status_code == 200
    assert day.context["cl"].result_count == 1
