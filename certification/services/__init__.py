"""State changes of certifications, one module per concern:

- ``evaluation``: automatic creation and renewal when the requirements are met, and the
  catch-up sweep over recent progress;
- ``decisions``: a lead approves, rejects, bulk-approves, revokes or reinstates;
- ``expiry``: the sweep that expires certifications past their validity or deadline;
- ``recertification``: expiry reminders and recertification deadlines, with enrolment;
- ``requirements``: what a skill group requires;
- ``notifications``: in-app notifications and queued e-mails, and sending them;
- ``checkpoints``: signed checkpoints of each tenant's event chain head, published outside;
- ``changes``: what every change shares (row lock, validity window, the hash-chained
  CertificationEvent, the outbox event and its payload).

Every use case is keyword-only and transactional; each status change appends a hash-chained
CertificationEvent and publishes an outbox event in the same transaction, and in-app
notifications plus queued emails for the agent. Mail leaves only after commit (tasks.py).

The package exports the public functions of its modules, so callers write
``from certification import services`` and ``services.approve_certification(...)``; private
helpers and constants stay in (and are imported from) the module of their concern.
"""

from .changes import event_payload
from .checkpoints import checkpoint_payload, write_checkpoints
from .decisions import (
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
from .requirements import add_requirement

__all__ = [
    # evaluation
    "evaluate_agent",
    "evaluate_recent_progress",
    # decisions
    "approve_certification",
    "bulk_approve",
    "check_may_decide",
    "led_team_ids",
    "led_teams",
    "reinstate_certification",
    "reject_certification",
    "revoke_certification",
    # expiry
    "expire_due_certifications",
    # recertification
    "grace_days",
    "send_expiry_reminders",
    "start_recertification",
    # requirements
    "add_requirement",
    # notifications
    "deliver_email",
    "mark_notifications_read",
    "unsent_email_ids",
    # checkpoints
    "checkpoint_payload",
    "write_checkpoints",
    # changes
    "event_payload",
]
