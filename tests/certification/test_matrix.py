"""The skills matrix: every cell state, who sees which agents, filters, the CSV export, and a
query count pinned whatever the size of the team and the number of skill groups."""

from __future__ import annotations

import csv
import io
import zoneinfo
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from certification import selectors
from certification.models import Certification, SkillGroup
from tests.factories import MembershipFactory, TenantFactory, UserFactory, make_team

from .factories import certify, complete_lessons, make_curriculum, make_group, sit_quiz

# session, user, memberships (middleware); teams; catalog: skill groups, requirements,
# curricula, lessons, quizzes; agents with their live certifications; lesson completions and
# attempts.
MATRIX_QUERIES = 12


@dataclass
class MatrixWorld:
    groups: list[SkillGroup]
    red_agent: object
    loner: object
    green_agent: object


@pytest.fixture
def mx(world):
    """Acme with three skill groups shown (plus an inactive one) and agents in every state:
    agent active in g1 and pending in g2; other_agent expiring in g1 (reminder window) and
    part-way through g3; red_agent (a second team led by the same lead) expiring in g1 through
    a grace deadline, with a revoked g2 whose quiz they passed; loner without a team;
    green_agent in a team of another lead; an inactive agent."""
    tenant = world.tenant
    c1 = make_curriculum(tenant, lessons=2, quizzes=1)
    c2 = make_curriculum(tenant, lessons=0, quizzes=1)
    c3 = make_curriculum(tenant, lessons=2, quizzes=1)
    g1 = make_group(tenant, code="g1", curricula=[c1], reminder_schedule=[30, 7])
    g2 = make_group(tenant, code="g2", quizzes=[c2.quizzes.get()], requires_approval=True)
    g3 = make_group(tenant, code="g3", curricula=[c3])
    hidden = make_group(tenant, code="g0", curricula=[c1])
    hidden.active = False
    hidden.save(update_fields=["active"])
    red = make_team(tenant, name="Red", lead_user=UserFactory())
    red.lead = world.lead
    red.save(update_fields=["lead"])
    red_agent = MembershipFactory(
        tenant=tenant,
        team=red,
        user=UserFactory(display_name="", first_name="Rosa", last_name="Red"),
    )
    green = make_team(tenant, name="Green")
    green_agent = MembershipFactory(tenant=tenant, team=green)
    loner = MembershipFactory(tenant=tenant, team=None)
    MembershipFactory(tenant=tenant, team=world.team, active=False)

    certify(world.agent, group=g1, approve_by=world.admin)
    certify(world.agent, group=g2)
    soon = certify(world.other_agent, group=g1, approve_by=world.admin)
    Certification.objects.filter(pk=soon.pk).update(valid_until=timezone.now() + timedelta(days=10))
    complete_lessons(world.other_agent, c3, count=1)
    graced = certify(red_agent, group=g1, approve_by=world.admin)
    revoked = certify(red_agent, group=g2)
    Certification.objects.filter(pk=revoked.pk).update(status="revoked")
    sit_quiz(loner, c3.quizzes.get(), percent=95)
    certify(green_agent, group=g3)
    certify(world.other_agent_b)  # another tenant
    # (after the evaluations above, which settle grace deadlines of their own)
    Certification.objects.filter(pk=graced.pk).update(
        grace_until=timezone.now() + timedelta(days=20)
    )
    return MatrixWorld(
        groups=[g1, g2, g3], red_agent=red_agent, loner=loner, green_agent=green_agent
    )


def _expected(tenant, member, groups):
    """The cells of one agent as the per-agent readiness page computes them."""
    now = timezone.now()
    out = []
    items = selectors.readiness(tenant, member)
    assert [i.result.skill_group.pk for i in items] == [g.pk for g in groups]
    for item in items:
        cert = item.certification
        if cert is not None and cert.status == "active":
            window = timedelta(days=item.result.skill_group.reminder_window_days)
            soon = cert.valid_until <= now + window
            out.append("expiring" if soon or cert.grace_until else "active")
        elif cert is not None and cert.status == "pending":
            out.append("pending")
        else:
            out.append(f"progress {item.result.percent}%" if item.result.percent else "none")
    return out


