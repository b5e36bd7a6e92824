"""Roster pages for team leads: a week per skill group, adding only eligible agents, cancelling
with a reason, and the eligibility export as CSV. A lead sees and schedules the agents of the
teams they lead; tenant admins and trainers see everybody."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from certification.models import SkillGroup
from certification.selectors import sees_all_teams, visible_members
from core.bounds import date_in_range, date_range_message
from core.csvtime import local_time, time_column
from core.errors import DomainError
from core.responses import bad_request
from tenants.mixins import LEAD_ROLES, get_for_tenant_or_404, tenant_view

from . import selectors, services
from .api import parse_window
from .forms import AddShiftForm, CancelForm, WindowForm
from .models import ShiftAssignment


def _tz(request):
    # The viewer's zone (their own, else the tenant's), activated by TimeZoneMiddleware.
    return timezone.get_current_timezone()


def _monday(raw: str | None, tz) -> date | None:
    """The Monday of the week asked for (this week when none or an unreadable one is given);
    None for a date outside the supported calendar."""
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        day = None
    day = day or timezone.now().astimezone(tz).date()
    if not date_in_range(day):
        return None
    return day - timedelta(days=day.weekday())


def _scheduled_by(request):
    """The agents this viewer may roster: a lead's own teams, everybody for admins and trainers
    (None: no filter at all)."""
    if sees_all_teams(request.membership):
        return None
    return visible_members(request.tenant, request.membership)


def _group(request, code: str | None) -> SkillGroup | None:
    groups = SkillGroup.objects.for_tenant(request.tenant).filter(active=True).order_by("code")
    if code:
        return get_for_tenant_or_404(groups, request.tenant, code=code)
    return groups.first()


@tenant_view(roles=LEAD_ROLES)
def roster(request):
    tz = _tz(request)
    group = _group(request, request.GET.get("group"))
    monday = _monday(request.GET.get("week"), tz)
    if monday is None:
        return bad_request(request, date_range_message())
    week_start = datetime.combine(monday, datetime.min.time(), tzinfo=tz)
    context = {
        "groups": SkillGroup.objects.for_tenant(request.tenant).filter(active=True),
        "group": group,
        "monday": monday,
        "prev_week": monday - timedelta(days=7),
        "next_week": monday + timedelta(days=7),
        "tz": tz,
    }
    if group is None:
        return render(request, "scheduling/roster.html", context)
    members = _scheduled_by(request)
    shifts = list(
        selectors.week_roster(
            tenant=request.tenant, skill_group=group, start=week_start, members=members
        )
    )
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        days.append(
            {
                "date": day,
                "shifts": [s for s in shifts if s.starts_at.astimezone(tz).date() == day],
            }
        )
    window_form = WindowForm(request.GET if "day" in request.GET else None)
    add_form = None
    eligible = []
    if window_form.is_bound and window_form.is_valid():
        start, end = window_form.window(tz)
        eligible = selectors.eligible_agents(
            tenant=request.tenant, skill_group=group, start=start, end=end, members=members
        )
        add_form = AddShiftForm(initial=window_form.cleaned_data, agents=eligible)
    elif not window_form.is_bound:
        window_form = WindowForm(initial={"day": max(monday, timezone.now().astimezone(tz).date())})
    context.update(
        days=days,
        window_form=window_form,
        add_form=add_form,
        eligible=eligible,
        cancel_form=CancelForm(),
    )
    return render(request, "scheduling/roster.html", context)


def _back(group: SkillGroup, when: datetime | date | None = None) -> str:
    url = reverse("scheduling:roster") + f"?group={group.code}"
    if when is not None:
        url += f"&week={when.isoformat()[:10]}"
    return url


@require_POST
@tenant_view(roles=LEAD_ROLES)
def add_shift(request):
    tz = _tz(request)
    group = _group(request, request.POST.get("group") or "-")
    window = WindowForm(request.POST)
    if not window.is_valid():
        messages.error(request, _("Choose a day, a start and an end time."))
        return redirect(_back(group))
    start, end = window.window(tz)
    eligible = selectors.eligible_agents(
        tenant=request.tenant,
        skill_group=group,
        start=start,
        end=end,
        members=_scheduled_by(request),
    )
    form = AddShiftForm(request.POST, agents=eligible)
    if not form.is_valid():
        messages.error(request, _("This agent is not eligible for the whole shift."))
        return redirect(_back(group, start.date()))
    item = services.AssignmentRequest(
        employee_id=form.cleaned_data["agent"], skill_group=group.code, starts_at=start, ends_at=end
    )
    try:
        services.create_assignments(
            tenant=request.tenant, items=[item], source=ShiftAssignment.Source.ROSTER
        )
    except services.AssignmentsRefused as exc:
        reasons = "; ".join(r["message"] for r in exc.details["refused"])
        messages.error(request, _("The shift was refused: %(reasons)s") % {"reasons": reasons})
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Shift added."))
    return redirect(_back(group, start.date()))


@require_POST
@tenant_view(roles=LEAD_ROLES)
def cancel(request, pk: int):
    shifts = ShiftAssignment.objects.select_related("skill_group")
    members = _scheduled_by(request)
    if members is not None:
        # Another team's shift answers like a missing one.
        shifts = shifts.filter(membership__in=members)
    assignment = get_for_tenant_or_404(shifts, request.tenant, pk=pk)
    form = CancelForm(request.POST)
    back = _back(assignment.skill_group, assignment.starts_at.astimezone(_tz(request)).date())
    if not form.is_valid():
        messages.error(request, _("A reason is required to cancel a shift."))
        return redirect(back)
    try:
        services.cancel_assignment(
            tenant=request.tenant,
            assignment_id=assignment.pk,
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Shift cancelled."))
    return redirect(back)


@tenant_view(roles=LEAD_ROLES)
def eligibility_csv(request):
    """Eligible agents of a skill group over a window (default: the next 24 hours), for WFM
    tools that import skills from files."""
    group = _group(request, request.GET.get("group") or "-")
    now = timezone.now()
    start, end = now, now + timedelta(days=1)
    if request.GET.get("start") or request.GET.get("end"):
        try:
            start, end = parse_window(request.GET.get("start"), request.GET.get("end"))
        except DomainError as exc:
            return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    certs = selectors.eligible_agents(
        tenant=request.tenant,
        skill_group=group,
        start=start,
        end=end,
        members=_scheduled_by(request),
    )
    tz = _tz(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="eligibility-{group.code}-{start.astimezone(tz):%Y%m%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "employee_id",
            "name",
            "team",
            "skill_group",
            "external_id",
            "certification_id",
            time_column("valid_from", tz),
            time_column("valid_until", tz),
        ]
    )
    for cert in certs:
        writer.writerow(
            [
                cert.membership.employee_id,
                _csv_safe(str(cert.membership.user)),
                _csv_safe(cert.membership.team.name if cert.membership.team else ""),
                group.code,
                group.external_id,
                cert.pk,
                local_time(cert.valid_from, tz),
                local_time(cert.valid_until, tz),
            ]
        )
    return response


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ is a formula in spreadsheet tools: neutralise it.
    return "'" + value if value[:1] in {"=", "+", "-", "@"} else value
