"""Reads of events: the scheduler's feed."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from tenants.models import Tenant

from .models import OutboxEvent


def feed_horizon() -> datetime:
    """Events newer than this are held back from the feed: an event id is allocated at insert
    but becomes visible at commit, so a slightly later id can be visible before an earlier one.
    Waiting ``EVENT_FEED_SETTLE_SECONDS`` lets every transaction that took an earlier id commit,
    so a client that stores the last id it saw never skips an event."""
    return timezone.now() - timedelta(seconds=settings.EVENT_FEED_SETTLE_SECONDS)


def event_feed(*, tenant: Tenant, after: int, limit: int) -> list[OutboxEvent]:
    return list(
        OutboxEvent.objects.for_tenant(tenant)
        .filter(pk__gt=after, created_at__lte=feed_horizon())
        .order_by("pk")[:limit]
    )
