"""Browser pages: my certifications and readiness (agents), approval queue, skills matrix,
coverage and audit export (team leads, trainers, tenant admins). Thin: parse, authorise,
call a service or selector, render."""

from __future__ import annotations

import csv
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.bounds import parse_id
from core.csvtime import local_time, time_column
from core.errors import DomainError
from core.responses import bad_request
from tenants.mixins import LEAD_ROLES, get_for_tenant_or_404, tenant_view

from . import selectors, services
from .chain import request_id_from
from .forms import DecisionForm, MatrixFilterForm, PeriodForm, ReasonForm
from .models import Certification, SkillGroup

STATE_LABELS = {
    "active": gettext_lazy("Active"),
    "expiring": gettext_lazy("Expiring"),
    "pending": gettext_lazy("Pending approval"),
    "progress": gettext_lazy("In progress"),
    "none": gettext_lazy("Not started"),
}


def _fail(request, exc: DomainError) -> None:
    messages.error(request, exc.message)


# --- agent pages ------------------------------------------------------------------------------


@tenant_view()
def mine(request):
    tenant, me = request.tenant, request.membership
    return render(
        request,
        "certification/mine.html",
        {
            "certifications": selectors.my_certifications(tenant, me),
            "notifications": selectors.notifications(tenant, me),
            "skill_groups": SkillGroup.objects.for_tenant(tenant).filter(active=True),
        },
    )


@tenant_view()
@require_POST
def notifications_read(request):
    services.mark_notifications_read(tenant=request.tenant, membership=request.membership)
    return redirect("certification:mine")


@tenant_view()
def readiness(request, pk):
    """What I still need for skill group ``pk`` (any active skill group of my tenant)."""
    group = get_for_tenant_or_404(SkillGroup.objects.filter(active=True), request.tenant, pk=pk)
    item = selectors.readiness(
        request.tenant, request.membership, SkillGroup.objects.filter(pk=group.pk)
    )[0]
    return render(
        request,
        "certification/readiness.html",
        {"items": [item], "subject": request.membership, "single": True},
    )


@tenant_view(roles=LEAD_ROLES)
def member_readiness(request, pk):
    """A team member's readiness for every skill group (leads: own team only)."""
    member = get_for_tenant_or_404(
        selectors.visible_members(request.tenant, request.membership).select_related("user"),
        request.tenant,
        pk=pk,
    )
    return render(
        request,
        "certification/readiness.html",
        {"items": selectors.readiness(request.tenant, member), "subject": member, "single": False},
    )


@tenant_view()
def detail(request, pk):
    cert = get_for_tenant_or_404(
        selectors.visible_certifications(request.tenant, request.membership),
        request.tenant,
        pk=pk,
    )
    me = request.membership
    may_decide = me.role in LEAD_ROLES and cert.membership.user_id != me.user_id
    return render(
        request,
        "certification/detail.html",
        {
            "cert": cert,
            "events": selectors.certification_events(cert),
            "may_decide": may_decide,
            "decision_form": DecisionForm(),
            "reason_form": ReasonForm(),
        },
    )


# --- decisions --------------------------------------------------------------------------------


@tenant_view(roles=LEAD_ROLES)
@require_http_methods(["GET", "POST"])
def approvals(request):
    queue = selectors.approval_queue(request.tenant, request.membership)
    if request.method == "POST":
        ids = [parse_id(x) for x in request.POST.getlist("ids")]
        if None in ids:
            return bad_request(request, _("The selection holds an id that is not valid."))
        if not ids:
            messages.error(request, _("Select at least one certification to approve."))
            return redirect("certification:approvals")
        approved, refused = services.bulk_approve(
            tenant=request.tenant,
            certification_ids=ids,
            actor=request.membership,
            comment=request.POST.get("comment", ""),
            request_id=request_id_from(request),
        )
        if approved:
            messages.success(
                request, _("%(count)d certification(s) approved.") % {"count": len(approved)}
            )
        for _pk, why in refused:
            messages.error(request, why)
        return redirect("certification:approvals")
    return render(
        request,
        "certification/approvals.html",
        {
            "queue": queue,
            "decision_form": DecisionForm(),
            "reminded": selectors.reminded_certifications(request.tenant, request.membership),
        },
    )


