"""Domain errors: a machine-readable code plus a translated message, mapped to HTTP in one place
(core.api_errors for the API; views show the message next to the form)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None):
        super().__init__(str(message))
        self.message = str(message)
        if code is not None:
            self.code = code
        self.details = details


class InvalidInput(DomainError):
    status = 400
    code = "invalid"


class NotPermitted(DomainError):
    status = 403
    code = "not_permitted"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unprocessable(DomainError):
    status = 422
    code = "unprocessable"
