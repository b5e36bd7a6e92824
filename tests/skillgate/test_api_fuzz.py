"""Schemathesis over the whole REST API (issue 16, "No input gets a 500").

Every operation under ``/api/`` in the schema the app publishes is called with what schemathesis
generates from it: its coverage cases (boundaries, missing and wrong-typed parameters, bodies of
every shape, unexpected methods and content types) and Hypothesis-drawn inputs, valid and
invalid, in the path, the query string, the headers and the body (NUL bytes, huge numbers, dates
at the ends of the calendar, deep JSON included). Then a stateful run follows the OpenAPI links
the schema publishes (core.api_links: the feed, an agent's certifications, who is eligible,
schedule, cancel, the feed's next page), so requests reach real rows and real shifts are created
and cancelled. Every answer must not be a 5xx, must be a status code the operation documents,
with the documented content type and a body matching the documented schema, and every refusal
must be the API's JSON error body.

Personas: a tenant API key, a signed-in team lead (session cookie and CSRF token), and a client
with no credentials of its own, which gets the Authorization headers and session cookies
schemathesis generates from the security schemes.

The CI run is fixed (one seed per persona) and bounded; ``SKILLGATE_FUZZ=nightly`` (what
``scripts/fuzz.sh`` runs) generates many more examples and longer scenarios from a random seed,
printed so that ``SKILLGATE_FUZZ_SEED=<seed>`` replays a failure.
"""

from __future__ import annotations

import base64
import os
import random
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import hypothesis
import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import GenerationMode

from scheduling import services as scheduling_services
from scheduling.models import ShiftAssignment
from tenants.services import create_api_key
from tests.certification.factories import certify

# Every request commits, as in production: the feed's commit order, on_commit hand-offs and the
# database guard behave for real, and a request that failed leaves nothing for the next to trip on.
pytestmark = pytest.mark.django_db(transaction=True)

NIGHTLY = os.environ.get("SKILLGATE_FUZZ", "").lower() == "nightly"
NIGHTLY_FACTOR = 20


@dataclass(frozen=True)
class Budget:
    """How much one persona's run generates."""

    fuzz_examples: int  # Hypothesis examples per operation, valid and invalid drawn together
    scenarios: int  # stateful scenarios, each a chain of linked calls (0: no stateful run)
    steps: int  # at most this many calls per scenario
    seed: int

    def nightly(self, seed: int) -> Budget:
        return Budget(
            fuzz_examples=self.fuzz_examples * NIGHTLY_FACTOR,
            scenarios=self.scenarios * NIGHTLY_FACTOR,
            steps=self.steps * 2,
            seed=seed,
        )


def budget(persona: str, ci: Budget) -> Budget:
    if not NIGHTLY:
        return ci
    seed = int(os.environ.get("SKILLGATE_FUZZ_SEED") or random.SystemRandom().getrandbits(32))
    print(f"\n{persona}: SKILLGATE_FUZZ=nightly SKILLGATE_FUZZ_SEED={seed}")
    return ci.nightly(seed)


# What each answer is checked for. Schemathesis's other checks judge behaviour this API does not
# promise (for instance that a page_size above the maximum is refused: it is cut to the maximum).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


