"""Admin of scheduling: shifts (read-only, cancel action)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from tenants.admin_site import admin_site
from tenants.mixins import ReadOnlyTenantAdmin

from . import services
from .models import ShiftAssignment


class ReadOnlyAdmin(ReadOnlyTenantAdmin):
    """Rows written only by services and triggers: visible, never edited here."""


@admin.register(ShiftAssignment, site=admin_site)
class ShiftAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["starts_at", "ends_at", "membership", "skill_group", "status", "source"]
    list_filter = ["status", "source", "skill_group"]
    search_fields = ["membership__employee_id", "external_ref"]
    list_select_related = ["membership__user", "skill_group"]
    date_hierarchy = "starts_at"
    actions = ["cancel"]

    def has_cancel_permission(self, request):
        return request.user.is_superuser or self._role(request) in self.admin_roles

    @admin.action(description=_("Cancel selected shifts"), permissions=["cancel"])
    def cancel(self, request, queryset):
        count = 0
        for assignment in queryset.filter(status=ShiftAssignment.Status.SCHEDULED):
            services.cancel_assignment(
                tenant=assignment.tenant,
                assignment_id=assignment.pk,
                reason=str(_("Cancelled in the administration.")),
                actor=request.user,
            )
            count += 1
        messages.success(request, _("Cancelled %(count)d shift(s).") % {"count": count})
