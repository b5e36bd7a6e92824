"""Read queries of scheduling: eligibility (now and for any past window), headcount, rosters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from certification.models import Certification, SkillGroup
from core.db import one_or_any
from tenants.models import Membership, Tenant, User

from .models import ShiftAssignment


def covering_certifications(
    *, tenant: Tenant, skill_group: SkillGroup, start: datetime, end: datetime
) -> QuerySet[Certification]:
    """Certifications of ``skill_group`` that were (or are) active over all of [start, end].

    Answerable for past windows too: a certification counts if its validity covers the window and
    it was not revoked before the window ended; an expired one counts for windows that have ended.
    For windows reaching into the future only active certifications (and active agents) count.
    """
    now = timezone.now()
    was_active = (
        Q(status=Certification.Status.ACTIVE)
        | Q(status=Certification.Status.REVOKED, revoked_at__gte=end)
        | Q(status=Certification.Status.EXPIRED)
    )
    qs = Certification.objects.for_tenant(tenant).filter(
        was_active,
        skill_group=skill_group,
        valid_from__lte=start,
        valid_until__gte=end,
    )
    if end > now:
        qs = qs.filter(status=Certification.Status.ACTIVE, membership__active=True)
    return qs


def eligible_agents(
    *,
    tenant: Tenant,
    skill_group: SkillGroup,
    start: datetime,
    end: datetime,
    members: QuerySet[Membership] | None = None,
) -> list[Certification]:
    """One certification per eligible agent (the one reaching furthest), ordered by employee id,
    with the agent loaded: one query whatever the number of agents. ``members`` narrows it to
    the agents a viewer may schedule (a lead's teams)."""
    certs = (
        covering_certifications(tenant=tenant, skill_group=skill_group, start=start, end=end)
        .select_related("membership__user", "membership__team")
        .order_by("membership__employee_id", "-valid_until", "pk")
    )
    if members is not None:
        certs = certs.filter(membership__in=members)
    best: dict[int, Certification] = {}
    for cert in certs:
        best.setdefault(cert.membership_id, cert)
    return list(best.values())


ELIGIBLE_ROW_FIELDS = (
    "membership__employee_id",
    *(f"membership__user__{f}" for f in User.NAME_FIELDS),
    "membership__team__name",
    "pk",
    "status",
    "valid_from",
    "valid_until",
)


def eligible_agent_rows(
    *, tenant: Tenant, skill_group: SkillGroup, start: datetime, end: datetime
) -> list[dict]:
    """The same answer as ``eligible_agents`` as plain rows, for the scheduler API's hot path:
    one query, no model instances (thousands of agents per answer). The database keeps the best
    certification per agent (DISTINCT ON)."""
    qs = covering_certifications(
        tenant=tenant, skill_group=skill_group, start=start, end=end
    ).order_by("membership__employee_id", "-valid_until", "pk")
    return list(qs.distinct("membership__employee_id").values(*ELIGIBLE_ROW_FIELDS))


def covering(certs: Sequence[Any], start: datetime, end: datetime) -> list[Any]:
    """The active ones of ``certs`` whose validity covers all of [start, end], in their order:
    what the database guard accepts a shift on."""
    return [
        c
        for c in certs
        if c.status == Certification.Status.ACTIVE
        and c.valid_from <= start
        and c.valid_until >= end
    ]


def certification_reason(certs: Sequence[Any], start: datetime, end: datetime) -> str | None:
    """None if an active certification covers [start, end]; else the most telling reason code
    (``scheduling.services.REASONS``): the check of a shift against an agent's certifications
    for one skill group. ``certs`` are Certification instances or any rows with ``pk``,
    ``status``, ``valid_from``, ``valid_until`` and ``created_at`` (see ``CertFacts``)."""
    if covering(certs, start, end):
        return None
    active = [c for c in certs if c.status == Certification.Status.ACTIVE]
    if any(c.valid_from <= start and c.valid_until < end for c in active):
        return "expires_before_shift_end"
    if any(c.status == Certification.Status.PENDING for c in certs):
        return "pending_approval"
    if not active and certs:
        latest = max(certs, key=lambda c: (c.created_at, c.pk))
        if latest.status == Certification.Status.REVOKED:
            return "revoked"
    return "not_certified"


class CertFacts(NamedTuple):
    """The columns of a certification that ``certification_reason`` reads."""

    pk: int
    status: str
    valid_from: datetime | None
    valid_until: datetime | None
    created_at: datetime


class AgentEligibility(NamedTuple):
    """The answer for one employee id: ``reason`` is None when the agent is eligible, and then
    ``certification_id``/``valid_until`` name the covering certification."""

    employee_id: str
    reason: str | None
    certification_id: int | None = None
    valid_until: datetime | None = None


EMPLOYEE_ID_MAX_LENGTH = 40  # Membership.employee_id

# The active skill group ``code`` of the tenant, each asked agent (active membership of the same
# tenant) and that agent's certifications of the group, every state: LEFT JOINs, so the group
# comes back without agents and an agent without certifications. Plain SQL on purpose: this runs
# before every shift placement, and building the same query with the ORM (FilteredRelation,
# values_list) cost three times what executing it does; the statement is prepared (server-side
# binding) and one for any number of agents (``core.db.one_or_any``).
_ELIGIBILITY_SQL = """
SELECT g.id, m.employee_id, c.id, c.status, c.valid_from, c.valid_until, c.created_at
  FROM certification_skillgroup g
  LEFT JOIN tenants_membership m
    ON m.tenant_id = g.tenant_id AND m.active AND m.employee_id {agents}
  LEFT JOIN certification_certification c
    ON c.tenant_id = g.tenant_id AND c.skill_group_id = g.id AND c.membership_id = m.id
 WHERE g.tenant_id = %s AND g.code = %s AND g.active
"""


def agents_eligibility(
    *,
    tenant: Tenant,
    code: str,
    employee_ids: Sequence[str],
    start: datetime,
    end: datetime,
) -> list[AgentEligibility] | None:
    """May each of ``employee_ids`` be scheduled on skill group ``code`` over [start, end]? The
    check POST /assignments/ makes before writing a shift (``certification_reason``), on the
    agent's certifications as they are now, so a past window counts only still-active ones.
    Unknown or inactive agents, and other tenants' ids, answer ``unknown_agent``. None when the
    tenant has no active skill group ``code`` (what POST /assignments/ calls
    ``unknown_skill_group``).

    One query whatever the number of agents, plain columns, no model instances."""
    wanted = [e for e in employee_ids if len(e) <= EMPLOYEE_ID_MAX_LENGTH and "\x00" not in e]
    agents, agent_params = one_or_any(wanted)
    params = [*agent_params, tenant.pk, code]
    with connection.cursor() as cursor:
        cursor.execute(_ELIGIBILITY_SQL.format(agents=agents), params)
        rows = cursor.fetchall()
    if not rows:
        return None
    certs: dict[str, list[CertFacts]] = {}
    for _group, employee_id, pk, status, valid_from, valid_until, created_at in rows:
        if employee_id is None:
            continue
        found = certs.setdefault(employee_id, [])
        if pk is not None:
            found.append(CertFacts(pk, status, valid_from, valid_until, created_at))
    answer = []
    for employee_id in employee_ids:
        found = certs.get(employee_id)
        if found is None:
            answer.append(AgentEligibility(employee_id, "unknown_agent"))
            continue
        reason = certification_reason(found, start, end)
        if reason is not None:
            answer.append(AgentEligibility(employee_id, reason))
            continue
        cover = max(covering(found, start, end), key=lambda c: (c.valid_until, c.pk))
        answer.append(AgentEligibility(employee_id, None, cover.pk, cover.valid_until))
    return answer


def skill_groups_with_headcount(*, tenant: Tenant) -> QuerySet[SkillGroup]:
    """Skill groups with ``certified_headcount``: agents holding an active certification now."""
    now = timezone.now()
    return (
        SkillGroup.objects.for_tenant(tenant)
        .annotate(
            certified_headcount=Count(
                "certifications__membership",
                filter=Q(
                    certifications__status=Certification.Status.ACTIVE,
                    certifications__valid_from__lte=now,
                    certifications__valid_until__gte=now,
                    certifications__membership__active=True,
                ),
                distinct=True,
            )
        )
        .order_by("code")
    )


def agent_certifications(*, tenant: Tenant, membership: Membership) -> QuerySet[Certification]:
    return (
        Certification.objects.for_tenant(tenant)
        .filter(membership=membership)
        .select_related("skill_group")
        .order_by("skill_group__code", "-created_at", "-pk")
    )


def week_roster(
    *,
    tenant: Tenant,
    skill_group: SkillGroup,
    start: datetime,
    days: int = 7,
    members: QuerySet[Membership] | None = None,
) -> QuerySet[ShiftAssignment]:
    """Shifts of ``skill_group`` overlapping ``days`` from ``start`` (of ``members`` only, if
    given), with their agents."""
    end = start + timedelta(days=days)
    qs = (
        ShiftAssignment.objects.for_tenant(tenant)
        .filter(skill_group=skill_group, starts_at__lt=end, ends_at__gt=start)
        .select_related("membership__user")
        .order_by("starts_at", "pk")
    )
    return qs if members is None else qs.filter(membership__in=members)
