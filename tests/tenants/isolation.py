from tenants.models import ApiKey, Membership, Team, Tenant, User
from tenants.services import create_api_key

from ..factories import MembershipFactory, TeamFactory

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
