"""Celery tasks of events: thin wrappers over services, safe to run twice.

A lost message (broker down, worker killed) delays work and never drops it: outbox rows stay
undispatched and deliveries stay due until the periodic sweep finds them."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from . import services, webhooks

logger = logging.getLogger(__name__)

# A redelivered message (worker lost) runs again; these bounds stop a poison message from
# looping: Celery retries are capped per task, and every webhook try is counted in the database
# before it is made, so a delivery is tried at most WEBHOOK_MAX_ATTEMPTS times however often its
# message comes back.
TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "max_retries": 5}


@shared_task(name="events.tasks.dispatch_outbox", bind=True, **TASK_OPTIONS)
def dispatch_outbox(self, tenant_id: int) -> int:
    """Turn a tenant's undispatched outbox events into webhook deliveries and queue them."""
    queued = 0
    for _round in range(20):  # bounded; the sweep picks up anything left
        delivery_ids = services.dispatch_outbox(tenant_id=tenant_id)
        if not delivery_ids:
            break
        for delivery_id in delivery_ids:
            deliver_webhook.apply_async(kwargs={"delivery_id": delivery_id})
        queued += len(delivery_ids)
    return queued


@shared_task(name="events.tasks.deliver_webhook", bind=True, **TASK_OPTIONS)
def deliver_webhook(self, delivery_id: int) -> str:
    """One try of one delivery; on failure the next try is queued after the backoff."""
    claim = services.claim_delivery(delivery_id=delivery_id)
    if claim is None:
        logger.info("delivery %s not due or gone; skipped", delivery_id)
        return "skipped"
    result = webhooks.send(claim.delivery)
    delivery = services.record_attempt(
        delivery=claim.delivery,
        status_code=result.status_code,
        error=result.error,
        duration_ms=result.duration_ms,
        at=result.at,
    )
    if delivery.status == delivery.Status.PENDING and not settings.CELERY_TASK_ALWAYS_EAGER:
        countdown = services.backoff_seconds(delivery.attempts)
        deliver_webhook.apply_async(kwargs={"delivery_id": delivery_id}, countdown=countdown)
    return delivery.status


@shared_task(name="events.tasks.sweep", **TASK_OPTIONS)
def sweep() -> dict:
    """Periodic: re-queue outbox rows whose nudge was lost and deliveries whose retry is due."""
    tenant_ids, delivery_ids = services.due_work()
    for tenant_id in tenant_ids:
        dispatch_outbox.apply_async(kwargs={"tenant_id": tenant_id})
    for delivery_id in delivery_ids:
        deliver_webhook.apply_async(kwargs={"delivery_id": delivery_id})
    return {"tenants": len(tenant_ids), "deliveries": len(delivery_ids)}


@shared_task(name="events.tasks.purge_delivered_events", **TASK_OPTIONS)
def purge_delivered_events() -> int:
    """Daily: forget events older than the retention whose deliveries have all finished."""
    return services.purge_delivered_events(
        older_than=timedelta(days=settings.EVENTS_RETENTION_DAYS)
    )
