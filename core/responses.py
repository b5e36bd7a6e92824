"""A 400 answered outside DRF, in the format of the surface it answers."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from .api_errors import error_body


def bad_request(request, message: str, code: str = "invalid") -> HttpResponse:
    """The API's JSON error body under /api/, else the normal 400 page showing ``message``."""
    if request.path_info.startswith("/api/"):
        return JsonResponse(error_body(code, message), status=400)
    return render(request, "400.html", {"message": message}, status=400)
