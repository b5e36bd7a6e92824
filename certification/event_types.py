"""The events certification publishes (see events.schemas): one per state a certification
enters, all with the outside world's view of the certification."""

from events.schemas import declare

FIELDS = {
    "certification_id": "integer",
    "employee_id": "string",
    "skill_group": "string",
    "external_id": "string",
    "status": "string",
    "valid_from": "date-time?",
    "valid_until": "date-time?",
    "reason": "string",
}

PENDING = declare(
    "certification.pending",
    version=1,
    description="Requirements met; the certification waits for a team lead's approval.",
    fields=FIELDS,
)
ACTIVATED = declare(
    "certification.activated",
    version=1,
    description="The certification is active (created, approved, renewed or reinstated).",
    fields=FIELDS,
)
REJECTED = declare(
    "certification.rejected",
    version=1,
    description="A team lead rejected the request; `reason` is the comment.",
    fields=FIELDS,
)
REVOKED = declare(
    "certification.revoked",
    version=1,
    description="A team lead revoked the certification; `reason` says why.",
    fields=FIELDS,
)
EXPIRED = declare(
    "certification.expired",
    version=1,
    description="The validity ended (or a recertification deadline passed).",
    fields=FIELDS,
)
CHECKPOINT = declare(
    "certification.checkpoint",
    version=1,
    description=(
        "A signed checkpoint of the tenant's certification event chain: its head (`seq`, "
        "`head_hash`), the events counted and when. Keep these: `manage.py "
        "verify_certification_events` detects events later cut from the chain against them."
    ),
    fields={
        "checkpoint_id": "integer",
        "seq": "integer",
        "head_hash": "string",
        "count": "integer",
        "at": "date-time",
        "key_id": "string",
        "signature": "string",
    },
)
