from datetime import timedelta

from django.utils import timezone

from scheduling.models import ShiftAssignment
from tests.isolation import Case, IdProbe

from .factories import make_certification, make_skill_group, shift, tomorrow_9


def _group(w):
    return make_skill_group(w.tenant, "iso-group")


def _shift(w):
    group = _group(w)
    make_certification(w.agent, group)
    return shift(w.agent, group, start=tomorrow_9())


CASES = [
    Case(
        "scheduling-api:eligible-agents",
        make=_group,
        kwargs=lambda g: {"code": g.code},
        api=True,
    ),
    Case(
        "scheduling-api:eligibility",
        make=_group,
        kwargs=lambda g: {"code": g.code},
        api=True,
    ),
    Case(
        "scheduling-api:agent-certifications",
        make=lambda w: w.agent,
        kwargs=lambda m: {"employee_id": m.employee_id},
        api=True,
    ),
    Case("scheduling-api:assignment", make=_shift, api=True),
    Case("scheduling:cancel", make=_shift, persona="admin"),
]

MAKERS = {
    ShiftAssignment: _shift,
}
GLOBAL_URLS: dict = {}


def _day(ctx, days=5):
    return (timezone.localdate(ctx.now) + timedelta(days=days)).isoformat()


def _window(ctx, days=5):
    """Eight hours on a day the own agent is certified for and has no shift."""
    start = (ctx.now + timedelta(days=days)).replace(microsecond=0)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=8)).isoformat()}


def _week_of_shift(ctx):
    shift = ShiftAssignment.objects.for_tenant(ctx.own.tenant).order_by("starts_at").first()
    return {"group": ctx.own.group.code, "week": shift.starts_at.date().isoformat()}


LIST_URLS = {
    "scheduling:roster": [
        {},
        lambda ctx: {"group": ctx.own.group.code},
        _week_of_shift,
        lambda ctx: {
            "group": ctx.own.group.code,
            "day": _day(ctx),
            "start": "09:00",
            "end": "17:00",
        },
    ],
    "scheduling:add": [{}],
    "scheduling:eligibility-csv": [
        {},
        lambda ctx: {"group": ctx.own.group.code},
        lambda ctx: {"group": ctx.own.group.code, **_window(ctx)},
    ],
    "scheduling-api:skill-groups": [{}],
    "scheduling-api:assignments": [{}],
}

OWN_ROWS_SHOWN = {
    "scheduling:roster": lambda own: own.agent.employee_id,
    "scheduling:eligibility-csv": lambda own: own.agent.employee_id,
    "scheduling-api:skill-groups": lambda own: own.group.code,
}

API_CLIENTS = ("key", "lead")


def _item(ctx, **fields):
    return {
        "employee_id": ctx.own.agent.employee_id,
        "skill_group": ctx.own.group.code,
        "starts_at": _window(ctx)["start"],
        "ends_at": _window(ctx)["end"],
        **fields,
    }


def _roster_form(ctx, **fields):
    return {
        "group": ctx.own.group.code,
        "day": _day(ctx),
        "start": "09:00",
        "end": "17:00",
        "agent": ctx.own.agent.employee_id,
        **fields,
    }


