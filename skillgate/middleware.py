"""Refuse, before any view runs, text that no database column can hold.

PostgreSQL text cannot contain a NUL character (U+0000): a query or a write holding one fails
in the driver with ``DataError``, a 500 wherever user text reaches the database (a path
segment, a query parameter, a form field, a header the API stores). No legitimate request
carries one, so one middleware answers every such request with a plain 400 instead of each
view or form learning the rule: under ``/api/`` the API's JSON error body (code
``invalid_text``), elsewhere the normal 400 page. JSON bodies are checked where they are
parsed (core.jsonbody), because ``\\u0000`` is only a NUL after decoding.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.responses import bad_request

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _holds_nul(items) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in items)


def holds_nul(request) -> bool:
    """Whether the path, the query string, a header or a form field holds a NUL character."""
    if NUL in request.path_info or _holds_nul(request.GET.lists()):
        return True
    if any(NUL in str(value) for key, value in request.META.items() if key.startswith("HTTP_")):
        return True
    if request.method == "POST" and request.content_type in FORM_TYPES:
        return _holds_nul(request.POST.lists())
    return False


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if holds_nul(request):
            return bad_request(
                request,
                _("The request contains a NUL character (U+0000), which is never valid text."),
                code="invalid_text",
            )
        return self.get_response(request)
