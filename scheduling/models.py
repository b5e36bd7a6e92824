"""Shift assignments (guarded in the database) and idempotent API answers."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from certification.models import Certification, SkillGroup
from tenants.models import Membership, TenantScopedModel


class AssignmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class AssignmentSource(models.TextChoices):
    ROSTER = "roster", _("Roster page")
    API = "api", _("API")
    ADMIN = "admin", _("Administration")


class ShiftAssignment(TenantScopedModel):
    Status = AssignmentStatus
    Source = AssignmentSource

    # No index of their own on the three keys: every query of shifts starts with the tenant
    # (the indexes in Meta), and a scheduler writes shifts 10,000 at a time, paying each index
    # per row. Only deleting a parent looks shifts up by key alone, and that is rare or
    # impossible: certifications are never deleted (their append-only events protect them); a
    # membership or skill group with shifts is protected, so its delete is one scan of a
    # tenant-first index. Figures in docs/decisions.md.
    membership = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("agent"),
        db_index=False,
    )
    skill_group = models.ForeignKey(
        SkillGroup, on_delete=models.PROTECT, related_name="assignments", db_index=False
    )
    certification = models.ForeignKey(
        Certification,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        db_index=False,
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    external_ref = models.CharField(_("external reference"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("shift assignment")
        verbose_name_plural = _("shift assignments")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AssignmentStatus.values), name="shiftassignment_status_known"
            ),
            models.CheckConstraint(
                condition=Q(source__in=AssignmentSource.values), name="shiftassignment_source_known"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="assignment_window_order"
            ),
            models.CheckConstraint(
                condition=Q(status="scheduled") | ~Q(cancel_reason=""),
                name="assignment_cancel_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "skill_group", "starts_at"], name="assign_group_start"),
            models.Index(fields=["tenant", "membership", "starts_at"], name="assign_agent_start"),
            models.Index(
                fields=["tenant", "certification"],
                condition=Q(status="scheduled"),
                name="assign_live_by_cert",
            ),
        ]

    def __str__(self) -> str:
        # Shown in the admin: local time (the viewer's zone) in the language's format.
        starts = date_format(timezone.localtime(self.starts_at), "SHORT_DATETIME_FORMAT")
        return f"{self.membership} · {self.skill_group.code} · {starts}"


class IdempotencyRecord(TenantScopedModel):
    """The first answer to a request carrying an Idempotency-Key, replayed on retries."""

    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="idempotency_unique_key")
        ]
