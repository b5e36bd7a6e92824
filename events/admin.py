"""Admin of events: webhook endpoints (secret shown once on creation), deliveries (read-only,
replay action) and the outbox (read-only)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from tenants.admin_site import admin_site
from tenants.mixins import ReadOnlyTenantAdmin, TenantInlineMixin, TenantModelAdmin

from . import services
from .forms import WebhookEndpointForm
from .models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint


class ReadOnlyAdmin(ReadOnlyTenantAdmin):
    """Rows written only by services and triggers: visible, never edited here."""


@admin.register(WebhookEndpoint, site=admin_site)
class WebhookEndpointAdmin(TenantModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "active", "event_types", "created_at"]
    list_filter = ["active"]

    def get_fields(self, request, obj=None):
        fields = ["url", "event_types", "active"]
        return ["tenant", *fields] if request.user.is_superuser and obj is None else fields

    def save_model(self, request, obj, form, change):
        # Both paths go through the services, which check the URL like the form did.
        if change:
            services.update_webhook_endpoint(
                tenant=obj.tenant,
                endpoint_id=obj.pk,
                url=obj.url,
                event_types=obj.event_types or [],
                active=obj.active,
            )
            return
        tenant = obj.tenant if request.user.is_superuser else request.tenant
        created = services.create_webhook_endpoint(
            tenant=tenant, url=obj.url, event_types=obj.event_types or [], active=obj.active
        )
        obj.pk = created.endpoint.pk
        obj.__dict__.update(created.endpoint.__dict__)
        messages.warning(
            request,
            _("Copy the signing secret now, it is shown only once: %(secret)s")
            % {"secret": created.secret},
        )


class WebhookAttemptInline(TenantInlineMixin, admin.TabularInline):
    model = WebhookAttempt
    fields = ["at", "status_code", "duration_ms", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery, site=admin_site)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "endpoint", "status", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["status"]
    list_select_related = ["event", "endpoint"]
    readonly_fields = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
    ]
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    def has_replay_permission(self, request):
        return request.user.is_superuser or self._role(request) in self.admin_roles

    @admin.action(description=_("Replay selected deliveries"), permissions=["replay"])
    def replay(self, request, queryset):
        for delivery in queryset:
            services.replay_delivery(tenant=delivery.tenant, delivery_id=delivery.pk)
        messages.success(
            request, _("Queued %(count)d delivery(ies) again.") % {"count": len(queryset)}
        )


@admin.register(OutboxEvent, site=admin_site)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["pk", "event_type", "created_at", "dispatched_at"]
    list_filter = ["event_type"]
    readonly_fields = ["event_type", "payload", "created_at", "dispatched_at"]
