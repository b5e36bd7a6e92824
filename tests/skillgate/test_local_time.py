"""Every time a person sees is in their zone (their own, else the tenant's) and in their
language's format; forms read entered times in that zone; CSV exports name their zone; the API
keeps RFC 3339 as it was (UTC, "Z")."""

from __future__ import annotations

import csv
import io
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from certification.models import Certification, CertificationEvent, EmailMessage, Notification
from certification.services import send_expiry_reminders
from scheduling.models import ShiftAssignment
from tests.certification.factories import certify, make_curriculum, make_group
from tests.scheduling.factories import make_certification, make_skill_group
from training.models import Enrollment
from training.services import enroll_agents

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _nine_utc(days: int) -> datetime:
    """09:00 UTC, ``days`` from today: 17:00 in Shanghai, 04:00 or 05:00 in New York."""
    today = timezone.now().astimezone(UTC).date()
    return datetime.combine(today + timedelta(days=days), datetime.min.time(), tzinfo=UTC).replace(
        hour=9
    )


def _page(client, name: str, language: str, **kwargs) -> str:
    response = client.get(reverse(name, **kwargs), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def _set_zone(membership, zone: str) -> None:
    membership.user.time_zone = zone
    membership.user.save(update_fields=["time_zone"])


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "/{day:02d}/{year} 17:00"), ("zh-hans", "{year}年{month}月{day}日 17:00")],
)
def test_a_due_date_shows_at_shanghai_time_on_the_dashboard(world, client_for, language, shown):
    assert world.tenant.time_zone == "Asia/Shanghai"
    due = _nine_utc(20)
    curriculum = make_curriculum(world.tenant)
    enroll_agents(
        tenant=world.tenant,
        curricula=[curriculum],
        memberships=[world.agent],
        assigned_by=None,
        due_at=due,
    )
    local = due.astimezone(SHANGHAI)
    body = _page(client_for(world.agent), "dashboard", language)
    assert shown.format(year=local.year, month=local.month, day=local.day) in body
    assert "09:00" not in body
    curriculum_page = _page(
        client_for(world.agent), "training:curriculum", language, kwargs={"pk": curriculum.pk}
    )
    assert f"{local.day}" in curriculum_page and "17:00" in curriculum_page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_certification_pages_show_validity_and_notifications_at_shanghai_time(
    world, client_for, language
):
    cert = certify(world.agent, approve_by=world.lead)
    until = _nine_utc(40)
    Certification.objects.filter(pk=cert.pk).update(valid_until=until)
    Notification.objects.filter(membership=world.agent).update(created_at=_nine_utc(-1))
    client = client_for(world.agent)
    mine = _page(client, "certification:mine", language)
    detail = _page(client, "certification:detail", language, kwargs={"pk": cert.pk})
    for body in (mine, detail):
        assert "17:00" in body and "09:00" not in body
    # The notification's time: yesterday 09:00 UTC, 17:00 in Shanghai.
    assert mine.count("17:00") >= 2


def test_a_users_own_zone_overrides_the_tenants(world, client_for):
    _set_zone(world.agent, "America/New_York")
    due = _nine_utc(20)
    enroll_agents(
        tenant=world.tenant,
        curricula=[make_curriculum(world.tenant)],
        memberships=[world.agent],
        assigned_by=None,
        due_at=due,
    )
    body = _page(client_for(world.agent), "dashboard", "en")
    assert f"{due.astimezone(NEW_YORK):%H}:00" in body and "17:00" not in body
    assert "America/New_York" in body  # the header says which zone times are in
    # The agent's colleague, with no zone of their own, still reads Shanghai time.
    assert "Asia/Shanghai" in _page(client_for(world.other_agent), "dashboard", "en")


def test_an_unknown_stored_zone_falls_back_to_the_tenants(world, client_for):
    # Written around the validation (SQL, or a zone a later tzdata dropped): no error page.
    type(world.agent.user).objects.filter(pk=world.agent.user_id).update(time_zone="Mars/Olympus")
    assert "Asia/Shanghai" in _page(client_for(world.agent), "dashboard", "en")