def fuzz_config(run: Budget, *, credentials: bool) -> schemathesis.Config:
    """``credentials``: whether schemathesis generates the Authorization header and session
    cookie the security schemes describe (well-formed and broken ones), for the persona that
    brings none of its own."""
    return schemathesis.Config.from_dict(
        {
            "seed": run.seed,
            "generation": {
                "mode": "all",
                "max-examples": run.fuzz_examples,
                "with-security-parameters": credentials,
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            # The stateful run follows the links the schema publishes, not ones schemathesis
            # would guess from names (its guesses change between its releases).
            "phases": {"stateful": {"inference": {"algorithms": []}}},
        }
    )


def error_answers_are_the_json_error_body(ctx, response, case):
    """Every refusal under /api/ is the API's JSON error body, also for the requests whose
    answer schemathesis leaves out of its conformance checks (unexpected methods, malformed or
    unsupported content types): a client reads one error format, never Django's HTML page."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.startswith("application/json"), (response.status_code, content_type)
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    return None


EXTRA_CHECKS = [error_answers_are_the_json_error_body]


@dataclass
class Tally:
    """What the run sent and what came back: the floors asserted and the figures printed."""

    requests: int = 0
    phases: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    operations: Counter = field(default_factory=Counter)
    links_followed: Counter = field(default_factory=Counter)

    def record(self, phase: str, case, response) -> None:
        self.requests += 1
        self.phases[phase] += 1
        self.statuses[response.status_code] += 1
        self.operations[case.operation.label] += 1

    def server_errors(self) -> int:
        return sum(n for code, n in self.statuses.items() if code >= 500)


@pytest.fixture
def fuzz_world(world, settings):
    """Tenant A with two certified agents, a shift and events in its feed, all made through the
    services, and tenant B beside it with a certified agent of its own."""
    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = ["*"]  # schemathesis's WSGI client sends its own host name
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    first = certify(world.agent, approve_by=world.lead)
    certify(world.other_agent, group=first.skill_group, approve_by=world.lead)
    certify(world.other_agent_b, approve_by=world.other_admin)
    # The second agent's shift; the first agent's time stays free for the shifts the stateful
    # run schedules over a whole validity period.
    start = timezone.now() + timedelta(days=1)
    scheduling_services.create_assignments(
        tenant=world.tenant,
        items=[
            scheduling_services.AssignmentRequest(
                world.other_agent.employee_id,
                first.skill_group.code,
                start,
                start + timedelta(hours=8),
            )
        ],
        source=ShiftAssignment.Source.API,
    )
    return world


@pytest.fixture
def one_connection():
    """Requests share the test's database connection, as a worker with persistent connections
    does, and commit without waiting for the disk (the thousands of requests, not connections
    and flushes, should make the run's time)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO DEFAULT")
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def api_key(world) -> dict:
    """A scheduler's API key (``case.call`` keyword arguments)."""
    key = create_api_key(tenant=world.tenant, name="fuzz", created_by=None).raw_key
    return {"headers": {"Authorization": f"Bearer {key}"}}


def lead_session(world) -> dict:
    """A signed-in team lead as a browser is: the session cookie, and the CSRF cookie and header
    that unsafe methods need."""
    client = Client()
    client.force_login(world.lead.user)
    session = client.session
    session["tenant_id"] = world.tenant.pk
    session.save()
    token = "f" * 32  # any 32 alphanumerics are a CSRF secret when cookie and header agree
    return {
        "headers": {"X-CSRFToken": token},
        "cookies": {
            django_settings.SESSION_COOKIE_NAME: session.session_key,
            django_settings.CSRF_COOKIE_NAME: token,
        },
    }


def anonymous(world) -> dict:
    """No credentials of its own: schemathesis sends what the security schemes describe."""
    return {}


@dataclass(frozen=True)
class Persona:
    credentials: object  # world -> case.call keyword arguments
    ci: Budget
    generated_credentials: bool = False


def _seed(name: str) -> int:
    return zlib.crc32(name.encode())


PERSONAS = {
    "api_key": Persona(api_key, Budget(50, 80, 10, _seed("api_key"))),
    "lead_session": Persona(lead_session, Budget(25, 30, 10, _seed("lead_session"))),
    # Every answer is a refusal before any view runs: no chain to follow.
    "anonymous": Persona(anonymous, Budget(25, 0, 0, _seed("anonymous")), True),
}


def api_schema(run: Budget, *, credentials: bool):
    """The schema as the app serves it at /api/schema/, every operation under /api/."""
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json",
        get_wsgi_application(),
        config=fuzz_config(run, credentials=credentials),
    )
    return schema.include(path_regex="^/api/")


# Values of the classes issue 16 found answering 500, tried in every parameter and body field
# of every operation on top of what schemathesis generates: its strategies draw NUL characters
# and huge numbers now and then, but not a 100,000-deep JSON body nor a cursor encoded the way
# the lists encode theirs.
HOSTILE = {
    "nul": "E1001\x00",
    "past_bigint": str(10**30),
    "year_1": "0001-01-01T00:00:00+14:00",
    "year_9999": "9999-12-31T23:59:59-14:00",
    "crafted_cursor": base64.b64encode(b"p=abc").decode(),
    "cursor_past_bigint": base64.b64encode(f"p={10**30}".encode()).decode(),
}
# In a JSON body only: a lone surrogate (valid JSON, not storable text) and nesting past
# Python's recursion limit.
HOSTILE_BODY_VALUES = {**HOSTILE, "surrogate": "\ud800"}
DEEP_JSON = b"[" * 100_000


def baseline(world) -> dict:
    """A value for every parameter and body field, of the kind a scheduler sends: the hostile
    cases change one at a time, so each reaches the code that reads it."""
    group = world.agent.certifications.get().skill_group
    shift = world.other_agent.assignments.get()
    start = timezone.now() + timedelta(days=2)
    return {
        "code": group.code,
        "employee_id": world.agent.employee_id,
        "id": str(shift.pk),
        "start": start.isoformat(),
        "end": (start + timedelta(hours=8)).isoformat(),
        "agents": world.agent.employee_id,
        "reason": "fuzz",
        "after": "0",
        "limit": "10",
        "page_size": "10",
        "partial": "false",
        "Idempotency-Key": "fuzz-baseline",
        # A shift of the second agent: the first one's time stays free (see fuzz_world).
        "body": {
            "employee_id": world.other_agent.employee_id,
            "skill_group": group.code,
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=8)).isoformat(),
            "external_ref": "fuzz",
        },
    }


