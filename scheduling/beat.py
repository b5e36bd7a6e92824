import os

SCHEDULE = {
    "scheduling-sweep": {
        "task": "scheduling.tasks.sweep",
        "schedule": float(os.environ.get("SCHEDULING_SWEEP_SECONDS", "60")),
    },
    "scheduling-purge-idempotency-records": {
        "task": "scheduling.tasks.purge_idempotency_records",
        "schedule": 3600.0,
    },
}
