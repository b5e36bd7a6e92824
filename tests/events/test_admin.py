"""Admin of events: the endpoint secret is shown once, deliveries replay, the outbox is
read-only."""

from __future__ import annotations

import pytest

from events import services
from events.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from events.outbox import publish
from scheduling.event_types import CANCELLED

pytestmark = pytest.mark.django_db


def test_new_endpoint_shows_its_secret_once(world, client_for):
    client = client_for(world.admin)
    response = client.post(
        "/admin/events/webhookendpoint/add/",
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
    change = client.get(f"/admin/events/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret not in change.content.decode()


def test_replay_action_queues_the_delivery_again(
    world, client_for, django_capture_on_commit_callbacks
):
    endpoint = services.create_webhook_endpoint(
        tenant=world.tenant, url="http://127.0.0.1:9/"
    ).endpoint
    event = publish(
        tenant_id=world.tenant.pk, event_type="assignment.cancelled", payload=CANCELLED.example()
    )
    delivery = WebhookDelivery.objects.create(
        tenant=world.tenant, endpoint=endpoint, event=event, status="failed", attempts=12
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client_for(world.admin).post(
            "/admin/events/webhookdelivery/",
            {"action": "replay", "_selected_action": [delivery.pk]},
        )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert callbacks


def test_outbox_is_read_only_in_the_admin(world, client_for):
    event = publish(
        tenant_id=world.tenant.pk, event_type="assignment.cancelled", payload=CANCELLED.example()
    )
    client = client_for(world.admin)
    assert client.get("/admin/events/outboxevent/").status_code == 200
    assert client.get("/admin/events/outboxevent/add/").status_code == 403
    client.post(f"/admin/events/outboxevent/{event.pk}/change/", {"event_type": "y"})
    event.refresh_from_db()
    assert event.event_type == "assignment.cancelled"
    assert OutboxEvent.objects.count() == 1
