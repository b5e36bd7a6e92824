from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import NotFound

from .forms import LoginForm, PreferencesForm, SwitchTenantForm
from .services import set_time_zone, switch_tenant

login_view = LoginView.as_view(authentication_form=LoginForm)


@login_required
@require_POST
def switch_tenant_view(request):
    form = SwitchTenantForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        tenant = switch_tenant(
            session=request.session, user=request.user, tenant_id=form.cleaned_data["tenant"]
        )
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("You are now working in %(tenant)s.") % {"tenant": tenant.name})
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "dashboard"
    return redirect(target)


@login_required
@require_http_methods(["GET", "POST"])
def preferences_view(request):
    """A person's own settings: the time zone they read and enter times in."""
    tenant_zone = request.tenant.time_zone if request.tenant else settings.TIME_ZONE
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        initial={"time_zone": request.user.time_zone},
        tenant_zone=tenant_zone,
    )
    if request.method == "POST":
        if form.is_valid():
            set_time_zone(user=request.user, time_zone=form.cleaned_data["time_zone"])
            messages.success(request, _("Your preferences are saved."))
            return redirect("preferences")
        return render(request, "tenants/preferences.html", {"form": form}, status=400)
    return render(request, "tenants/preferences.html", {"form": form})
