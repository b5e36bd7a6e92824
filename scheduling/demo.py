"""Demo data of scheduling: a week of roster for the demo tenant, built through the services
from the certifications the certification demo created, and an API key for the scheduler."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.utils import timezone

from certification.models import Certification, SkillGroup
from tenants.models import ApiKey
from tenants.services import create_api_key

from . import services
from .models import ShiftAssignment

DEMO_KEY_NAME = "demo-scheduler"
SHIFTS = [(time(8), time(16)), (time(14), time(22))]


def seed(ctx) -> None:
    tenant = ctx.tenant
    _roster(ctx)
    existing = ApiKey.objects.for_tenant(tenant).filter(name=DEMO_KEY_NAME, revoked_at__isnull=True)
    if existing.exists():
        ctx.lines.append(
            f"Scheduler API key “{DEMO_KEY_NAME}” exists (its secret was printed when it was "
            f"created). New one: python manage.py scheduler_key --tenant {tenant.slug} "
            f"--name {DEMO_KEY_NAME} --rotate"
        )
    else:
        issued = create_api_key(tenant=tenant, name=DEMO_KEY_NAME, created_by=None)
        ctx.lines.append(f"Scheduler API key ({DEMO_KEY_NAME}): {issued.raw_key}")
        ctx.lines.append(
            "  curl -H 'Authorization: Bearer "
            f"{issued.raw_key}' http://127.0.0.1:8000/api/v1/skill-groups/"
        )


def _roster(ctx) -> None:
    tenant = ctx.tenant
    tz = zoneinfo.ZoneInfo(tenant.time_zone)
    first_day = (timezone.now().astimezone(tz) + timedelta(days=1)).date()
    last = datetime.combine(first_day + timedelta(days=7), time(), tzinfo=tz)
    certs = list(
        Certification.objects.for_tenant(tenant)
        .filter(status=Certification.Status.ACTIVE, valid_until__gte=last)
        .select_related("membership", "skill_group")
        .order_by("skill_group__code", "membership__employee_id")
    )
    if not certs:
        ctx.lines.append("Roster: no active certifications yet, so no demo shifts.")
        return
    groups = {c.skill_group.code for c in certs}
    done = set(
        ShiftAssignment.objects.for_tenant(tenant)
        .filter(skill_group__code__in=groups, external_ref__startswith="demo-")
        .values_list("external_ref", flat=True)
    )
    items = []
    for n, cert in enumerate(certs):
        start_t, end_t = SHIFTS[n % len(SHIFTS)]
        for offset in range(7):
            day = first_day + timedelta(days=offset)
            if day.weekday() == (n % 7):  # one day off a week each
                continue
            ref = f"demo-{cert.skill_group.code}-{cert.membership.employee_id}-{day:%Y%m%d}"
            if ref in done:
                continue
            items.append(
                services.AssignmentRequest(
                    employee_id=cert.membership.employee_id,
                    skill_group=cert.skill_group.code,
                    starts_at=datetime.combine(day, start_t, tzinfo=tz),
                    ends_at=datetime.combine(day, end_t, tzinfo=tz),
                    external_ref=ref,
                )
            )
    # Agents certified for two groups would overlap: partial keeps the first, drops the rest.
    result = services.create_assignments(
        tenant=tenant, items=items, source=ShiftAssignment.Source.ROSTER, partial=True
    )
    if result.created:
        names = ", ".join(
            sorted(
                SkillGroup.objects.for_tenant(tenant)
                .filter(code__in=groups)
                .values_list("code", flat=True)
            )
        )
        ctx.lines.append(
            f"Roster: {len(result.created)} demo shifts over the next 7 days ({names})."
        )
