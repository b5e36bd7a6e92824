"""core.db.insert_rows: one statement, rows in order, ids back, model defaults filled."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certification.models import EmailMessage
from core.db import insert_rows
from events.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_many_rows_go_in_one_statement_in_order_with_their_ids(world):
    at = timezone.now() - timedelta(days=3, microseconds=17)
    rows = [
        (world.tenant.pk, "t.x", {"n": n, "text": "班组长 ✓", "nested": [n]}, at)
        for n in range(250)
    ]
    with CaptureQueriesContext(connection) as ctx:
        ids = insert_rows(
            OutboxEvent, ["tenant_id", "event_type", "payload", "created_at"], rows, returning=True
        )
    assert len(ctx.captured_queries) == 1
    stored = list(OutboxEvent.objects.filter(pk__in=ids).order_by("pk"))
    assert [e.pk for e in stored] == ids
    assert [e.payload["n"] for e in stored] == list(range(250))  # insertion order kept
    assert stored[0].payload == {"n": 0, "text": "班组长 ✓", "nested": [0]}
    assert stored[0].created_at == at and stored[0].dispatched_at is None


def test_left_out_fields_get_their_model_defaults(world):
    before = timezone.now()
    assert insert_rows(EmailMessage, ["tenant_id", "to", "subject", "body"], []) == []
    insert_rows(
        EmailMessage,
        ["tenant_id", "to", "subject", "body"],
        [(world.tenant.pk, "a@example.com", "S", "B")],
    )
    mail = EmailMessage.objects.get()
    assert (mail.attempts, mail.last_error, mail.sent_at) == (0, "", None)
    assert mail.created_at >= before  # auto_now_add: the time of the insert
