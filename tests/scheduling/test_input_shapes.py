"""Every input of the scheduler API is declared once, as a serializer, and both the OpenAPI
schema and the parsing come from it. The hot paths parse with ``FastInput`` (a loop over the
serializer's fields): these tests hold it to DRF's own validation of the same serializer, hold
the parsing to what the generated schema promises, and show that a field added to the one
definition is documented and parsed without touching anything else."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import QueryDict
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidInput
from scheduling import api
from scheduling.models import ShiftAssignment
from scheduling.serializers import (
    MAX_ELIGIBILITY_AGENTS,
    AssignmentInSerializer,
    CancelSerializer,
    EligibilityQuerySerializer,
    FastInput,
    OffsetDateTimeField,
    StrictCharField,
    WindowQuerySerializer,
)

from .factories import make_certification, make_skill_group, shift, tomorrow_9

GOOD = {
    "employee_id": "B1",
    "skill_group": "telecom",
    "starts_at": "2026-03-02T08:00:00+08:00",
    "ends_at": "2026-03-02T16:00:00+08:00",
    "external_ref": "WFM-1",
}

# Each item differs from GOOD in one or two ways.
ITEMS = [
    GOOD,
    {k: v for k, v in GOOD.items() if k != "external_ref"},
    *({k: v for k, v in GOOD.items() if k != name} for name in GOOD),
    *(
        {**GOOD, name: bad}
        for name in GOOD
        for bad in (None, "", 5, 1.5, True, [], {}, "x" * 121, "B\x00", " ", "\ud800")
    ),
    {**GOOD, "employee_id": "x" * 40, "skill_group": "y" * 41},
    {**GOOD, "employee_id": " B1 ", "external_ref": ""},
    {**GOOD, "starts_at": "2026-03-02T08:00:00", "ends_at": "2026-03-02T16:00:00"},
    {**GOOD, "starts_at": "2026-03-02T08:00:00", "employee_id": 7},
    {**GOOD, "starts_at": "2026-02-30T08:00:00+08:00"},
    {**GOOD, "ends_at": "2026-03-02 16:00Z"},
    {**GOOD, "ends_at": "tomorrow"},
    {**GOOD, "unknown": "ignored"},
    {},
]


def assert_agrees_with_drf(serializer_class, data, *, query: bool = False) -> None:
    """FastInput fails the fields DRF's ``is_valid()`` fails (with one of DRF's codes for
    each), and otherwise returns DRF's validated values."""
    values, errors = FastInput(serializer_class, query=query).checker()(data)
    serializer = serializer_class(data=data)
    assert serializer.is_valid() is not errors
    expected = {name: {e.code for e in errs} for name, errs in serializer.errors.items()}
    assert set(errors) == set(expected)
    for name, code in errors.items():
        assert code in expected[name]
    if not errors:
        assert values == dict(serializer.validated_data)


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: json.dumps(item)[:60])
def test_item_checks_agree_with_drf_validation_of_the_same_serializer(item):
    assert_agrees_with_drf(AssignmentInSerializer, item)


QUERIES = [
    "start=2026-03-02T08:00:00%2B08:00&end=2026-03-02T16:00:00%2B08:00&agents=B1",
    "start=2026-03-02T08:00:00Z&end=2026-03-02T16:00:00Z&agents=B1,%20B2&agents=B1",
    "start=2026-03-02T08:00:00Z&end=2026-03-02T16:00:00Z&agents=,%20,",
    "start=2026-03-02T08:00:00Z&end=2026-03-02T16:00:00Z&agents=",
    "start=2026-03-02T08:00:00Z&end=2026-03-02T16:00:00Z",
    "start=2026-03-02T08:00:00Z&end=2026-03-02T16:00:00Z&agents="
    + ",".join(f"A{i}" for i in range(MAX_ELIGIBILITY_AGENTS + 1)),
    "start=2026-03-02T08:00:00&end=2026-03-02T16:00:00Z&agents=B1",
    "start=yesterday&end=&agents=B1",
    "end=2026-03-02T16:00:00Z&agents=B1",
    "",
]


@pytest.mark.parametrize("query", QUERIES)
def test_query_checks_agree_with_drf_validation_of_the_same_serializer(query):
    assert_agrees_with_drf(EligibilityQuerySerializer, QueryDict(query), query=True)


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def assert_parser_keeps_the_schemas_promises(component: dict, check, good: dict) -> None:
    """Every property the schema documents is read, every constraint it states is enforced."""
    properties = component["properties"]
    values, errors = check(good)
    assert errors == {} and set(values) == set(good) == set(properties)
    for name, prop in properties.items():
        omitted = check({k: v for k, v in good.items() if k != name})[1]
        assert (name in omitted) is (name in component.get("required", []))
        if prop.get("maxLength"):
            assert name not in check({**good, name: "x" * prop["maxLength"]})[1]
            assert name in check({**good, name: "x" * (prop["maxLength"] + 1)})[1]
        if prop.get("minLength"):
            assert name in check({**good, name: ""})[1]
        if prop.get("format") == "date-time":
            assert name in check({**good, name: "yesterday"})[1]
    # What the schema does not name is not read.
    assert set(check({**good, "undocumented": "x"})[0]) == set(properties)


