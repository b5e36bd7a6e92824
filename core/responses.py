"""Answers given outside DRF (middleware, handler404/500), in the format of the surface they
answer: the API's JSON error body under /api/, a page elsewhere."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from .api_errors import error_body


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def api_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


def bad_request(request, message: str, code: str = "invalid") -> HttpResponse:
    """The API's JSON error body under /api/, else the normal 400 page showing ``message``."""
    if is_api(request):
        return api_error(code, message, 400)
    return render(request, "400.html", {"message": message}, status=400)
