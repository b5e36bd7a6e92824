"""The event feed of the scheduler API (/api/v1/events/)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_errors import error_responses
from core.api_links import Link, links
from core.errors import InvalidInput
from tenants.authentication import HasTenant
from tenants.mixins import LEAD_ROLES, HasRole, TenantAPIMixin

from . import selectors
from .selectors import FeedPosition
from .serializers import EventPageSerializer, EventSerializer

ERRORS = error_responses()


class EventFeed(TenantAPIMixin, APIView):
    """API keys act for their tenant; signed-in people need a team lead or admin role."""

    permission_classes = [HasTenant, HasRole]
    allowed_roles = LEAD_ROLES

    @extend_schema(
        summary="Ordered feed of certification and assignment events",
        description=(
            "Events in commit order after the given position. Store `next_after` and pass it "
            "as `after` next time. Events of transactions still in progress are held back "
            "until they end, so no event is ever skipped, however long a transaction takes. "
            "Events are kept `EVENTS_RETENTION_DAYS` (30 by default) after they were "
            "dispatched to webhooks."
        ),
        parameters=[
            OpenApiParameter(
                "after",
                str,
                description="`next_after` of the last page read, or 0 (the default) to start "
                "from the oldest event kept. A position is opaque: `<transaction>.<event id>`.",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                description="Events per page: 1 to 1000, default 100; other values answer "
                "400 invalid_limit.",
            ),
        ],
        responses={200: EventPageSerializer, **ERRORS},
        extensions=links(
            Link(
                "NextPage",
                "The events after this page.",
                to="v1_events_retrieve",
                parameters={"query.after": "$response.body#/next_after"},
            )
        ),
    )
    def get(self, request):
        after = _position_param(request)
        limit = _int_param(request, "limit", 100, 1, 1000)
        events = selectors.event_feed(tenant=request.tenant, after=after, limit=limit + 1)
        page = events[:limit]
        return Response(
            {
                "results": EventSerializer(page, many=True).data,
                "next_after": str(FeedPosition.of(page[-1]) if page else after),
                "has_more": len(events) > limit,
            }
        )


def _position_param(request) -> FeedPosition:
    raw = request.query_params.get("after") or "0"
    position = FeedPosition.parse(raw)
    if position is None:
        raise InvalidInput(
            _("after must be a feed position from next_after, or 0 to start."),
            code="invalid_after",
        )
    return position


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
