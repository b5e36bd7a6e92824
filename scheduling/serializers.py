"""Shapes of the scheduler API (output, and the documented input of POST /assignments/)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from certification.models import Certification, SkillGroup
from core.api_errors import ErrorSerializer  # noqa: F401  (part of this API's shapes)

from .models import ShiftAssignment


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
    """Documentation of one item; items are checked one by one so every refusal gets its
    index and reason code."""

    employee_id = serializers.CharField(max_length=40)
    skill_group = serializers.CharField(max_length=40, help_text="Skill group code.")
    starts_at = serializers.DateTimeField(help_text="ISO 8601 with offset.")
    ends_at = serializers.DateTimeField(help_text="ISO 8601 with offset; after starts_at.")
    external_ref = serializers.CharField(max_length=120, required=False, allow_blank=True)


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


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


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
