"""Moving the outbox and webhooks into the events app keeps every row of an existing database."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("tenants", "0002_tenant_first_indexes_only"),
    ("scheduling", "0005_shift_keys_without_own_indexes"),
]
AFTER = [("scheduling", "0007_cascade_into_events_outbox")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    yield
    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())  # later tests need the whole schema


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_there_after_it(world, back_to_latest):
    old = _migrate(BEFORE)
    OldEvent = old.get_model("tenants", "OutboxEvent")  # noqa: N806
    OldEndpoint = old.get_model("scheduling", "WebhookEndpoint")  # noqa: N806
    OldDelivery = old.get_model("scheduling", "WebhookDelivery")  # noqa: N806
    event = OldEvent.objects.create(tenant_id=world.tenant.pk, event_type="x.y", payload={"a": 1})
    endpoint = OldEndpoint.objects.create(
        tenant_id=world.tenant.pk, url="https://wfm.example.com/", secret="whsec_x"
    )
    OldDelivery.objects.create(tenant_id=world.tenant.pk, endpoint=endpoint, event=event)

    new = _migrate(AFTER)
    Event = new.get_model("events", "OutboxEvent")  # noqa: N806
    Delivery = new.get_model("events", "WebhookDelivery")  # noqa: N806
    assert list(Event.objects.values_list("pk", "event_type", "payload")) == [
        (event.pk, "x.y", {"a": 1})
    ]
    delivery = Delivery.objects.select_related("endpoint", "event").get()
    assert (delivery.event_id, delivery.endpoint.url) == (event.pk, "https://wfm.example.com/")
    # New rows keep numbering after the old ones.
    assert Event.objects.create(tenant_id=world.tenant.pk, event_type="z").pk > event.pk
