"""Approval workflow: who may decide, what a decision changes, and bad input."""

import pytest

from certification.audit import verify_tenant
from certification.models import Certification, CertificationEvent, EmailMessage, Notification
from certification.services import (
    approve_certification,
    bulk_approve,
    reinstate_certification,
    reject_certification,
    revoke_certification,
)
from core.errors import Conflict, InvalidInput, NotPermitted
from events.models import OutboxEvent
from tenants.models import Role
from tests.factories import MembershipFactory, make_team

from .factories import certify


def _persona(world, name):
    if name == "own_lead":
        return world.lead
    if name == "other_lead":
        return make_team(world.tenant, name="Green").lead
    if name == "trainer":
        return world.trainer
    if name == "admin":
        return world.admin
    if name == "agent":
        return world.other_agent
    if name == "foreign_admin":
        return world.other_admin
    raise AssertionError(name)


PERMISSIONS = [
    ("own_lead", True),
    ("other_lead", False),
    ("trainer", True),
    ("admin", True),
    ("agent", False),
    ("foreign_admin", False),
]


@pytest.mark.parametrize("who,allowed", PERMISSIONS)
def test_approval_permission_matrix(world, who, allowed):
    cert = certify(world.agent)
    actor = _persona(world, who)
    if allowed:
        approved = approve_certification(tenant=world.tenant, certification=cert, actor=actor)
        assert approved.status == "active" and approved.decided_by == actor.user
    else:
        with pytest.raises(NotPermitted):
            approve_certification(tenant=world.tenant, certification=cert, actor=actor)
        cert.refresh_from_db()
        assert cert.status == "pending"
        assert CertificationEvent.objects.filter(certification=cert).count() == 1


@pytest.mark.parametrize("who,allowed", PERMISSIONS)
def test_rejection_permission_matrix(world, who, allowed):
    cert = certify(world.agent)
    actor = _persona(world, who)
    if allowed:
        rejected = reject_certification(
            tenant=world.tenant, certification=cert, actor=actor, comment="Scores too close"
        )
        assert rejected.status == "rejected"
    else:
        with pytest.raises(NotPermitted):
            reject_certification(tenant=world.tenant, certification=cert, actor=actor, comment="x")


@pytest.mark.parametrize("role", [Role.TEAM_LEAD, Role.TRAINER, Role.TENANT_ADMIN])
def test_nobody_approves_their_own_certification(world, role):
    me = MembershipFactory(tenant=world.tenant, role=role, team=world.team)
    cert = certify(me)
    with pytest.raises(NotPermitted) as exc:
        approve_certification(tenant=world.tenant, certification=cert, actor=me)
    assert exc.value.code == "self_approval"
    cert.refresh_from_db()
    assert cert.status == "pending"


def test_rejection_without_comment_is_refused(world):
    cert = certify(world.agent)
    for comment in ("", "   "):
        with pytest.raises(InvalidInput) as exc:
            reject_certification(
                tenant=world.tenant, certification=cert, actor=world.lead, comment=comment
            )
        assert exc.value.code == "comment_required"
    cert.refresh_from_db()
    assert cert.status == "pending"


def test_approving_something_already_decided_changes_nothing(world):
    cert = certify(world.agent)
    reject_certification(tenant=world.tenant, certification=cert, actor=world.lead, comment="No")
    events = CertificationEvent.objects.count()
    with pytest.raises(Conflict) as exc:
        approve_certification(tenant=world.tenant, certification=cert, actor=world.admin)
    assert exc.value.code == "already_decided"
    cert.refresh_from_db()
    assert cert.status == "rejected" and CertificationEvent.objects.count() == events


