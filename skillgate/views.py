"""The dashboard composes one panel per app; each app contributes ``dashboard_context``."""

from importlib import import_module

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from tenants.mixins import tenant_view

DASHBOARD_APPS = ["training", "certification", "scheduling"]


def _panels(request):
    panels = []
    for app in DASHBOARD_APPS:
        try:
            module = import_module(f"{app}.dashboard")
        except ModuleNotFoundError:
            continue
        context = module.dashboard_context(request)
        if context is not None:
            panels.append({"template": f"{app}/_dashboard.html", **context})
    return panels


@tenant_view()
def dashboard(request):
    return render(request, "dashboard.html", {"panels": _panels(request)})


@never_cache
def healthz(request):
    # Answers whether this process can reach its database; the load balancer asks this.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
