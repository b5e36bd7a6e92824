from events import services
from events.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from events.outbox import publish
from scheduling.event_types import CANCELLED


def _endpoint(w):
    return services.create_webhook_endpoint(tenant=w.tenant, url="http://127.0.0.1:9/").endpoint


def _event(w):
    return publish(
        tenant_id=w.tenant.pk, event_type="assignment.cancelled", payload=CANCELLED.example()
    )


def _delivery(w):
    endpoint = _endpoint(w)
    event = _event(w)
    return WebhookDelivery.objects.create(tenant=w.tenant, endpoint=endpoint, event=event)


MAKERS = {
    WebhookEndpoint: _endpoint,
    WebhookDelivery: _delivery,
    OutboxEvent: _event,
}
