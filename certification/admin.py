"""Admin: skill groups with their requirements (tenant admins edit, trainers read),
certifications read-mostly (changes only through service-calling actions), events read-only."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from tenants.admin_site import admin_site
from tenants.mixins import ReadOnlyTenantAdmin, TenantInlineMixin, TenantModelAdmin
from tenants.models import Role

from . import services
from .models import Certification, CertificationEvent, Requirement, SkillGroup
from .rules import requirement_problem


class RequirementForm(forms.ModelForm):
    class Meta:
        model = Requirement
        fields = ["curriculum", "quiz", "min_score_percent"]

    def clean(self):
        data = super().clean()
        curriculum, quiz = data.get("curriculum"), data.get("quiz")
        if (curriculum is None) == (quiz is None):
            raise forms.ValidationError(_("Name either a curriculum or a quiz."))
        problem = requirement_problem(curriculum=curriculum, quiz=quiz)
        if problem:
            raise forms.ValidationError(problem)
        return data


class RequirementInline(TenantInlineMixin, admin.TabularInline):
    model = Requirement
    form = RequirementForm
    exclude = ["tenant"]
    extra = 1


@admin.register(SkillGroup, site=admin_site)
class SkillGroupAdmin(TenantModelAdmin):
    list_display = [
        "code",
        "name",
        "validity_days",
        "requires_approval",
        "reminder_schedule",
        "target_headcount",
        "external_id",
        "active",
    ]
    list_filter = ["active", "requires_approval"]
    search_fields = ["code", "name", "external_id"]
    inlines = [RequirementInline]
    read_roles = {Role.TRAINER}
    filter_horizontal = ["industries"]


class ReadOnlyAdmin(ReadOnlyTenantAdmin):
    read_roles = {Role.TRAINER}


@admin.register(Certification, site=admin_site)
class CertificationAdmin(ReadOnlyAdmin):
    list_display = [
        "membership",
        "skill_group",
        "status",
        "valid_from",
        "valid_until",
        "grace_until",
        "decided_by",
        "created_at",
    ]
    list_filter = ["status", "skill_group"]
    search_fields = ["membership__employee_id", "membership__user__username", "skill_group__code"]
    list_select_related = ["membership__user", "skill_group", "decided_by"]
    actions = ["approve_selected", "evaluate_agents"]

    @admin.action(description=_("Approve selected pending certifications"))
    def approve_selected(self, request, queryset):
        if request.membership is None:
            self.message_user(
                request, _("Switch to a tenant membership to decide."), level=messages.ERROR
            )
            return
        approved, refused = services.bulk_approve(
            tenant=request.tenant,
            certification_ids=list(queryset.values_list("pk", flat=True)),
            actor=request.membership,
        )
        self.message_user(request, _("%(count)d approved.") % {"count": len(approved)})
        for pk, why in refused:
            self.message_user(request, f"#{pk}: {why}", level=messages.ERROR)

    @admin.action(description=_("Re-evaluate the agents of the selected certifications"))
    def evaluate_agents(self, request, queryset):
        created = 0
        for cert in queryset.select_related("membership"):
            try:
                created += len(
                    services.evaluate_agent(tenant=request.tenant, membership=cert.membership)
                )
            except DomainError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
        self.message_user(request, _("%(count)d certification(s) changed.") % {"count": created})


@admin.register(CertificationEvent, site=admin_site)
class CertificationEventAdmin(ReadOnlyAdmin):
    list_display = [
        "seq",
        "at",
        "certification",
        "old_status",
        "new_status",
        "actor",
        "reason",
        "request_id",
    ]
    list_filter = ["new_status"]
    search_fields = ["request_id", "reason", "certification__membership__employee_id"]
    list_select_related = ["certification__membership__user", "certification__skill_group", "actor"]
    actions = None
