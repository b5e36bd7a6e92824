"""Baseline views, mounted only by bench/urls.py in benchmark runs."""

from __future__ import annotations

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils.dateparse import parse_datetime
from rest_framework.response import Response
from rest_framework.views import APIView

from .floor import eligible_json


def minimal_json(request):
    """The cheapest Django JSON answer: the framework's own floor on this server."""
    return JsonResponse({"ok": True})


class MinimalDRF(APIView):
    """A DRF view with the project's default authentication (API key) and permission."""

    def get(self, request):
        return Response({"ok": True})


def floor_eligible(request):
    """The eligibility rows through the raw psycopg connection, serialised with json.dumps."""
    connection.ensure_connection()
    body = eligible_json(
        connection.connection,
        tenant_id=int(request.GET["tenant"]),
        code=request.GET["code"],
        start=parse_datetime(request.GET["start"]),
        end=parse_datetime(request.GET["end"]),
    )
    return HttpResponse(body, content_type="application/json")
