from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from tenants.admin_site import admin_site

from .mixins import TenantModelAdmin
from .models import ApiKey, Membership, Role, Team, Tenant, User
from .services import create_api_key, create_member, revoke_api_key


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """Platform-level rows: only platform superusers may see them."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.none()

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # For everybody else an existing row and a missing one answer the same plain 404 (the
        # history view would otherwise answer 403 for one and "doesn't exist" for the other).
        if request.user.is_superuser:
            return super()._get_obj_does_not_exist_redirect(request, opts, object_id)
        raise Http404


@admin.register(Tenant, site=admin_site)
class TenantAdmin(SuperuserOnlyAdmin):
    list_display = ["name", "slug", "time_zone", "default_language", "active"]
    search_fields = ["name", "slug"]


@admin.register(User, site=admin_site)
class UserAdmin(SuperuserOnlyAdmin, BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Profile"), {"fields": ["display_name", "time_zone"]}),
    )


@admin.register(Team, site=admin_site)
class TeamAdmin(TenantModelAdmin):
    list_display = ["name", "lead"]
    search_fields = ["name"]
    list_select_related = ["lead__user"]
    read_roles = {Role.TRAINER}


class NewMemberForm(forms.ModelForm):
    """Creates the person and their membership in one step, so a tenant admin never picks from
    (or sees) the platform's list of users."""

    username = forms.CharField(label=_("username"), max_length=150)
    display_name = forms.CharField(label=_("display name"), max_length=150)
    email = forms.EmailField(label=_("email address"), required=False)
    password = forms.CharField(label=_("initial password"), widget=forms.PasswordInput)

    class Meta:
        model = Membership
        fields = ["employee_id", "role", "team", "active"]

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is already taken."))
        return username

    def clean_password(self):
        from django.contrib.auth.password_validation import validate_password

        password = self.cleaned_data["password"]
        validate_password(password)
        return password


@admin.register(Membership, site=admin_site)
class MembershipAdmin(TenantModelAdmin):
    list_display = ["employee_id", "user", "role", "team", "active"]
    list_filter = ["role", "active", "team"]
    search_fields = ["employee_id", "user__username", "user__display_name"]
    list_select_related = ["user", "team"]
    readonly_fields = ["user", "joined_at"]
    read_roles = {Role.TRAINER}

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = NewMemberForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            fields = ["username", "display_name", "email", "password", *NewMemberForm.Meta.fields]
            return ["tenant", *fields] if request.user.is_superuser else fields
        return ["user", "employee_id", "role", "team", "active", "joined_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        created = create_member(
            tenant=obj.tenant if request.user.is_superuser else request.tenant,
            username=data["username"],
            display_name=data["display_name"],
            email=data.get("email") or "",
            password=data["password"],
            role=data["role"],
            employee_id=data["employee_id"],
            team=data.get("team"),
            active=data.get("active", True),
        )
        obj.pk = created.pk
        obj.__dict__.update(created.__dict__)


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["tenant", "name"]


@admin.register(ApiKey, site=admin_site)
class ApiKeyAdmin(TenantModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["tenant", "name"] if request.user.is_superuser else ["name"]
        return ["name", *self.readonly_fields]

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Keys are revoked, never deleted, so the audit trail keeps who called the API.
        return False

    def save_model(self, request, obj, form, change):
        tenant = obj.tenant if request.user.is_superuser else request.tenant
        issued = create_api_key(tenant=tenant, name=obj.name, created_by=request.user)
        obj.pk = issued.api_key.pk
        obj.__dict__.update(issued.api_key.__dict__)
        messages.warning(
            request,
            _("Copy this key now, it is shown only once: %(key)s") % {"key": issued.raw_key},
        )

    @admin.action(description=_("Revoke selected API keys"))
    def revoke(self, request, queryset):
        for api_key in queryset:
            revoke_api_key(api_key=api_key)
        messages.success(request, _("Revoked %(count)d API key(s).") % {"count": len(queryset)})
