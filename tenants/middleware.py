"""Resolve the active tenant of a browser request from the session."""

from __future__ import annotations

from django.utils import timezone

from core.responses import is_api

from .selectors import active_memberships
from .timezones import viewer_zone

SESSION_KEY = "tenant_id"


class TenantMiddleware:
    """Sets request.tenant and request.membership for signed-in users.

    The session remembers the tenant the user switched to; it is re-checked on every request
    against the user's active memberships, so removing a membership takes effect at once.
    API requests authenticated by key get their tenant from the key instead (authentication.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        request.membership = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = list(active_memberships(user))
            wanted = request.session.get(SESSION_KEY)
            chosen = next((m for m in memberships if m.tenant_id == wanted), None)
            if chosen is None and memberships:
                chosen = memberships[0]
                request.session[SESSION_KEY] = chosen.tenant_id
            if chosen is not None:
                request.membership = chosen
                request.tenant = chosen.tenant
            request.memberships = memberships
        return self.get_response(request)


class TimeZoneMiddleware:
    """Activates the viewer's time zone for the request (their own, else the tenant's), so
    every page, form and export shows and reads local times; deactivated when it ends.

    Runs after TenantMiddleware. The API is left in the server's zone (UTC): it answers
    RFC 3339 with offsets whoever asks (a person's session or a machine's key), and DRF renders
    datetimes in the current zone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        if is_api(request) or tenant is None or not user.is_authenticated:
            return self.get_response(request)
        with timezone.override(viewer_zone(user_zone=user.time_zone, tenant_zone=tenant.time_zone)):
            return self.get_response(request)
