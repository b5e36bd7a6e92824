"""Read queries of certification: approval queue, readiness, skills matrix, coverage, audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tenants.models import Membership, Role, Tenant

from .models import Certification, CertificationEvent, Notification, SkillGroup
from .rules import Catalog, GroupResult
from .services import led_team_ids

Status = Certification.Status


def expiring_days() -> int:
    return int(getattr(settings, "CERT_COVERAGE_EXPIRING_DAYS", 30))


def sees_all_teams(membership: Membership) -> bool:
    return membership.role in (Role.TENANT_ADMIN, Role.TRAINER)


def visible_members(tenant: Tenant, viewer: Membership) -> QuerySet[Membership]:
    """Agents a viewer may look at: everybody for admins and trainers, own team(s) for leads."""
    qs = Membership.objects.for_tenant(tenant).filter(active=True)
    if sees_all_teams(viewer):
        return qs
    if viewer.role == Role.TEAM_LEAD:
        return qs.filter(team_id__in=led_team_ids(viewer)).exclude(pk=viewer.pk)
    return qs.none()


def approval_queue(tenant: Tenant, viewer: Membership) -> QuerySet[Certification]:
    """Pending certifications the viewer may decide (never their own)."""
    return (
        Certification.objects.for_tenant(tenant)
        .filter(status=Status.PENDING, membership__in=visible_members(tenant, viewer))
        .exclude(membership__user_id=viewer.user_id)
        .select_related("membership__user", "membership__team", "skill_group")
        .order_by("created_at", "pk")
    )


def visible_certifications(tenant: Tenant, viewer: Membership) -> QuerySet[Certification]:
    """Certifications a viewer may open: their own, plus those of the agents they manage."""
    return (
        Certification.objects.for_tenant(tenant)
        .filter(Q(membership=viewer) | Q(membership__in=visible_members(tenant, viewer)))
        .select_related("membership__user", "membership__team", "skill_group", "decided_by")
    )


def my_certifications(tenant: Tenant, membership: Membership) -> QuerySet[Certification]:
    return (
        Certification.objects.for_tenant(tenant)
        .filter(membership=membership)
        .select_related("skill_group", "decided_by")
        .order_by("skill_group__code", "-created_at")
    )


def notifications(tenant: Tenant, membership: Membership, limit: int = 20) -> list[Notification]:
    return list(Notification.objects.for_tenant(tenant).filter(membership=membership)[:limit])


def certification_events(cert: Certification) -> QuerySet[CertificationEvent]:
    return (
        CertificationEvent.objects.filter(tenant_id=cert.tenant_id, certification=cert)
        .select_related("actor")
        .order_by("pk")
    )


# --- readiness --------------------------------------------------------------------------------


@dataclass
class Readiness:
    result: GroupResult
    certification: Certification | None


def readiness(tenant: Tenant, membership: Membership, skill_groups=None) -> list[Readiness]:
    """For each skill group: met / missing items and the minutes still needed, counting what
    the agent passed anywhere (common curricula transfer across industries)."""
    groups = skill_groups if skill_groups is not None else SkillGroup.objects.filter(active=True)
    catalog = Catalog(tenant, groups)
    facts = catalog.load_facts(tenant, [membership.pk])[membership.pk]
    live = {
        c.skill_group_id: c
        for c in Certification.objects.for_tenant(tenant).filter(
            membership=membership, status__in=(Status.PENDING, Status.ACTIVE)
        )
    }
    return [
        Readiness(result=catalog.evaluate(g, facts), certification=live.get(g.pk))
        for g in catalog.skill_groups
    ]


# --- skills matrix ------------------------------------------------------------------------------


@dataclass
class Cell:
    state: str  # active | expiring | pending | progress | none
    percent: int = 0
    valid_until: datetime | None = None


@dataclass
class Matrix:
    groups: list[SkillGroup]
    rows: list[tuple[Membership, list[Cell]]]


MATRIX_STATES = ("active", "expiring", "pending", "progress", "none")


def skills_matrix(
    tenant: Tenant,
    viewer: Membership,
    *,
    team_id: int | None = None,
    group_id: int | None = None,
    state: str | None = None,
    search: str = "",
    now: datetime | None = None,
) -> Matrix:
    """Agents × skill groups in a constant number of queries (members, five for the catalog, two
    for training facts, one for certifications), whatever the size."""
    now = now or timezone.now()
    members_qs = (
        visible_members(tenant, viewer)
        .filter(role=Role.AGENT)
        .select_related("user", "team")
        .order_by("team__name", "employee_id")
    )
    if team_id:
        members_qs = members_qs.filter(team_id=team_id)
    if search:
        members_qs = members_qs.filter(
            Q(employee_id__icontains=search)
            | Q(user__display_name__icontains=search)
            | Q(user__username__icontains=search)
        )
    members = list(members_qs)
    groups_qs = SkillGroup.objects.filter(active=True)
    if group_id:
        groups_qs = groups_qs.filter(pk=group_id)
    catalog = Catalog(tenant, groups_qs)
    ids = [m.pk for m in members]
    facts = catalog.load_facts(tenant, ids)
    live = {
        (c.membership_id, c.skill_group_id): c
        for c in Certification.objects.for_tenant(tenant).filter(
            membership_id__in=ids, status__in=(Status.PENDING, Status.ACTIVE)
        )
    }
    rows = []
    for member in members:
        cells = []
        for group in catalog.skill_groups:
            cert = live.get((member.pk, group.pk))
            if cert is not None and cert.status == Status.ACTIVE:
                soon = cert.valid_until <= now + timedelta(days=group.reminder_days) or (
                    cert.grace_until is not None
                )
                cells.append(Cell("expiring" if soon else "active", 100, cert.valid_until))
            elif cert is not None:
                cells.append(Cell("pending", 100))
            else:
                result = catalog.evaluate(group, facts[member.pk])
                cells.append(Cell("progress" if result.percent else "none", result.percent))
        if state and not any(c.state == state for c in cells):
            continue
        rows.append((member, cells))
    return Matrix(groups=catalog.skill_groups, rows=rows)


# --- coverage ----------------------------------------------------------------------------------


def coverage(tenant: Tenant, *, now: datetime | None = None) -> list[dict]:
    """Per active skill group: active headcount against target, expiring soon, pending."""
    now = now or timezone.now()
    soon = now + timedelta(days=expiring_days())
    rows = (
        SkillGroup.objects.for_tenant(tenant)
        .filter(active=True)
        .annotate(
            active_count=Count("certifications", filter=Q(certifications__status=Status.ACTIVE)),
            expiring_count=Count(
                "certifications",
                filter=Q(
                    certifications__status=Status.ACTIVE, certifications__valid_until__lte=soon
                ),
            ),
            pending_count=Count("certifications", filter=Q(certifications__status=Status.PENDING)),
        )
        .order_by("code")
    )
    out = []
    for g in rows:
        scale = max(g.target_headcount, g.active_count + g.pending_count, 1)
        out.append(
            {
                "group": g,
                "active": g.active_count,
                "expiring": g.expiring_count,
                "pending": g.pending_count,
                "target": g.target_headcount,
                "gap": max(g.target_headcount - g.active_count, 0),
                "active_pct": round(100 * (g.active_count - g.expiring_count) / scale),
                "expiring_pct": round(100 * g.expiring_count / scale),
                "pending_pct": round(100 * g.pending_count / scale),
                "target_pct": round(100 * g.target_headcount / scale),
            }
        )
    return out


# --- audit export -------------------------------------------------------------------------------


def audit_events(
    tenant: Tenant, viewer: Membership, *, start: datetime, end: datetime
) -> QuerySet[CertificationEvent]:
    """Events of the period, with the certification (and its evidence) they belong to."""
    return (
        CertificationEvent.objects.for_tenant(tenant)
        .filter(at__gte=start, at__lt=end)
        .filter(certification__in=visible_certifications(tenant, viewer).exclude(membership=viewer))
        .select_related("actor", "certification__membership__user", "certification__skill_group")
        .order_by("certification__membership__employee_id", "certification_id", "pk")
    )


def evidence_summary(evidence: dict) -> str:
    """'quiz → attempt → score' lines of a certification's evidence, for the audit export."""
    parts = []
    for item in evidence.get("requirements", []):
        quizzes = [item] if item.get("kind") == "quiz" else item.get("quizzes", [])
        if item.get("kind") == "curriculum":
            parts.append(f"{item['code']} v{item['version']} ({item['lessons']} lessons)")
        for q in quizzes:
            parts.append(
                f"{q['title']}: attempt {q['attempt_id']} → {q['percent']}% "
                f"({q['attempts']} attempts, {q['seconds'] // 60} min) at {q['finished_at']}"
            )
    return "; ".join(parts)
