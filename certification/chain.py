"""The tamper-evident event chain: each CertificationEvent carries its tenant's next sequence
number (1, 2, 3, ... without gaps) and an HMAC-SHA256, under a key kept outside the database
(settings.AUDIT_CHAIN_KEY), of its content plus the previous event's hash. Writers serialise per
tenant (a PostgreSQL advisory transaction lock), so concurrent writers still form one unbroken
chain. Checkpoints sign a tenant's head (its sequence number and hash) with the same key; they
anchor the chain's end, which the hashes alone cannot (docs/security.md, "Audit trail").

The key id stored with every row and checkpoint is a fingerprint of its key, so a retired key
(settings.AUDIT_CHAIN_RETIRED_KEYS) still verifies what it signed."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection

from core.db import insert_rows
from events.schemas import rfc3339

from .models import CertificationEvent

# Advisory lock namespace for the per-tenant event chain ("cert" in ASCII).
LOCK_NAMESPACE = 0x63657274

_local = threading.local()

# The hashed content of an event, in column order.
EVENT_FIELDS = (
    "tenant_id",
    "seq",
    "key_id",
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


# What every event that changes a certification's status or validity records of the result,
# under data["validity"]: the verifier compares each certification with its latest such event.
VALIDITY_FIELDS = ("valid_from", "valid_until", "grace_until")
Validity = tuple[datetime | None, datetime | None, datetime | None]


def validity_of(cert) -> Validity:
    return (cert.valid_from, cert.valid_until, cert.grace_until)


@dataclass
class EventSpec:
    certification_id: int
    new_status: str
    old_status: str = ""
    actor_id: int | None = None
    reason: str = ""
    data: dict | None = None
    # The certification's validity after the change (validity_of): every event that changes
    # its status or validity carries it.
    validity: Validity | None = None


def key_id(key: bytes) -> str:
    """A key's fingerprint (an HMAC of a constant under it): names the key, reveals nothing."""
    return hmac.new(key, b"skillgate audit key id", hashlib.sha256).hexdigest()[:16]


def keyring() -> tuple[str, dict[str, bytes]]:
    """(id of the current key, {key id: key}) of the current and the retired keys."""
    current = settings.AUDIT_CHAIN_KEY.encode()
    ring = {key_id(current): current}
    for retired in settings.AUDIT_CHAIN_RETIRED_KEYS:
        ring.setdefault(key_id(retired.encode()), retired.encode())
    return key_id(current), ring


def _mac(key: bytes, content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def event_mac(*, row: dict, prev_hash: str, key: bytes) -> str:
    """HMAC-SHA256 over canonical JSON (sorted keys, no spaces) of the row's content, its place
    in the chain (tenant, seq, previous hash) and the key's id; times in UTC."""
    return _mac(
        key,
        {
            "kind": "certification-event",
            "tenant": row["tenant_id"],
            "seq": row["seq"],
            "key_id": row["key_id"],
            "certification": row["certification_id"],
            "actor": row["actor_id"],
            "at": rfc3339(row["at"]),
            "old_status": row["old_status"],
            "new_status": row["new_status"],
            "reason": row["reason"],
            "request_id": row["request_id"],
            "data": row["data"],
            "prev_hash": prev_hash,
        },
    )


def checkpoint_signature(
    *, tenant_id: int, seq: int, head_hash: str, count: int, at: datetime, key_id: str, key: bytes
) -> str:
    """The HMAC that signs a checkpoint: the tenant's head (seq and hash), how many events the
    tenant had, and when."""
    return _mac(
        key,
        {
            "kind": "certification-checkpoint",
            "tenant": tenant_id,
            "seq": seq,
            "hash": head_hash,
            "count": count,
            "at": rfc3339(at),
            "key_id": key_id,
        },
    )


def lock_chain(tenant_id: int) -> None:
    """Serialise writers of one tenant's chain until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, tenant_id])


def chain_head(tenant_id: int) -> tuple[int, str]:
    """(seq, hash) of the tenant's newest event; (0, "") before the first."""
    head = (
        CertificationEvent.objects.filter(tenant_id=tenant_id)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    return head or (0, "")


def append_events(
    *, tenant_id: int, specs: list[EventSpec], at: datetime, request_id: str | None = None
) -> int:
    """Append events to the tenant's chain in one INSERT (sequence numbers and hashes computed
    here, in order). Call inside the transaction of the change they describe. Returns how many
    were appended."""
    if not specs:
        return 0
    lock_chain(tenant_id)
    seq, prev = chain_head(tenant_id)
    kid, ring = keyring()
    key = ring[kid]
    request_id = request_id or current_request_id()
    rows = []
    for spec in specs:
        seq += 1
        # Round-trip through JSON so the hashed value equals what the database gives back
        # (most events carry no data of their own: a sweep's 10,000 need no round trip).
        data = json.loads(json.dumps(spec.data, sort_keys=True, default=str)) if spec.data else {}
        if spec.validity is not None:
            data["validity"] = dict(zip(VALIDITY_FIELDS, map(rfc3339, spec.validity), strict=True))
        row = {
            "tenant_id": tenant_id,
            "seq": seq,
            "key_id": kid,
            "certification_id": spec.certification_id,
            "actor_id": spec.actor_id,
            "at": at,
            "old_status": spec.old_status,
            "new_status": spec.new_status,
            "reason": spec.reason,
            "request_id": request_id,
            "data": data,
        }
        digest = event_mac(row=row, prev_hash=prev, key=key)
        rows.append((*(row[name] for name in EVENT_FIELDS), prev, digest))
        prev = digest
    insert_rows(CertificationEvent, [*EVENT_FIELDS, "prev_hash", "hash"], rows)
    return len(rows)
