"""Roster pages: a week per skill group, only eligible agents offered, cancellation with a
reason, a clear message on refusal, and the eligibility CSV."""

from __future__ import annotations

import csv
import io
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from scheduling.models import ShiftAssignment

from .factories import HOUR, make_certification, make_skill_group, shift, tomorrow_9

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(world):
    return make_skill_group(world.tenant, "telecom", name="Telecom")


def _tomorrow_local(world):
    tz = zoneinfo.ZoneInfo(world.tenant.time_zone)
    return (timezone.now().astimezone(tz) + timedelta(days=1)).date(), tz


def test_agents_cannot_open_the_roster(world, client_for):
    assert client_for(world.agent).get("/scheduling/roster/").status_code == 403


def test_roster_offers_only_agents_eligible_over_the_whole_window(world, group, client_for):
    day, tz = _tomorrow_local(world)
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz) + 9 * HOUR
    make_certification(world.agent, group)
    make_certification(world.other_agent, group, valid_until=start + 2 * HOUR)
    client = client_for(world.lead)
    page = client.get(
        "/scheduling/roster/",
        {"group": "telecom", "day": day.isoformat(), "start": "09:00", "end": "17:00"},
    )
    assert page.status_code == 200
    choices = [value for value, _label in page.context["add_form"].fields["agent"].choices]
    assert choices == [world.agent.employee_id]


def test_lead_adds_a_shift_and_sees_it_in_the_week(world, group, client_for):
    day, _tz = _tomorrow_local(world)
    make_certification(world.agent, group)
    client = client_for(world.lead)
    response = client.post(
        "/scheduling/roster/add/",
        {
            "group": "telecom",
            "day": day.isoformat(),
            "start": "09:00",
            "end": "17:00",
            "agent": world.agent.employee_id,
        },
        follow=True,
    )
    assert response.status_code == 200
    a = ShiftAssignment.objects.get()
    assert a.source == "roster" and a.ends_at - a.starts_at == 8 * HOUR
    assert f'id="shift-{a.pk}"' in response.content.decode()


def test_an_ineligible_agent_is_refused_with_a_clear_message(world, group, client_for):
    day, _tz = _tomorrow_local(world)
    client = client_for(world.lead)
    response = client.post(
        "/scheduling/roster/add/",
        {
            "group": "telecom",
            "day": day.isoformat(),
            "start": "09:00",
            "end": "17:00",
            "agent": world.other_agent.employee_id,
        },
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["This agent is not eligible for the whole shift."]
    assert not ShiftAssignment.objects.exists()


def test_overlap_is_refused_with_the_reason_in_words(world, group, client_for):
    day, tz = _tomorrow_local(world)
    make_certification(world.agent, group)
    shift(
        world.agent, group, start=datetime.combine(day, datetime.min.time(), tzinfo=tz) + 10 * HOUR
    )
    response = client_for(world.lead).post(
        "/scheduling/roster/add/",
        {
            "group": "telecom",
            "day": day.isoformat(),
            "start": "09:00",
            "end": "17:00",
            "agent": world.agent.employee_id,
        },
        follow=True,
    )
    (message,) = [str(m) for m in response.context["messages"]]
    assert "overlapping" in message
    assert ShiftAssignment.objects.count() == 1


def test_cancel_needs_a_reason(world, group, client_for):
    make_certification(world.agent, group)
    a = shift(world.agent, group, start=tomorrow_9())
    client = client_for(world.lead)
    client.post(f"/scheduling/assignments/{a.pk}/cancel/", {"reason": ""})
    a.refresh_from_db()
    assert a.status == "scheduled"
    client.post(f"/scheduling/assignments/{a.pk}/cancel/", {"reason": "Training day"})
    a.refresh_from_db()
    assert (a.status, a.cancel_reason) == ("cancelled", "Training day")


def test_eligibility_csv_lists_eligible_agents(world, group, client_for):
    make_certification(world.agent, group)
    start = tomorrow_9()
    response = client_for(world.lead).get(
        "/scheduling/roster/eligibility.csv",
        {"group": "telecom", "start": start.isoformat(), "end": (start + HOUR).isoformat()},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "employee_id"
    assert [r[0] for r in rows[1:]] == [world.agent.employee_id]
    bad = client_for(world.lead).get(
        "/scheduling/roster/eligibility.csv",
        {"group": "telecom", "start": "2026-01-01T10:00:00", "end": "2026-01-01T11:00:00"},
    )
    assert bad.status_code == 400


def test_dashboard_panel_and_nav_for_leads(world, group, client_for):
    make_certification(world.agent, group)
    shift(world.agent, group, start=tomorrow_9())
    page = client_for(world.lead).get("/")
    body = page.content.decode()
    assert 'id="scheduling-panel"' in body and "/scheduling/roster/" in body
    assert 'id="scheduling-panel"' not in client_for(world.agent).get("/").content.decode()


def test_cascade_reason_is_shown_translated(world, group, client_for):
    from .factories import revoke

    cert = make_certification(world.agent, group)
    a = shift(world.agent, group, start=tomorrow_9())
    revoke(cert)
    week = a.starts_at.date().isoformat()
    client = client_for(world.lead)
    page = client.get(
        "/scheduling/roster/", {"group": "telecom", "week": week}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert "认证已被撤销" in page.content.decode()


def test_a_lead_rosters_only_the_teams_they_lead(world, group, client_for):
    """Another team's agent is neither offered, nor addable, nor listed, nor cancellable by
    this lead; the tenant admin sees both."""
    from tests.factories import MembershipFactory, TeamFactory

    elsewhere = MembershipFactory(tenant=world.tenant, team=TeamFactory(tenant=world.tenant))
    make_certification(world.agent, group)
    make_certification(elsewhere, group)
    theirs = shift(elsewhere, group, start=tomorrow_9())
    day, _tz = _tomorrow_local(world)
    window = {"group": "telecom", "day": day.isoformat(), "start": "18:00", "end": "20:00"}
    lead, admin = client_for(world.lead), client_for(world.admin)

    def offered(client):
        page = client.get("/scheduling/roster/", window)
        return [value for value, _label in page.context["add_form"].fields["agent"].choices]

    assert offered(lead) == [world.agent.employee_id]
    assert sorted(offered(admin)) == sorted([world.agent.employee_id, elsewhere.employee_id])
    week = lead.get("/scheduling/roster/", {"group": "telecom", "week": day.isoformat()})
    assert f'id="shift-{theirs.pk}"' not in week.content.decode()
    assert (
        f'id="shift-{theirs.pk}"'
        in admin.get(
            "/scheduling/roster/", {"group": "telecom", "week": day.isoformat()}
        ).content.decode()
    )

    lead.post("/scheduling/roster/add/", {**window, "agent": elsewhere.employee_id})
    assert not ShiftAssignment.objects.filter(membership=elsewhere, starts_at__hour=18).exists()
    response = lead.post(f"/scheduling/assignments/{theirs.pk}/cancel/", {"reason": "Mine now"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "scheduled"
    start = tomorrow_9()
    csv_rows = lead.get(
        "/scheduling/roster/eligibility.csv",
        {"group": "telecom", "start": start.isoformat(), "end": (start + HOUR).isoformat()},
    ).content.decode()
    assert elsewhere.employee_id not in csv_rows and world.agent.employee_id in csv_rows
