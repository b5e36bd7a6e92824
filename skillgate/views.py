"""The dashboard composes one panel per app; each app contributes ``dashboard_context``."""

import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache

from core.appmodules import app_modules
from core.responses import api_error, is_api
from tenants.mixins import tenant_view

RETRY_AFTER_SECONDS = 5


def _panels(request):
    panels = []
    for app, module in app_modules("dashboard"):
        if not hasattr(module, "dashboard_context"):
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


def bad_request(request, exception):
    """handler400: what Django itself refuses before any view (a multipart body it cannot
    parse, a disallowed host, too many fields) answers the API's JSON error body under /api/;
    elsewhere Django's page. The exception's text stays in the log: for a suspicious request
    Django keeps it from the client on purpose."""
    if is_api(request):
        if isinstance(exception, MultiPartParserError):
            return api_error("malformed_body", _("The request body could not be parsed."), 400)
        return api_error("bad_request", _("The request was refused as malformed."), 400)
    return defaults.bad_request(request, exception)


def page_not_found(request, exception):
    """handler404: under /api/ the API's JSON error body (the same as an unknown id's), so a
    client that mistypes a path reads a not_found code instead of an HTML page; elsewhere
    Django's page."""
    if is_api(request):
        return api_error("not_found", _("Not found."), 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: while the database is unreachable (a crash, a failover) answer 503 with
    Retry-After, so browsers' autosave and the scheduler retry instead of reporting a bug.
    Nothing half-written results: every service runs in one transaction, which the database
    rolled back. Django calls this inside its exception handler, so sys.exc_info() is set,
    whether the error came from a view or from a middleware."""
    exc = sys.exc_info()[1]
    if not isinstance(exc, OperationalError | InterfaceError):
        return defaults.server_error(request)
    message = _("The service is briefly unavailable. Please try again in a few seconds.")
    if is_api(request) or "application/json" in request.headers.get("Accept", ""):
        response = api_error("service_unavailable", message, 503)
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
