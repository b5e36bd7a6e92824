"""Tells drf-spectacular how API keys are sent, so the schema documents the security scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Per-tenant API key: `Authorization: Bearer sg_<prefix>_<secret>`.",
        }
