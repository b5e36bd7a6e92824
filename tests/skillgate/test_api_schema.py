"""The published API schema says what the API does (issue 16): required inputs, bounds, the
invalid cursor's 404."""

import base64

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema():
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield method, path, operation


def parameter(operation, name, location):
    found = [p for p in operation.get("parameters", []) if (p["name"], p["in"]) == (name, location)]
    assert len(found) == 1, (name, location, operation.get("parameters"))
    return found[0]


def test_schema_requires_the_cancel_reason_as_a_query_parameter(schema):
    cancel = schema["paths"]["/api/v1/assignments/{id}/"]["delete"]
    reason = parameter(cancel, "reason", "query")
    assert reason["required"] is True
    assert reason["schema"]["type"] == "string"
    assert reason["schema"]["minLength"] == 1


def test_schema_bounds_the_feed_limit(schema):
    limit = parameter(schema["paths"]["/api/v1/events/"]["get"], "limit", "query")
    assert limit["schema"]["type"] == "integer"
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 1000)
    assert limit["schema"]["default"] == 100


def test_schema_bounds_page_size_wherever_present(schema):
    paged = [
        (method, path, parameter(op, "page_size", "query"))
        for method, path, op in operations(schema)
        if any(p["name"] == "page_size" for p in op.get("parameters", []))
    ]
    assert {path for _m, path, _p in paged} >= {
        "/api/v1/skill-groups/",
        "/api/v1/agents/{employee_id}/certifications/",
    }
    for method, path, page_size in paged:
        bounds = (page_size["schema"].get("minimum"), page_size["schema"].get("maximum"))
        assert bounds == (1, 1000), (method, path, page_size)


def test_schema_bounds_the_idempotency_key_header(schema):
    key = parameter(schema["paths"]["/api/v1/assignments/"]["post"], "Idempotency-Key", "header")
    assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 200)


