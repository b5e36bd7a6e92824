"""Scheduling test data. Certifications are written as rows directly (not through
certification.services, which is being built in parallel): the states the guard cares about are
plain column values, and the database triggers react to row changes however they are made."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from certification.models import Certification, SkillGroup
from scheduling.models import ShiftAssignment
from tenants.models import Membership

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

# Windows every endpoint taking ``start``/``end`` refuses, with the error code it answers
# (``scheduling.api.parse_query``).
BAD_WINDOWS = [
    ({"start": "2026-03-02T08:00:00", "end": "2026-03-02T16:00:00+08:00"}, "naive_datetime"),
    (
        {"start": "2026-03-02T16:00:00+08:00", "end": "2026-03-02T08:00:00+08:00"},
        "invalid_window",
    ),
    ({"start": "yesterday", "end": "2026-03-02T08:00:00+08:00"}, "invalid_datetime"),
    ({"start": "2026-03-02T08:00:00+08:00", "end": ""}, "missing_window"),
]


def make_skill_group(tenant, code: str = "telecom", **extra) -> SkillGroup:
    return SkillGroup.objects.create(
        tenant=tenant, code=code, name=extra.pop("name", code.title()), **extra
    )


def make_certification(
    membership: Membership,
    skill_group: SkillGroup,
    *,
    status: str = Certification.Status.ACTIVE,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    revoked_at: datetime | None = None,
) -> Certification:
    now = timezone.now()
    if status != Certification.Status.PENDING or valid_from or valid_until:
        valid_from = valid_from or now - 30 * DAY
        valid_until = valid_until or now + 180 * DAY
    if status == Certification.Status.REVOKED and revoked_at is None:
        revoked_at = now - DAY
    return Certification.objects.create(
        tenant=membership.tenant,
        membership=membership,
        skill_group=skill_group,
        status=status,
        valid_from=valid_from,
        valid_until=valid_until,
        revoked_at=revoked_at,
    )


def revoke(cert: Certification, *, at: datetime | None = None) -> None:
    """What a revocation does to the row (the certification service adds its event chain)."""
    Certification.objects.filter(pk=cert.pk).update(
        status=Certification.Status.REVOKED, revoked_at=at or timezone.now()
    )


def shift(
    membership: Membership,
    skill_group: SkillGroup,
    *,
    start: datetime,
    hours: int = 8,
    status: str = ShiftAssignment.Status.SCHEDULED,
) -> ShiftAssignment:
    """Write an assignment row directly (the database guard still checks it)."""
    return ShiftAssignment.objects.create(
        tenant=membership.tenant,
        membership=membership,
        skill_group=skill_group,
        starts_at=start,
        ends_at=start + hours * HOUR,
        source=ShiftAssignment.Source.API,
        status=status,
        cancel_reason="" if status == ShiftAssignment.Status.SCHEDULED else "test",
    )


def tomorrow_9() -> datetime:
    now = timezone.now()
    return (now + DAY).replace(hour=9, minute=0, second=0, microsecond=0)
