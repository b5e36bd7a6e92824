"""Tenants, people and machine credentials; the tenant-scoped base every other app uses."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .dbkeys import tenant_row_key
from .timezones import known_zones


def validate_time_zone(value: str) -> None:
    if value not in known_zones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class User(AbstractUser):
    """A person. What they may do depends on their membership in the active tenant."""

    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    # Blank: the tenant's time zone. A person's own zone follows them into every tenant they
    # work for (a lead in Berlin working for a Shanghai centre reads times in Berlin time).
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        default="",
        # Rows inserted by SQL (bulk loads, the benchmarks' data set) need no value either.
        db_default="",
        validators=[validate_time_zone],
        help_text=_("Leave empty to use the time zone of the tenant you are working in."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    # What a person is called everywhere; hot paths that read these columns as plain values
    # (thousands of rows) call ``name_of`` rather than building a User per row.
    NAME_FIELDS = ("display_name", "first_name", "last_name", "username")

    @staticmethod
    def name_of(display_name: str, first_name: str, last_name: str, username: str) -> str:
        return display_name or f"{first_name} {last_name}".strip() or username

    def __str__(self) -> str:
        return self.name_of(self.display_name, self.first_name, self.last_name, self.username)


class Tenant(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    default_language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(default_language__in=[code for code, _name in settings.LANGUAGES]),
                name="tenant_language_known",
            ),
        ]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant: Tenant | int) -> TenantQuerySet:
        tenant_id = tenant if isinstance(tenant, int) else tenant.pk
        if tenant_id is None:
            raise ValueError("for_tenant() needs a saved tenant")
        return self.filter(tenant_id=tenant_id)


TenantManager = models.Manager.from_queryset(TenantQuerySet)


class TenantScopedModel(models.Model):
    """Base of every tenant-owned row: a non-null tenant and a manager with for_tenant()."""

    # No index of its own: every tenant-scoped model declares an index or unique constraint
    # that starts with the tenant (checked by tenants.checks), which serves tenant lookups and
    # the tenant's deletion; a second, single-column index would only slow every write.
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("tenant"),
        db_index=False,
    )

    objects = TenantManager()

    class Meta:
        abstract = True


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    TEAM_LEAD = "team_lead", _("Team lead")
    TRAINER = "trainer", _("Trainer")
    TENANT_ADMIN = "tenant_admin", _("Tenant admin")


class Team(TenantScopedModel):
    name = models.CharField(_("name"), max_length=120)
    lead = models.ForeignKey(
        "Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
        verbose_name=_("team lead"),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            tenant_row_key("team"),
            models.UniqueConstraint(fields=["tenant", "name"], name="team_unique_name_per_tenant"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TenantScopedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    employee_id = models.CharField(_("employee id"), max_length=40)
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("team"),
    )
    active = models.BooleanField(_("active"), default=True)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["employee_id"]
        constraints = [
            tenant_row_key("membership"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_known"),
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_one_per_tenant"),
            models.UniqueConstraint(
                fields=["tenant", "employee_id"], name="membership_unique_employee_id"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "team", "role"], name="membership_team_role")]

    def __str__(self) -> str:
        return f"{self.user} ({self.employee_id})"

    @property
    def is_lead(self) -> bool:
        return self.role == Role.TEAM_LEAD

    @property
    def can_manage_all_teams(self) -> bool:
        return self.role in (Role.TENANT_ADMIN, Role.TRAINER)


class ApiKey(TenantScopedModel):
    """A machine credential of one tenant. Only a hash of the secret is stored."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"],
                condition=Q(revoked_at__isnull=True),
                name="apikey_unique_active_name",
            )
        ]
        indexes = [models.Index(fields=["tenant", "created_at"], name="apikey_tenant_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
