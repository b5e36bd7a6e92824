import os

SCHEDULE = {
    "events-sweep": {
        "task": "events.tasks.sweep",
        "schedule": float(os.environ.get("EVENTS_SWEEP_SECONDS", "60")),
    },
}
