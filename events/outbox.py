"""Writing events for the outside world. Call inside the transaction of the change itself."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.db import insert_rows
from core.handoffs import queue

from . import schemas
from .models import OutboxEvent


def publish(*, tenant_id: int, event_type: str, payload: dict) -> OutboxEvent:
    """Record an event in the outbox (same transaction as the caller's change) and nudge the
    dispatcher after commit. If the nudge is lost (broker down), the periodic dispatcher still
    finds the row: the event is delayed, never dropped. The payload must have the fields its
    type declares (``events.schemas``)."""
    schemas.get(event_type).check(payload)
    event = OutboxEvent.objects.create(tenant_id=tenant_id, event_type=event_type, payload=payload)
    transaction.on_commit(lambda: _nudge(tenant_id))
    return event


def publish_many(*, tenant_id: int, events: list[tuple[str, dict]]) -> int:
    """``publish`` for many events: one INSERT whatever their number (sweeps, bulk shifts)."""
    if not events:
        return 0
    for event_type, payload in events:
        schemas.get(event_type).check(payload)
    now = timezone.now()
    insert_rows(
        OutboxEvent,
        ["tenant_id", "event_type", "payload", "created_at"],
        [(tenant_id, event_type, payload, now) for event_type, payload in events],
    )
    transaction.on_commit(lambda: _nudge(tenant_id))
    return len(events)


def _nudge(tenant_id: int) -> None:
    from .tasks import dispatch_outbox  # the tasks import the services, which import this

    queue(dispatch_outbox, tenant_id=tenant_id)
