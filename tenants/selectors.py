from __future__ import annotations

from django.db.models import QuerySet

from .models import ApiKey, Membership, Role, Team, Tenant, User


def active_memberships(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, active=True, tenant__active=True)
        .select_related("tenant", "team")
        .order_by("tenant__name")
    )


def team_members(*, tenant: Tenant, team: Team) -> QuerySet[Membership]:
    return (
        Membership.objects.for_tenant(tenant)
        .filter(team=team, active=True, role=Role.AGENT)
        .select_related("user", "team")
    )


def visible_agents(*, membership: Membership) -> QuerySet[Membership]:
    """Agents a member may look after: all for admins and trainers, the own team for a lead."""
    qs = (
        Membership.objects.for_tenant(membership.tenant_id)
        .filter(active=True, role=Role.AGENT)
        .select_related("user", "team")
    )
    if membership.can_manage_all_teams:
        return qs
    if membership.role == Role.TEAM_LEAD:
        return qs.filter(team__lead=membership)
    return qs.filter(pk=membership.pk)


def api_keys(*, tenant: Tenant) -> QuerySet[ApiKey]:
    return ApiKey.objects.for_tenant(tenant).select_related("created_by")
