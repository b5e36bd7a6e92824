"""The events scheduling publishes (see events.schemas). ``assignment.cancelled`` is written by
``scheduling.services.cancel_assignment`` and, when a certification stops covering a shift, by
the database cascade (scheduling/dbguard.py): both write these fields."""

from events.schemas import declare

ASSIGNMENT_FIELDS = {
    "assignment_id": "integer",
    "employee_id": "string",
    "skill_group": "string",
    "starts_at": "date-time",
    "ends_at": "date-time",
    "external_ref": "string",
    "status": "string",
    "source": "string",
    "certification_id": "integer?",
}

CREATED = declare(
    "assignment.created",
    version=1,
    description="A shift was scheduled (API, roster page or admin).",
    fields=ASSIGNMENT_FIELDS,
)
CANCELLED = declare(
    "assignment.cancelled",
    version=1,
    description=(
        "A shift was cancelled: by a person (`reason_code` `cancelled_by_user`, `cancelled_by` "
        "names them) or because its certification stopped covering it (`certification_revoked`, "
        "`certification_expired`, `certification_rejected`, `certification_window_changed`, "
        "`certification_deleted`; `cancelled_by` is null)."
    ),
    fields={
        **ASSIGNMENT_FIELDS,
        "reason": "string",
        "reason_code": "string",
        "cancelled_by": "string?",
    },
)
