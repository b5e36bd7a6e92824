"""Periodic work of the training app (no Django imports here)."""

SCHEDULE = {
    "training-close-overdue-attempts": {
        "task": "training.tasks.close_overdue_attempts",
        "schedule": 60.0,
    },
}
