"""Skill groups, their requirements, certifications and the append-only event chain."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.db.roles import append_only
from tenants.dbkeys import tenant_row_key
from tenants.models import Membership, TenantScopedModel
from training.models import Curriculum, Industry, Quiz

# Reminders before expiry: at most this many, each between 1 and this many days ahead.
MAX_REMINDERS = 5
MAX_REMINDER_DAYS = 365


def default_reminder_schedule() -> list[int]:
    return [60, 30, 7]


def validate_reminder_schedule(value: list[int]) -> None:
    if len(value) > MAX_REMINDERS:
        raise ValidationError(
            _("At most %(count)d reminders."), code="too_many", params={"count": MAX_REMINDERS}
        )
    if any(not 1 <= days <= MAX_REMINDER_DAYS for days in value):
        raise ValidationError(
            _("Each reminder is between 1 and %(max)d days before expiry."),
            code="out_of_range",
            params={"max": MAX_REMINDER_DAYS},
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("Each reminder day may appear only once."), code="duplicate")


class AllBetween(Func):
    """``low <= ALL(array) AND high >= ALL(array)``: every element of an array column within
    bounds (true for an empty array), for a check constraint."""

    output_field = models.BooleanField()

    def __init__(self, expression, *, low: int, high: int):
        super().__init__(expression, low=int(low), high=int(high))

    def as_sql(self, compiler, connection, **extra_context):
        # The array appears twice, so its parameters do too: when Django validates the
        # constraint in Python (model forms) the column is a bound value, not a name.
        sql, params = compiler.compile(self.get_source_expressions()[0])
        low, high = int(self.extra["low"]), int(self.extra["high"])
        return f"({low} <= ALL({sql}) AND {high} >= ALL({sql}))", [*params, *params]


class SkillGroup(TenantScopedModel):
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    industries = models.ManyToManyField(
        Industry, related_name="skill_groups", blank=True, verbose_name=_("industries")
    )
    validity_days = models.PositiveIntegerField(_("validity (days)"), default=365)
    requires_approval = models.BooleanField(_("team lead must approve"), default=True)
    reminder_schedule = ArrayField(
        models.PositiveSmallIntegerField(),
        verbose_name=_("reminders before expiry (days)"),
        default=default_reminder_schedule,
        blank=True,
        validators=[validate_reminder_schedule],
        help_text=_(
            "Days before expiry on which the agent is reminded, comma-separated (e.g. 60,30,7); "
            "each is sent once per validity period. Empty: no reminders."
        ),
    )
    target_headcount = models.PositiveIntegerField(_("target headcount"), default=0)
    external_id = models.CharField(_("external id"), max_length=80, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("skill group")
        verbose_name_plural = _("skill groups")
        ordering = ["code"]
        constraints = [
            tenant_row_key("skillgroup"),
            models.UniqueConstraint(fields=["tenant", "code"], name="skillgroup_unique_code"),
            models.CheckConstraint(condition=Q(validity_days__gte=1), name="skillgroup_validity"),
            models.CheckConstraint(
                condition=Q(reminder_schedule__len__lte=MAX_REMINDERS)
                & Q(AllBetween("reminder_schedule", low=1, high=MAX_REMINDER_DAYS)),
                name="skillgroup_reminder_schedule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        super().clean()
        if self.validity_days and any(d >= self.validity_days for d in self.reminder_schedule):
            raise ValidationError(
                {
                    "reminder_schedule": _(
                        "A reminder must come before the expiry of a fresh certification: "
                        "fewer days than the validity (%(days)d)."
                    )
                    % {"days": self.validity_days}
                }
            )

    @property
    def reminder_window_days(self) -> int:
        """How long before expiry a certification counts as expiring: its first reminder."""
        return max(self.reminder_schedule, default=0)


class Requirement(TenantScopedModel):
    """One thing a skill group needs: a curriculum completed, or a quiz passed with a minimum
    score. Curriculum requirements name a curriculum code through a version; any completed
    version at or above it counts."""

    skill_group = models.ForeignKey(
        SkillGroup, on_delete=models.CASCADE, related_name="requirements"
    )
    curriculum = models.ForeignKey(
        Curriculum,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("curriculum to complete"),
    )
    quiz = models.ForeignKey(
        Quiz,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("quiz to pass"),
    )
    min_score_percent = models.PositiveSmallIntegerField(
        _("minimum score (%)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        constraints = [
            models.CheckConstraint(
                condition=(Q(curriculum__isnull=False) & Q(quiz__isnull=True))
                | (Q(curriculum__isnull=True) & Q(quiz__isnull=False)),
                name="requirement_exactly_one_target",
            ),
            models.CheckConstraint(
                condition=Q(min_score_percent__isnull=True) | Q(min_score_percent__lte=100),
                name="requirement_min_score_range",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "skill_group"], name="requirement_tenant_group")]


class CertificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REJECTED = "rejected", _("Rejected")
    REVOKED = "revoked", _("Revoked")


class Certification(TenantScopedModel):
    Status = CertificationStatus

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="certifications", verbose_name=_("agent")
    )
    skill_group = models.ForeignKey(
        SkillGroup, on_delete=models.PROTECT, related_name="certifications"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    grace_until = models.DateTimeField(
        _("recertify by"),
        null=True,
        blank=True,
        help_text=_("Set when a new curriculum version requires recertification."),
    )
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("comment"), blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    reminded_at = models.DateTimeField(
        _("reminded at"),
        null=True,
        blank=True,
        help_text=_("The first expiry reminder of the current validity period."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("last reminder (days before expiry)"),
        null=True,
        blank=True,
        help_text=_("The latest reminder of the schedule sent in the current validity period."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["-created_at"]
        constraints = [
            tenant_row_key("certification"),
            models.CheckConstraint(
                condition=Q(status__in=CertificationStatus.values),
                name="certification_status_known",
            ),
            # One live certification (pending or active) per agent and skill group.
            models.UniqueConstraint(
                fields=["tenant", "membership", "skill_group"],
                condition=Q(status__in=["pending", "active"]),
                name="certification_one_live",
            ),
            models.CheckConstraint(
                condition=~Q(status="active")
                | (Q(valid_from__isnull=False) & Q(valid_until__isnull=False)),
                name="certification_active_has_window",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=F("valid_from")),
                name="certification_window_order",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "skill_group", "status", "valid_until"],
                name="cert_group_status_until",
            ),
            # An agent's certifications (by status), and one agent's in one skill group: the
            # scheduler's eligibility check, bulk assignment and the database guard's lookup.
            models.Index(
                fields=["tenant", "membership", "skill_group", "status"],
                name="cert_agent_group_status",
            ),
            models.Index(
                fields=["tenant", "valid_until"],
                condition=Q(status="active"),
                name="cert_active_until",
            ),
            # The expiry sweep's other half: certifications in a recertification grace period.
            models.Index(
                fields=["tenant", "grace_until"],
                condition=Q(status="active", grace_until__isnull=False),
                name="cert_active_grace",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership} · {self.skill_group.code} · {self.status}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("certification:detail", kwargs={"pk": self.pk})


@append_only
class CertificationEvent(TenantScopedModel):
    """Append-only history of a certification. Each row has the next number of its tenant's
    sequence and a keyed hash (certification.chain) of its content and the previous row's hash,
    so an edit, a removal or a forged row behind the application's back is detectable."""

    certification = models.ForeignKey(
        Certification, on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    seq = models.BigIntegerField(_("sequence number"))
    at = models.DateTimeField(_("at"))
    old_status = models.CharField(_("old status"), max_length=10, blank=True)
    new_status = models.CharField(_("new status"), max_length=10)
    reason = models.TextField(_("reason"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    key_id = models.CharField(_("key id"), max_length=16)

    class Meta:
        verbose_name = _("certification event")
        verbose_name_plural = _("certification events")
        ordering = ["pk"]
        indexes = [models.Index(fields=["tenant", "at"], name="certevent_tenant_at")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "seq"], name="certevent_tenant_seq"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="certevent_seq_positive"),
        ]


@append_only
class ChainCheckpoint(TenantScopedModel):
    """A signed statement of a tenant's chain head at one moment: its sequence number and hash,
    and how many events the tenant had. Written periodically (and before an export), published
    to the outside as ``certification.checkpoint`` and exportable to a file, so that events cut
    from the chain's end, or the whole table emptied, no longer pass verification. Append-only."""

    seq = models.BigIntegerField(_("head sequence number"))
    head_hash = models.CharField(_("head hash"), max_length=64)
    count = models.BigIntegerField(_("events counted"))
    at = models.DateTimeField(_("at"))
    key_id = models.CharField(_("key id"), max_length=16)
    signature = models.CharField(_("signature"), max_length=64)

    class Meta:
        verbose_name = _("chain checkpoint")
        verbose_name_plural = _("chain checkpoints")
        ordering = ["pk"]
        indexes = [models.Index(fields=["tenant", "at"], name="checkpoint_tenant_at")]

    def __str__(self) -> str:
        return f"#{self.seq} @ {date_format(timezone.localtime(self.at), 'DATETIME_FORMAT')}"


class Notification(TenantScopedModel):
    """An in-app message to one agent (certification decisions, reminders)."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="+", verbose_name=_("agent")
    )
    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    message = models.TextField(_("message"), help_text=_("As sent, in the tenant's language."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["tenant", "membership", "created_at"], name="notification_inbox")
        ]

    def __str__(self) -> str:
        return self.message[:80]

    @property
    def text(self) -> str:
        """The message in the reader's language (falls back to the stored text)."""
        from .messages import notification_text

        if not self.params:
            return self.message
        try:
            return notification_text(self.kind, self.params)[1]
        except (KeyError, TypeError, ValueError):
            return self.message


class EmailMessage(TenantScopedModel):
    """Outbox of mail: written in the transaction of the change, sent by a Celery task with
    retries after commit, so a mail server outage never fails or loses a decision."""

    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("email message")
        verbose_name_plural = _("email messages")
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["tenant", "created_at"],
                condition=Q(sent_at__isnull=True),
                name="email_unsent",
            ),
            models.Index(fields=["tenant", "created_at"], name="email_tenant_created"),
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class SweepMark(models.Model):
    """When a periodic sweep last ran (one row per sweep name); lets the catch-up sweep look
    only at training progress since then. Platform-wide bookkeeping, not tenant data."""

    name = models.CharField(max_length=60, unique=True)
    last_run_at = models.DateTimeField()

    class Meta:
        verbose_name = _("sweep mark")
        verbose_name_plural = _("sweep marks")

    def __str__(self) -> str:
        return self.name
