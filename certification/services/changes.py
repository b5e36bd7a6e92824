"""What every change of a certification shares: the row locked for the change, the validity
window an activation opens, the hash-chained CertificationEvent it appends, and the outbox event
(with its payload, the outside world's view of a certification) it publishes in the same
transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from events.outbox import publish
from events.schemas import rfc3339
from tenants.models import Membership, Tenant

from ..chain import EventSpec, append_events, validity_of
from ..models import Certification
from .recertification import recertification_deadline

Status = Certification.Status
EVENT_TYPES = {
    Status.PENDING: "certification.pending",
    Status.ACTIVE: "certification.activated",
    Status.REJECTED: "certification.rejected",
    Status.REVOKED: "certification.revoked",
    Status.EXPIRED: "certification.expired",
}


def event_payload(cert: Certification, reason: str = "") -> dict:
    """The outside world's view of a certification (webhooks, scheduler event feed)."""
    return _payload(
        certification_id=cert.pk,
        employee_id=cert.membership.employee_id,
        skill_group=cert.skill_group.code,
        external_id=cert.skill_group.external_id,
        status=cert.status,
        valid_from=cert.valid_from,
        valid_until=cert.valid_until,
        reason=reason,
    )


def _payload(
    *,
    certification_id: int,
    employee_id: str,
    skill_group: str,
    external_id: str,
    status: str,
    valid_from: datetime | None,
    valid_until: datetime | None,
    reason: str,
) -> dict:
    return {
        "certification_id": certification_id,
        "employee_id": employee_id,
        "skill_group": skill_group,
        "external_id": external_id,
        "status": status,
        "valid_from": rfc3339(valid_from),
        "valid_until": rfc3339(valid_until),
        "reason": reason,
    }


def _publish(cert: Certification, reason: str = "") -> None:
    publish(
        tenant_id=cert.tenant_id,
        event_type=EVENT_TYPES[cert.status],
        payload=event_payload(cert, reason),
    )


def _record(
    cert: Certification,
    *,
    old: str,
    actor: Membership | None,
    reason: str = "",
    request_id: str | None = None,
    data: dict | None = None,
    at: datetime | None = None,
) -> None:
    """Append the event of a change of ``cert``'s status or validity, with the resulting
    validity (every caller changes one or the other)."""
    append_events(
        tenant_id=cert.tenant_id,
        specs=[
            EventSpec(
                certification_id=cert.pk,
                old_status=old,
                new_status=cert.status,
                actor_id=actor.user_id if actor else None,
                reason=reason,
                data=data,
                validity=validity_of(cert),
            )
        ],
        at=at or timezone.now(),
        request_id=request_id,
    )


def _locked(tenant: Tenant, certification: Certification) -> Certification:
    return (
        Certification.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("membership__user", "membership__team", "skill_group")
        .get(pk=certification.pk)
    )


def _activate_window(cert: Certification, now: datetime) -> None:
    """Open a first validity window at ``now``; evidence that rests on a curriculum version
    superseded by one requiring recertification brings that deadline along."""
    cert.valid_from = now
    cert.valid_until = now + timedelta(days=cert.skill_group.validity_days)
    cert.grace_until = recertification_deadline(
        tenant_id=cert.tenant_id, evidence=cert.evidence, now=now
    )
    cert.reminded_at = None
    cert.reminder_days = None


def _extend_window(cert: Certification, now: datetime) -> None:
    """Renew an active certification: the window only grows. ``valid_from`` stays (the agent
    was certified all along, and a later start would uncover the shift being worked), the end
    moves to a full period from ``now`` unless it is later already; the reminders start over for
    the new period."""
    cert.valid_until = max(cert.valid_until, now + timedelta(days=cert.skill_group.validity_days))
    cert.grace_until = recertification_deadline(
        tenant_id=cert.tenant_id, evidence=cert.evidence, now=now
    )
    cert.reminded_at = None
    cert.reminder_days = None