def test_schema_documents_the_invalid_cursor_404_of_paginated_lists(schema):
    paged = [
        (method, path, op)
        for method, path, op in operations(schema)
        if any(p["name"] == "cursor" for p in op.get("parameters", []))
    ]
    assert len(paged) >= 2
    for method, path, op in paged:
        not_found = op["responses"].get("404")
        assert not_found, (method, path)
        assert "cursor" in not_found["description"], (method, path, not_found)
        ref = not_found["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/Error"


def test_an_invalid_cursor_answers_the_documented_404(world, api_client_for):
    response = api_client_for(world.tenant).get("/api/v1/skill-groups/", {"cursor": "garbage"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("position", ["abc", "1.5", "-", "\u00e9", "1\x00"])
@pytest.mark.parametrize("path", ["/api/v1/skill-groups/", "/api/v1/agents/{}/certifications/"])
def test_a_cursor_with_a_position_no_key_can_hold_answers_the_documented_404(
    world, api_client_for, path, position
):
    # DRF checks a cursor's offset and direction; the position reached the key lookup (a 500).
    crafted = base64.b64encode(f"p={position}".encode()).decode()
    response = api_client_for(world.tenant).get(
        path.format(world.agent.employee_id), {"cursor": crafted}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_every_operation_documents_the_refusals_any_request_can_get(schema):
    # Every API view needs a tenant (401 without a key, 403 for a session without one) and the
    # NUL guard answers 400 before any view; whoami documented only its 200.
    for method, path, operation in operations(schema):
        for status in ("400", "401", "403"):
            answer = operation["responses"].get(status)
            assert answer, (method, path, status)
            assert answer["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }


def test_whoami_answers_a_missing_key_with_a_documented_status(schema, db):
    response = Client().get("/api/v1/whoami/")
    assert response.status_code == 401
    assert str(response.status_code) in schema["paths"]["/api/v1/whoami/"]["get"]["responses"]


def _links(schema):
    by_id = {op["operationId"]: (method, path, op) for method, path, op in operations(schema)}
    for method, path, operation in operations(schema):
        for status, answer in operation["responses"].items():
            for name, link in answer.get("links", {}).items():
                yield (method, path, status, name), link, by_id[link["operationId"]]


def test_the_published_links_chain_the_scheduler_operations(schema):
    chained = {(path, name) for (_m, path, _s, name), _link, _target in _links(schema)}
    assert {
        ("/api/v1/events/", "NextPage"),
        ("/api/v1/events/", "AgentCertifications"),
        ("/api/v1/agents/{employee_id}/certifications/", "EligibleAgents"),
        ("/api/v1/skill-groups/{code}/eligible-agents/", "ScheduleShift"),
        ("/api/v1/assignments/", "CancelAssignment"),
        ("/api/v1/assignments/{id}/", "ReplacementCandidates"),
    } <= chained


def test_each_link_fills_parameters_and_body_fields_its_target_declares(schema):
    for source, link, (_method, _path, target) in _links(schema):
        declared = {f"{p['in']}.{p['name']}" for p in target.get("parameters", [])}
        assert set(link.get("parameters", {})) <= declared, (source, link)
        if "requestBody" in link:
            body = target["requestBody"]["content"]["application/json"]["schema"]
            ref = body["$ref"].rsplit("/", 1)[1]
            item = schema["components"]["schemas"][ref]["oneOf"][0]["$ref"].rsplit("/", 1)[1]
            fields = schema["components"]["schemas"][item]["properties"]
            assert set(link["requestBody"]) <= set(fields), (source, link)
        for expression in [
            *link.get("parameters", {}).values(),
            *link.get("requestBody", {}).values(),
        ]:
            assert expression.startswith("$response.body#/"), (source, expression)


def _follow(link, answer) -> tuple[dict, dict]:
    """The target's parameters and body that ``link`` takes from ``answer`` (JSON pointers)."""

    def resolve(expression):
        value = answer
        for part in expression.removeprefix("$response.body#/").split("/"):
            value = value[int(part)] if isinstance(value, list) else value[part]
        return value

    parameters = {name: resolve(e) for name, e in link.get("parameters", {}).items()}
    body = {name: resolve(e) for name, e in link.get("requestBody", {}).items()}
    return parameters, body


# The feed holds back events of transactions still open, so the events must be committed.
@pytest.mark.django_db(transaction=True)
def test_following_the_links_from_the_feed_schedules_and_cancels_a_shift(
    schema, world, api_client_for
):
    """The links lead where they say: from the feed's first event to the agent's
    certifications, who is eligible over its validity, a shift scheduled and cancelled."""
    from tests.certification.factories import certify

    certify(world.agent, approve_by=world.lead)
    api = api_client_for(world.tenant)
    links = {(path, status, name): link for (_m, path, status, name), link, _t in _links(schema)}

    answer = api.get("/api/v1/events/").json()
    link = links[("/api/v1/events/", "200", "AgentCertifications")]
    parameters, _ = _follow(link, answer)
    answer = api.get(f"/api/v1/agents/{parameters['path.employee_id']}/certifications/").json()

    link = links[("/api/v1/agents/{employee_id}/certifications/", "200", "EligibleAgents")]
    parameters, _ = _follow(link, answer)
    answer = api.get(
        f"/api/v1/skill-groups/{parameters['path.code']}/eligible-agents/",
        {"start": parameters["query.start"], "end": parameters["query.end"]},
    ).json()
    assert [agent["employee_id"] for agent in answer["results"]] == [world.agent.employee_id]

    link = links[("/api/v1/skill-groups/{code}/eligible-agents/", "200", "ScheduleShift")]
    _, body = _follow(link, answer)
    response = api.post("/api/v1/assignments/", body, format="json")
    assert response.status_code == 201, response.json()

    link = links[("/api/v1/assignments/", "201", "CancelAssignment")]
    parameters, _ = _follow(link, response.json())
    response = api.delete(f"/api/v1/assignments/{parameters['path.id']}/?reason=fuzz")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
