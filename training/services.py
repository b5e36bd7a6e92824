"""State changes of training content, enrollment and progress.

Every function is keyword-only, transactional, scoped to one tenant, and schedules its side
effects (tasks of higher apps) with ``transaction.on_commit``. The attempt engine lives in
``training.attempts``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from skillgate.errors import InvalidInput
from skillgate.tasks import enqueue
from tenants.models import Membership, Role, Team, Tenant

from .models import (
    Curriculum,
    Enrollment,
)

logger = logging.getLogger(__name__)

EVALUATE_AGENT_TASK = "certification.tasks.evaluate_agent"
RECERTIFY_TASK = "certification.tasks.start_recertification"


def _check_tenant(tenant: Tenant, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.tenant_id != tenant.pk:
            raise InvalidInput(_("Everything must belong to the same tenant."), code="wrong_tenant")


def _enqueue_evaluation(tenant_id: int, membership_id: int) -> None:
    transaction.on_commit(
        lambda: enqueue(EVALUATE_AGENT_TASK, tenant_id=tenant_id, membership_id=membership_id)
    )


# --- enrollment -----------------------------------------------------------------------------


@transaction.atomic
def enroll_agents(
    *,
    tenant: Tenant,
    curricula: list[Curriculum],
    memberships: list[Membership],
    assigned_by: Membership | None,
    due_at: datetime | None,
) -> int:
    """Assign every curriculum to every membership; returns how many enrollments were created.

    Idempotent: an existing enrollment is kept (its assignment time and completion stay); when a
    due date is given, the due date of existing, not yet completed enrollments is moved to it.
    Set-based: a constant number of queries whatever the number of agents and curricula, and safe
    against a concurrent assignment (the unique constraint decides, conflicts are ignored)."""
    _check_tenant(tenant, assigned_by, *curricula, *memberships)
    curriculum_ids = {c.pk for c in curricula}
    membership_ids = {m.pk for m in memberships}
    if not curriculum_ids or not membership_ids:
        return 0
    existing = set(
        Enrollment.objects.for_tenant(tenant)
        .filter(curriculum_id__in=curriculum_ids, membership_id__in=membership_ids)
        .values_list("membership_id", "curriculum_id")
    )
    wanted = [
        Enrollment(
            tenant=tenant,
            membership_id=m_id,
            curriculum_id=c_id,
            assigned_by=assigned_by,
            due_at=due_at,
        )
        for m_id in sorted(membership_ids)
        for c_id in sorted(curriculum_ids)
        if (m_id, c_id) not in existing
    ]
    Enrollment.objects.bulk_create(wanted, ignore_conflicts=True)
    if due_at is not None and existing:
        Enrollment.objects.for_tenant(tenant).filter(
            curriculum_id__in=curriculum_ids,
            membership_id__in=membership_ids,
            completed_at__isnull=True,
        ).exclude(due_at=due_at).update(due_at=due_at)
    logger.info(
        "training.enrolled tenant=%s created=%s by=%s",
        tenant.pk,
        len(wanted),
        assigned_by.pk if assigned_by else None,
    )
    return len(wanted)


@transaction.atomic
def enroll_team(
    *,
    tenant: Tenant,
    curricula: list[Curriculum],
    team: Team,
    assigned_by: Membership | None,
    due_at: datetime | None,
) -> int:
    """Assign curricula to every active agent of a team (see ``enroll_agents``)."""
    _check_tenant(tenant, team)
    members = list(
        Membership.objects.for_tenant(tenant).filter(team=team, active=True, role=Role.AGENT)
    )
    return enroll_agents(
        tenant=tenant,
        curricula=curricula,
        memberships=members,
        assigned_by=assigned_by,
        due_at=due_at,
    )
