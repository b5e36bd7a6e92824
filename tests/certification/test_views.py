"""Browser pages: what each persona sees and may do; exports; constant query counts."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certification.models import Certification, Notification
from tests.factories import MembershipFactory, make_team
from training.models import Curriculum

from .factories import (
    certify,
    complete_lessons,
    make_curriculum,
    make_group,
)


def test_agent_sees_own_certifications_and_notifications(world, client_for):
    cert = certify(world.agent, approve_by=world.lead)
    page = client_for(world.agent).get(reverse("certification:mine"))
    assert page.status_code == 200
    body = page.content.decode()
    assert cert.skill_group.name in body and "Active" in body
    assert "You are now certified" in body


def test_marking_notifications_read(world, client_for):
    certify(world.agent)
    client = client_for(world.agent)
    assert client.post(reverse("certification:notifications_read")).status_code == 302
    assert not Notification.objects.filter(membership=world.agent, read_at__isnull=True).exists()


def test_agent_cannot_open_lead_pages(world, client_for):
    client = client_for(world.agent)
    for name in ("approvals", "matrix", "matrix_csv", "coverage", "audit"):
        assert client.get(reverse(f"certification:{name}")).status_code == 403


def test_lead_approves_from_the_queue(world, client_for):
    cert = certify(world.agent)
    client = client_for(world.lead)
    queue = client.get(reverse("certification:approvals"))
    assert f'id="cert-{cert.pk}"' in queue.content.decode()
    response = client.post(
        reverse("certification:decide", kwargs={"pk": cert.pk}),
        {"action": "approve", "comment": ""},
        HTTP_X_REQUEST_ID="trace-42",
    )
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.status == "active"
    assert cert.events.last().request_id == "trace-42"


def test_rejecting_without_comment_shows_message_and_changes_nothing(world, client_for):
    cert = certify(world.agent)
    response = client_for(world.lead).post(
        reverse("certification:decide", kwargs={"pk": cert.pk}),
        {"action": "reject", "comment": ""},
        follow=True,
    )
    assert "Say why you reject" in response.content.decode()
    cert.refresh_from_db()
    assert cert.status == "pending"


def test_approving_outside_own_team_shows_message(world, client_for):
    cert = certify(world.agent)
    other_lead = make_team(world.tenant, name="Green").lead
    client = client_for(other_lead)
    assert (
        f'id="cert-{cert.pk}"'
        not in client.get(reverse("certification:approvals")).content.decode()
    )
    response = client.post(
        reverse("certification:decide", kwargs={"pk": cert.pk}), {"action": "approve"}, follow=True
    )
    assert "is not in your team" in response.content.decode()
    cert.refresh_from_db()
    assert cert.status == "pending"


def test_approving_twice_shows_already_decided(world, client_for):
    cert = certify(world.agent)
    client = client_for(world.lead)
    url = reverse("certification:decide", kwargs={"pk": cert.pk})
    client.post(url, {"action": "approve"})
    response = client.post(url, {"action": "approve"}, follow=True)
    assert "already decided" in response.content.decode()


def test_bulk_approve_from_the_queue(world, client_for):
    certs = [certify(world.agent), certify(world.other_agent)]
    response = client_for(world.lead).post(
        reverse("certification:approvals"), {"ids": [c.pk for c in certs]}, follow=True
    )
    assert "2 certification(s) approved" in response.content.decode()
    assert Certification.objects.filter(status="active").count() == 2


def test_revoke_needs_a_reason_in_the_page(world, client_for):
    cert = certify(world.agent, approve_by=world.lead)
    client = client_for(world.lead)
    url = reverse("certification:revoke", kwargs={"pk": cert.pk})
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Give a reason" in response.content.decode()
    cert.refresh_from_db()
    assert cert.status == "active"
    client.post(url, {"reason": "Repeated complaints"})
    cert.refresh_from_db()
    assert cert.status == "revoked"
    response = client.post(
        reverse("certification:reinstate", kwargs={"pk": cert.pk}), {"reason": "Retrained"}
    )
    new = Certification.objects.get(membership=world.agent, status="pending")
    assert response.url == new.get_absolute_url()


def test_detail_is_visible_to_the_agent_and_their_lead_only(world, client_for):
    cert = certify(world.agent, approve_by=world.lead)
    url = cert.get_absolute_url()
    assert client_for(world.agent).get(url).status_code == 200
    assert client_for(world.lead).get(url).status_code == 200
    assert client_for(world.admin).get(url).status_code == 200
    assert client_for(world.other_agent).get(url).status_code == 404
    assert client_for(make_team(world.tenant, name="Green").lead).get(url).status_code == 404


def test_trainee_readiness_counts_what_was_passed_elsewhere(world, client_for):
    common = make_curriculum(world.tenant, code="etiquette", lessons=2, quizzes=0, minutes=15)
    specific = make_curriculum(world.tenant, code="telecom", lessons=1, quizzes=0, minutes=25)
    group = make_group(world.tenant, curricula=[common, specific])
    complete_lessons(world.agent, common)
    page = client_for(world.agent).get(reverse("certification:readiness", kwargs={"pk": group.pk}))
    body = page.content.decode()
    assert "About 25 minutes" in body


def test_lead_sees_readiness_of_team_members_only(world, client_for):
    make_group(world.tenant, curricula=[make_curriculum(world.tenant)])
    url = reverse("certification:member_readiness", kwargs={"pk": world.agent.pk})
    assert client_for(world.lead).get(url).status_code == 200
    assert client_for(make_team(world.tenant, name="Green").lead).get(url).status_code == 404


def test_retired_requirement_is_shown_as_unmeetable(world, client_for):
    retired = make_curriculum(world.tenant, status=Curriculum.Status.RETIRED)
    group = make_group(world.tenant, curricula=[retired])
    page = client_for(world.agent).get(reverse("certification:readiness", kwargs={"pk": group.pk}))
    assert "cannot be met" in page.content.decode()


def _matrix_world(tenant, team, agents, groups):
    curricula = [make_curriculum(tenant, lessons=2, quizzes=1) for _ in range(groups)]
    for i in range(groups):
        make_group(tenant, code=f"g{i:02d}", curricula=[curricula[i]])
    members = [MembershipFactory(tenant=tenant, team=team) for _ in range(agents)]
    for m in members[:3]:
        complete_lessons(m, curricula[0], count=1)
    return members


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_matrix_query_count_is_constant(world, client_for):
    from tests.factories import TenantFactory

    small = TenantFactory(slug="small")
    big = TenantFactory(slug="big")
    small_lead = make_team(small, name="S").lead
    big_lead = make_team(big, name="B").lead
    _matrix_world(small, small_lead.team, 5, 3)
    _matrix_world(big, big_lead.team, 50, 30)
    certify(MembershipFactory(tenant=small, team=small_lead.team))
    for name in ("matrix", "matrix_csv"):
        url = reverse(f"certification:{name}")
        n_small, _r = _count_queries(client_for(small_lead), url)
        n_big, response = _count_queries(client_for(big_lead), url)
        assert n_small == n_big, name
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 51 and len(rows[0]) == 3 + 30


def test_matrix_filters_by_state_and_search(world, client_for):
    certify(world.agent, approve_by=world.lead)
    client = client_for(world.lead)
    page = client.get(reverse("certification:matrix"), {"state": "active"})
    body = page.content.decode()
    assert world.agent.employee_id in body and world.other_agent.employee_id not in body
    page = client.get(reverse("certification:matrix"), {"q": world.other_agent.employee_id})
    body = page.content.decode()
    assert world.other_agent.employee_id in body and world.agent.employee_id not in body


def test_coverage_shows_headcount_against_target(world, client_for):
    group = make_group(world.tenant, curricula=[make_curriculum(world.tenant)], target=4)
    certify(world.agent, group=group, approve_by=world.lead)
    certify(world.other_agent, group=group)
    page = client_for(world.lead).get(reverse("certification:coverage"))
    rows = page.context["rows"]
    assert (rows[0]["active"], rows[0]["pending"], rows[0]["target"], rows[0]["gap"]) == (
        1,
        1,
        4,
        3,
    )
    assert 'id="coverage-chart"' in page.content.decode()


def test_audit_export_chains_attempt_score_and_decision(world, client_for):
    cert = certify(world.agent)
    from certification.services import reject_certification

    reject_certification(
        tenant=world.tenant, certification=cert, actor=world.lead, comment="Too fast"
    )
    foreign = certify(world.other_agent_b)
    response = client_for(world.admin).get(
        reverse("certification:audit"), {"start": "2000-01-01", "end": "2100-01-01"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["New status"] for r in rows] == ["pending", "rejected"]
    assert "→ 90.00%" in rows[0]["Evidence (attempt → score)"]
    assert rows[1]["By"] == str(world.lead.user) and rows[1]["Reason"] == "Too fast"
    assert foreign.tenant_id != world.tenant.pk
    assert {r["Employee id"] for r in rows} == {world.agent.employee_id}


@pytest.mark.parametrize("period", [{"start": "2026-02-01", "end": "2026-01-01"}, {"start": "x"}])
def test_audit_export_refuses_a_bad_period(world, client_for, period):
    response = client_for(world.admin).get(reverse("certification:audit"), period)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


def test_dashboard_panel_and_navigation(world, client_for):
    certify(world.agent)
    page = client_for(world.lead).get(reverse("dashboard"))
    body = page.content.decode()
    assert "1 certification waits for your approval" in body
    assert reverse("certification:matrix") in body


def test_notifications_are_shown_in_the_readers_language(world, client_for):
    certify(world.agent, approve_by=world.lead)
    client = client_for(world.agent)
    english = client.get(reverse("certification:mine"), HTTP_ACCEPT_LANGUAGE="en").content
    chinese = client.get(reverse("certification:mine"), HTTP_ACCEPT_LANGUAGE="zh-hans").content
    assert "You are now certified" in english.decode()
    assert "您已获得" in chinese.decode()
