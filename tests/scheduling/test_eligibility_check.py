"""GET /api/v1/skill-groups/<code>/eligibility/: the check a scheduler makes before placing a
shift, for one agent or a short list. Same reason codes and logic as POST /assignments/."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from certification.models import Certification
from scheduling import services
from scheduling.api import MAX_ELIGIBILITY_AGENTS
from scheduling.models import ShiftAssignment
from tests.factories import MembershipFactory

from .factories import BAD_WINDOWS, DAY, HOUR, make_certification, make_skill_group, tomorrow_9

pytestmark = pytest.mark.django_db

BASE = "/api/v1/skill-groups"


@pytest.fixture
def group(world):
    return make_skill_group(world.tenant, "telecom")


@pytest.fixture
def api(world, api_client_for):
    return api_client_for(world.tenant)


def window(start=None, hours=8) -> dict:
    start = start or tomorrow_9()
    return {"start": start.isoformat(), "end": (start + hours * HOUR).isoformat()}


def check(api, agents, code="telecom", **params):
    query = {**window(), **params}
    if agents is not None:
        query["agents"] = agents if isinstance(agents, str) else ",".join(agents)
    return api.get(f"{BASE}/{code}/eligibility/", query)


def by_agent(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {row["employee_id"]: row for row in response.json()["results"]}


def test_one_eligible_agent_comes_with_the_covering_certification(world, group, api):
    cert = make_certification(world.agent, group)
    response = check(api, world.agent.employee_id)
    body = response.json()
    assert body["skill_group"] == "telecom"
    assert parse_datetime(body["start"]) == tomorrow_9()
    assert body["results"] == [
        {
            "employee_id": world.agent.employee_id,
            "eligible": True,
            "reason": None,
            "message": None,
            "certification_id": cert.pk,
            "valid_until": cert.valid_until.isoformat().replace("+00:00", "Z"),
        }
    ]


def _states(world, group):
    """One agent per reason code (plus an eligible one), in a deliberate order."""
    start = tomorrow_9()
    pending = MembershipFactory(tenant=world.tenant)
    revoked = MembershipFactory(tenant=world.tenant)
    short = MembershipFactory(tenant=world.tenant)
    inactive = MembershipFactory(tenant=world.tenant, active=False)
    expired_only = MembershipFactory(tenant=world.tenant)
    make_certification(world.agent, group)
    make_certification(pending, group, status=Certification.Status.PENDING)
    make_certification(revoked, group, status=Certification.Status.REVOKED)
    make_certification(short, group, valid_until=start + HOUR)
    make_certification(inactive, group)
    make_certification(
        expired_only,
        group,
        status=Certification.Status.EXPIRED,
        valid_from=start - 400 * DAY,
        valid_until=start - 30 * DAY,
    )
    make_certification(world.other_agent_b, make_skill_group(world.other_tenant, "telecom"))
    return {
        world.agent.employee_id: None,
        world.other_agent.employee_id: "not_certified",  # no certification at all
        pending.employee_id: "pending_approval",
        short.employee_id: "expires_before_shift_end",
        revoked.employee_id: "revoked",
        expired_only.employee_id: "not_certified",
        inactive.employee_id: "unknown_agent",
        world.other_agent_b.employee_id: "unknown_agent",  # another tenant's agent
        "NOPE": "unknown_agent",
    }


def test_every_reason_code_in_the_order_asked(world, group, api):
    expected = _states(world, group)
    asked = list(reversed(expected))
    response = check(api, asked)
    results = response.json()["results"]
    assert [r["employee_id"] for r in results] == asked
    for row in results:
        reason = expected[row["employee_id"]]
        assert row["eligible"] is (reason is None)
        assert row["reason"] == reason
        if reason is None:
            assert row["certification_id"] and row["valid_until"] and row["message"] is None
        else:
            assert row["certification_id"] is None and row["valid_until"] is None
            assert row["message"] == str(services.REASONS[reason])


def test_answers_what_bulk_assignment_would_refuse_with(world, group, api):
    """The endpoint and POST /assignments/ share the check: for every agent, eligible here means
    the shift is written there, and a reason here is the refusal code there."""
    expected = _states(world, group)
    answers = by_agent(check(api, list(expected)))
    start = tomorrow_9()
    items = [
        services.AssignmentRequest(employee_id, "telecom", start, start + 8 * HOUR)
        for employee_id in expected
    ]
    with transaction.atomic():
        result = services.create_assignments(
            tenant=world.tenant, items=items, source=ShiftAssignment.Source.API, partial=True
        )
        refused = {items[r.index].employee_id: r.code for r in result.refused}
        created = dict(
            ShiftAssignment.objects.values_list("membership__employee_id", "certification_id")
        )
        transaction.set_rollback(True)
    assert set(created) == {e for e, reason in expected.items() if reason is None}
    for employee_id, row in answers.items():
        assert row["reason"] == refused.get(employee_id)
        if row["eligible"]:
            assert created[employee_id] == row["certification_id"]


def test_certifications_count_as_they_are_now(world, group, api):
    """Unlike eligible-agents, a past window is not answered from history: the question is
    whether a shift may be placed now."""
    past = timezone.now() - 10 * DAY
    make_certification(
        world.agent,
        group,
        status=Certification.Status.EXPIRED,
        valid_from=past - DAY,
        valid_until=past + DAY,
    )
    answers = by_agent(check(api, world.agent.employee_id, **window(past)))
    assert answers[world.agent.employee_id]["reason"] == "not_certified"


def test_the_longest_covering_certification_is_named_when_two_cover(world, group, api):
    # One live (pending/active) certification per agent and group is a constraint; a revoked
    # one that still covers the window must not be named.
    make_certification(world.agent, group, status=Certification.Status.REVOKED)
    cert = make_certification(world.agent, group)
    answers = by_agent(check(api, world.agent.employee_id))
    assert answers[world.agent.employee_id]["certification_id"] == cert.pk


def test_repeats_whitespace_and_repeated_parameters(world, group, api):
    make_certification(world.agent, group)
    me, other = world.agent.employee_id, world.other_agent.employee_id
    query = urlencode([("agents", f"{me}, {other}"), ("agents", me), *window().items()])
    response = api.get(f"{BASE}/telecom/eligibility/?{query}")
    assert [r["employee_id"] for r in response.json()["results"]] == [me, other]


@pytest.mark.parametrize("weird", ["x" * 41, "'; DROP TABLE x; --", "%s", "ü"])
def test_odd_employee_ids_are_unknown_agents(world, group, api, weird):
    answers = by_agent(check(api, [weird]))
    assert answers[weird]["reason"] == "unknown_agent"


def test_a_nul_in_the_query_refuses_the_whole_request(world, group, api):
    # Issue 16: a NUL anywhere in a URL is refused before any view runs (skillgate.middleware).
    response = check(api, ["B1\x00"])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_text"


@pytest.mark.parametrize(("params", "code"), BAD_WINDOWS)
def test_bad_windows_answer_400_like_eligible_agents(world, group, api, params, code):
    response = check(api, "A1", **params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    eligible_agents = api.get(f"{BASE}/telecom/eligible-agents/", params).json()["error"]
    assert error == eligible_agents


@pytest.mark.parametrize(
    ("agents", "code"),
    [
        (None, "missing_agents"),
        ("", "missing_agents"),
        (" , ,", "missing_agents"),
        (",".join(f"A{i}" for i in range(MAX_ELIGIBILITY_AGENTS + 1)), "too_many_agents"),
    ],
)
def test_bad_agent_lists_answer_400(group, api, agents, code):
    response = check(api, agents)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]


def test_a_full_list_is_accepted(group, api):
    response = check(api, [f"A{i}" for i in range(MAX_ELIGIBILITY_AGENTS)])
    assert len(by_agent(response)) == MAX_ELIGIBILITY_AGENTS


@pytest.mark.parametrize("params", [{}, {"agents": "A1"}, {"agents": "A1", **window()}])
def test_unknown_inactive_and_foreign_groups_are_the_same_404(world, api, params):
    make_skill_group(world.tenant, "retired", active=False)
    make_skill_group(world.other_tenant, "theirs")
    answers = []
    for code in ("nope", "retired", "theirs"):
        response = api.get(f"{BASE}/{code}/eligibility/", params)
        assert response.status_code == 404
        answers.append(response.json())
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["error"]["code"] == "not_found"


def test_another_tenants_key_sees_nothing(world, group, api_client_for):
    make_certification(world.agent, group)
    foreign = api_client_for(world.other_tenant)
    make_skill_group(world.other_tenant, "telecom")
    answers = by_agent(check(foreign, world.agent.employee_id))
    assert answers[world.agent.employee_id]["reason"] == "unknown_agent"


def test_session_users_need_a_lead_role(world, group, client_for):
    params = {"agents": world.agent.employee_id, **window()}
    assert client_for(world.agent).get(f"{BASE}/telecom/eligibility/", params).status_code == 403
    assert client_for(world.lead).get(f"{BASE}/telecom/eligibility/", params).status_code == 200


def test_one_query_besides_authentication_whatever_the_number_of_agents(
    world, group, api, django_assert_num_queries
):
    members = MembershipFactory.create_batch(MAX_ELIGIBILITY_AGENTS - 2, tenant=world.tenant)
    for m in members[::2]:
        make_certification(m, group)
    make_certification(members[1], group, status=Certification.Status.REVOKED)
    ids = [m.employee_id for m in members] + ["NOPE1", "NOPE2"]
    assert check(api, ids[:1]).status_code == 200  # the key's last-used time is written once
    # 2 = the API key (what the minimal DRF view pays too) + the group, agents and certifications
    with django_assert_num_queries(2):
        assert len(by_agent(check(api, ids[:1]))) == 1
    with django_assert_num_queries(2):
        assert len(by_agent(check(api, ids[:10]))) == 10
    with django_assert_num_queries(2):
        answers = by_agent(check(api, ids))
    assert len(answers) == MAX_ELIGIBILITY_AGENTS
    assert sum(a["eligible"] for a in answers.values()) == len(members[::2])
