"""Checkpoints of the event chain: a signed statement of each tenant's head (sequence number and
hash) and event count, kept in the append-only ChainCheckpoint table and published to the
outside as ``certification.checkpoint``. Events cut from the chain's end before a checkpoint
fail verification against it (certification.audit)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from events.outbox import publish
from events.schemas import rfc3339
from tenants.models import Tenant

from ..chain import chain_head, checkpoint_signature, keyring, lock_chain
from ..event_types import CHECKPOINT
from ..models import CertificationEvent, ChainCheckpoint

logger = logging.getLogger(__name__)


def checkpoint_payload(checkpoint: ChainCheckpoint) -> dict:
    """What a checkpoint says, as published and exported."""
    return {
        "checkpoint_id": checkpoint.pk,
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash,
        "count": checkpoint.count,
        "at": rfc3339(checkpoint.at),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


def write_checkpoints(
    *, tenant_ids: Iterable[int] | None = None, now: datetime | None = None
) -> list[ChainCheckpoint]:
    """Checkpoint the chain of every tenant (or of ``tenant_ids``) whose head moved since its
    last checkpoint: idempotent, a second run with no new events writes and publishes nothing.
    Each tenant in its own transaction, under the chain's lock, so the head, the count and the
    checkpoint agree. Returns the checkpoints written."""
    tenants = Tenant.objects.order_by("pk")
    if tenant_ids is not None:
        tenants = tenants.filter(pk__in=list(tenant_ids))
    written = []
    for tenant_id in tenants.values_list("pk", flat=True):
        checkpoint = _checkpoint(tenant_id, now or timezone.now())
        if checkpoint is not None:
            written.append(checkpoint)
    return written


@transaction.atomic
def _checkpoint(tenant_id: int, now: datetime) -> ChainCheckpoint | None:
    lock_chain(tenant_id)
    seq, head_hash = chain_head(tenant_id)
    last = (
        ChainCheckpoint.objects.filter(tenant_id=tenant_id)
        .order_by("-pk")
        .values_list("seq", "head_hash")
        .first()
    )
    if last == (seq, head_hash):
        return None
    if last is not None and seq < last[0]:
        # Only a hand on the database shortens a chain: record what is there, and say so now
        # (the verifier reports it too, against the earlier checkpoint).
        logger.error(
            "certification chain of tenant %s went back from seq %s to %s", tenant_id, last[0], seq
        )
    if seq == 0:
        return None
    count = CertificationEvent.objects.filter(tenant_id=tenant_id).count()
    if count != seq:
        logger.error(
            "certification chain of tenant %s has %s events up to seq %s", tenant_id, count, seq
        )
    kid, ring = keyring()
    checkpoint = ChainCheckpoint(
        tenant_id=tenant_id, seq=seq, head_hash=head_hash, count=count, at=now, key_id=kid
    )
    checkpoint.signature = checkpoint_signature(
        tenant_id=tenant_id,
        seq=seq,
        head_hash=head_hash,
        count=count,
        at=now,
        key_id=kid,
        key=ring[kid],
    )
    checkpoint.save()
    publish(tenant_id=tenant_id, event_type=CHECKPOINT.name, payload=checkpoint_payload(checkpoint))
    return checkpoint
