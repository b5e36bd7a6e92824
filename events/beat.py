import os

SCHEDULE = {
    "events-sweep": {
        "task": "events.tasks.sweep",
        "schedule": float(os.environ.get("EVENTS_SWEEP_SECONDS", "60")),
    },
    "events-purge-delivered": {
        "task": "events.tasks.purge_delivered_events",
        "schedule": 24 * 3600.0,
    },
}
