SCHEDULE = {
    "scheduling-purge-idempotency-records": {
        "task": "scheduling.tasks.purge_idempotency_records",
        "schedule": 3600.0,
    },
}