@tenant_view(roles=LEAD_ROLES)
@require_POST
def decide(request, pk):
    cert = get_for_tenant_or_404(Certification, request.tenant, pk=pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    action = request.POST.get("action")
    try:
        if action == "approve":
            services.approve_certification(
                tenant=request.tenant,
                certification=cert,
                actor=request.membership,
                comment=comment,
                request_id=request_id_from(request),
            )
            messages.success(request, _("Approved: %(agent)s for %(group)s.") % _names(cert))
        elif action == "reject":
            services.reject_certification(
                tenant=request.tenant,
                certification=cert,
                actor=request.membership,
                comment=comment,
                request_id=request_id_from(request),
            )
            messages.success(request, _("Rejected: %(agent)s for %(group)s.") % _names(cert))
        else:
            messages.error(request, _("Choose approve or reject."))
    except DomainError as exc:
        _fail(request, exc)
    if request.POST.get("back") == "detail":
        return redirect(cert.get_absolute_url())
    return redirect("certification:approvals")


def _names(cert: Certification) -> dict:
    return {"agent": cert.membership.user, "group": cert.skill_group.name}


@tenant_view(roles=LEAD_ROLES)
@require_POST
def revoke(request, pk):
    cert = get_for_tenant_or_404(Certification, request.tenant, pk=pk)
    try:
        services.revoke_certification(
            tenant=request.tenant,
            certification=cert,
            actor=request.membership,
            reason=request.POST.get("reason", ""),
            request_id=request_id_from(request),
        )
        messages.success(request, _("Revoked: %(agent)s for %(group)s.") % _names(cert))
    except DomainError as exc:
        _fail(request, exc)
    return redirect(cert.get_absolute_url())


@tenant_view(roles=LEAD_ROLES)
@require_POST
def reinstate(request, pk):
    cert = get_for_tenant_or_404(Certification, request.tenant, pk=pk)
    try:
        new = services.reinstate_certification(
            tenant=request.tenant,
            certification=cert,
            actor=request.membership,
            reason=request.POST.get("reason", ""),
            request_id=request_id_from(request),
        )
    except DomainError as exc:
        _fail(request, exc)
        return redirect(cert.get_absolute_url())
    messages.success(request, _("A new certification now waits for approval."))
    return redirect(new.get_absolute_url())


# --- matrix, coverage, audit ------------------------------------------------------------------


def _matrix(request):
    tenant, me = request.tenant, request.membership
    scope = selectors.matrix_scope(tenant, me)
    form = MatrixFilterForm(
        request.GET or None, teams=scope.teams, groups=scope.catalog.skill_groups
    )
    filters = form.cleaned_data if form.is_valid() else {}
    matrix = selectors.skills_matrix(
        tenant,
        me,
        team_id=filters.get("team"),
        group_id=filters.get("group"),
        state=filters.get("state") or None,
        search=filters.get("q") or "",
        scope=scope,
    )
    return form, matrix


def _matrix_cells(cells, rendered: dict) -> str:
    """A row's cells as HTML. A page holds 1,500 cells of a few distinct values, so each
    distinct cell is rendered once (in Python: a template tag per cell costs more than the
    rest of the page)."""
    out = []
    for cell in cells:
        # Only an expiring cell shows its date; an active one looks the same whatever its date.
        key = cell if cell.state == "expiring" else (cell.state, cell.percent)
        html = rendered.get(key)
        if html is None:
            html = rendered[key] = _matrix_cell(cell)
        out.append(html)
    return mark_safe("".join(out))  # every part is a literal or built by format_html


def _matrix_cell(cell) -> str:
    if cell.state == "progress":
        return format_html(
            '<td><div class="progress" title="{0}%"><span style="width: {0}%"></span></div>'
            "<small>{0}%</small></td>",
            cell.percent,
        )
    if cell.state == "none":
        return '<td><span class="muted">—</span></td>'
    if cell.state == "expiring":
        until = date_format(template_localtime(cell.valid_until), "DATE_FORMAT")
        return format_html(
            '<td><span class="badge expiring" title="{}">{}</span></td>',
            until,
            STATE_LABELS["expiring"],
        )
    return format_html(
        '<td><span class="badge {}">{}</span></td>', cell.state, STATE_LABELS[cell.state]
    )


@tenant_view(roles=LEAD_ROLES)
def matrix(request):
    form, data = _matrix(request)
    rendered: dict = {}
    return render(
        request,
        "certification/matrix.html",
        {
            "form": form,
            "matrix": data,
            "rows": [(row, _matrix_cells(row.cells, rendered)) for row in data.rows],
            "query": request.GET.urlencode(),
        },
    )


@tenant_view(roles=LEAD_ROLES)
def matrix_csv(request):
    _form, data = _matrix(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="skills-matrix.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 (Chinese names) correctly with a BOM
    writer = csv.writer(response)
    writer.writerow([_("Employee id"), _("Agent"), _("Team")] + [g.code for g in data.groups])
    for row in data.rows:
        writer.writerow(
            [row.employee_id, row.name, row.team_name]
            + [f"{c.state} {c.percent}%" if c.state == "progress" else c.state for c in row.cells]
        )
    return response


@tenant_view(roles=LEAD_ROLES)
def coverage(request):
    return render(
        request,
        "certification/coverage.html",
        {"rows": selectors.coverage(request.tenant), "days": selectors.expiring_days()},
    )


@tenant_view(roles=LEAD_ROLES)
def audit(request):
    form = PeriodForm(request.GET or None)
    if not form.is_valid():
        today = timezone.localdate()
        if not request.GET:
            form = PeriodForm(initial={"start": today - timedelta(days=30), "end": today})
        return render(request, "certification/audit.html", {"form": form})
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(form.cleaned_data["start"], time.min), tz)
    end = timezone.make_aware(
        datetime.combine(form.cleaned_data["end"] + timedelta(days=1), time.min), tz
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"certification-audit-{form.cleaned_data['start']}-{form.cleaned_data['end']}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Employee id"),
            _("Agent"),
            _("Skill group"),
            _("Certification"),
            _("Evidence (attempt → score)"),
            _("Event"),
            time_column(_("At"), tz),
            _("Old status"),
            _("New status"),
            _("By"),
            _("Reason"),
            _("Request id"),
            _("Event hash"),
        ]
    )
    events = selectors.audit_events(request.tenant, request.membership, start=start, end=end)
    for e in events.iterator(chunk_size=1000):
        cert = e.certification
        writer.writerow(
            [
                cert.membership.employee_id,
                str(cert.membership.user),
                cert.skill_group.code,
                cert.pk,
                selectors.evidence_summary(e.data.get("evidence") or cert.evidence),
                e.pk,
                local_time(e.at, tz),
                e.old_status,
                e.new_status,
                str(e.actor) if e.actor else _("system"),
                e.reason,
                e.request_id,
                e.hash,
            ]
        )
    return response
