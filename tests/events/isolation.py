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


def _position(event) -> str:
    event.refresh_from_db(fields=["txid"])
    return f"{event.txid}.{event.pk}"


LIST_URLS = {
    "events-api:events": [
        {},
        {"after": "0", "limit": "1000"},
        # A position of the foreign tenant's feed is compared, never looked up: reading on
        # from it shows only the asking tenant's events.
        lambda ctx: {"after": _position(ctx.foreign.extra["event"])},
    ],
}

OWN_ROWS_SHOWN = {
    "events-api:events": lambda own: f'"position":"{_position(own.extra["event"])}"',
}

NOT_IDS = {
    "events.api:after": "a feed position, compared with (transaction, id), never looked up; "
    "the foreign tenant's position is a LIST_URLS query",
    "events.api:limit": "a page size",
}
