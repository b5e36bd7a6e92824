"""Admin of scheduling: the endpoint secret is shown once, deliveries replay, outbox is
read-only, shifts are cancelled through the service."""

from __future__ import annotations

import pytest

from scheduling import services
from scheduling.models import ShiftAssignment, WebhookDelivery, WebhookEndpoint
from tenants.models import OutboxEvent
from tenants.outbox import publish

from .factories import make_certification, make_skill_group, shift, tomorrow_9

pytestmark = pytest.mark.django_db


def test_new_endpoint_shows_its_secret_once(world, client_for):
    client = client_for(world.admin)
    response = client.post(
        "/admin/scheduling/webhookendpoint/add/",
        {
            "url": "https://wfm.example.com/hooks",
            "event_types": '["assignment.cancelled"]',
            "active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.tenant_id == world.tenant.pk
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in " ".join(str(m) for m in response.context["messages"])
    change = client.get(f"/admin/scheduling/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret not in change.content.decode()


def test_replay_action_queues_the_delivery_again(
    world, client_for, django_capture_on_commit_callbacks
):
    endpoint = services.create_webhook_endpoint(
        tenant=world.tenant, url="http://127.0.0.1:9/"
    ).endpoint
    event = publish(tenant_id=world.tenant.pk, event_type="assignment.cancelled", payload={})
    delivery = WebhookDelivery.objects.create(
        tenant=world.tenant, endpoint=endpoint, event=event, status="failed", attempts=12
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client_for(world.admin).post(
            "/admin/scheduling/webhookdelivery/",
            {"action": "replay", "_selected_action": [delivery.pk]},
        )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert callbacks


def test_outbox_is_read_only_in_the_admin(world, client_for):
    event = publish(tenant_id=world.tenant.pk, event_type="x", payload={})
    client = client_for(world.admin)
    assert client.get("/admin/tenants/outboxevent/").status_code == 200
    assert client.get("/admin/tenants/outboxevent/add/").status_code == 403
    client.post(f"/admin/tenants/outboxevent/{event.pk}/change/", {"event_type": "y"})
    event.refresh_from_db()
    assert event.event_type == "x"
    assert OutboxEvent.objects.count() == 1


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