def hostile_cases(schema, operation, known: dict):
    """The operation's baseline request with one parameter or body field replaced by each
    hostile value, and its body replaced by the deep JSON."""
    definition = schema.raw_schema["paths"][operation.path][operation.method]
    parameters = {"path": {}, "query": {}, "header": {}}
    for parameter in definition.get("parameters", []):
        if parameter["name"] in known:
            parameters[parameter["in"]][parameter["name"]] = known[parameter["name"]]
    body = known["body"] if "requestBody" in definition else None

    def case(replaced: dict, new_body=None):
        return operation.Case(
            path_parameters={**parameters["path"], **replaced.get("path", {})},
            query={**parameters["query"], **replaced.get("query", {})},
            headers={**parameters["header"], **replaced.get("header", {})},
            **({"body": new_body, "media_type": "application/json"} if body else {}),
        )

    for parameter in definition.get("parameters", []):
        for value in HOSTILE.values():
            yield case({parameter["in"]: {parameter["name"]: value}}, body)
    if body is not None:
        for name in body:
            for value in HOSTILE_BODY_VALUES.values():
                yield case({}, {**body, name: value})
                yield case({}, [{**body, name: value}])
        yield case({}, DEEP_JSON)


def fuzz_operations(schema, run: Budget, call_kwargs: dict, known: dict, tally: Tally) -> None:
    """Each operation: its coverage cases, the hostile cases, then Hypothesis examples drawn
    valid or invalid (as schemathesis's pytest integration draws them, so an operation with
    nothing to make invalid gets valid ones)."""
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    for result in schema.get_all_operations():
        operation = result.ok()
        coverage = schema.config.generation_for(operation=operation, phase="coverage")
        for case in schema.iter_coverage_cases(
            operation, generation_modes=modes, generation_config=coverage
        ):
            response = case.call_and_validate(**call_kwargs, additional_checks=EXTRA_CHECKS)
            tally.record("coverage", case, response)
        for case in hostile_cases(schema, operation, known):
            response = case.call_and_validate(**call_kwargs, additional_checks=EXTRA_CHECKS)
            tally.record("hostile", case, response)
        strategy = st.one_of([operation.as_strategy(generation_mode=mode) for mode in modes])

        @hypothesis.seed(run.seed)
        @given(case=strategy)
        @hypothesis.settings(
            max_examples=run.fuzz_examples,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            response = case.call_and_validate(**call_kwargs, additional_checks=EXTRA_CHECKS)
            tally.record("generated", case, response)

        fuzz()


def run_stateful(schema, run: Budget, call_kwargs: dict, tally: Tally) -> None:
    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return dict(call_kwargs)

        def after_call(self, response, case):
            super().after_call(response, case)
            tally.record("stateful", case, response)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            super().validate_response(response, case, EXTRA_CHECKS, **kwargs)

        def step(self, input):
            if input.transition is not None and input.is_applied:
                tally.links_followed[input.transition.id] += 1
            return super().step(input)

    hypothesis.seed(run.seed)(Workflow).run(
        settings=hypothesis.settings(
            max_examples=run.scenarios,
            stateful_step_count=run.steps,
            database=None,
            deadline=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
    )


@pytest.mark.parametrize("name", PERSONAS)
def test_the_api_answers_every_generated_request_as_documented(fuzz_world, one_connection, name):
    persona = PERSONAS[name]
    run = budget(name, persona.ci)
    schema = api_schema(run, credentials=persona.generated_credentials)
    call_kwargs = persona.credentials(fuzz_world)
    tally = Tally()
    fuzz_operations(schema, run, call_kwargs, baseline(fuzz_world), tally)
    if run.scenarios:
        run_stateful(schema, run, call_kwargs, tally)
    print(
        f"\n{name}: {len(tally.operations)} operations, {tally.requests} requests "
        f"{dict(tally.phases)}, {run.scenarios} scenarios, {tally.server_errors()} 5xx; "
        f"links followed {dict(sorted(tally.links_followed.items()))}; "
        f"statuses {dict(sorted(tally.statuses.items()))}"
    )
    # Every operation under /api/ was called; each one taking input well past its coverage
    # cases (one without parameters or body has only a few requests to make).
    published = {
        f"{method.upper()} {path}": bool(operation.get("parameters") or "requestBody" in operation)
        for path, item in schema.raw_schema["paths"].items()
        for method, operation in item.items()
    }
    assert set(tally.operations) == set(published)
    assert all(
        tally.operations[label] >= 25 for label, takes_input in published.items() if takes_input
    ), tally.operations
    assert tally.server_errors() == 0
    if run.scenarios:
        assert tally.phases["stateful"] >= run.scenarios * 2
        assert len(tally.links_followed) >= 6, tally.links_followed
