"""The event feed pages in commit order: no reader can move past an event that commits later.

These tests commit for real (``transaction=True``): the feed shows only events of finished
transactions, and a test's own transaction would otherwise never finish."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from events.outbox import publish as publish_event
from scheduling.event_types import CANCELLED

pytestmark = pytest.mark.django_db(transaction=True)

FEED = "/api/v1/events/"


def publish(*, tenant_id: int, ref: str):
    """An event told apart from the others by its external reference."""
    payload = CANCELLED.example(external_ref=ref)
    return publish_event(tenant_id=tenant_id, event_type=CANCELLED.name, payload=payload)


def refs(events):
    return [e["data"]["external_ref"] for e in events]


@pytest.fixture
def api(world, api_client_for):
    return api_client_for(world.tenant)


def read_all(api, after="0", limit=100):
    """Every event the feed hands out from ``after`` on, page by page, and the last position."""
    seen = []
    while True:
        page = api.get(FEED, {"after": after, "limit": limit}).json()
        seen += page["results"]
        after = page["next_after"]
        if not page["has_more"]:
            return seen, after


def test_feed_pages_in_order_and_never_repeats(world, api):
    for i in range(5):
        publish(tenant_id=world.tenant.pk, ref=str(i))
    first = api.get(FEED, {"after": "0", "limit": 3}).json()
    assert refs(first["results"]) == ["0", "1", "2"]
    assert first["has_more"] is True
    second = api.get(FEED, {"after": first["next_after"], "limit": 3}).json()
    assert refs(second["results"]) == ["3", "4"]
    assert second["has_more"] is False
    assert second["next_after"] == second["results"][-1]["position"]
    third = api.get(FEED, {"after": second["next_after"]}).json()
    assert third == {"results": [], "next_after": second["next_after"], "has_more": False}


def test_a_long_transaction_is_never_skipped(world, api):
    """One transaction writes an event and stays open far longer than the old settle time
    (2 s) while another commits an event and a reader moves its cursor; once the long one
    commits, the reader's cursor still yields its event."""
    written = threading.Event()
    release = threading.Event()

    def long_transaction():
        try:
            with transaction.atomic():
                publish(tenant_id=world.tenant.pk, ref="long")
                written.set()
                release.wait(30)
        finally:
            connection.close()

    worker = threading.Thread(target=long_transaction)
    worker.start()
    try:
        assert written.wait(10)
        publish(tenant_id=world.tenant.pk, ref="short")
        seen, cursor = read_all(api)
        time.sleep(3)
        more, cursor = read_all(api, cursor)
        seen += more
        assert "long" not in refs(seen)
    finally:
        release.set()
        worker.join(30)
    more, cursor = read_all(api, cursor)
    seen += more
    assert sorted(refs(seen)) == ["long", "short"]
    assert len({e["id"] for e in seen}) == 2


def test_events_of_a_rolled_back_transaction_never_appear(world, api):
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(tenant_id=world.tenant.pk, ref="gone")
        raise RuntimeError
    publish(tenant_id=world.tenant.pk, ref="kept")
    seen, _cursor = read_all(api)
    assert refs(seen) == ["kept"]


def test_another_tenants_events_are_not_in_the_feed(world, api):
    publish(tenant_id=world.other_tenant.pk, ref="foreign")
    assert read_all(api)[0] == []


@pytest.mark.parametrize(
    "after", ["x", "-1", "12", "1.", ".1", "1.2.3", "1e3.1", "99999999999999999999.1", "1.2\x00"]
)
def test_a_position_the_feed_did_not_write_is_400(api, after):
    response = api.get(FEED, {"after": after})
    assert response.status_code == 400
    # A NUL is refused before the feed reads its cursor (issue 16, skillgate/middleware.py).
    code = "invalid_text" if "\x00" in after else "invalid_after"
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize("limit", ["0", "5000", "x"])
def test_a_bad_limit_is_400(api, limit):
    response = api.get(FEED, {"limit": limit})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_limit"
