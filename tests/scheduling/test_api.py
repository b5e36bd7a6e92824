"""Contract of the scheduler API: every endpoint, all-or-nothing vs partial, idempotency keys,
every reason code, bad input, and answers for a key of another tenant."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from django.utils import timezone

from certification.models import Certification
from events.models import OutboxEvent
from scheduling.models import IdempotencyRecord, ShiftAssignment
from tests.factories import MembershipFactory

from .factories import (
    BAD_WINDOWS,
    DAY,
    HOUR,
    make_certification,
    make_skill_group,
    shift,
    tomorrow_9,
)

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


@pytest.fixture
def group(world):
    return make_skill_group(world.tenant, "telecom", external_id="Q-TEL", target_headcount=5)


@pytest.fixture
def api(world, api_client_for):
    return api_client_for(world.tenant)


def item(member, start=None, hours=8, code="telecom", **extra):
    start = start or tomorrow_9()
    return {
        "employee_id": member if isinstance(member, str) else member.employee_id,
        "skill_group": code,
        "starts_at": start.isoformat(),
        "ends_at": (start + hours * HOUR).isoformat(),
        **extra,
    }


def post(api, body, query="", **headers):
    return api.post(
        f"{BASE}/assignments/{query}",
        data=json.dumps(body),
        content_type="application/json",
        **headers,
    )


def test_requests_without_a_key_are_refused_with_a_code(client):
    response = client.get(f"{BASE}/skill-groups/")
    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "missing_api_key"


def test_skill_groups_list_codes_targets_and_certified_headcount(world, group, api):
    make_certification(world.agent, group)
    make_skill_group(world.other_tenant, "foreign")
    response = api.get(f"{BASE}/skill-groups/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["code"] == "telecom"
    assert row["external_id"] == "Q-TEL"
    assert (row["target_headcount"], row["certified_headcount"]) == (5, 1)


def test_eligible_agents_with_expiry_over_the_whole_window(world, group, api):
    start = tomorrow_9()
    cert = make_certification(world.agent, group)
    make_certification(world.other_agent, group, valid_until=start + HOUR)
    response = api.get(
        f"{BASE}/skill-groups/telecom/eligible-agents/",
        {"start": start.isoformat(), "end": (start + 8 * HOUR).isoformat()},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (agent,) = body["results"]
    assert agent["employee_id"] == world.agent.employee_id
    assert agent["certification_id"] == cert.pk
    assert agent["valid_until"]


def test_eligible_agents_answer_has_the_documented_shape(world, group, api):
    """The API builds this answer from plain rows for speed; it must read exactly like the
    documented EligibleAgentSerializer output for the same certifications."""
    from scheduling import selectors
    from scheduling.serializers import EligibleAgentSerializer

    start = tomorrow_9()
    world.other_agent.user.display_name = ""
    world.other_agent.user.first_name, world.other_agent.user.last_name = "Mei", "Chen"
    world.other_agent.user.save()
    make_certification(world.agent, group)
    make_certification(world.other_agent, group)
    make_certification(world.other_agent, group, status=Certification.Status.REVOKED)
    window = {"start": start.isoformat(), "end": (start + 8 * HOUR).isoformat()}
    body = api.get(f"{BASE}/skill-groups/telecom/eligible-agents/", window).json()
    certs = selectors.eligible_agents(
        tenant=world.tenant, skill_group=group, start=start, end=start + 8 * HOUR
    )
    assert body["results"] == EligibleAgentSerializer(certs, many=True).data
    assert {r["name"] for r in body["results"]} >= {"Mei Chen"}


@pytest.mark.parametrize(("params", "code"), BAD_WINDOWS)
def test_eligible_agents_bad_windows_answer_400_with_a_code(group, api, params, code):
    response = api.get(f"{BASE}/skill-groups/telecom/eligible-agents/", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_eligible_agents_for_unknown_group_is_404(api):
    response = api.get(
        f"{BASE}/skill-groups/nope/eligible-agents/",
        {"start": "2026-03-02T08:00:00Z", "end": "2026-03-02T09:00:00Z"},
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_agent_certifications_list_every_state(world, group, api):
    make_certification(world.agent, group, status=Certification.Status.REVOKED)
    make_certification(world.agent, group)
    response = api.get(f"{BASE}/agents/{world.agent.employee_id}/certifications/")
    assert response.status_code == 200
    states = sorted(c["status"] for c in response.json()["results"])
    assert states == ["active", "revoked"]
    assert api.get(f"{BASE}/agents/NOPE/certifications/").status_code == 404


def test_single_assignment_is_created(world, group, api):
    make_certification(world.agent, group)
    response = post(api, item(world.agent, external_ref="WFM-1"))
    assert response.status_code == 201, response.json()
    (created,) = response.json()["created"]
    assert created["status"] == "scheduled" and created["external_ref"] == "WFM-1"
    assert ShiftAssignment.objects.get().source == "api"


def test_created_shifts_answer_exactly_as_the_assignment_serializer_renders_them(world, group, api):
    """The bulk answer is built without the serializer (10,000 rows); it must not differ."""
    from datetime import timedelta
    from datetime import timezone as tz

    from scheduling.serializers import AssignmentSerializer

    make_certification(world.agent, group)
    start = tomorrow_9().astimezone(tz(timedelta(hours=8)))  # a scheduler in UTC+8
    response = post(api, [item(world.agent, start=start, external_ref="WFM-8")])
    assert response.status_code == 201, response.json()
    (created,) = response.json()["created"]
    stored = ShiftAssignment.objects.select_related("membership", "skill_group").get()
    assert created == json.loads(json.dumps(AssignmentSerializer(stored).data))
    assert created["starts_at"].endswith("Z")


def test_shifts_sharing_a_pattern_each_keep_their_own_times(world, group, api):
    """A roster repeats a few shift times, parsed and formatted once per request: each shift
    still answers and publishes its own times, however its offset was written."""
    from datetime import UTC, timedelta
    from datetime import timezone as tz

    agents = [world.agent, *(MembershipFactory(tenant=world.tenant) for _ in range(3))]
    for agent in agents:
        make_certification(agent, group)
    early, late = tomorrow_9(), tomorrow_9() + DAY + 4 * HOUR
    plus8 = tz(timedelta(hours=8))
    body = [
        item(agents[0], early),
        item(agents[1], early.astimezone(plus8)),  # the same instant, written in UTC+8
        item(agents[2], late),
        item(agents[3], late),
        item(agents[0], late, hours=4),
    ]
    response = post(api, body)
    assert response.status_code == 201, response.json()

    def utc(value):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    expected = [
        (a.employee_id, utc(s), utc(s + h * HOUR))
        for a, s, h in [
            (agents[0], early, 8),
            (agents[1], early, 8),
            (agents[2], late, 8),
            (agents[3], late, 8),
            (agents[0], late, 4),
        ]
    ]
    created = response.json()["created"]
    answered = [(c["employee_id"], c["starts_at"], c["ends_at"]) for c in created]
    assert answered == expected
    payloads = [
        e.payload
        for e in OutboxEvent.objects.filter(event_type="assignment.created").order_by("pk")
    ]
    assert [(p["employee_id"], p["starts_at"], p["ends_at"]) for p in payloads] == expected
    stored = ShiftAssignment.objects.order_by("pk").values_list("starts_at", "ends_at")
    assert [(utc(s), utc(e)) for s, e in stored] == [(s, e) for _a, s, e in expected]


def _mixed(world, group):
    start = tomorrow_9()
    pending = MembershipFactory(tenant=world.tenant)
    revoked = MembershipFactory(tenant=world.tenant)
    short = MembershipFactory(tenant=world.tenant)
    make_certification(world.agent, group)
    make_certification(pending, group, status=Certification.Status.PENDING)
    make_certification(revoked, group, status=Certification.Status.REVOKED)
    make_certification(short, group, valid_until=start + HOUR)
    naive = item(world.agent, start + 3 * DAY)
    naive["starts_at"] = naive["starts_at"][:19]
    backwards = item(world.agent, start + 4 * DAY)
    backwards["ends_at"] = backwards["starts_at"]
    return [
        item(world.agent, start),
        item(world.other_agent, start),
        item(pending, start),
        item(short, start),
        item(revoked, start),
        item("NOPE", start),
        item(world.agent, start + DAY, code="nope"),
        item(world.agent, start + 2 * HOUR),
        backwards,
        naive,
        {"employee_id": 5},
        "not an object",
    ]


EXPECTED = {
    1: "not_certified",
    2: "pending_approval",
    3: "expires_before_shift_end",
    4: "revoked",
    5: "unknown_agent",
    6: "unknown_skill_group",
    7: "overlapping_assignment",
    8: "invalid_window",
    9: "naive_datetime",
    10: "invalid_item",
    11: "invalid_item",
}


def test_all_or_nothing_lists_every_refusal_and_writes_nothing(world, group, api):
    response = post(api, _mixed(world, group))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "assignments_refused"
    assert {r["index"]: r["code"] for r in error["details"]["refused"]} == EXPECTED
    assert all(r["message"] for r in error["details"]["refused"])
    assert not ShiftAssignment.objects.exists()


def test_partial_writes_the_valid_items_and_reports_the_rest(world, group, api):
    response = post(api, _mixed(world, group), query="?partial=true")
    assert response.status_code == 200
    body = response.json()
    assert len(body["created"]) == 1
    assert {r["index"]: r["code"] for r in body["refused"]} == EXPECTED
    assert ShiftAssignment.objects.count() == 1


def test_idempotency_key_replays_the_first_answer_and_writes_once(world, group, api):
    make_certification(world.agent, group)
    body = [item(world.agent)]
    first = post(api, body, HTTP_IDEMPOTENCY_KEY="k-1")
    second = post(api, body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert ShiftAssignment.objects.count() == 1
    # Without the key the same body is a new request: now it overlaps.
    assert post(api, body).status_code == 422
    # The same key with another body is refused.
    other = post(api, [item(world.agent, tomorrow_9() + DAY)], HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_idempotency_key_replays_a_refusal_too(world, group, api):
    body = [item(world.agent)]  # not certified
    first = post(api, body, HTTP_IDEMPOTENCY_KEY="k-2")
    make_certification(world.agent, group)
    second = post(api, body, HTTP_IDEMPOTENCY_KEY="k-2")
    assert first.status_code == second.status_code == 422
    assert second.json() == first.json()
    assert not ShiftAssignment.objects.exists()


def test_idempotency_keys_are_per_tenant(world, group, api, api_client_for):
    make_certification(world.agent, group)
    post(api, item(world.agent), HTTP_IDEMPOTENCY_KEY="shared")
    foreign = post(
        api_client_for(world.other_tenant), item(world.agent), HTTP_IDEMPOTENCY_KEY="shared"
    )
    assert foreign.status_code == 422
    assert foreign.json()["error"]["details"]["refused"][0]["code"] == "unknown_agent"
    assert IdempotencyRecord.objects.filter(key="shared").count() == 2


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "malformed_body"),
        ("42", "malformed_body"),
        ("[]", "empty_body"),
    ],
)
def test_malformed_bodies_answer_400_with_a_code(api, raw, code):
    response = api.post(f"{BASE}/assignments/", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_text_a_database_cannot_store_is_refused_but_escaped_emoji_are_kept(world, group, api):
    """JSON may escape a lone surrogate ("\\ud800"): valid JSON, not Unicode text. It must be a
    400 naming the problem, not a 500 from the database driver; a surrogate pair is a real
    character and is stored."""
    make_certification(world.agent, group)
    body = json.dumps([item(world.agent, external_ref="REF")]).replace("REF", "\\ud800x")
    response = api.post(f"{BASE}/assignments/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"
    assert "Unicode" in response.json()["error"]["message"]
    assert not ShiftAssignment.objects.exists()
    body = json.dumps([item(world.agent, external_ref="REF")]).replace("REF", "\\ud83d\\ude00")
    response = api.post(f"{BASE}/assignments/", data=body, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert ShiftAssignment.objects.get().external_ref == "\U0001f600"


def test_more_than_ten_thousand_items_answer_400(world, api):
    response = post(api, [item("x")] * 10_001)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_items"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_size_limit_answers_413(world, api):
    response = post(api, [item("x")] * 20)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_delete_cancels_with_a_reason(world, group, api):
    make_certification(world.agent, group)
    a = shift(world.agent, group, start=tomorrow_9())
    missing = api.delete(f"{BASE}/assignments/{a.pk}/")
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "reason_required"
    response = api.delete(
        f"{BASE}/assignments/{a.pk}/",
        data=json.dumps({"reason": "Agent on leave"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancel_reason"] == "Agent on leave"
    again = api.delete(f"{BASE}/assignments/{a.pk}/?reason=other")
    assert again.status_code == 200 and again.json()["cancel_reason"] == "Agent on leave"


def test_session_users_need_a_lead_role(world, group, client_for):
    agent = client_for(world.agent)
    assert agent.get(f"{BASE}/skill-groups/").status_code == 403
    lead = client_for(world.lead)
    assert lead.get(f"{BASE}/skill-groups/").status_code == 200


def test_another_tenants_key_sees_none_of_it(world, group, api_client_for):
    make_certification(world.agent, group)
    a = shift(world.agent, group, start=tomorrow_9())
    foreign = api_client_for(world.other_tenant)
    assert foreign.get(f"{BASE}/skill-groups/").json()["results"] == []
    start = timezone.now()
    window = {"start": start.isoformat(), "end": (start + HOUR).isoformat()}
    assert foreign.get(f"{BASE}/skill-groups/telecom/eligible-agents/", window).status_code == 404
    assert (
        foreign.get(f"{BASE}/agents/{world.agent.employee_id}/certifications/").status_code == 404
    )
    assert foreign.get(f"{BASE}/events/").json()["results"] == []
    assert foreign.delete(f"{BASE}/assignments/{a.pk}/?reason=x").status_code == 404
    a.refresh_from_db()
    assert a.status == "scheduled"


def test_api_docs_render_without_any_cdn(world, client_for):
    response = client_for(world.admin).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html.lower()
    for cdn in ("cdn.", "unpkg", "jsdelivr", "cdnjs"):
        assert cdn not in html
