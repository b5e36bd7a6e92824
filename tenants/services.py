"""State changes of tenants, memberships and API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, InvalidInput, NotFound

from .models import ApiKey, Membership, Role, Team, Tenant, User
from .timezones import zone_named

KEY_PREFIX = "sg"
# last_used_at is refreshed at most this often, so a busy scheduler does not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyError(DomainError):
    status = 401


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw_key: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_key(*, tenant: Tenant, name: str, created_by: User | None) -> IssuedKey:
    """Create a key and return its secret once; only a SHA-256 of the secret is stored.

    Keys are 32 random bytes, so a fast hash is enough (no password stretching needed)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        tenant=tenant, name=name, prefix=prefix, key_hash=_hash(secret), created_by=created_by
    )
    return IssuedKey(api_key=api_key, raw_key=f"{KEY_PREFIX}_{prefix}_{secret}")


def revoke_api_key(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key; idempotent (a revoked key keeps its first revocation time)."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key


def authenticate_api_key(*, raw_key: str) -> ApiKey:
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        raise ApiKeyError(_("The API key is malformed."), code="malformed_api_key")
    api_key = ApiKey.objects.select_related("tenant").filter(prefix=parts[1]).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash(parts[2])):
        raise ApiKeyError(_("The API key is not known."), code="unknown_api_key")
    if api_key.revoked_at is not None:
        raise ApiKeyError(_("The API key has been revoked."), code="revoked_api_key")
    if not api_key.tenant.active:
        raise ApiKeyError(_("The tenant of this API key is inactive."), code="inactive_tenant")
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def set_time_zone(*, user: User, time_zone: str) -> None:
    """Set (or with "" clear, to follow the tenant's) the zone a person sees times in."""
    if time_zone and zone_named(time_zone) is None:
        raise InvalidInput(
            _("“%(value)s” is not a known time zone.") % {"value": time_zone}, code="time_zone"
        )
    User.objects.filter(pk=user.pk).update(time_zone=time_zone)
    user.time_zone = time_zone


def switch_tenant(*, session, user: User, tenant_id: int) -> Tenant:
    """Make ``tenant_id`` the active tenant of a session; 404-like if not a member."""
    membership = (
        Membership.objects.filter(user=user, tenant_id=tenant_id, active=True, tenant__active=True)
        .select_related("tenant")
        .first()
    )
    if membership is None:
        raise NotFound(_("Not found."))
    session["tenant_id"] = membership.tenant_id
    return membership.tenant


@transaction.atomic
def create_member(
    *,
    tenant: Tenant,
    username: str,
    display_name: str,
    email: str,
    password: str,
    role: str = Role.AGENT,
    employee_id: str,
    team: Team | None = None,
    active: bool = True,
) -> Membership:
    """Create a person and their membership of ``tenant`` together (both or neither). The team
    must belong to the same tenant."""
    if team is not None and team.tenant_id != tenant.pk:
        raise NotFound(_("Not found."))
    user = User.objects.create_user(
        username=username, email=email, password=password, display_name=display_name
    )
    return Membership.objects.create(
        tenant=tenant, user=user, role=role, employee_id=employee_id, team=team, active=active
    )
