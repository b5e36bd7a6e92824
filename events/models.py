"""The outbox of events for the outside world, webhook endpoints, deliveries and their tries."""

from __future__ import annotations

from django.db import models
from django.db.models import Func, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from tenants.dbkeys import tenant_row_key
from tenants.models import TenantScopedModel


def current_transaction_id():
    """PostgreSQL's id of the writing transaction (xid8, never wrapping) as a bigint."""
    xid8 = Func(function="pg_current_xact_id", output_field=models.TextField())
    return Cast(Cast(xid8, models.TextField()), models.BigIntegerField())


class OutboxEvent(TenantScopedModel):
    """An event for the outside world, written in the same transaction as the change it
    describes. Webhook delivery and the scheduler's event feed both read from here, so a broker
    outage delays events and never drops them."""

    event_type = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # The transaction that wrote the event, set by the database whoever inserts (services, bulk
    # SQL, the certification cascade trigger). The feed orders by (txid, id) and holds back
    # every transaction still in progress, so a reader can never move past an event that
    # commits later (events.selectors.event_feed).
    txid = models.BigIntegerField(db_default=current_transaction_id(), editable=False)

    class Meta:
        constraints = [
            tenant_row_key("outboxevent"),
        ]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["tenant", "txid", "id"], name="outbox_feed"),
            models.Index(
                fields=["tenant", "created_at"],
                condition=models.Q(dispatched_at__isnull=True),
                name="outbox_undispatched",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.pk}"


class WebhookEndpoint(TenantScopedModel):
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, editable=False)
    event_types = models.JSONField(
        _("event types"), default=list, blank=True, help_text=_("Empty means every event type.")
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        constraints = [
            tenant_row_key("webhookendpoint"),
        ]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        indexes = [models.Index(fields=["tenant", "created_at"], name="webhook_tenant_created")]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")


class WebhookDelivery(TenantScopedModel):
    """One event to one endpoint; retried under the same webhook-id until delivered."""

    Status = DeliveryStatus

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            tenant_row_key("webhookdelivery"),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhookdelivery_status_known"
            ),
            models.UniqueConstraint(fields=["endpoint", "event"], name="delivery_unique"),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_due",
            ),
            # The tenant's deliveries, whatever their status (the admin list, a tenant's
            # deletion); delivery_due covers only the pending ones.
            models.Index(fields=["tenant", "created_at"], name="delivery_tenant_created"),
            # An event's deliveries (dispatch, purge, an event's deletion).
            models.Index(fields=["tenant", "event"], name="delivery_tenant_event"),
        ]


class WebhookAttempt(TenantScopedModel):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["at"]
        indexes = [
            models.Index(fields=["tenant", "delivery"], name="webhookattempt_tenant_delivery")
        ]
