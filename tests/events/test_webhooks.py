"""Webhook delivery from the outbox: Standard Webhooks signatures, one delivery per endpoint and
event, retries under the same webhook-id with exponential backoff, a bounded number of tries,
every try logged, admin replay, and a sweep that catches lost nudges."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from standardwebhooks import Webhook

from events import schemas, services, tasks
from events.models import OutboxEvent, WebhookAttempt, WebhookDelivery
from events.outbox import publish
from tests.scheduling.factories import (
    make_certification,
    make_skill_group,
    revoke,
    shift,
    tomorrow_9,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(world, receiver):
    return services.create_webhook_endpoint(tenant=world.tenant, url=receiver.url)


def _publish(world, event_type="certification.revoked", **values):
    payload = schemas.get(event_type).example(**values)
    return publish(tenant_id=world.tenant.pk, event_type=event_type, payload=payload)


def _make_due(delivery_id):
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_event_reaches_the_receiver_with_a_valid_standard_webhooks_signature(
    world, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = _publish(world, employee_id="E1")
    (got,) = receiver.received
    payload = Webhook(endpoint.secret).verify(got.body, got.headers)
    assert payload["type"] == "certification.revoked"
    assert payload["data"] == schemas.get("certification.revoked").example(employee_id="E1")
    assert payload["event_id"] == event.pk
    delivery = WebhookDelivery.objects.get()
    assert got.headers["webhook-id"] == services.webhook_id(delivery)
    assert delivery.status == "delivered" and delivery.attempts == 1
    assert WebhookAttempt.objects.get().status_code == 200
    event.refresh_from_db()
    assert event.dispatched_at is not None


def test_a_tampered_body_fails_verification(
    world, endpoint, receiver, django_capture_on_commit_callbacks
):
    from standardwebhooks.webhooks import WebhookVerificationError

    with django_capture_on_commit_callbacks(execute=True):
        _publish(world)
    got = receiver.received[0]
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(got.body.replace(b"1", b"2"), got.headers)


def test_cascade_cancellations_written_by_the_trigger_are_delivered_too(
    world, endpoint, receiver, django_capture_on_commit_callbacks
):
    group = make_skill_group(world.tenant)
    cert = make_certification(world.agent, group)
    shift(world.agent, group, start=tomorrow_9())
    with django_capture_on_commit_callbacks(execute=True):
        revoke(cert)  # the trigger writes the outbox row; the certification service's own
        _publish(world)  # publish() nudges the dispatcher in the same transaction
    types = sorted(
        Webhook(endpoint.secret).verify(r.body, r.headers)["type"] for r in receiver.received
    )
    assert types == ["assignment.cancelled", "certification.revoked"]


def test_retries_keep_the_same_webhook_id_with_growing_backoff_and_every_try_logged(
    world, endpoint, receiver
):
    receiver.statuses = [500, 503]
    _publish(world)
    tasks.dispatch_outbox(tenant_id=world.tenant.pk)
    delivery = WebhookDelivery.objects.get()
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1
    first_wait = delivery.next_attempt_at - timezone.now()
    # Not due yet: a second run does nothing.
    assert tasks.deliver_webhook(delivery_id=delivery.pk) == "skipped"
    _make_due(delivery.pk)
    tasks.deliver_webhook(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    second_wait = delivery.next_attempt_at - timezone.now()
    assert second_wait > first_wait
    _make_due(delivery.pk)
    assert tasks.deliver_webhook(delivery_id=delivery.pk) == "delivered"
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len(receiver.received) == 3
    assert list(WebhookAttempt.objects.order_by("at").values_list("status_code", flat=True)) == [
        500,
        503,
        200,
    ]


def test_backoff_is_exponential_and_capped(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 3600
    assert [services.backoff_seconds(n) for n in (1, 2, 3, 4, 10)] == [30, 60, 120, 240, 3600]


def test_a_delivery_gives_up_after_the_maximum_number_of_tries(world, endpoint, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.statuses = [500] * 10
    _publish(world)
    tasks.dispatch_outbox(tenant_id=world.tenant.pk)
    delivery = WebhookDelivery.objects.get()
    for _ in range(5):
        _make_due(delivery.pk)
        tasks.deliver_webhook(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 3
    assert len(receiver.received) == 3


def test_a_worker_lost_mid_send_is_bounded_by_the_attempt_count(world, endpoint, settings):
    """Attempts are counted when a try is claimed, before sending: a message that keeps coming
    back because its worker dies cannot loop forever."""
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    _publish(world)
    services.dispatch_outbox(tenant_id=world.tenant.pk)
    delivery = WebhookDelivery.objects.get()
    for _ in range(2):
        assert services.claim_delivery(delivery_id=delivery.pk) is not None  # worker dies here
        assert services.claim_delivery(delivery_id=delivery.pk) is None  # leased meanwhile
        _make_due(delivery.pk)  # the lease ran out
    assert services.claim_delivery(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.status == "failed"


def test_dispatch_twice_creates_one_delivery_per_endpoint_and_event(world, endpoint, receiver):
    services.create_webhook_endpoint(
        tenant=world.tenant, url=receiver.url, event_types=["assignment.cancelled"]
    )
    services.create_webhook_endpoint(tenant=world.other_tenant, url=receiver.url)
    _publish(world)
    _publish(world, "assignment.cancelled")
    services.dispatch_outbox(tenant_id=world.tenant.pk)
    OutboxEvent.objects.update(dispatched_at=None)  # as if the first run's commit was lost
    services.dispatch_outbox(tenant_id=world.tenant.pk)
    # endpoint 1 wants both events, endpoint 2 only the cancellation, the foreign one none.
    assert WebhookDelivery.objects.count() == 3
    assert not WebhookDelivery.objects.filter(tenant=world.other_tenant).exists()


def test_sweep_finds_events_whose_nudge_was_lost_and_due_retries(
    world, endpoint, receiver, settings
):
    settings.OUTBOX_SWEEP_AFTER_SECONDS = 0
    _publish(world)  # no on_commit run: the nudge is lost
    assert receiver.received == []
    assert tasks.sweep() == {"tenants": 1, "deliveries": 0}
    assert len(receiver.received) == 1
    receiver.statuses = [500]
    _publish(world)
    tasks.sweep()
    failed = WebhookDelivery.objects.get(status="pending")
    _make_due(failed.pk)
    assert tasks.sweep()["deliveries"] == 1
    failed.refresh_from_db()
    assert failed.status == "delivered"


def test_replay_sends_again_under_the_same_id(
    world, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _publish(world)
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.replay_delivery(tenant=world.tenant, delivery_id=delivery.pk)
    assert len(receiver.received) == 2
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 2


def test_unreachable_receiver_is_logged_as_a_failed_try(world):
    services.create_webhook_endpoint(tenant=world.tenant, url="http://127.0.0.1:9/nothing")
    _publish(world)
    tasks.dispatch_outbox(tenant_id=world.tenant.pk)
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and attempt.error


def test_celery_configuration_acks_late_requeues_lost_work_and_bounds_redelivery():
    from celery import current_app

    conf = current_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    visibility = conf.broker_transport_options["visibility_timeout"]
    longest_wait = settings.WEBHOOK_RETRY_MAX_SECONDS + settings.CELERY_TASK_TIME_LIMIT
    assert visibility > longest_wait
    assert visibility > settings.CELERY_TASK_TIME_LIMIT
    for name in (
        "events.tasks.dispatch_outbox",
        "events.tasks.deliver_webhook",
        "events.tasks.sweep",
    ):
        task = current_app.tasks[name]
        assert task.acks_late and task.reject_on_worker_lost
        assert task.max_retries is not None
    assert settings.WEBHOOK_MAX_ATTEMPTS >= 1
    assert "events-sweep" in settings.CELERY_BEAT_SCHEDULE
