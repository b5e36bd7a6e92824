from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_errors import error_responses


class WhoAmIView(APIView):
    """Which tenant (and key or user) this request acts for; lets an integrator test a key."""

    @extend_schema(
        responses={
            200: inline_serializer(
                "WhoAmI",
                {
                    "tenant": serializers.CharField(),
                    "principal": serializers.CharField(),
                    "kind": serializers.ChoiceField(choices=["api_key", "user"]),
                },
            ),
            # A key that is missing or bad is the very thing an integrator tests here.
            **error_responses(),
        }
    )
    def get(self, request):
        api_key = request.auth if getattr(request.auth, "prefix", None) else None
        return Response(
            {
                "tenant": request.tenant.slug,
                "principal": api_key.name if api_key else request.user.get_username(),
                "kind": "api_key" if api_key else "user",
            }
        )