def _csv(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("viewer", ["lead", "admin", "trainer"])
def test_matrix_cells_match_each_agents_readiness(world, mx, client_for, viewer):
    me = getattr(world, viewer)
    rows = _csv(client_for(me).get(reverse("certification:matrix_csv")))
    assert rows[0] == ["Employee id", "Agent", "Team", "g1", "g2", "g3"]
    seen = {r[0]: r for r in rows[1:]}
    expected_agents = {world.agent, world.other_agent, mx.red_agent}
    if viewer != "lead":
        expected_agents |= {mx.loner, mx.green_agent}
    assert set(seen) == {m.employee_id for m in expected_agents}
    for member in expected_agents:
        row = seen[member.employee_id]
        assert row[1:3] == [str(member.user), member.team.name if member.team else ""]
        assert row[3:] == _expected(world.tenant, member, mx.groups)
    by_agent = {m.employee_id: seen[m.employee_id][3:] for m in expected_agents}
    assert by_agent[world.agent.employee_id] == ["active", "pending", "none"]
    assert by_agent[world.other_agent.employee_id] == ["expiring", "none", "progress 33%"]
    assert by_agent[mx.red_agent.employee_id] == ["expiring", "progress 100%", "none"]


def test_matrix_rows_are_ordered_by_team_and_employee_id(world, mx, client_for):
    rows = _csv(client_for(world.admin).get(reverse("certification:matrix_csv")))[1:]
    keys = [(r[2] or "\uffff", r[0]) for r in rows]  # agents without a team come last
    assert keys == sorted(keys)


def test_matrix_page_shows_every_state(world, mx, client_for):
    body = client_for(world.lead).get(reverse("certification:matrix")).content.decode()
    soon = Certification.objects.get(membership=world.other_agent, skill_group=mx.groups[0])
    # The lead reads the tenant's zone (Shanghai), not the server's.
    local = timezone.localtime(soon.valid_until, zoneinfo.ZoneInfo(world.tenant.time_zone))
    title = f'title="{date_format(local, "DATE_FORMAT")}"'
    assert f'<td><span class="badge expiring" {title}>Expiring</span></td>' in body
    assert '<td><span class="badge active">Active</span></td>' in body
    assert '<td><span class="badge pending">Pending approval</span></td>' in body
    assert '<td><span class="muted">—</span></td>' in body
    assert (
        '<td><div class="progress" title="33%"><span style="width: 33%"></span></div>'
        "<small>33%</small></td>"
    ) in body
    link = reverse("certification:member_readiness", kwargs={"pk": world.agent.pk})
    assert f'<a href="{link}">{world.agent.user}</a>' in body
    assert f"{mx.red_agent.employee_id} · Red" in body
    assert body.count("<tr><td><a href=") == 3
    assert mx.green_agent.employee_id not in body and world.lead.employee_id not in body
    assert world.other_agent_b.employee_id not in body


def test_matrix_page_is_translated(world, mx, client_for):
    client = client_for(world.lead)
    body = client.get(reverse("certification:matrix"), HTTP_ACCEPT_LANGUAGE="zh-hans").content
    body = body.decode()
    assert "Pending approval" not in body and "Expiring" not in body
    assert '<span class="badge pending">' in body and '<span class="badge expiring"' in body


@pytest.mark.parametrize(
    "params, agents",
    [
        ({"state": "expiring"}, {"other_agent", "red_agent"}),
        ({"state": "pending"}, {"agent"}),
        ({"state": "progress"}, {"other_agent", "red_agent"}),
        ({"team": "red"}, {"red_agent"}),
        ({"team": "green"}, {"agent", "other_agent", "red_agent"}),  # not a choice: ignored
        ({"group": "g2", "state": "none"}, {"other_agent"}),
        ({"q": "red_agent"}, {"red_agent"}),
    ],
)
def test_matrix_filters(world, mx, client_for, params, agents):
    members = {
        "agent": world.agent,
        "other_agent": world.other_agent,
        "red_agent": mx.red_agent,
    }
    query = dict(params)
    if "team" in query:
        team = mx.red_agent.team if query["team"] == "red" else mx.green_agent.team
        query["team"] = team.pk
    if "group" in query:
        query["group"] = next(g.pk for g in mx.groups if g.code == query["group"])
    if query.get("q") == "red_agent":
        query["q"] = mx.red_agent.employee_id
    rows = _csv(client_for(world.lead).get(reverse("certification:matrix_csv"), query))
    assert {r[0] for r in rows[1:]} == {members[a].employee_id for a in agents}
    if "group" in query:
        assert rows[0][3:] == ["g2"]


def test_matrix_without_active_skill_groups(world, mx, client_for):
    SkillGroup.objects.filter(tenant=world.tenant).update(active=False)
    client = client_for(world.lead)
    page = client.get(reverse("certification:matrix"))
    assert page.status_code == 200 and page.content.decode().count("<tr><td><a href=") == 3
    rows = _csv(client.get(reverse("certification:matrix_csv")))
    assert rows[0] == ["Employee id", "Agent", "Team"] and len(rows) == 4


def _matrix_tenant(slug, agents, groups):
    tenant = TenantFactory(slug=slug)
    team = make_team(tenant, name=slug)
    curricula = [make_curriculum(tenant, lessons=2, quizzes=1) for _ in range(groups)]
    for i, c in enumerate(curricula):
        make_group(tenant, code=f"g{i:02d}", curricula=[c])
    members = [MembershipFactory(tenant=tenant, team=team) for _ in range(agents)]
    for m in members[:3]:
        complete_lessons(m, curricula[0], count=1)
        sit_quiz(m, curricula[-1].quizzes.get())
    certify(members[-1], group=SkillGroup.objects.get(tenant=tenant, code="g00"))
    return team.lead


@pytest.mark.parametrize("name", ["matrix", "matrix_csv"])
def test_matrix_query_count_is_pinned_whatever_the_size(db, client_for, name):
    small = _matrix_tenant("small", agents=5, groups=3)
    big = _matrix_tenant("big", agents=50, groups=30)
    url = reverse(f"certification:{name}")
    for lead in (small, big):
        client = client_for(lead)
        for params in ({}, {"state": "active"}, {"team": lead.team_id}):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url, params)
            assert response.status_code == 200
            assert len(ctx.captured_queries) == MATRIX_QUERIES, (lead.tenant.slug, params)
    assert len(_csv(client_for(big).get(reverse("certification:matrix_csv")))) == 51
