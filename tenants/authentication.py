"""API authentication: per-tenant API keys for machines, sessions for people.

A key request carries ``Authorization: Bearer sg_<prefix>_<secret>``. Failures answer 401 with a
JSON body whose code says which problem it was (missing, malformed, unknown, revoked).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions

from .services import ApiKeyError, authenticate_api_key


class ApiKeyUser:
    """The principal of a key-authenticated request: no human, one tenant."""

    is_authenticated = True
    is_active = True
    is_superuser = False
    is_staff = False
    is_anonymous = False
    pk = None
    id = None

    def __init__(self, api_key):
        self.api_key = api_key

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"


class KeyAuthenticationFailed(exceptions.AuthenticationFailed):
    def __init__(self, message: str, code: str):
        super().__init__(detail=message, code=code)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword:
            raise KeyAuthenticationFailed(
                _("The Authorization header must be “Bearer <API key>”."), "malformed_api_key"
            )
        try:
            api_key = authenticate_api_key(raw_key=parts[1])
        except ApiKeyError as exc:
            raise KeyAuthenticationFailed(exc.message, exc.code) from exc
        request._request.tenant = api_key.tenant
        request._request.membership = None
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request):
        return self.keyword


class HasTenant(permissions.BasePermission):
    """Every API request acts inside exactly one tenant: from its key or the session."""

    message = _("Authentication credentials were not provided.")

    def has_permission(self, request, view):
        if request.user is None or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated(
                _("An API key is required: send “Authorization: Bearer <API key>”."),
                code="missing_api_key",
            )
        return getattr(request._request, "tenant", None) is not None
