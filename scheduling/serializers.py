"""Shapes of the scheduler API: what it answers, and every input it reads (query parameters,
assignment items, the cancel reason), each declared once as a serializer from which both the
OpenAPI schema and the parsing come. Inputs on a benchmarked path are checked by ``FastInput``,
a loop over the same serializer's fields; see docs/decisions/scheduling.md."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from certification.models import Certification, SkillGroup
from core.api_errors import ErrorSerializer  # noqa: F401  (part of this API's shapes)

from .models import ShiftAssignment
from .services import REASONS

MAX_ELIGIBILITY_AGENTS = 100


# --------------------------------------------------------------------------- input fields
# A check: raw value -> (value, None) or (None, the DRF error code it fails with).
Check = Callable[[Any], tuple[Any, str | None]]

_SURROGATE = re.compile("[\ud800-\udfff]")


def iso_time(value: Any) -> datetime | None:
    """ISO 8601 text as a datetime (naive if written without an offset); None for anything
    else."""
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


class StrictCharField(serializers.CharField):
    """Text that must be a JSON string (DRF's CharField also takes numbers) and is kept as sent:
    no trimming, so " B1" is not the agent B1."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return data

    def fast_check(self, parse_time: Callable[[str], datetime | None]) -> Check:
        """DRF's checks of this field (type, blank, max_length, NUL and surrogate characters)
        without its machinery; any other option or validator is refused, not skipped."""
        known = (
            MaxLengthValidator,
            ProhibitNullCharactersValidator,
            ProhibitSurrogateCharactersValidator,
        )
        unknown = [v for v in self.validators if not isinstance(v, known)]
        if unknown or self.min_length is not None or self.allow_null or self.trim_whitespace:
            raise ImproperlyConfigured(
                f"FastInput cannot check {self.field_name!r} as declared ({unknown or 'options'})."
            )
        max_length, allow_blank = self.max_length, self.allow_blank

        def check(value):
            if not isinstance(value, str):
                return None, ("null" if value is None else "invalid")
            if not value:
                return (value, None) if allow_blank else (None, "blank")
            if max_length is not None and len(value) > max_length:
                return None, "max_length"
            if "\x00" in value:
                return None, "null_characters_not_allowed"
            if not value.isascii() and _SURROGATE.search(value):
                return None, "surrogate_characters_not_allowed"
            return value, None

        return check


def time_check(parse_time: Callable[[str], datetime | None] = iso_time) -> Check:
    """The check of an ``OffsetDateTimeField``; ``parse_time`` may be a per-request cache of
    ``iso_time`` (a roster repeats a few shift times)."""

    def check(value):
        parsed = parse_time(value) if isinstance(value, str) and value else None
        if parsed is None:
            return None, ("required" if value == "" else "null" if value is None else "invalid")
        if parsed.tzinfo is None:
            return None, "naive"
        return parsed, None

    return check


class OffsetDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time with a UTC offset, kept in the offset it was written in. A time without
    one fails with code "naive" (the API's naive_datetime); an empty value counts as missing."""

    default_error_messages = {"naive": REASONS["naive_datetime"]}
    _check = staticmethod(time_check())

    def validate_empty_values(self, data):
        return super().validate_empty_values(empty if data == "" else data)

    def to_internal_value(self, value):
        parsed, code = self._check(value)
        if code:
            self.fail(code, format="ISO 8601 with a UTC offset")
        return parsed

    def fast_check(self, parse_time: Callable[[str], datetime | None]) -> Check:
        if not self.required or self.allow_null or self.validators:
            raise ImproperlyConfigured(f"FastInput cannot check {self.field_name!r} as declared.")
        return time_check(parse_time)


def ids_check(max_length: int | None) -> Check:
    """The check of an ``EmployeeIdsField``."""

    def check(value):
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return None, "not_a_list"
        ids = [part.strip() for v in values for part in v.split(",") if part.strip()]
        if not ids:
            return None, "empty"
        if max_length is not None and len(ids) > max_length:
            return None, "max_length"
        return list(dict.fromkeys(ids)), None

    return check


class EmployeeIdsField(serializers.ListField):
    """``agents=B1,B2`` or the parameter repeated: distinct ids in the order given, blanks
    dropped. ``max_length`` counts the ids as sent, repeats included."""

    child = serializers.CharField()

    def to_internal_value(self, data):
        ids, code = ids_check(self.max_length)(data)
        if code:
            self.fail(code, input_type=type(data).__name__, max_length=self.max_length)
        return ids

    def fast_check(self, parse_time: Callable[[str], datetime | None]) -> Check:
        unknown = [v for v in self.validators if not isinstance(v, MaxLengthValidator)]
        if unknown or not self.required or self.allow_null or self.min_length is not None:
            raise ImproperlyConfigured(f"FastInput cannot check {self.field_name!r} as declared.")
        return ids_check(self.max_length)


class SkillGroupSerializer(serializers.ModelSerializer):
    certified_headcount = serializers.IntegerField(read_only=True)

    class Meta:
        model = SkillGroup
        fields = [
            "code",
            "name",
            "external_id",
            "target_headcount",
            "certified_headcount",
            "validity_days",
            "requires_approval",
            "active",
        ]


class EligibleAgentSerializer(serializers.Serializer):
    employee_id = serializers.CharField(source="membership.employee_id")
    name = serializers.SerializerMethodField()
    team = serializers.SerializerMethodField()
    certification_id = serializers.IntegerField(source="pk")
    certification_status = serializers.CharField(source="status")
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField()

    def get_name(self, cert) -> str:
        return str(cert.membership.user)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_team(self, cert) -> str | None:
        team = cert.membership.team
        return team.name if team else None


class EligibilitySerializer(serializers.Serializer):
    skill_group = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    count = serializers.IntegerField()
    results = EligibleAgentSerializer(many=True)


class CertificationSerializer(serializers.ModelSerializer):
    skill_group = serializers.CharField(source="skill_group.code")

    class Meta:
        model = Certification
        fields = [
            "id",
            "skill_group",
            "status",
            "valid_from",
            "valid_until",
            "revoked_at",
            "decided_at",
            "created_at",
        ]


class AssignmentInSerializer(serializers.Serializer):
    """One shift to schedule. Items are checked one by one, so every refusal gets its index and
    reason code (invalid_item naming the fields to check, or naive_datetime)."""

    # The one definition of an item: the schema comes from it, and the API parses items with
    # ``FastInput(AssignmentInSerializer)`` (10,000 per request). Fields are listed in the order
    # an invalid_item refusal names them.
    employee_id = StrictCharField(max_length=40)
    skill_group = StrictCharField(max_length=40, help_text="Skill group code.")
    external_ref = StrictCharField(max_length=120, required=False, allow_blank=True)
    starts_at = OffsetDateTimeField(help_text="ISO 8601 with offset.")
    ends_at = OffsetDateTimeField(help_text="ISO 8601 with offset; after starts_at.")


class AssignmentSerializer(serializers.ModelSerializer):
    employee_id = serializers.CharField(source="membership.employee_id")
    skill_group = serializers.CharField(source="skill_group.code")

    class Meta:
        model = ShiftAssignment
        fields = [
            "id",
            "employee_id",
            "skill_group",
            "starts_at",
            "ends_at",
            "status",
            "cancel_reason",
            "cancelled_at",
            "source",
            "external_ref",
            "certification_id",
        ]


class RefusalSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    created = AssignmentSerializer(many=True)
    refused = RefusalSerializer(many=True)


class CancelReasonField(serializers.CharField):
    """Free text. Anything but a string (null, a number, a list) counts as no reason, so the
    service answers reason_required; NUL characters are dropped, not refused. Kept whole here:
    the service stores the first 2,000 characters."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("trim_whitespace", False)  # the service strips
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        return (True, "") if data is None else super().validate_empty_values(data)

    def to_internal_value(self, data):
        return data.replace("\x00", "") if isinstance(data, str) else ""


class CancelSerializer(serializers.Serializer):
    """DELETE /assignments/<id>/: the query string, or a JSON body when the query has none.
    Validated by DRF (one value per request)."""

    reason = CancelReasonField(help_text='Or send {"reason": ...}.')


ELIGIBILITY_REASONS = (
    "not_certified",
    "pending_approval",
    "expires_before_shift_end",
    "revoked",
    "unknown_agent",
)


class AgentEligibilitySerializer(serializers.Serializer):
    """Documentation of one agent's answer (the API builds it as a plain dict)."""

    employee_id = serializers.CharField()
    eligible = serializers.BooleanField()
    reason = serializers.ChoiceField(
        choices=ELIGIBILITY_REASONS,
        allow_null=True,
        help_text="Why not: the code POST /assignments/ would refuse with; null if eligible.",
    )
    message = serializers.CharField(allow_null=True, help_text="The reason in words.")
    certification_id = serializers.IntegerField(
        allow_null=True, help_text="The covering certification; null if not eligible."
    )
    valid_until = serializers.DateTimeField(
        allow_null=True, help_text="End of the covering certification; null if not eligible."
    )


class EligibilityCheckSerializer(serializers.Serializer):
    skill_group = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    results = AgentEligibilitySerializer(
        many=True, help_text="One per distinct employee id, in the order asked."
    )


# --------------------------------------------------------------------------- query parameters
class WindowQuerySerializer(serializers.Serializer):
    """The window of GET .../eligible-agents/ (and of the eligibility check)."""

    start = OffsetDateTimeField()
    end = OffsetDateTimeField()


class EligibilityQuerySerializer(WindowQuerySerializer):
    """GET .../eligibility/: the window and the agents to check."""

    agents = EmployeeIdsField(
        max_length=MAX_ELIGIBILITY_AGENTS,
        help_text=(
            f"Employee ids, comma-separated (1 to {MAX_ELIGIBILITY_AGENTS}); "
            "repeats are answered once."
        ),
    )


def query_parameters(serializer_class: type[serializers.Serializer]) -> list:
    """``extend_schema(parameters=...)`` for a query serializer: drf-spectacular explodes it
    into one parameter per field. A list is documented again from its field as comma-separated
    (form style, not exploded), which that explosion cannot say."""
    parameters: list = [serializer_class]
    for name, field in serializer_class().fields.items():
        if isinstance(field, EmployeeIdsField):
            schema = {"type": "array", "items": {"type": "string"}}
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
            parameters.append(
                OpenApiParameter(
                    name,
                    schema,
                    required=field.required,
                    style="form",
                    explode=False,
                    description=field.help_text,
                )
            )
    return parameters


# --------------------------------------------------------------------------- fast input
class FastInput:
    """Checks input against a serializer's declared fields in a plain loop: the same fields and
    checks as ``serializer.is_valid()`` (tests/scheduling/test_input_shapes.py holds them to
    it), without its machinery (fields copied and bound per instance, an exception per
    failure). In process, 10,000 bulk items took 140-330 ms through ``is_valid()`` and 23-35 ms
    here; an eligibility query 75-96 us and 4-6 us (docs/decisions/scheduling.md).

    Only fields with a ``fast_check`` are accepted, and they refuse options or validators they
    would not apply; ``validate``/``validate_<field>`` methods are refused too. So whatever the
    schema documents is checked, or the module does not import."""

    def __init__(self, serializer_class: type[serializers.Serializer], *, query: bool = False):
        serializer = serializer_class()
        hooks = [n for n in serializer.fields if hasattr(serializer, f"validate_{n}")]
        if hooks or serializer_class.validate is not serializers.Serializer.validate:
            raise ImproperlyConfigured(
                f"FastInput does not run {serializer_class.__name__}'s validate methods."
            )
        for name, field in serializer.fields.items():
            if not hasattr(field, "fast_check") or field.source != name or field.read_only:
                raise ImproperlyConfigured(f"FastInput cannot check {name!r}.")
            field.fast_check(iso_time)  # refuses what it would not check
        self.fields = serializer.fields
        self.query = query

    @property
    def names(self) -> list[str]:
        return list(self.fields)

    def checker(
        self, parse_time: Callable[[str], datetime | None] = iso_time
    ) -> Callable[[Mapping], tuple[dict[str, Any], dict[str, str]]]:
        """A function from a dict (a QueryDict for ``query``) to (valid values, {field: error
        code}), both in declaration order. Missing optional fields are left out of both."""
        specs = [
            (name, field.required, field.fast_check(parse_time))
            for name, field in self.fields.items()
        ]
        # A QueryDict is read as DRF reads it (a list field takes every value of its name).
        getters = [(name, field.get_value) for name, field in self.fields.items()]
        query = self.query

        def check(data: Mapping) -> tuple[dict[str, Any], dict[str, str]]:
            if query:
                data = {name: get(data) for name, get in getters}
            values: dict[str, Any] = {}
            errors: dict[str, str] = {}
            for name, required, check_value in specs:
                value = data.get(name, empty)
                if value is empty:
                    if required:
                        errors[name] = "required"
                    continue
                value, code = check_value(value)
                if code is None:
                    values[name] = value
                else:
                    errors[name] = code
            return values, errors

        return check
