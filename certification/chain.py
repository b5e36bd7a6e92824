"""The tamper-evident event chain: each CertificationEvent hashes its content plus the previous
event's hash (per tenant). Writers serialise per tenant (a PostgreSQL advisory transaction lock),
so concurrent writers still form one unbroken chain."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from core.db import insert_rows

from .models import CertificationEvent

# Advisory lock namespace for the per-tenant event chain ("cert" in ASCII).
LOCK_NAMESPACE = 0x63657274

_local = threading.local()

# The hashed content of an event, in column order.
EVENT_FIELDS = (
    "tenant_id",
    "certification_id",
    "actor_id",
    "at",
    "old_status",
    "new_status",
    "reason",
    "request_id",
    "data",
)


def current_request_id() -> str:
    """The request id of the running request (X-Request-ID or generated), else a fresh one."""
    return getattr(_local, "request_id", None) or uuid.uuid4().hex


def set_request_id(value: str | None) -> None:
    _local.request_id = value


def request_id_from(request) -> str:
    """X-Request-ID if the client (or proxy) sent a sane one, else a new one."""
    given = (request.headers.get("X-Request-ID") or "").strip()
    if given and len(given) <= 64 and given.isprintable():
        return given
    return uuid.uuid4().hex


@dataclass
class EventSpec:
    certification_id: int
    new_status: str
    old_status: str = ""
    actor_id: int | None = None
    reason: str = ""
    data: dict | None = None


def _iso(value: datetime) -> str:
    return value.isoformat()


def content_hash(*, row: dict, prev_hash: str) -> str:
    """sha256 over canonical JSON (sorted keys, no spaces) of the row's content and prev hash."""
    content = {
        "tenant": row["tenant_id"],
        "certification": row["certification_id"],
        "actor": row["actor_id"],
        "at": _iso(row["at"]),
        "old_status": row["old_status"],
        "new_status": row["new_status"],
        "reason": row["reason"],
        "request_id": row["request_id"],
        "data": row["data"],
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def lock_chain(tenant_id: int) -> None:
    """Serialise writers of one tenant's chain until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, tenant_id])


def append_events(
    *, tenant_id: int, specs: list[EventSpec], at: datetime, request_id: str | None = None
) -> int:
    """Append events to the tenant's chain in one INSERT (hashes computed here, in order).
    Call inside the transaction of the change they describe. Returns how many were appended."""
    if not specs:
        return 0
    lock_chain(tenant_id)
    prev = (
        CertificationEvent.objects.filter(tenant_id=tenant_id)
        .order_by("-pk")
        .values_list("hash", flat=True)
        .first()
    ) or ""
    request_id = request_id or current_request_id()
    rows = []
    for spec in specs:
        # Round-trip through JSON so the hashed value equals what the database gives back
        # (most events carry no data: a sweep's 10,000 need no round trip).
        data = json.loads(json.dumps(spec.data, sort_keys=True, default=str)) if spec.data else {}
        row = {
            "tenant_id": tenant_id,
            "certification_id": spec.certification_id,
            "actor_id": spec.actor_id,
            "at": at,
            "old_status": spec.old_status,
            "new_status": spec.new_status,
            "reason": spec.reason,
            "request_id": request_id,
            "data": data,
        }
        digest = content_hash(row=row, prev_hash=prev)
        rows.append((*(row[name] for name in EVENT_FIELDS), prev, digest))
        prev = digest
    insert_rows(CertificationEvent, [*EVENT_FIELDS, "prev_hash", "hash"], rows)
    return len(rows)


@dataclass
class ChainBreak:
    tenant_id: int
    event_id: int
    problem: str


def verify_chain(*, tenant_id: int) -> tuple[int, ChainBreak | None]:
    """Walk a tenant's chain in id order; return (rows checked, first row that does not match)."""
    prev = ""
    checked = 0
    rows = (
        CertificationEvent.objects.filter(tenant_id=tenant_id)
        .order_by("pk")
        .values("id", *EVENT_FIELDS, "prev_hash", "hash")
        .iterator(chunk_size=2000)
    )
    for row in rows:
        checked += 1
        if row["prev_hash"] != prev:
            return checked, ChainBreak(tenant_id, row["id"], "previous hash does not match")
        if content_hash(row=row, prev_hash=prev) != row["hash"]:
            return checked, ChainBreak(tenant_id, row["id"], "content does not match its hash")
        prev = row["hash"]
    return checked, None
