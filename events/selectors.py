"""Reads of events: the scheduler's feed.

An event's id is taken when its transaction inserts it, but the row becomes visible when that
transaction commits, so ids become visible out of order: a feed paged by id lets a reader pass an
id that a longer transaction (the expiry sweep, a 10,000-shift bulk assignment) commits later,
and that event is never read. Waiting a fixed "settle" time only narrows the window.

So the feed pages by position ``(txid, id)``: the writing transaction's id first (recorded by the
database on every insert), then the event id. It returns only events of transactions older than
the oldest one of this database still in progress (``HORIZON``): those are all committed or
gone, and every transaction still running or not yet begun has an id at or above that horizon,
so its events will sort after any position already handed out. A reader can never move past an event
that commits later, however long the transaction; a transaction held open delays the feed until
it ends, and loses nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.expressions import RawSQL

from tenants.models import Tenant

from .models import OutboxEvent

# Every transaction of this database below this id is finished (committed or rolled back): the
# oldest transaction the statement's snapshot still sees in progress, or the next id to be handed
# out. Transactions that pg_stat_activity shows belong to another database of the cluster are
# left out, so a long transaction elsewhere does not stall the feed; one it cannot place (no
# privilege to see it, a prepared transaction) still counts, which can only delay the feed.
HORIZON = RawSQL(
    """(SELECT COALESCE(MIN(x.xid::text::bigint), MIN(pg_snapshot_xmax(s.snap)::text::bigint))
          FROM (SELECT pg_current_snapshot() AS snap) s
          LEFT JOIN LATERAL pg_snapshot_xip(s.snap) AS x(xid) ON NOT EXISTS (
               SELECT 1 FROM pg_stat_activity a
                WHERE a.datname <> current_database()
                  AND a.backend_xid::text::bigint = x.xid::text::bigint %% 4294967296))""",
    [],
)
MAX_ID = 2**63 - 1
_POSITION = re.compile(r"(\d{1,19})\.(\d{1,19})")


@dataclass(frozen=True, order=True)
class FeedPosition:
    txid: int
    event_id: int

    def __str__(self) -> str:
        return f"{self.txid}.{self.event_id}"

    @classmethod
    def of(cls, event: OutboxEvent) -> FeedPosition:
        return cls(event.txid, event.pk)

    @classmethod
    def parse(cls, text: str) -> FeedPosition | None:
        """A position as the feed writes it (``"<txid>.<id>"``), or None if ``text`` is not
        one. ``"0"`` is the start of the feed."""
        if text == "0":
            return cls(0, 0)
        match = _POSITION.fullmatch(text)
        if match is None:
            return None
        txid, event_id = (int(part) for part in match.groups())
        return cls(txid, event_id) if txid <= MAX_ID and event_id <= MAX_ID else None


def event_feed(*, tenant: Tenant, after: FeedPosition, limit: int) -> list[OutboxEvent]:
    """The tenant's next ``limit`` finished events after ``after``, in position order."""
    return list(
        OutboxEvent.objects.for_tenant(tenant)
        .filter(txid__lt=HORIZON, txid__gte=after.txid)
        .filter(Q(txid__gt=after.txid) | Q(pk__gt=after.event_id))
        .order_by("txid", "pk")[:limit]
    )
