"""One place that turns every API failure into the same JSON body:

{"error": {"code": "<machine code>", "message": "<human text>", "details": ...}}
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.JSONField(required=False)


class ErrorSerializer(serializers.Serializer):
    """The error body, for the OpenAPI schema."""

    error = ErrorDetailSerializer()


def error_responses() -> dict:
    """The error answers every API view documents (drf-spectacular ``responses``)."""
    from drf_spectacular.utils import OpenApiResponse

    return {
        400: OpenApiResponse(ErrorSerializer, description="Bad input (code says which)."),
        401: OpenApiResponse(ErrorSerializer, description="Missing or bad API key."),
        403: OpenApiResponse(ErrorSerializer, description="Not allowed."),
    }


def document_invalid_cursor(result, generator, request, public):
    """drf-spectacular postprocessing hook: every cursor-paginated list answers 404 not_found
    for a cursor it did not issue (DRF's CursorPagination raises NotFound). Operations that
    already document a 404 (an unknown parent id) get the cursor added to its description."""
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = operation.get("parameters", [])
            if not any((p["name"], p["in"]) == ("cursor", "query") for p in parameters):
                continue
            responses = operation["responses"]
            if "404" in responses:
                description = responses["404"].get("description", "").rstrip(".")
                responses["404"]["description"] = f"{description}, or an invalid cursor."
            else:
                responses["404"] = {"description": "Invalid cursor.", "content": reference}
            responses["404"].setdefault("content", reference)
    return result


def error_body(code: str, message: str, details=None) -> dict:
    body = {"error": {"code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    return body


def not_found_response() -> Response:
    # Identical for a missing object and another tenant's object: nothing leaks.
    return Response(error_body("not_found", _("Not found.")), status=status.HTTP_404_NOT_FOUND)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status)
    if isinstance(exc, Http404 | exceptions.NotFound):
        return not_found_response()
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("validation_error", _("The request is invalid."), exc.detail)
        return response
    if isinstance(exc, exceptions.ParseError):
        response.data = error_body("malformed_body", str(exc.detail))
        return response
    code = getattr(exc, "default_code", "error")
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    if isinstance(detail, dict | list):
        response.data = error_body(code, _("The request failed."), detail)
    else:
        response.data = error_body(getattr(detail, "code", code) or code, str(detail))
    return response
