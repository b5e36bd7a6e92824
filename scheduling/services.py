"""State changes of scheduling: shift assignments and idempotent API writes. The database guard
(scheduling/dbguard.py) is the last word on the invariant; the checks here come first so that a
refusal says why in words."""

from __future__ import annotations

import bisect
import functools
import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certification.models import Certification, SkillGroup
from core.db import insert_rows
from core.errors import Conflict, DomainError, InvalidInput, NotFound, Unprocessable
from events.outbox import publish, publish_many
from events.schemas import rfc3339
from tenants.models import Membership, Tenant, User

from . import dbguard
from .models import IdempotencyRecord, ShiftAssignment
from .selectors import CertFacts, covering
from .selectors import certification_reason as _certification_reason

logger = logging.getLogger(__name__)

MAX_ITEMS = 10_000

# Reason codes of a refused assignment (stable; documented in docs/integration.md).
REASONS = {
    "not_certified": gettext_lazy("The agent holds no certification for this skill group."),
    "pending_approval": gettext_lazy(
        "The agent's certification for this skill group is still waiting for approval."
    ),
    "expires_before_shift_end": gettext_lazy(
        "The agent's certification expires before the shift ends."
    ),
    "revoked": gettext_lazy("The agent's certification for this skill group was revoked."),
    "unknown_agent": gettext_lazy("No active agent has this employee id."),
    "unknown_skill_group": gettext_lazy("No skill group has this code."),
    "overlapping_assignment": gettext_lazy(
        "The agent already has a scheduled shift overlapping this window."
    ),
    "invalid_window": gettext_lazy("The shift must end after it starts."),
    "naive_datetime": gettext_lazy(
        "Times must carry a UTC offset, e.g. 2026-03-02T08:00:00+08:00."
    ),
    "invalid_item": gettext_lazy("The item is malformed."),
}


# --------------------------------------------------------------------------- assignments
@dataclass(frozen=True)
class AssignmentRequest:
    employee_id: str
    skill_group: str
    starts_at: datetime | None
    ends_at: datetime | None
    external_ref: str = ""
    error: str | None = None  # a reason code found while parsing the item
    error_detail: str = ""


@dataclass(frozen=True)
class Refusal:
    index: int
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"index": self.index, "code": self.code, "message": self.message}


class Scheduled(NamedTuple):
    """A shift written by ``create_assignments`` (plain values: no model instance per row)."""

    pk: int
    employee_id: str
    skill_group: str
    certification_id: int
    starts_at: datetime
    ends_at: datetime
    external_ref: str
    source: str
    status: str = ShiftAssignment.Status.SCHEDULED


@dataclass
class BulkResult:
    created: list[Scheduled] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


class AssignmentsRefused(Unprocessable):
    code = "assignments_refused"


def refusal(index: int, code: str, detail: str = "") -> Refusal:
    message = str(REASONS[code])
    return Refusal(index=index, code=code, message=f"{message} {detail}".strip())


def assignment_payload(
    assignment: ShiftAssignment | Scheduled,
    employee_id: str,
    code: str,
    *,
    time_text: Callable[[datetime | None], str | None] = rfc3339,
) -> dict:
    """The fields every assignment event carries (scheduling.event_types); the cascade trigger in
    scheduling/dbguard.py writes the same ones for the cancellations it makes."""
    return {
        "assignment_id": assignment.pk,
        "employee_id": employee_id,
        "skill_group": code,
        "starts_at": time_text(assignment.starts_at),
        "ends_at": time_text(assignment.ends_at),
        "external_ref": assignment.external_ref,
        "status": assignment.status,
        "source": assignment.source,
        "certification_id": assignment.certification_id,
    }


