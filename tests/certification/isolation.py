"""Tenant isolation declarations of the certification app."""

from datetime import timedelta

from django.utils import timezone

from certification.models import Certification, CertificationEvent, SkillGroup
from certification.selectors import MATRIX_STATES
from tests.factories import MembershipFactory
from tests.isolation import LEAK, MISSING_INT, Case, IdProbe

from .factories import certify, make_curriculum, make_group


def _group(w):
    return make_group(w.tenant, curricula=[make_curriculum(w.tenant)])


def _cert(w):
    return certify(MembershipFactory(tenant=w.tenant, team=w.team))


def _revoked(w):
    from certification.services import revoke_certification

    cert = _cert(w)
    return revoke_certification(tenant=w.tenant, certification=cert, actor=w.admin, reason="x")


CASES = [
    Case("certification:readiness", make=_group, persona="agent"),
    Case("certification:readiness", make=_group),
    Case("certification:member_readiness", make=lambda w: w.agent),
    Case("certification:detail", make=_cert),
    Case("certification:detail", make=_cert, persona="agent"),
    Case("certification:decide", make=_cert),
    Case("certification:revoke", make=_cert),
    Case("certification:reinstate", make=_revoked),
]

MAKERS = {
    SkillGroup: _group,
    Certification: _cert,
    CertificationEvent: lambda w: _cert(w).events.first(),
}

GLOBAL_URLS: dict = {}

GLOBAL_MODELS = {
    "certification.SweepMark": "platform bookkeeping: when a sweep last ran",
}


def _matrix_queries():
    return [
        {},
        *({"state": state} for state in MATRIX_STATES),
        lambda ctx: {"team": ctx.own.team.pk},
        lambda ctx: {"group": ctx.own.group.pk},
        # Searching for the foreign tenant's agents by name and employee id finds nobody.
        lambda ctx: {"q": ctx.foreign.agent.user.display_name},
        lambda ctx: {"q": ctx.foreign.agent.employee_id},
        {"q": LEAK},
    ]


def _period(days_before=30, days_after=1):
    today = timezone.localdate()
    return {
        "start": (today - timedelta(days=days_before)).isoformat(),
        "end": (today + timedelta(days=days_after)).isoformat(),
    }


LIST_URLS = {
    "certification:mine": [{}],
    "certification:notifications_read": [{}],
    "certification:approvals": [{}],
    "certification:matrix": _matrix_queries(),
    "certification:matrix_csv": _matrix_queries(),
    "certification:coverage": [{}],
    "certification:audit": [{}, lambda ctx: _period()],
}

OWN_ROWS_SHOWN = {
    "certification:mine": lambda own: own.group.name,
    "certification:approvals": lambda own: own.agent2.employee_id,
    "certification:matrix": lambda own: own.agent.employee_id,
    "certification:matrix_csv": lambda own: own.agent.employee_id,
    "certification:coverage": lambda own: own.group.name,
    "certification:audit": lambda own: own.agent.employee_id,
}

ID_PROBES = [
    IdProbe(
        "bulk approve: another tenant's pending certification",
        "certification:approvals",
        inputs=("certification.views:ids",),
        foreign=lambda ctx: str(ctx.foreign.pending.pk),
        missing=str(MISSING_INT),
        request=lambda ctx, value: {"data": {"ids": [value], "comment": "ok"}},
        clients=("lead", "admin"),
    ),
    IdProbe(
        "bulk approve: another tenant's id among own",
        "certification:approvals",
        inputs=("certification.views:ids",),
        foreign=lambda ctx: str(ctx.foreign.pending.pk),
        missing=str(MISSING_INT),
        request=lambda ctx, value: {"data": {"ids": [value, str(MISSING_INT - 1)]}},
        clients=("lead",),
    ),
] + [
    IdProbe(
        f"skills matrix{suffix}: another tenant's {name}",
        url_name,
        inputs=(f"certification.forms.MatrixFilterForm.{name}",),
        foreign=foreign,
        missing=str(MISSING_INT),
        request=lambda ctx, value, name=name: {"query": {name: value}},
        method="get",
        clients=("lead", "admin"),
    )
    for url_name, suffix in (("certification:matrix", ""), ("certification:matrix_csv", " CSV"))
    for name, foreign in (
        ("team", lambda ctx: str(ctx.foreign.team.pk)),
        ("group", lambda ctx: str(ctx.foreign.group.pk)),
    )
]

NOT_IDS = {
    "certification.views:comment": "free text",
    "certification.views:reason": "free text",
    "certification.views:action": "approve or reject",
    "certification.views:back": "which page to return to",
    "certification.forms.DecisionForm.comment": "free text",
    "certification.forms.ReasonForm.reason": "free text",
    "certification.forms.MatrixFilterForm.state": "one of the matrix states",
    "certification.forms.MatrixFilterForm.q": "search text; the foreign tenant's names and "
    "employee ids are LIST_URLS queries",
    "certification.forms.PeriodForm.start": "a date",
    "certification.forms.PeriodForm.end": "a date",
}
