"""State changes of events: webhook endpoints, dispatching the outbox into deliveries, one
try of a delivery and replays. Publishing lives in ``events.outbox``; the feed in the selectors."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotFound
from core.handoffs import queue
from tenants.models import Tenant

from .addresses import webhook_target
from .models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


@transaction.atomic
def create_webhook_endpoint(
    *, tenant: Tenant, url: str, event_types: list[str] | None = None, active: bool = True
) -> NewEndpoint:
    """Register an endpoint with a fresh signing secret (``whsec_…``), returned for showing once.
    The URL must pass ``webhook_target``."""
    url = url.strip()
    webhook_target(url)
    secret = new_webhook_secret()
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant, url=url, secret=secret, event_types=list(event_types or []), active=active
    )
    return NewEndpoint(endpoint=endpoint, secret=secret)


@transaction.atomic
def update_webhook_endpoint(
    *,
    tenant: Tenant,
    endpoint_id: int,
    url: str,
    event_types: list[str] | None = None,
    active: bool = True,
) -> WebhookEndpoint:
    """Change an endpoint. A changed URL must pass ``webhook_target``; an unchanged one is kept
    as it is, so an endpoint saved before a rule existed can still be switched off or narrowed
    (its deliveries are checked before every try anyway)."""
    endpoint = (
        WebhookEndpoint.objects.for_tenant(tenant)
        .select_for_update()
        .filter(pk=endpoint_id)
        .first()
    )
    if endpoint is None:
        raise NotFound(_("Not found."))
    url = url.strip()
    if url != endpoint.url:
        webhook_target(url)
    endpoint.url = url
    endpoint.event_types = list(event_types or [])
    endpoint.active = active
    endpoint.save(update_fields=["url", "event_types", "active"])
    return endpoint


def webhook_id(delivery: WebhookDelivery) -> str:
    """Stable per event and endpoint, so every retry of one delivery carries the same id."""
    return f"msg_sg{delivery.tenant_id}_{delivery.event_id}_{delivery.endpoint_id}"


def backoff_seconds(attempts: int) -> int:
    """Exponential backoff after ``attempts`` failed tries: base * 2^(n-1), capped."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return int(min(base * 2 ** max(attempts - 1, 0), settings.WEBHOOK_RETRY_MAX_SECONDS))


