"""The admin site opens to platform superusers and to tenant admins and trainers of the active
tenant; what each sees is decided per model by TenantAdminMixin's role rules."""

from functools import update_wrapper

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tenants.models import Role

ADMIN_SITE_ROLES = {Role.TENANT_ADMIN, Role.TRAINER}


class SkillgateAdminSite(admin.AdminSite):
    site_header = _("Skillgate administration")
    site_title = _("Skillgate")
    index_title = _("Administration")

    def has_permission(self, request):
        if not request.user.is_active:
            return False
        if request.user.is_superuser:
            return True
        membership = getattr(request, "membership", None)
        return membership is not None and membership.role in ADMIN_SITE_ROLES

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            # A signed-in person without an admin role gets a plain 403, not a login loop.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)

    def login(self, request, extra_context=None):
        # One login page for everybody; the admin only decides who may enter afterwards.
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


admin_site = SkillgateAdminSite(name="admin")