def test_the_item_parser_reads_exactly_what_the_schema_documents(schema):
    component = schema["components"]["schemas"]["AssignmentInRequest"]
    assert set(component["properties"]) == set(api.ASSIGNMENT_ITEM.names)
    assert_parser_keeps_the_schemas_promises(component, api.ASSIGNMENT_ITEM.checker(), GOOD)


def test_a_field_added_to_the_item_serializer_is_documented_and_parsed():
    class NotedItem(AssignmentInSerializer):
        note = StrictCharField(max_length=5, required=False)

    class View(APIView):
        @extend_schema(request=NotedItem, responses={204: None})
        def post(self, request):
            return Response(status=204)

    generated = SchemaGenerator(patterns=[path("x/", View.as_view())]).get_schema(
        request=None, public=True
    )
    component = generated["components"]["schemas"]["NotedItemRequest"]
    assert component["properties"]["note"] == {"type": "string", "minLength": 1, "maxLength": 5}
    check = FastInput(NotedItem).checker()
    assert check({**GOOD, "note": "hello"})[0]["note"] == "hello"
    assert check({**GOOD, "note": "hello!"})[1] == {"note": "max_length"}
    assert_parser_keeps_the_schemas_promises(component, check, {**GOOD, "note": "hi"})


@pytest.mark.parametrize(
    "field",
    [
        serializers.CharField(max_length=5),  # no fast check for DRF's lenient text
        StrictCharField(min_length=2),
        StrictCharField(validators=[lambda value: None]),
        StrictCharField(allow_null=True),
        OffsetDateTimeField(required=False),
    ],
    ids=["plain CharField", "min_length", "validator", "allow_null", "optional time"],
)
def test_a_declaration_the_fast_loop_would_not_check_is_refused_at_import(field):
    Extended = type("Extended", (AssignmentInSerializer,), {"extra": field})
    with pytest.raises(ImproperlyConfigured):
        FastInput(Extended)


def test_validate_methods_are_refused_too():
    class Validated(AssignmentInSerializer):
        def validate_employee_id(self, value):
            return value

    with pytest.raises(ImproperlyConfigured):
        FastInput(Validated)


@pytest.mark.parametrize(
    ("url", "serializer_class"),
    [
        ("/api/v1/skill-groups/{code}/eligible-agents/", WindowQuerySerializer),
        ("/api/v1/skill-groups/{code}/eligibility/", EligibilityQuerySerializer),
    ],
)
def test_query_parameters_in_the_schema_are_the_declared_fields(schema, url, serializer_class):
    documented = {
        p["name"]: p for p in schema["paths"][url]["get"]["parameters"] if p["in"] == "query"
    }
    fields = serializer_class().fields
    assert set(documented) == set(fields)
    for name, field in fields.items():
        assert documented[name].get("required", False) is field.required


def test_the_documented_agents_limit_is_the_parsed_one(schema):
    (agents,) = [
        p
        for p in schema["paths"]["/api/v1/skill-groups/{code}/eligibility/"]["get"]["parameters"]
        if p["name"] == "agents"
    ]
    assert (agents["style"], agents["explode"]) == ("form", False)
    window = "start=2026-03-02T08:00:00Z&end=2026-03-02T16:00:00Z"
    at_most = ",".join(f"A{i}" for i in range(agents["schema"]["maxItems"]))
    query = api.parse_query(api.ELIGIBILITY_QUERY, QueryDict(f"{window}&agents={at_most}"))
    assert len(query["agents"]) == agents["schema"]["maxItems"]
    with pytest.raises(InvalidInput) as refused:
        api.parse_query(api.ELIGIBILITY_QUERY, QueryDict(f"{window}&agents={at_most},B1"))
    assert refused.value.code == "too_many_agents"


def test_the_cancel_reason_is_documented_as_required(schema):
    # The serializer accepts a missing reason so that the service answers reason_required;
    # the schema says what a request needs (issue 16), naming the serializer's fields.
    parameters = schema["paths"]["/api/v1/assignments/{id}/"]["delete"]["parameters"]
    query = [p for p in parameters if p["in"] == "query"]
    assert {p["name"] for p in query} == set(CancelSerializer().fields) == {"reason"}
    assert query[0]["required"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "body", "stored"),
    [
        ("", {"reason": "On leave\x00"}, "On leave"),
        ("?reason=Sick", {"reason": "ignored"}, "Sick"),
        ("?reason=", {"reason": "  From the body  "}, "From the body"),
        ("", {"reason": 5}, None),
        ("", {"reason": None}, None),
        ("", ["On leave"], None),
        ("", {"reason": ["On leave"]}, None),
    ],
)
def test_cancel_reasons_are_read_as_before(world, api_client_for, query, body, stored):
    group = make_skill_group(world.tenant, "telecom")
    make_certification(world.agent, group)
    assignment = shift(world.agent, group, start=tomorrow_9())
    response = api_client_for(world.tenant).delete(
        f"/api/v1/assignments/{assignment.pk}/{query}",
        data=json.dumps(body),
        content_type="application/json",
    )
    assignment.refresh_from_db()
    if stored is None:
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "reason_required"
        assert assignment.status == ShiftAssignment.Status.SCHEDULED
    else:
        assert response.status_code == 200, response.json()
        assert assignment.cancel_reason == stored