@transaction.atomic
def dispatch_outbox(*, tenant_id: int, limit: int = 500) -> list[int]:
    """Turn undispatched outbox events of a tenant into one delivery per matching active
    endpoint and mark them dispatched. Safe to run twice at once (rows are claimed with
    SKIP LOCKED; deliveries are unique per endpoint and event). Returns the delivery ids to send
    (queued after commit by the caller)."""
    events = list(
        OutboxEvent.objects.for_tenant(tenant_id)
        .select_for_update(skip_locked=True)
        .filter(dispatched_at__isnull=True)
        .order_by("pk")[:limit]
    )
    if not events:
        return []
    endpoints = list(WebhookEndpoint.objects.for_tenant(tenant_id).filter(active=True))
    now = timezone.now()
    deliveries = [
        WebhookDelivery(tenant_id=tenant_id, endpoint=ep, event=ev, next_attempt_at=now)
        for ev in events
        for ep in endpoints
        if ep.wants(ev.event_type)
    ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(dispatched_at=now)
    return list(
        WebhookDelivery.objects.for_tenant(tenant_id)
        .filter(event_id__in=[e.pk for e in events], status=WebhookDelivery.Status.PENDING)
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class Claim:
    delivery: WebhookDelivery
    attempt_no: int


def claim_delivery(*, delivery_id: int) -> Claim | None:
    """Take a due delivery for one try: a conditional update counts the attempt and leases the
    row until the timeout passes, so two workers never send it at once and a worker that dies
    mid-send cannot loop forever (attempts are counted before sending)."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 2 + 5)
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint", "event")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .first()
        )
        if delivery is None:
            return None
        if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS or not delivery.endpoint.active:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "next_attempt_at"])
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = lease
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return Claim(delivery=delivery, attempt_no=delivery.attempts)


@transaction.atomic
def record_attempt(
    *,
    delivery: WebhookDelivery,
    status_code: int | None,
    error: str,
    duration_ms: int,
    at: datetime,
) -> WebhookDelivery:
    """Log one try and decide what comes next: delivered (2xx), retry later with exponential
    backoff under the same webhook-id, or give up after ``WEBHOOK_MAX_ATTEMPTS``."""
    WebhookAttempt.objects.create(
        tenant_id=delivery.tenant_id,
        delivery=delivery,
        at=at,
        status_code=status_code,
        error=error[:2000],
        duration_ms=duration_ms,
    )
    ok = status_code is not None and 200 <= status_code < 300
    delivery.last_status_code = status_code
    delivery.last_error = "" if ok else error[:2000]
    if ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = timezone.now() + timedelta(
            seconds=backoff_seconds(delivery.attempts)
        )
    delivery.save(
        update_fields=[
            "status",
            "delivered_at",
            "next_attempt_at",
            "last_status_code",
            "last_error",
        ]
    )
    return delivery


@transaction.atomic
def replay_delivery(*, tenant: Tenant, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again (admin action), under the same webhook-id so receivers that already
    have it can drop it. The attempt counter restarts; the log keeps every earlier try."""
    delivery = (
        WebhookDelivery.objects.for_tenant(tenant)
        .select_for_update()
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise NotFound(_("Not found."))
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    transaction.on_commit(lambda: _queue_delivery(delivery.pk))
    return delivery


def _queue_delivery(delivery_id: int) -> None:
    from .tasks import deliver_webhook  # tasks import this module

    queue(deliver_webhook, delivery_id=delivery_id)


def due_work(*, limit: int = 1000) -> tuple[list[int], list[int]]:
    """What the periodic sweep re-queues: tenants with undispatched outbox events older than a
    few seconds (their nudge was lost, e.g. broker down), and deliveries whose retry time came."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS)
    tenants = list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, created_at__lte=stale)
        .values_list("tenant_id", flat=True)
        .distinct()
        .order_by("tenant_id")[:limit]
    )
    deliveries = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return tenants, deliveries


# The rows of one batch: events dispatched before the cutoff whose deliveries have all finished
# (delivered or given up), with those deliveries and their tries. FOR UPDATE SKIP LOCKED leaves
# rows a dispatcher or a replay holds to the next run. The foreign keys are checked at commit,
# after all three deletes.
_PURGE_BATCH = """
WITH doomed AS (
    SELECT e.id, e.tenant_id FROM events_outboxevent e
     WHERE e.dispatched_at < %(cutoff)s
       AND NOT EXISTS (SELECT 1 FROM events_webhookdelivery d
                        WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id
                          AND d.status = 'pending')
     ORDER BY e.id
     LIMIT %(batch)s
       FOR UPDATE SKIP LOCKED
), gone_deliveries AS (
    DELETE FROM events_webhookdelivery d USING doomed
     WHERE d.tenant_id = doomed.tenant_id AND d.event_id = doomed.id
    RETURNING d.id, d.tenant_id
), gone_attempts AS (
    DELETE FROM events_webhookattempt a USING gone_deliveries g
     WHERE a.tenant_id = g.tenant_id AND a.delivery_id = g.id
)
DELETE FROM events_outboxevent e USING doomed WHERE e.id = doomed.id
"""


def purge_delivered_events(*, older_than: timedelta, batch: int = 5000) -> int:
    """Delete events dispatched longer ago than ``older_than`` whose webhook deliveries have all
    finished, with their deliveries and tries: batch by batch, each in its own transaction, so
    the table is never locked for long. Safe to run twice at once. Returns the events deleted."""
    cutoff = timezone.now() - older_than
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_PURGE_BATCH, {"cutoff": cutoff, "batch": batch})
            count = cursor.rowcount
        deleted += count
        if count < batch:
            return deleted
