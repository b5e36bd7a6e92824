"""Periodic certification work (merged into CELERY_BEAT_SCHEDULE; no Django imports here)."""

import os

SCHEDULE = {
    "certification-expire": {
        "task": "certification.tasks.expire_certifications",
        "schedule": float(os.environ.get("CERT_EXPIRY_SWEEP_SECONDS", "300")),
    },
    "certification-reminders": {
        "task": "certification.tasks.send_reminders",
        "schedule": float(os.environ.get("CERT_REMINDER_SWEEP_SECONDS", "3600")),
    },
    "certification-evaluate-progress": {
        "task": "certification.tasks.evaluate_recent_progress",
        "schedule": float(os.environ.get("CERT_PROGRESS_SWEEP_SECONDS", "300")),
    },
    "certification-pending-emails": {
        "task": "certification.tasks.send_pending_emails",
        "schedule": float(os.environ.get("CERT_EMAIL_SWEEP_SECONDS", "300")),
    },
    # Events appended after a tenant's last checkpoint can be cut from the chain's end
    # undetected until the next one: this is that window (docs/security.md).
    "certification-checkpoints": {
        "task": "certification.tasks.write_checkpoints",
        "schedule": float(os.environ.get("CERT_CHECKPOINT_SECONDS", "900")),
    },
}