ID_PROBES = [
    IdProbe(
        "eligibility check: another tenant's agent",
        "scheduling-api:eligibility",
        inputs=("scheduling.serializers.EligibilityQuerySerializer.agents",),
        foreign=lambda ctx: ctx.foreign.agent.employee_id,
        missing="E-missing",
        request=lambda ctx, value: {"query": {"agents": value, **_window(ctx)}},
        method="get",
        clients=API_CLIENTS,
        url_kwargs=lambda ctx: {"code": ctx.own.group.code},
    ),
    IdProbe(
        "eligibility check: another tenant's agent among own",
        "scheduling-api:eligibility",
        inputs=("scheduling.serializers.EligibilityQuerySerializer.agents",),
        foreign=lambda ctx: ctx.foreign.agent.employee_id,
        missing="E-missing",
        request=lambda ctx, value: {
            "query": {"agents": f"{ctx.own.agent.employee_id},{value}", **_window(ctx)}
        },
        method="get",
        clients=API_CLIENTS,
        url_kwargs=lambda ctx: {"code": ctx.own.group.code},
    ),
    IdProbe(
        "assignments: another tenant's agent",
        "scheduling-api:assignments",
        inputs=("scheduling.serializers.AssignmentInSerializer.employee_id",),
        foreign=lambda ctx: ctx.foreign.agent.employee_id,
        missing="E-missing",
        request=lambda ctx, value: {"json": [_item(ctx, employee_id=value)]},
        clients=API_CLIENTS,
    ),
    IdProbe(
        "assignments: another tenant's skill group",
        "scheduling-api:assignments",
        inputs=("scheduling.serializers.AssignmentInSerializer.skill_group",),
        foreign=lambda ctx: ctx.foreign.group.code,
        missing="missing-group",
        request=lambda ctx, value: {"json": [_item(ctx, skill_group=value)]},
        clients=API_CLIENTS,
    ),
    IdProbe(
        "assignments, partial: another tenant's agent",
        "scheduling-api:assignments",
        inputs=("scheduling.serializers.AssignmentInSerializer.employee_id",),
        foreign=lambda ctx: ctx.foreign.agent.employee_id,
        missing="E-missing",
        request=lambda ctx, value: {
            "json": [_item(ctx, employee_id=value)],
            "query": {"partial": "true"},
        },
        clients=API_CLIENTS,
    ),
    IdProbe(
        "roster: another tenant's skill group",
        "scheduling:roster",
        inputs=("scheduling.views:group",),
        foreign=lambda ctx: ctx.foreign.group.code,
        missing="missing-group",
        request=lambda ctx, value: {"query": {"group": value}},
        method="get",
        clients=("lead", "admin"),
    ),
    IdProbe(
        "roster add: another tenant's skill group",
        "scheduling:add",
        inputs=("scheduling.views:group",),
        foreign=lambda ctx: ctx.foreign.group.code,
        missing="missing-group",
        request=lambda ctx, value: {"data": _roster_form(ctx, group=value)},
        clients=("lead", "admin"),
    ),
    IdProbe(
        "roster add: another tenant's agent",
        "scheduling:add",
        inputs=("scheduling.forms.AddShiftForm.agent",),
        foreign=lambda ctx: ctx.foreign.agent.employee_id,
        missing="E-missing",
        request=lambda ctx, value: {"data": _roster_form(ctx, agent=value)},
        clients=("lead", "admin"),
    ),
    IdProbe(
        "eligibility export: another tenant's skill group",
        "scheduling:eligibility-csv",
        inputs=("scheduling.views:group",),
        foreign=lambda ctx: ctx.foreign.group.code,
        missing="missing-group",
        request=lambda ctx, value: {"query": {"group": value}},
        method="get",
        clients=("lead", "admin"),
    ),
]

NOT_IDS = {
    "scheduling.views:week": "a date",
    "scheduling.views:start": "a time",
    "scheduling.views:end": "a time",
    "scheduling.api:partial": "a flag",
    "scheduling.api:reason": "free text",
    "scheduling.forms.WindowForm.day": "a date",
    "scheduling.forms.WindowForm.start": "a time",
    "scheduling.forms.WindowForm.end": "a time",
    "scheduling.forms.AddShiftForm.day": "a date",
    "scheduling.forms.AddShiftForm.start": "a time",
    "scheduling.forms.AddShiftForm.end": "a time",
    "scheduling.forms.CancelForm.reason": "free text",
    "scheduling.serializers.WindowQuerySerializer.start": "a time",
    "scheduling.serializers.WindowQuerySerializer.end": "a time",
    "scheduling.serializers.EligibilityQuerySerializer.start": "a time",
    "scheduling.serializers.EligibilityQuerySerializer.end": "a time",
    "scheduling.serializers.AssignmentInSerializer.external_ref": "the caller's own reference",
    "scheduling.serializers.AssignmentInSerializer.starts_at": "a time",
    "scheduling.serializers.AssignmentInSerializer.ends_at": "a time",
    "scheduling.serializers.CancelSerializer.reason": "free text",
}
