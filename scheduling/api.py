"""The scheduler API (/api/v1/): thin views that parse, authorise, call a selector or service
and render. Errors come out as {"error": {"code", "message", "details"}} (core.api_errors)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import generics, status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from certification.models import Certification, SkillGroup
from core.api_errors import error_body, error_responses
from core.api_links import Link, links
from core.errors import DomainError, InvalidInput
from core.jsonbody import StrictJSONParser
from tenants.authentication import HasTenant
from tenants.mixins import LEAD_ROLES, HasRole, TenantAPIMixin, get_for_tenant_or_404
from tenants.models import Membership, User

from . import selectors, serializers, services
from .models import ShiftAssignment
from .serializers import (
    MAX_ELIGIBILITY_AGENTS,
    AssignmentInSerializer,
    AssignmentSerializer,
    BulkResultSerializer,
    CancelSerializer,
    CertificationSerializer,
    EligibilityCheckSerializer,
    EligibilityQuerySerializer,
    EligibilitySerializer,
    ErrorSerializer,
    SkillGroupSerializer,
    WindowQuerySerializer,
    iso_time,
    query_parameters,
)

ERRORS = error_responses()
NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description="Unknown id or code.")}

# The scheduler's chain, published as OpenAPI links (core.api_links): which skill groups, who is
# eligible over a window, schedule one of them, cancel the shift, who else could cover it.
ELIGIBLE_AGENTS = "v1_skill_groups_eligible_agents_retrieve"
ELIGIBILITY = "v1_skill_groups_eligibility_retrieve"
AGENT_CERTIFICATIONS = "v1_agents_certifications_list"
SCHEDULE = "v1_assignments_create"
CANCEL = "v1_assignments_destroy"
FEED = "v1_events_retrieve"


def _certifications_of(pointer: str) -> Link:
    return Link(
        "AgentCertifications",
        "The certifications of this agent.",
        to=AGENT_CERTIFICATIONS,
        parameters={"path.employee_id": f"$response.body#{pointer}"},
    )


def _schedule(employee: str) -> Link:
    return Link(
        "ScheduleShift",
        "Schedule this agent on the skill group over the window asked about.",
        to=SCHEDULE,
        request_body={
            "employee_id": f"$response.body#{employee}",
            "skill_group": "$response.body#/skill_group",
            "starts_at": "$response.body#/start",
            "ends_at": "$response.body#/end",
        },
    )


class SchedulerAPI(TenantAPIMixin):
    """API keys act for their tenant; signed-in people need a team lead or admin role."""

    permission_classes = [HasTenant, HasRole]
    allowed_roles = LEAD_ROLES


# Inputs are declared once, in serializers.py; the query strings of the eligibility endpoints
# (a benchmark target) and the bulk items (10,000 per request) are checked by FastInput, a loop
# over those serializers' fields, the cancel reason by DRF itself.
WINDOW_QUERY = serializers.FastInput(WindowQuerySerializer, query=True).checker()
ELIGIBILITY_QUERY = serializers.FastInput(EligibilityQuerySerializer, query=True).checker()
ASSIGNMENT_ITEM = serializers.FastInput(AssignmentInSerializer)
_REQUEST_FIELDS = {f.name for f in dataclasses.fields(services.AssignmentRequest)}
if not set(ASSIGNMENT_ITEM.names) <= _REQUEST_FIELDS:
    raise ImproperlyConfigured("Every AssignmentInSerializer field needs an AssignmentRequest one.")


def parse_window(start: str | None, end: str | None) -> tuple[datetime, datetime]:
    """``start``/``end`` as eligible-agents reads them (also the roster's eligibility CSV)."""
    given = {name: value for name, value in (("start", start), ("end", end)) if value is not None}
    window = parse_query(WINDOW_QUERY, given)
    return window["start"], window["end"]


def parse_query(check: Callable, params: Mapping) -> dict:
    """Query parameters through a FastInput checker, a failure raised as the API's code: the
    window first (missing_window, invalid_datetime, naive_datetime, invalid_window: start
    before end), then the agents (missing_agents, too_many_agents)."""
    values, errors = check(params)
    if "required" in (errors.get("start"), errors.get("end")):
        raise InvalidInput(_("Both start and end are required."), code="missing_window")
    for name in ("start", "end"):
        if errors.get(name) == "naive":
            raise InvalidInput(str(services.REASONS["naive_datetime"]), code="naive_datetime")
        if name in errors:
            raise InvalidInput(
                _("%(name)s is not an ISO 8601 time.") % {"name": name}, code="invalid_datetime"
            )
    if values["end"] <= values["start"]:
        raise InvalidInput(str(services.REASONS["invalid_window"]), code="invalid_window")
    if errors.get("agents") == "max_length":
        raise InvalidInput(
            _("At most %(max)d employee ids per request.") % {"max": MAX_ELIGIBILITY_AGENTS},
            code="too_many_agents",
        )
    if "agents" in errors:
        raise InvalidInput(
            _("Name at least one agent: agents=<employee id>,<employee id>,..."),
            code="missing_agents",
        )
    return values


class SkillGroupList(SchedulerAPI, generics.ListAPIView):
    """Skill groups with codes, names, external ids, target and certified headcount."""

    serializer_class = SkillGroupSerializer
    queryset = SkillGroup.objects.all()

    def base_queryset(self):
        return selectors.skill_groups_with_headcount(tenant=self.request.tenant)

    @extend_schema(
        responses={200: SkillGroupSerializer(many=True), **ERRORS},
        extensions=links(
            Link(
                "EligibleAgents",
                "Agents certified for this skill group over a window.",
                to=ELIGIBLE_AGENTS,
                parameters={"path.code": "$response.body#/results/0/code"},
            ),
            Link(
                "Eligibility",
                "May given agents be scheduled on this skill group over a window?",
                to=ELIGIBILITY,
                parameters={"path.code": "$response.body#/results/0/code"},
            ),
        ),
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _iso(value, tz=None):
    # DRF's rendering of datetimes: ISO 8601 in the current time zone, "Z" for UTC. Callers
    # rendering thousands of values pass ``tz`` (the current time zone, looked up once): the
    # lookup per value cost more than the formatting.
    if value is None:
        return None
    text = value.astimezone(tz or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def eligible_agent_json(row: dict, tz=None) -> dict:
    return {
        "employee_id": row["membership__employee_id"],
        "name": User.name_of(*(row[f"membership__user__{f}"] for f in User.NAME_FIELDS)),
        "team": row["membership__team__name"],
        "certification_id": row["pk"],
        "certification_status": row["status"],
        "valid_from": _iso(row["valid_from"], tz),
        "valid_until": _iso(row["valid_until"], tz),
    }


class EligibleAgents(SchedulerAPI, APIView):
    queryset = SkillGroup.objects.all()

    @extend_schema(
        summary="Agents certified over the whole window",
        description=(
            "Agents whose certification covers all of [start, end]. Works for past windows too: "
            "a certification revoked or expired after the window still counts for it."
        ),
        parameters=query_parameters(WindowQuerySerializer),
        responses={200: EligibilitySerializer, **ERRORS, **NOT_FOUND},
        extensions=links(
            _certifications_of("/results/0/employee_id"),
            _schedule("/results/0/employee_id"),
            Link(
                "Eligibility",
                "The check scheduling makes, for this agent over the same window.",
                to=ELIGIBILITY,
                parameters={
                    "path.code": "$response.body#/skill_group",
                    "query.agents": "$response.body#/results/0/employee_id",
                    "query.start": "$response.body#/start",
                    "query.end": "$response.body#/end",
                },
            ),
        ),
    )
    def get(self, request, code: str):
        group = get_for_tenant_or_404(self.get_queryset(), request.tenant, code=code)
        window = parse_query(WINDOW_QUERY, request.query_params)
        start, end = window["start"], window["end"]
        rows = selectors.eligible_agent_rows(
            tenant=request.tenant, skill_group=group, start=start, end=end
        )
        # Thousands of rows per answer: built from plain rows, in the shape EligibilitySerializer
        # documents, without a serializer instance per agent.
        tz = timezone.get_current_timezone()
        return Response(
            {
                "skill_group": group.code,
                "start": start,
                "end": end,
                "count": len(rows),
                "results": [eligible_agent_json(row, tz) for row in rows],
            }
        )


class EligibilityCheck(SchedulerAPI, APIView):
    queryset = SkillGroup.objects.filter(active=True)

    @extend_schema(
        summary="May these agents be scheduled on this skill group over the window?",
        description=(
            "The check POST /assignments/ makes before writing a shift, for one agent or up to "
            f"{MAX_ELIGIBILITY_AGENTS}: per employee id, eligible or the reason code it would be "
            "refused with (not_certified, pending_approval, expires_before_shift_end, revoked, "
            "unknown_agent), and the covering certification when eligible. Certifications count "
            "as they are now: for who was eligible in a past window use eligible-agents. "
            "Overlaps with the agent's other shifts are not checked here."
        ),
        parameters=query_parameters(EligibilityQuerySerializer),
        responses={200: EligibilityCheckSerializer, **ERRORS, **NOT_FOUND},
        extensions=links(
            _certifications_of("/results/0/employee_id"), _schedule("/results/0/employee_id")
        ),
    )
    def get(self, request, code: str):
        # Hot path (called before every shift placement): one query for the group, the agents
        # and their certifications together, and the answer built as plain dicts.
        try:
            query = parse_query(ELIGIBILITY_QUERY, request.query_params)
        except InvalidInput:
            # An unknown skill group answers 404 whatever the parameters, like eligible-agents.
            if not self.get_queryset().filter(code=code).exists():
                raise Http404 from None
            raise
        start, end = query["start"], query["end"]
        answer = selectors.agents_eligibility(
            tenant=request.tenant, code=code, employee_ids=query["agents"], start=start, end=end
        )
        if answer is None:
            raise Http404
        tz = timezone.get_current_timezone()
        results = [
            {
                "employee_id": row.employee_id,
                "eligible": row.reason is None,
                "reason": row.reason,
                "message": str(services.REASONS[row.reason]) if row.reason else None,
                "certification_id": row.certification_id,
                "valid_until": _iso(row.valid_until, tz),
            }
            for row in answer
        ]
        return Response({"skill_group": code, "start": start, "end": end, "results": results})


class AgentCertifications(SchedulerAPI, generics.ListAPIView):
    """An agent's certifications (every state), newest first per skill group."""

    serializer_class = CertificationSerializer
    queryset = Certification.objects.all()

    def base_queryset(self):
        membership = get_for_tenant_or_404(
            Membership, self.request.tenant, employee_id=self.kwargs["employee_id"]
        )
        return Certification.objects.filter(membership=membership).select_related("skill_group")

    @extend_schema(
        responses={200: CertificationSerializer(many=True), **ERRORS, **NOT_FOUND},
        extensions=links(
            Link(
                "EligibleAgents",
                "Who is certified for the skill group of the first certification over all of "
                "its validity.",
                to=ELIGIBLE_AGENTS,
                parameters={
                    "path.code": "$response.body#/results/0/skill_group",
                    "query.start": "$response.body#/results/0/valid_from",
                    "query.end": "$response.body#/results/0/valid_until",
                },
            ),
            Link(
                "AgentCertifications",
                "The certifications of the agent the first event is about (every event type "
                "names its agent).",
                from_=FEED,
                parameters={"path.employee_id": "$response.body#/results/0/data/employee_id"},
            ),
        ),
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


ASSIGNMENT_BODY = PolymorphicProxySerializer(
    component_name="AssignmentRequestBody",
    serializers=[AssignmentInSerializer, AssignmentInSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)


def scheduled_json(
    shift: services.Scheduled, time_text: Callable[[datetime | None], str | None] = _iso
) -> dict:
    """A created shift as ``AssignmentSerializer`` renders one, built from plain values: a
    10,000-item answer through the serializer costs more than writing the rows."""
    return {
        "id": shift.pk,
        "employee_id": shift.employee_id,
        "skill_group": shift.skill_group,
        "starts_at": time_text(shift.starts_at),
        "ends_at": time_text(shift.ends_at),
        "status": shift.status,
        "cancel_reason": "",
        "cancelled_at": None,
        "source": shift.source,
        "external_ref": shift.external_ref,
        "certification_id": shift.certification_id,
    }


class Assignments(SchedulerAPI, APIView):
    queryset = ShiftAssignment.objects.all()
    parser_classes = [StrictJSONParser]

    @extend_schema(
        summary="Schedule one shift or a list of up to 10,000",
        description=(
            "All-or-nothing by default: if any item is refused nothing is written and the 422 "
            "lists every refused item with its index and reason code. `?partial=true` writes "
            "the valid items and reports the rest. Send `Idempotency-Key` to make a retry return "
            "the first answer instead of writing twice. Reason codes: not_certified, "
            "pending_approval, expires_before_shift_end, revoked, unknown_agent, "
            "unknown_skill_group, overlapping_assignment, invalid_window, naive_datetime, "
            "invalid_item."
        ),
        parameters=[
            OpenApiParameter("partial", bool, description="Write the valid items."),
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "minLength": 1, "maxLength": 200},
                location=OpenApiParameter.HEADER,
                required=False,
                description="1 to 200 characters; other lengths answer 400 "
                "invalid_idempotency_key. Answers are kept `IDEMPOTENCY_KEY_TTL_HOURS` (48).",
            ),
        ],
        request=ASSIGNMENT_BODY,
        responses={
            201: BulkResultSerializer,
            200: BulkResultSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Concurrent change; retry."),
            413: OpenApiResponse(ErrorSerializer, description="Body over the size limit."),
            422: OpenApiResponse(ErrorSerializer, description="Refused items (all-or-nothing)."),
            **ERRORS,
        },
        extensions=links(
            Link(
                "CancelAssignment",
                "Cancel the first shift created.",
                to=CANCEL,
                parameters={"path.id": "$response.body#/created/0/id"},
                statuses=(201, 200),
            ),
            Link(
                "AgentCertifications",
                "The certifications of the first shift's agent.",
                to=AGENT_CERTIFICATIONS,
                parameters={"path.employee_id": "$response.body#/created/0/employee_id"},
                statuses=(201, 200),
            ),
        ),
    )
    def post(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return _too_large()
        try:
            raw = request.body
        except RequestDataTooBig:
            return _too_large()
        try:
            data = request.data
        except ParseError as exc:
            raise InvalidInput(str(exc.detail), code="malformed_body") from exc
        if isinstance(data, dict) and not hasattr(data, "getlist"):
            items, single = [data], True
        elif isinstance(data, list):
            items, single = data, False
        else:
            raise InvalidInput(
                _("The body must be a JSON object or a JSON list of objects."),
                code="malformed_body",
            )
        if not items:
            raise InvalidInput(_("The list of assignments is empty."), code="empty_body")
        if len(items) > services.MAX_ITEMS:
            raise InvalidInput(
                _("At most %(max)d assignments per request.") % {"max": services.MAX_ITEMS},
                code="too_many_items",
            )
        partial = request.query_params.get("partial", "").lower() in {"1", "true", "yes"}
        parsed = parse_assignment_items(items)

        def produce() -> tuple[int, dict]:
            try:
                result = services.create_assignments(
                    tenant=request.tenant,
                    items=parsed,
                    source=ShiftAssignment.Source.API,
                    partial=partial,
                )
            except DomainError as exc:
                return exc.status, error_body(exc.code, exc.message, exc.details)
            # Shift times repeat across a roster: each is formatted once per request.
            time_text = functools.cache(functools.partial(_iso, tz=timezone.get_current_timezone()))
            body = {
                "created": [scheduled_json(s, time_text) for s in result.created],
                "refused": [r.as_dict() for r in result.refused],
            }
            if single and not result.refused:
                return status.HTTP_201_CREATED, body
            return (status.HTTP_200_OK if result.refused else status.HTTP_201_CREATED), body

        key = request.headers.get("Idempotency-Key")
        if key is None:
            # create_assignments is atomic itself; an outer block would only add a savepoint.
            code, body = produce()
            return Response(body, status=code)
        fingerprint = services.request_fingerprint(
            request.method, request.path, request.META.get("QUERY_STRING", ""), raw
        )
        result = services.run_idempotent(
            tenant=request.tenant, key=key, fingerprint=fingerprint, produce=produce
        )
        response = Response(result.body, status=result.status_code)
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


def _too_large() -> Response:
    return Response(
        error_body(
            "body_too_large",
            _("The request body is larger than %(max)d bytes.")
            % {"max": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
        ),
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def parse_assignment_items(items: list) -> list[services.AssignmentRequest]:
    """Bulk items as ``AssignmentInSerializer`` declares them: a malformed item becomes an
    invalid_item refusal naming the fields to check, one with a time without offset
    naive_datetime. Shift times repeat across a roster (a few shift patterns), so equal strings
    are parsed once (per request, bounded by MAX_ITEMS)."""
    check = ASSIGNMENT_ITEM.checker(functools.cache(iso_time))
    request = services.AssignmentRequest
    parsed = []
    for item in items:
        if not isinstance(item, dict):
            parsed.append(request("", "", None, None, error="invalid_item"))
            continue
        values, errors = check(item)
        if not errors:
            parsed.append(request(**values))
            continue
        problems = [name for name, code in errors.items() if code != "naive"]
        if problems:
            detail = _("Check: %(fields)s.") % {"fields": ", ".join(problems)}
            parsed.append(request("", "", None, None, error="invalid_item", error_detail=detail))
        else:
            parsed.append(request("", "", None, None, error="naive_datetime"))
    return parsed


class AssignmentDetail(SchedulerAPI, APIView):
    queryset = ShiftAssignment.objects.all()
    parser_classes = [StrictJSONParser]

    @extend_schema(
        summary="Cancel a shift (a reason is required)",
        description=(
            "`reason` is required: in the query string, or (when the query string has none) as "
            'a JSON body `{"reason": "..."}`. A missing or blank reason answers 400 '
            "reason_required."
        ),
        parameters=[
            OpenApiParameter(
                "reason",
                {"type": "string", "minLength": 1, "pattern": r"\S"},
                required=True,
                description="Why the shift is cancelled (stored with the event, first 2,000 "
                "characters); not blank.",
            )
        ],
        request=CancelSerializer,
        responses={200: AssignmentSerializer, **ERRORS, **NOT_FOUND},
        extensions=links(
            _certifications_of("/employee_id"),
            Link(
                "ReplacementCandidates",
                "Who is certified to cover the cancelled shift.",
                to=ELIGIBLE_AGENTS,
                parameters={
                    "path.code": "$response.body#/skill_group",
                    "query.start": "$response.body#/starts_at",
                    "query.end": "$response.body#/ends_at",
                },
            ),
        ),
    )
    def delete(self, request, pk: int):
        assignment = get_for_tenant_or_404(self.get_queryset(), request.tenant, pk=pk)
        # The query string's reason when it has one, else the JSON body's.
        data = request.query_params
        if not data.get("reason"):
            try:
                data = request.data
            except ParseError:
                data = {}
        cancel = CancelSerializer(data=data if isinstance(data, dict) else {})
        cancel.is_valid(raise_exception=True)
        assignment = services.cancel_assignment(
            tenant=request.tenant,
            assignment_id=assignment.pk,
            reason=cancel.validated_data.get("reason", ""),
            actor=request.user if getattr(request.user, "pk", None) else None,
        )
        return Response(AssignmentSerializer(assignment).data)