@transaction.atomic
def create_assignments(
    *,
    tenant: Tenant,
    items: Sequence[AssignmentRequest],
    source: str,
    partial: bool = False,
) -> BulkResult:
    """Schedule shifts. Every item is checked (agent, skill group, window, certification over
    the whole window, overlaps with the agent's other shifts and with the batch); the refused ones
    come back with their index and reason code. All-or-nothing unless ``partial``: one refusal
    raises ``AssignmentsRefused`` listing every refusal and nothing is written.

    A constant number of queries whatever the number of items: agents, skill groups,
    certifications and existing shifts are fetched once as sets, rows are written with one
    insert, and one ``assignment.created`` outbox event per shift with one more; the result
    holds plain values (``Scheduled``), not model instances.
    The database guard refuses anything that slipped through (a concurrent revocation): that
    surfaces as ``Conflict(code="not_certified")`` and nothing is written."""
    if len(items) > MAX_ITEMS:
        raise InvalidInput(
            _("At most %(max)d assignments per request.") % {"max": MAX_ITEMS},
            code="too_many_items",
        )
    refused: list[Refusal] = []
    candidates: list[tuple[int, AssignmentRequest]] = []
    for index, item in enumerate(items):
        if item.error:
            refused.append(refusal(index, item.error, item.error_detail))
        elif item.starts_at is None or item.ends_at is None:
            refused.append(refusal(index, "invalid_item"))
        elif timezone.is_naive(item.starts_at) or timezone.is_naive(item.ends_at):
            refused.append(refusal(index, "naive_datetime"))
        elif item.ends_at <= item.starts_at:
            refused.append(refusal(index, "invalid_window"))
        else:
            candidates.append((index, item))

    # Plain values, not model instances: a 10,000-item request would otherwise spend most of
    # its time constructing and preparing objects.
    members: dict[str, int] = dict(
        Membership.objects.for_tenant(tenant)
        .filter(employee_id__any_of={item.employee_id for _i, item in candidates}, active=True)
        .values_list("employee_id", "pk")
    )
    groups: dict[str, int] = dict(
        SkillGroup.objects.for_tenant(tenant)
        .filter(code__in={item.skill_group for _i, item in candidates}, active=True)
        .values_list("code", "pk")
    )
    member_ids = set(members.values())
    certs: dict[tuple[int, int], list[CertFacts]] = defaultdict(list)
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    if candidates and member_ids and groups:
        # In id order, so the covering certification chosen here is the one the database
        # guard links (the lowest id that covers the window).
        for m_id, g_id, *facts in (
            Certification.objects.for_tenant(tenant)
            .filter(membership_id__any_of=member_ids, skill_group_id__in=set(groups.values()))
            .order_by("pk")
            .values_list(
                "membership_id",
                "skill_group_id",
                "pk",
                "status",
                "valid_from",
                "valid_until",
                "created_at",
            )
        ):
            certs[(m_id, g_id)].append(CertFacts(*facts))
        lo = min(item.starts_at for _i, item in candidates)
        hi = max(item.ends_at for _i, item in candidates)
        for m_id, s, e in (
            ShiftAssignment.objects.for_tenant(tenant)
            .filter(
                membership_id__any_of=member_ids,
                status=ShiftAssignment.Status.SCHEDULED,
                starts_at__lt=hi,
                ends_at__gt=lo,
            )
            .values_list("membership_id", "starts_at", "ends_at")
        ):
            busy[m_id].append((s, e))
        for intervals in busy.values():
            intervals.sort()

    rows: list[tuple] = []
    for index, item in candidates:
        member = members.get(item.employee_id)
        group = groups.get(item.skill_group)
        if member is None:
            refused.append(refusal(index, "unknown_agent"))
            continue
        if group is None:
            refused.append(refusal(index, "unknown_skill_group"))
            continue
        pair_certs = certs.get((member, group), [])
        covers = covering(pair_certs, item.starts_at, item.ends_at)
        if not covers:
            refused.append(
                refusal(index, _certification_reason(pair_certs, item.starts_at, item.ends_at))
            )
            continue
        if _overlaps(busy[member], item.starts_at, item.ends_at):
            refused.append(refusal(index, "overlapping_assignment"))
            continue
        bisect.insort(busy[member], (item.starts_at, item.ends_at))
        # The lowest id (certifications were read in id order): the one the guard links.
        rows.append((index, item, member, group, covers[0].pk))

    refused.sort(key=lambda r: r.index)
    if refused and not partial:
        raise AssignmentsRefused(
            _("%(count)d of %(total)d assignments were refused; nothing was written.")
            % {"count": len(refused), "total": len(items)},
            details={"refused": [r.as_dict() for r in refused]},
        )
    if not rows:
        return BulkResult(created=[], refused=refused)
    now = timezone.now()
    # No savepoint of its own: a guard error leaves through this function's atomic block,
    # which rolls the whole batch back.
    try:
        ids = insert_rows(
            ShiftAssignment,
            [
                "tenant_id",
                "membership_id",
                "skill_group_id",
                "certification_id",
                "starts_at",
                "ends_at",
                "source",
                "external_ref",
                "created_at",
            ],
            [
                (
                    tenant.pk,
                    m,
                    g,
                    c,
                    item.starts_at,
                    item.ends_at,
                    source,
                    item.external_ref,
                    now,
                )
                for _index, item, m, g, c in rows
            ],
            returning=True,
        )
    except DatabaseError as exc:
        if dbguard.is_guard_error(exc):
            raise Conflict(
                _("A certification changed while the shifts were being written; try again."),
                code="not_certified",
            ) from exc
        raise
    # Ids come from one sequence in insertion order, so sorted ids pair with the rows.
    created = [
        Scheduled(
            pk=pk,
            employee_id=item.employee_id,
            skill_group=item.skill_group,
            certification_id=cert_id,
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            external_ref=item.external_ref,
            source=source,
        )
        for pk, (_index, item, _m, _g, cert_id) in zip(ids, rows, strict=True)
    ]
    # A roster repeats a few shift patterns: 10,000 shifts hold a handful of distinct times,
    # so each is formatted once.
    time_text = functools.cache(rfc3339)
    publish_many(
        tenant_id=tenant.pk,
        events=[
            (
                "assignment.created",
                assignment_payload(s, s.employee_id, s.skill_group, time_text=time_text),
            )
            for s in created
        ],
    )
    return BulkResult(created=created, refused=refused)


