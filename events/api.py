"""The event feed of the scheduler API (/api/v1/events/)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_errors import ErrorSerializer
from core.errors import InvalidInput
from tenants.authentication import HasTenant
from tenants.mixins import LEAD_ROLES, HasRole, TenantAPIMixin

from . import selectors
from .serializers import EventPageSerializer, EventSerializer

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input (code says which)."),
    401: OpenApiResponse(ErrorSerializer, description="Missing or bad API key."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed."),
}


class EventFeed(TenantAPIMixin, APIView):
    """API keys act for their tenant; signed-in people need a team lead or admin role."""

    permission_classes = [HasTenant, HasRole]
    allowed_roles = LEAD_ROLES

    @extend_schema(
        summary="Ordered feed of certification and assignment events",
        description=(
            "Events in id order after the given id. Store `next_after` and pass it as `after` "
            "next time; ids only grow. Events younger than a couple of seconds are held back "
            "until every earlier transaction has committed, so nothing is ever skipped."
        ),
        parameters=[
            OpenApiParameter("after", int, description="Last event id seen (0 to start)."),
            OpenApiParameter("limit", int, description="1 to 1000, default 100."),
        ],
        responses={200: EventPageSerializer, **ERRORS},
    )
    def get(self, request):
        after = _int_param(request, "after", 0, 0, 2**62)
        limit = _int_param(request, "limit", 100, 1, 1000)
        events = selectors.event_feed(tenant=request.tenant, after=after, limit=limit + 1)
        page = events[:limit]
        return Response(
            {
                "results": EventSerializer(page, many=True).data,
                "next_after": page[-1].pk if page else after,
                "has_more": len(events) > limit,
            }
        )


def _int_param(request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        raise InvalidInput(
            _("%(name)s must be a whole number from %(lo)d to %(hi)d.")
            % {"name": name, "lo": lo, "hi": hi},
            code=f"invalid_{name}",
        )
    return value