def test_approval_writes_event_outbox_notification_and_email(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cert = certify(world.agent)
        approve_certification(
            tenant=world.tenant,
            certification=cert,
            actor=world.lead,
            comment="Well done",
            request_id="req-123",
        )
    event = CertificationEvent.objects.filter(certification=cert).last()
    assert (event.old_status, event.new_status) == ("pending", "active")
    assert event.actor == world.lead.user and event.reason == "Well done"
    assert event.request_id == "req-123"
    out = OutboxEvent.objects.filter(event_type="certification.activated").get()
    assert out.payload["certification_id"] == cert.pk
    assert out.payload["employee_id"] == world.agent.employee_id
    assert out.payload["skill_group"] == cert.skill_group.code
    assert out.payload["status"] == "active" and out.payload["valid_until"]
    assert OutboxEvent.objects.filter(event_type="certification.pending").count() == 1
    assert Notification.objects.filter(membership=world.agent, kind="activated").exists()
    assert (
        EmailMessage.objects.filter(to=world.agent.user.email, sent_at__isnull=False).count() == 2
    )
    assert len(mailoutbox) == 2
    assert verify_tenant(tenant_id=world.tenant.pk, slug=world.tenant.slug).problems == []


def test_bulk_approve_approves_what_it_may_and_reports_the_rest(world):
    mine = [certify(world.agent), certify(world.other_agent)]
    outsider = MembershipFactory(tenant=world.tenant, team=make_team(world.tenant, name="Red"))
    theirs = certify(outsider)
    approved, refused = bulk_approve(
        tenant=world.tenant, certification_ids=[c.pk for c in mine] + [theirs.pk], actor=world.lead
    )
    assert {c.pk for c in approved} == {c.pk for c in mine}
    assert [pk for pk, _why in refused] == [theirs.pk]
    theirs.refresh_from_db()
    assert theirs.status == "pending"


def test_revocation_needs_a_reason(world):
    cert = certify(world.agent, approve_by=world.lead)
    with pytest.raises(InvalidInput):
        revoke_certification(tenant=world.tenant, certification=cert, actor=world.lead, reason=" ")
    cert.refresh_from_db()
    assert cert.status == "active"


def test_revocation_publishes_and_reinstating_needs_a_new_approval(world):
    cert = certify(world.agent, approve_by=world.lead)
    revoke_certification(
        tenant=world.tenant, certification=cert, actor=world.lead, reason="Compliance breach"
    )
    cert.refresh_from_db()
    assert cert.status == "revoked" and cert.revoked_at
    payload = OutboxEvent.objects.get(event_type="certification.revoked").payload
    assert payload["reason"] == "Compliance breach"
    # A revoked certification is not recreated automatically, even though the facts still hold.
    from certification.services import evaluate_agent

    assert evaluate_agent(tenant=world.tenant, membership=world.agent) == []
    again = reinstate_certification(
        tenant=world.tenant, certification=cert, actor=world.admin, reason="Appeal upheld"
    )
    assert again.status == "pending" and again.pk != cert.pk
    with pytest.raises(Conflict):
        reinstate_certification(
            tenant=world.tenant, certification=cert, actor=world.admin, reason="twice"
        )
    approve_certification(tenant=world.tenant, certification=again, actor=world.lead)
    assert Certification.objects.get(pk=again.pk).status == "active"


def test_lead_cannot_reinstate_own_revoked_certification(world):
    cert = certify(world.lead, approve_by=world.admin)
    revoke_certification(tenant=world.tenant, certification=cert, actor=world.admin, reason="Audit")
    with pytest.raises(NotPermitted) as exc:
        reinstate_certification(
            tenant=world.tenant, certification=cert, actor=world.lead, reason="I disagree"
        )
    assert exc.value.code == "self_approval"
    assert not Certification.objects.filter(membership=world.lead, status="pending").exists()


def test_revoking_a_decided_certification_is_refused(world):
    cert = certify(world.agent)
    reject_certification(tenant=world.tenant, certification=cert, actor=world.lead, comment="No")
    with pytest.raises(Conflict):
        revoke_certification(tenant=world.tenant, certification=cert, actor=world.lead, reason="x")


def test_lead_cannot_revoke_outside_own_team(world):
    cert = certify(world.agent, approve_by=world.lead)
    other_lead = make_team(world.tenant, name="Green").lead
    with pytest.raises(NotPermitted):
        revoke_certification(tenant=world.tenant, certification=cert, actor=other_lead, reason="x")


def test_skill_group_without_approval_activates_at_once(world):
    cert = certify(world.agent, requires_approval=False)
    assert cert.status == "active" and cert.decided_by is None