def _overlaps(intervals: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    """Whether [start, end) overlaps one of the sorted, non-overlapping ``intervals``."""
    pos = bisect.bisect_left(intervals, (start, end))
    if pos < len(intervals) and intervals[pos][0] < end:
        return True
    return pos > 0 and intervals[pos - 1][1] > start


@transaction.atomic
def cancel_assignment(
    *, tenant: Tenant, assignment_id: int, reason: str, actor: User | None = None
) -> ShiftAssignment:
    """Cancel a scheduled shift with a reason and publish ``assignment.cancelled``. Cancelling
    an already cancelled shift changes nothing (the first reason stays), so retries are safe."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("A reason is required to cancel a shift."), code="reason_required")
    assignment = (
        ShiftAssignment.objects.for_tenant(tenant)
        .select_for_update()
        .select_related("membership", "skill_group")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        raise NotFound(_("Not found."))
    if assignment.status == ShiftAssignment.Status.CANCELLED:
        return assignment
    assignment.status = ShiftAssignment.Status.CANCELLED
    assignment.cancel_reason = reason[:2000]
    assignment.cancelled_at = timezone.now()
    assignment.save(update_fields=["status", "cancel_reason", "cancelled_at"])
    payload = assignment_payload(
        assignment, assignment.membership.employee_id, assignment.skill_group.code
    )
    payload.update(
        reason=assignment.cancel_reason,
        reason_code="cancelled_by_user",
        cancelled_by=actor.get_username() if actor is not None else None,
    )
    publish(tenant_id=tenant.pk, event_type="assignment.cancelled", payload=payload)
    return assignment


# --------------------------------------------------------------------------- idempotency
def request_fingerprint(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class IdempotentResult:
    status_code: int
    body: dict
    replayed: bool


def run_idempotent(
    *, tenant: Tenant, key: str, fingerprint: str, produce: Callable[[], tuple[int, dict]]
) -> IdempotentResult:
    """Run ``produce`` once per (tenant, key): its writes and the stored answer commit together,
    so a retry (even a concurrent one) replays the first answer instead of writing twice. The
    same key with a different request is refused (``idempotency_key_reused``)."""
    if not key or len(key) > 200:
        raise InvalidInput(
            _("The Idempotency-Key header must be 1 to 200 characters."),
            code="invalid_idempotency_key",
        )
    existing = _replay(tenant, key, fingerprint)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            # Requests with the same key queue here until the first commits, then replay its
            # answer: producing beside it would find its writes (a shift it placed overlaps).
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                    [f"idempotency:{tenant.pk}:{key}"],
                )
            existing = _replay(tenant, key, fingerprint)
            if existing is not None:
                return existing
            status_code, body = produce()
            if status_code < 500:
                IdempotencyRecord.objects.create(
                    tenant=tenant,
                    key=key,
                    request_hash=fingerprint,
                    status_code=status_code,
                    response=body,
                )
    except IntegrityError:
        existing = _replay(tenant, key, fingerprint)
        if existing is None:
            raise
        return existing
    return IdempotentResult(status_code=status_code, body=body, replayed=False)


def _replay(tenant: Tenant, key: str, fingerprint: str) -> IdempotentResult | None:
    record = IdempotencyRecord.objects.for_tenant(tenant).filter(key=key).first()
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise Unprocessable(
            _("This Idempotency-Key was already used for a different request."),
            code="idempotency_key_reused",
        )
    return IdempotentResult(status_code=record.status_code, body=record.response, replayed=True)


@transaction.atomic
def purge_idempotency_records(*, older_than: timedelta) -> int:
    """Forget stored answers older than ``older_than`` (keys are meant for retries, not forever)."""
    cutoff = timezone.now() - older_than
    deleted, _detail = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


__all__ = [
    "REASONS",
    "AssignmentRequest",
    "AssignmentsRefused",
    "BulkResult",
    "DomainError",
    "Refusal",
    "cancel_assignment",
    "create_assignments",
    "run_idempotent",
]
