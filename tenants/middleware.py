"""Resolve the active tenant of a browser request from the session."""

from __future__ import annotations

from .selectors import active_memberships

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
