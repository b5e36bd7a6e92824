"""Tenant isolation declarations of the certification app."""

from certification.models import Certification, CertificationEvent, SkillGroup
from tests.factories import MembershipFactory
from tests.isolation import Case

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
