from tenants.models import ApiKey, Membership, Team, Tenant, User
from tenants.services import create_api_key

from ..factories import MembershipFactory, TeamFactory
from ..isolation import MISSING_INT, IdProbe

CASES: list = []

MAKERS = {
    Team: lambda w: TeamFactory(tenant=w.tenant),
    Membership: lambda w: MembershipFactory(tenant=w.tenant),
    ApiKey: lambda w: create_api_key(tenant=w.tenant, name="iso", created_by=None).api_key,
}

GLOBAL_URLS = {
    "password_reset_confirm": "token URL of Django's password reset; no tenant object",
    "set_language": "no object id",
    "javascript-catalog": "no object id",
}

# Superuser-only admins of rows without a tenant: a row tied to tenant A, for the history/change
# pages that must answer tenant B's admin like a missing id.
PLATFORM_ROWS = {
    Tenant: lambda w: w.tenant,
    User: lambda w: w.admin.user,
}

GLOBAL_MODELS = {
    "tenants.User": "a person may belong to several tenants; reached only through Membership",
    "tenants.Tenant": "the isolation boundary itself; superuser-only in the admin",
}

LIST_URLS = {
    "switch_tenant": [{}],
    "preferences": [{}],
    "tenants-api:whoami": [{}],
}

ID_PROBES = [
    IdProbe(
        "switch a user into a tenant they are not a member of",
        "switch_tenant",
        inputs=("tenants.forms.SwitchTenantForm.tenant",),
        foreign=lambda ctx: str(ctx.foreign.tenant.pk),
        missing=str(MISSING_INT),
        request=lambda ctx, value: {"data": {"tenant": value, "next": "/"}},
        clients=("agent", "lead", "admin"),
    ),
]

# Keys views read from the query string or body, and form fields, that are not ids.
NOT_IDS = {
    "tenants.views:next": "where to go after switching: a local URL",
    "tenants.forms.PreferencesForm.time_zone": "an IANA time zone name, not an id",
    "tenants.admin_site:next": "where to go after signing in to the admin: a URL",
    "tenants.forms.LoginForm.username": "the name a person signs in with, looked up globally",
    "tenants.forms.LoginForm.password": "a password",
}
