"""Retention: events dispatched long ago whose deliveries have all finished are purged in
batches with their deliveries and tries; everything else stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from events import services
from events.models import OutboxEvent, WebhookAttempt, WebhookDelivery
from events.outbox import publish
from scheduling.event_types import CANCELLED

pytestmark = pytest.mark.django_db

OLD = timezone.now() - timedelta(days=40)


def event(tenant, ref, *, dispatched_at=OLD, delivery=None):
    payload = CANCELLED.example(external_ref=ref)
    e = publish(tenant_id=tenant.pk, event_type=CANCELLED.name, payload=payload)
    OutboxEvent.objects.filter(pk=e.pk).update(dispatched_at=dispatched_at)
    if delivery is not None:
        endpoint = services.create_webhook_endpoint(tenant=tenant, url="http://127.0.0.1:9/")
        d = WebhookDelivery.objects.create(
            tenant=tenant, endpoint=endpoint.endpoint, event=e, status=delivery
        )
        WebhookAttempt.objects.create(tenant=tenant, delivery=d, at=OLD, status_code=200)
    return e


def refs():
    return sorted(OutboxEvent.objects.values_list("payload__external_ref", flat=True))


def test_old_finished_events_go_with_their_deliveries_and_the_rest_stays(world):
    for i in range(5):
        event(world.tenant, f"old-{i}")
    event(world.tenant, "old-delivered", delivery="delivered")
    event(world.other_tenant, "old-failed", delivery="failed")
    event(world.tenant, "old-pending", delivery="pending")
    event(world.tenant, "undispatched", dispatched_at=None)
    event(world.tenant, "recent", dispatched_at=timezone.now() - timedelta(days=1))

    deleted = services.purge_delivered_events(older_than=timedelta(days=30), batch=2)

    assert deleted == 7
    assert refs() == ["old-pending", "recent", "undispatched"]
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == ["pending"]
    assert WebhookAttempt.objects.count() == 1


def test_purging_twice_deletes_nothing_more(world):
    event(world.tenant, "old")
    assert services.purge_delivered_events(older_than=timedelta(days=30)) == 1
    assert services.purge_delivered_events(older_than=timedelta(days=30)) == 0


def test_the_daily_task_purges_by_the_retention_setting(world, settings):
    from django.conf import settings as conf

    from events import tasks

    assert (
        conf.CELERY_BEAT_SCHEDULE["events-purge-delivered"]["task"]
        == tasks.purge_delivered_events.name
    )
    event(world.tenant, "40-days-old")
    settings.EVENTS_RETENTION_DAYS = 45
    assert tasks.purge_delivered_events.delay().get() == 0
    settings.EVENTS_RETENTION_DAYS = 30
    assert tasks.purge_delivered_events.delay().get() == 1
    assert refs() == []
