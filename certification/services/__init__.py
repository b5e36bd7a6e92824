"""State changes of certifications (the use cases of the certification app).

The package exports the public functions of its modules, so callers keep writing
``from certification import services`` and ``services.approve_certification(...)``.
"""

from .changes import event_payload
from .decisions import (
    add_requirement,
    approve_certification,
    bulk_approve,
    check_may_decide,
    led_team_ids,
    led_teams,
    reinstate_certification,
    reject_certification,
    revoke_certification,
)
from .evaluation import evaluate_agent, evaluate_recent_progress
from .expiry import expire_due_certifications
from .notifications import deliver_email, mark_notifications_read, unsent_email_ids
from .recertification import grace_days, send_expiry_reminders, start_recertification

__all__ = [
    "add_requirement",
    "approve_certification",
    "bulk_approve",
    "check_may_decide",
    "deliver_email",
    "evaluate_agent",
    "evaluate_recent_progress",
    "event_payload",
    "expire_due_certifications",
    "grace_days",
    "led_team_ids",
    "led_teams",
    "mark_notifications_read",
    "reinstate_certification",
    "reject_certification",
    "revoke_certification",
    "send_expiry_reminders",
    "start_recertification",
    "unsent_email_ids",
]
