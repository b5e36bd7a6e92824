from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import NotFound

from .forms import LoginForm, SwitchTenantForm
from .services import switch_tenant

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
