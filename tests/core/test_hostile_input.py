"""Issue 16: no input gets a 500. Hostile values (NUL bytes, dates at the edges of the
calendar, ids past bigint, JSON nested past the recursion limit) on every surface that reads
them answer a clear 4xx in that surface's format and write nothing."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from certification.models import Certification, CertificationEvent
from scheduling.models import IdempotencyRecord, ShiftAssignment
from tests.certification.factories import begin_quiz, certify, make_curriculum
from tests.scheduling.factories import make_certification, make_skill_group
from training.models import Attempt, AttemptAnswer, Enrollment

pytestmark = pytest.mark.django_db

API = "/api/v1"
HUGE = str(10**30)
DEEP = "[" * 100_000


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Certification,
            CertificationEvent,
            ShiftAssignment,
            IdempotencyRecord,
            Enrollment,
            Attempt,
            AttemptAnswer,
        )
    }


@pytest.fixture
def setting(world):
    group = make_skill_group(world.tenant, "telecom", name="Telecom")
    make_certification(world.agent, group)
    active = certify(world.other_agent, approve_by=world.lead)
    pending = certify(world.agent)
    curriculum = make_curriculum(world.tenant)
    attempt = begin_quiz(world.agent, curriculum.quizzes.first())
    return {
        "group": group,
        "active": active,
        "pending": pending,
        "attempt": attempt,
        "curriculum": curriculum,
        "agent": world.agent.pk,
        "employee": world.agent.employee_id,
    }


def _is_json_error(response, code=None):
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = response.json()["error"]
    assert error["code"] and error["message"]
    if code is not None:
        assert error["code"] == code


def _is_page(response, url):
    # The eligibility export answers its refusals as text, the way its CSV clients read them.
    expected = "text/plain" if url.endswith(".csv") else "text/html"
    assert response["Content-Type"].startswith(expected), response["Content-Type"]


# (persona, method, url or url maker, data, expected status, answer format, JSON code)
BROWSER_CASES = {
    # NUL bytes in path, query and form fields.
    "roster-group-nul": ("lead", "get", "/scheduling/roster/", {"group": "tele\x00com"}, 400),
    "roster-week-nul": ("lead", "get", "/scheduling/roster/", {"week": "2026\x00"}, 400),
    "search-q-nul": ("agent", "get", "/training/search/", {"q": "refund\x00"}, 400),
    "audit-start-nul": ("lead", "get", "/certification/audit/", {"start": "2026-01-01\x00"}, 400),
    "revoke-reason-nul": (
        "lead",
        "post",
        lambda s: reverse("certification:revoke", kwargs={"pk": s["active"].pk}),
        {"reason": "complaints\x00"},
        400,
    ),
    "decide-comment-nul": (
        "lead",
        "post",
        lambda s: reverse("certification:decide", kwargs={"pk": s["pending"].pk}),
        {"action": "reject", "comment": "no\x00"},
        400,
    ),
    "bulk-approve-comment-nul": (
        "lead",
        "post",
        "/certification/approvals/",
        lambda s: {"ids": [s["pending"].pk], "comment": "ok\x00"},
        400,
    ),
    "add-shift-group-nul": (
        "lead",
        "post",
        "/scheduling/roster/add/",
        {"group": "telecom\x00", "day": "2030-01-07", "start": "09:00", "end": "17:00"},
        400,
    ),
    "attempt-form-nul": (
        "agent",
        "post",
        lambda s: reverse("training:attempt", kwargs={"pk": s["attempt"].pk}),
        {"shown": "1\x00", "goto": "0"},
        400,
    ),
    "login-username-nul": (
        None,
        "post",
        "/accounts/login/",
        {"username": "agent\x00", "password": "x"},
        400,
    ),
    "path-nul": ("lead", "get", "/certification/1%00/", None, 400),
    # Dates at the edges of the calendar.
    "roster-week-year-1": ("lead", "get", "/scheduling/roster/", {"week": "0001-01-01"}, 400),
    "roster-week-year-9999": ("lead", "get", "/scheduling/roster/", {"week": "9999-12-31"}, 400),
    "audit-year-1": (
        "lead",
        "get",
        "/certification/audit/",
        {"start": "0001-01-01", "end": "0001-01-02"},
        200,
    ),
    "roster-day-year-9999": (
        "lead",
        "get",
        "/scheduling/roster/",
        {"group": "telecom", "day": "9999-12-31", "start": "22:00", "end": "06:00"},
        200,
    ),
    "add-shift-day-year-1": (
        "lead",
        "post",
        "/scheduling/roster/add/",
        {"group": "telecom", "day": "0001-01-01", "start": "09:00", "end": "17:00"},
        302,
    ),
    "eligibility-csv-year-9999": (
        "lead",
        "get",
        "/scheduling/roster/eligibility.csv",
        {"group": "telecom", "start": "9999-12-31T09:00", "end": "9999-12-31T23:00"},
        400,
    ),
    "assign-due-year-1": (
        "lead",
        "post",
        "/training/assign/",
        lambda s: {
            "curricula": [s["curriculum"].pk],
            "agents": [s["agent"]],
            "due_date": "0001-01-01",
        },
        200,
    ),
    "audit-year-9999": (
        "lead",
        "get",
        "/certification/audit/",
        {"start": "9999-12-30", "end": "9999-12-31"},
        200,
    ),
    # Ids past bigint.
    "bulk-approve-huge-id": ("lead", "post", "/certification/approvals/", {"ids": [HUGE]}, 400),
    "bulk-approve-superscript-id": (
        "lead",
        "post",
        "/certification/approvals/",
        {"ids": ["\u00b2"]},
        400,
    ),
    "certification-huge-path-id": ("lead", "get", f"/certification/{HUGE}/", None, 404),
    "decide-huge-path-id": (
        "lead",
        "post",
        f"/certification/{HUGE}/decide/",
        {"action": "approve"},
        404,
    ),
    "revoke-huge-path-id": (
        "lead",
        "post",
        f"/certification/{HUGE}/revoke/",
        {"reason": "x"},
        404,
    ),
    "attempt-huge-path-id": ("agent", "get", f"/training/attempts/{HUGE}/", None, 404),
    "cancel-huge-path-id": (
        "lead",
        "post",
        f"/scheduling/assignments/{HUGE}/cancel/",
        {"reason": "x"},
        404,
    ),
}


@pytest.mark.parametrize("case", list(BROWSER_CASES), ids=list(BROWSER_CASES))
def test_browser_pages_refuse_hostile_input_without_writing(
    world, setting, client, client_for, case
):
    persona, method, url, data, status = BROWSER_CASES[case]
    url = url(setting) if callable(url) else url
    data = data(setting) if callable(data) else data
    http = client_for(getattr(world, persona)) if persona else client
    before = _counts()
    response = getattr(http, method)(url, data) if data is not None else getattr(http, method)(url)
    assert response.status_code == status, response.content[:300]
    _is_page(response, url)
    if status == 200:  # a form page showing the error, not a CSV export
        form = response.context.get("form") or response.context["window_form"]
        assert form.errors
    assert _counts() == before
    assert Certification.objects.get(pk=setting["active"].pk).status == "active"
    assert Certification.objects.get(pk=setting["pending"].pk).status == "pending"


JSON_CASES = {
    # NUL bytes.
    "agent-path-nul": ("get", "/agents/E1001%00/certifications/", None, 400, None),
    "eligible-query-nul": (
        "get",
        "/skill-groups/telecom/eligible-agents/",
        {"start": "2030-01-07T09:00:00Z\x00", "end": "2030-01-07T17:00:00Z"},
        400,
        None,
    ),
    "assignments-query-nul": ("get", "/assignments/", {"employee_id": "E1\x00"}, 400, None),
    "assignment-body-nul": (
        "post",
        "/assignments/",
        '{"employee_id": "E1\\u0000", "skill_group": "telecom",'
        ' "starts_at": "2030-01-07T09:00:00Z", "ends_at": "2030-01-07T17:00:00Z"}',
        422,  # the API refuses the item, as it always did (scheduling/serializers.py)
        "assignments_refused",
    ),
    # Ids past bigint, nesting past the recursion limit.
    "assignment-huge-path-id": ("delete", f"/assignments/{HUGE}/", None, 404, "not_found"),
    # Dates at the edges of the calendar.
    "assignment-year-9999": (
        "post",
        "/assignments/",
        lambda s: json.dumps(
            {
                "employee_id": s["employee"],
                "skill_group": "telecom",
                "starts_at": "9999-12-31T09:00:00Z",
                "ends_at": "9999-12-31T17:00:00Z",
            }
        ),
        422,
        "assignments_refused",
    ),
    "assignments-deep-json": ("post", "/assignments/", DEEP, 400, "too_deep"),
}


@pytest.mark.parametrize("case", list(JSON_CASES), ids=list(JSON_CASES))
def test_api_refuses_hostile_input_with_a_json_error_and_writes_nothing(
    world, setting, api_client_for, case
):
    method, url, data, status, code = JSON_CASES[case]
    api = api_client_for(world.tenant)
    data = data(setting) if callable(data) else data
    before = _counts()
    if method == "post":
        response = api.post(API + url, data=data, content_type="application/json")
    elif data is not None:
        response = getattr(api, method)(API + url, data)
    else:
        response = getattr(api, method)(API + url)
    assert response.status_code == status, response.content[:300]
    _is_json_error(response, code)
    assert _counts() == before


ATTEMPT_BODIES = {
    "deep": (DEEP, "too_deep"),
    "nul": (
        '{"question": %(q)d, "response": {"choice": %(c)d, "note": "a\\u0000"},'
        ' "answers": {"%(q)d": {"choice": %(c)d, "note": "a\\u0000"}}}',
        "malformed_body",
    ),
}


@pytest.mark.parametrize("endpoint", ["training:attempt-save", "training:attempt-submit"])
@pytest.mark.parametrize("body", list(ATTEMPT_BODIES))
def test_attempt_json_endpoints_refuse_hostile_bodies(world, setting, client_for, endpoint, body):
    attempt = setting["attempt"]
    raw, code = ATTEMPT_BODIES[body]
    if "%(q)d" in raw:
        item = attempt.dealt[0]
        raw = raw % {"q": item["id"], "c": item["choices"][0]["id"]}
    before = _counts()
    response = client_for(world.agent).post(
        reverse(endpoint, kwargs={"pk": attempt.pk}), raw, content_type="application/json"
    )
    assert response.status_code == 400, response.content[:300]
    _is_json_error(response, code)
    assert _counts() == before
    attempt.refresh_from_db()
    assert attempt.state == "in_progress"