def test_a_sweep_writes_each_reminder_in_its_recipients_zone(world, client_for):
    _set_zone(world.agent, "America/New_York")
    curriculum = make_curriculum(world.tenant)
    group = make_group(world.tenant, curricula=[curriculum], requires_approval=False)
    until = _nine_utc(10)
    for member in (world.agent, world.other_agent):
        cert = certify(member, group=group)
        Certification.objects.filter(pk=cert.pk).update(valid_until=until)
    # A Celery worker renders outside any request, in whatever zone the process is in.
    with timezone.override(zoneinfo.ZoneInfo("Europe/Berlin")):
        assert send_expiry_reminders() == 2
    ny, shanghai = (
        Notification.objects.get(membership=m, kind__startswith="reminder")
        for m in (world.agent, world.other_agent)
    )
    ny_time = f"{until.astimezone(NEW_YORK):%H}:00"
    assert ny_time in ny.message and "17:00" not in ny.message
    assert "17:00" in shanghai.message
    assert EmailMessage.objects.get(to=world.agent.user.email, body=ny.message)
    # The times are stored as instants; the in-app list renders them in the viewer's zone.
    assert datetime.fromisoformat(ny.params["until"]) == until
    assert ny_time in _page(client_for(world.agent), "certification:mine", "en")


def test_notifications_written_before_instants_still_show_their_date(world, client_for):
    cert = certify(world.agent, approve_by=world.lead)
    Notification.objects.create(
        tenant=world.tenant,
        membership=world.agent,
        certification=cert,
        kind="renewed",
        params={"group": "Legacy", "until": "2027-01-15", "grace": "", "reason": ""},
        message="stored",
    )
    assert "renewed until Jan. 15, 2027." in _page(
        client_for(world.agent), "certification:mine", "en"
    )


def _add_nine_to_five(world, client_for, tz):
    """The lead adds tomorrow's (in ``tz``) 09:00-17:00 shift on the roster page."""
    make_certification(world.agent, make_skill_group(world.tenant, "telecom", name="Telecom"))
    day = (timezone.now().astimezone(tz) + timedelta(days=1)).date()
    response = client_for(world.lead).post(
        reverse("scheduling:add"),
        {
            "group": "telecom",
            "day": day.isoformat(),
            "start": "09:00",
            "end": "17:00",
            "agent": world.agent.employee_id,
        },
    )
    assert response.status_code == 302
    return day, response["Location"], ShiftAssignment.objects.get(membership=world.agent)


def test_roster_reads_a_shift_entered_at_09_00_in_shanghai_as_01_00_utc(world, client_for):
    day, week_url, shift = _add_nine_to_five(world, client_for, SHANGHAI)
    assert shift.starts_at.astimezone(UTC).time().isoformat() == "01:00:00"
    assert shift.starts_at.astimezone(UTC).date() == day
    week = client_for(world.lead).get(week_url).content.decode()
    assert "09:00–17:00" in week


def test_roster_uses_the_leads_own_zone(world, client_for):
    _set_zone(world.lead, "UTC")
    day, _url, shift = _add_nine_to_five(world, client_for, UTC)
    assert shift.starts_at == datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=9)


def test_a_due_date_is_the_end_of_that_day_in_the_active_zone(world, client_for):
    curriculum = make_curriculum(world.tenant)
    response = client_for(world.lead).post(
        reverse("training:assign"),
        {"curricula": [curriculum.pk], "agents": [world.agent.pk], "due_date": "2027-03-01"},
    )
    assert response.status_code == 302
    due = Enrollment.objects.get(membership=world.agent).due_at
    assert due == datetime(2027, 3, 1, 23, 59, tzinfo=SHANGHAI)
    assert due.astimezone(UTC).hour == 15


