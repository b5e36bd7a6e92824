"""A person's decisions on certifications: a lead (team lead, trainer or tenant admin)
approves or rejects a pending certification with a comment, approves several at once, revokes a
live one with a reason, or asks for a revoked one back (reinstating). Tenant admins and trainers
decide for every team, team leads for the teams they lead."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, InvalidInput, NotPermitted
from tenants.models import Membership, Role, Team, Tenant

from ..models import Certification
from .changes import _activate_window, _locked, _publish, _record
from .notifications import _notify_many

Status = Certification.Status
LIVE = (Status.PENDING, Status.ACTIVE)
DECIDER_ROLES = {Role.TEAM_LEAD, Role.TRAINER, Role.TENANT_ADMIN}


def led_teams(actor: Membership) -> QuerySet[Team]:
    """The teams whose agents ``actor`` leads: those naming them lead, and a team lead's own."""
    led = Q(lead=actor)
    if actor.role == Role.TEAM_LEAD and actor.team_id:
        led |= Q(pk=actor.team_id)
    return Team.objects.for_tenant(actor.tenant_id).filter(led)


def led_team_ids(actor: Membership) -> set[int]:
    return set(led_teams(actor).values_list("pk", flat=True))


def check_may_decide(*, actor: Membership, cert: Certification) -> None:
    """Tenant admins and trainers decide for any team, team leads for their own team only, and
    nobody for themselves."""
    if actor.tenant_id != cert.tenant_id or actor.role not in DECIDER_ROLES:
        raise NotPermitted(_("You may not decide on certifications."), code="not_a_decider")
    if cert.membership_id == actor.pk or cert.membership.user_id == actor.user_id:
        raise NotPermitted(_("Nobody may decide on their own certification."), code="self_approval")
    if actor.role == Role.TEAM_LEAD and cert.membership.team_id not in led_team_ids(actor):
        raise NotPermitted(
            _("%(agent)s is not in your team.") % {"agent": cert.membership.user},
            code="outside_team",
        )


def _decide(*, tenant, certification, actor, approve, comment, request_id, now=None):
    cert = _locked(tenant, certification)
    if cert.status != Status.PENDING:
        raise Conflict(
            _("This certification was already decided (%(status)s).")
            % {"status": cert.get_status_display()},
            code="already_decided",
        )
    check_may_decide(actor=actor, cert=cert)
    now = now or timezone.now()
    cert.decided_by = actor.user
    cert.decided_at = now
    cert.decision_comment = comment
    if approve:
        cert.status = Status.ACTIVE
        _activate_window(cert, now)
    else:
        cert.status = Status.REJECTED
    cert.save()
    _record(cert, old=Status.PENDING, actor=actor, reason=comment, request_id=request_id, at=now)
    _publish(cert, comment)
    _notify_many(tenant, [(cert, "activated" if approve else "rejected", comment)])
    return cert


@transaction.atomic
def approve_certification(
    *,
    tenant: Tenant,
    certification: Certification,
    actor: Membership,
    comment: str = "",
    request_id: str | None = None,
    now: datetime | None = None,
) -> Certification:
    """Activate a pending certification for its skill group's validity period (from ``now``,
    which only imports and demo data set).

    Refuses (changing nothing) if it is not pending any more, if the actor may not decide for
    the agent's team, or if the actor is the agent."""
    return _decide(
        tenant=tenant,
        certification=certification,
        actor=actor,
        approve=True,
        comment=comment.strip(),
        request_id=request_id,
        now=now,
    )


@transaction.atomic
def reject_certification(
    *,
    tenant: Tenant,
    certification: Certification,
    actor: Membership,
    comment: str,
    request_id: str | None = None,
) -> Certification:
    """Reject a pending certification; a comment saying why is required."""
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput(_("Say why you reject this certification."), code="comment_required")
    return _decide(
        tenant=tenant,
        certification=certification,
        actor=actor,
        approve=False,
        comment=comment,
        request_id=request_id,
    )


def bulk_approve(
    *,
    tenant: Tenant,
    certification_ids: list[int],
    actor: Membership,
    comment: str = "",
    request_id: str | None = None,
) -> tuple[list[Certification], list[tuple[int, str]]]:
    """Approve several; each one in its own transaction, so one refusal does not undo the others.
    Returns (approved, [(id, why not)])."""
    approved, refused = [], []
    for cert in Certification.objects.for_tenant(tenant).filter(pk__any_of=certification_ids):
        try:
            approved.append(
                approve_certification(
                    tenant=tenant,
                    certification=cert,
                    actor=actor,
                    comment=comment,
                    request_id=request_id,
                )
            )
        except (Conflict, NotPermitted) as exc:
            refused.append((cert.pk, exc.message))
    return approved, refused


@transaction.atomic
def revoke_certification(
    *,
    tenant: Tenant,
    certification: Certification,
    actor: Membership,
    reason: str,
    request_id: str | None = None,
) -> Certification:
    """Revoke a pending or active certification, with a reason. Shift assignments resting on it
    are cancelled by scheduling's database trigger in this same transaction."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for the revocation."), code="reason_required")
    cert = _locked(tenant, certification)
    if cert.status not in LIVE:
        raise Conflict(
            _("Only pending or active certifications can be revoked (this one is %(status)s).")
            % {"status": cert.get_status_display()},
            code="not_live",
        )
    check_may_decide(actor=actor, cert=cert)
    old = cert.status
    now = timezone.now()
    cert.status = Status.REVOKED
    cert.revoked_at = now
    cert.decided_by = actor.user
    cert.decision_comment = reason
    cert.save(update_fields=["status", "revoked_at", "decided_by", "decision_comment"])
    _record(cert, old=old, actor=actor, reason=reason, request_id=request_id, at=now)
    _publish(cert, reason)
    _notify_many(tenant, [(cert, "revoked", reason)])
    return cert


@transaction.atomic
def reinstate_certification(
    *,
    tenant: Tenant,
    certification: Certification,
    actor: Membership,
    reason: str,
    request_id: str | None = None,
) -> Certification:
    """Ask for a revoked certification back: creates a new pending certification with the same
    evidence, which needs a fresh approval (whatever the skill group's approval setting)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for reinstating."), code="reason_required")
    old = _locked(tenant, certification)
    if old.status != Status.REVOKED:
        raise Conflict(_("Only a revoked certification can be reinstated."), code="not_revoked")
    # Who may ask for it back is who may decide on it: never the agent themselves.
    check_may_decide(actor=actor, cert=old)
    cert = Certification(
        tenant=tenant,
        membership=old.membership,
        skill_group=old.skill_group,
        status=Status.PENDING,
        evidence={**old.evidence, "reinstates": old.pk},
    )
    try:
        with transaction.atomic():
            cert.save()
    except IntegrityError as exc:
        raise Conflict(
            _("The agent already has a live certification for this skill group."), code="live"
        ) from exc
    _record(
        cert, old="", actor=actor, reason=reason, request_id=request_id, data={"reinstates": old.pk}
    )
    _publish(cert, reason)
    _notify_many(tenant, [(cert, "pending", "")])
    return cert
