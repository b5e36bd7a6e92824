"""Celery tasks of scheduling: thin wrappers over services, safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(name="scheduling.tasks.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return services.purge_idempotency_records(
        older_than=timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    )