def test_date_pickers_show_iso_values_in_chinese(world, client_for):
    # A date input takes only 2027-03-01; Chinese input formats would render 2027/03/01,
    # which the browser drops.
    page = client_for(world.lead).get(
        reverse("certification:audit"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    today = timezone.now().astimezone(SHANGHAI).date()
    assert f'value="{today.isoformat()}"' in page.content.decode()
    make_skill_group(world.tenant, "telecom", name="Telecom")
    roster = (
        client_for(world.lead)
        .get(reverse("scheduling:roster"), HTTP_ACCEPT_LANGUAGE="zh-hans")
        .content.decode()
    )
    assert 'type="time" name="start" value="09:00"' in roster
    assert 'type="date" name="day" value="20' in roster


def test_audit_csv_names_its_zone_and_writes_local_times(world, client_for):
    cert = certify(world.agent, approve_by=world.lead)
    response = client_for(world.lead).get(
        reverse("certification:audit"),
        {"start": "2000-01-01", "end": (timezone.now() + timedelta(days=2)).date().isoformat()},
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    at = rows[0].index("At (Asia/Shanghai)")
    events = {e.pk: e.at for e in CertificationEvent.objects.filter(certification=cert)}
    assert len(rows) - 1 == len(events)
    for row in rows[1:]:
        written = datetime.fromisoformat(row[at])
        assert written.utcoffset() == timedelta(hours=8)
        assert written == events[int(row[rows[0].index("Event")])]


def test_eligibility_csv_names_its_zone_and_writes_local_times(world, client_for):
    _set_zone(world.lead, "America/New_York")
    group = make_skill_group(world.tenant, "telecom", name="Telecom")
    cert = make_certification(world.agent, group)
    response = client_for(world.lead).get(
        reverse("scheduling:eligibility-csv"), {"group": "telecom"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, row = rows[0], rows[1]
    until = row[header.index("valid_until (America/New_York)")]
    assert datetime.fromisoformat(until) == cert.valid_until
    assert (
        datetime.fromisoformat(until).utcoffset()
        == cert.valid_until.astimezone(NEW_YORK).utcoffset()
    )


def test_the_api_still_answers_utc_whoever_asks(world, client_for, api_client_for):
    """The API's times are RFC 3339 in UTC ("Z"), as before pages got local times: for a
    machine's key and for a person's session, whatever zone that person reads pages in."""
    _set_zone(world.lead, "America/New_York")
    group = make_skill_group(world.tenant, "telecom", name="Telecom")
    cert = make_certification(world.agent, group)
    expected = cert.valid_until.astimezone(UTC).isoformat().replace("+00:00", "Z")
    path = f"/api/v1/skill-groups/{group.code}/eligible-agents/"
    start = timezone.now() + timedelta(hours=1)
    query = {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
    by_key = api_client_for(world.tenant).get(path, query)
    by_session = client_for(world.lead).get(path, query)
    for response in (by_key, by_session):
        assert response.status_code == 200, response.content
        assert response.json()["results"][0]["valid_until"] == expected


def test_notices_without_a_zone_are_written_in_each_agents_zone(world):
    """Set-based writers (the expiry sweep) pass plain rows, not users: the zones are looked
    up with the notices."""
    from certification.services.notifications import Notice, _message_params, _notify

    _set_zone(world.agent, "America/New_York")
    until = _nine_utc(10)
    cert = certify(world.agent)
    params = _message_params(group="Telecom", valid_until=until, grace_until=None)
    _notify(
        tenant_id=world.tenant.pk,
        language="en",
        notices=[
            Notice(m.pk, cert.pk, "", "reminder", params) for m in (world.agent, world.other_agent)
        ],
    )
    ny, shanghai = (
        Notification.objects.get(membership=m, kind__startswith="reminder")
        for m in (world.agent, world.other_agent)
    )
    assert f"{until.astimezone(NEW_YORK):%H}:00" in ny.message and "17:00" in shanghai.message


def test_tenants_in_utc_plus_8_and_utc_minus_5_see_one_due_date_at_their_local_time(
    world, client_for
):
    world.other_tenant.time_zone = "America/Bogota"  # UTC-5 all year
    world.other_tenant.save(update_fields=["time_zone"])
    due = _nine_utc(20)
    for member in (world.agent, world.other_agent_b):
        enroll_agents(
            tenant=member.tenant,
            curricula=[make_curriculum(member.tenant)],
            memberships=[member],
            assigned_by=None,
            due_at=due,
        )
    shanghai = _page(client_for(world.agent), "dashboard", "en")
    bogota = _page(client_for(world.other_agent_b), "dashboard", "en")
    assert "17:00" in shanghai and "04:00" not in shanghai
    assert "04:00" in bogota and "17:00" not in bogota
