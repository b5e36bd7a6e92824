"""Celery tasks: thin wrappers over certification.services, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from tenants.models import Membership, Tenant
from training.models import Curriculum

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="certification.tasks.evaluate_agent")
def evaluate_agent(tenant_id: int, membership_id: int) -> int:
    """Create the certifications an agent now qualifies for (idempotent)."""
    membership = (
        Membership.objects.filter(pk=membership_id, tenant_id=tenant_id, active=True)
        .select_related("tenant")
        .first()
    )
    if membership is None:
        logger.warning(
            "evaluate_agent: membership %s of tenant %s not found", membership_id, tenant_id
        )
        return 0
    return len(services.evaluate_agent(tenant=membership.tenant, membership=membership))


@shared_task(name="certification.tasks.start_recertification")
def start_recertification(tenant_id: int, curriculum_id: int) -> int:
    """Give holders affected by a recertification-requiring version their deadline."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    curriculum = Curriculum.objects.filter(pk=curriculum_id, tenant_id=tenant_id).first()
    if tenant is None or curriculum is None:
        logger.warning(
            "start_recertification: curriculum %s of tenant %s not found", curriculum_id, tenant_id
        )
        return 0
    return services.start_recertification(tenant=tenant, curriculum=curriculum)


@shared_task(name="certification.tasks.expire_certifications")
def expire_certifications() -> int:
    return services.expire_due_certifications()


@shared_task(name="certification.tasks.write_checkpoints")
def write_checkpoints(tenant_ids: list[int] | None = None) -> int:
    """Checkpoint the event chain of every tenant (or of ``tenant_ids``) whose head moved."""
    return len(services.write_checkpoints(tenant_ids=tenant_ids))


@shared_task(name="certification.tasks.send_reminders")
def send_reminders() -> int:
    return services.send_expiry_reminders()


@shared_task(name="certification.tasks.evaluate_recent_progress")
def evaluate_recent_progress() -> int:
    return services.evaluate_recent_progress()


@shared_task(
    name="certification.tasks.send_email",
    bind=True,
    max_retries=int(getattr(settings, "CERT_EMAIL_MAX_RETRIES", 5)),
    default_retry_delay=60,
)
def send_email(self, email_id: int) -> bool:
    try:
        return services.deliver_email(email_id=email_id)
    except Exception as exc:  # noqa: BLE001 - any mail failure is retried with backoff
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            logger.warning("email %s not sent (%s); the mail sweep retries it", email_id, exc)
            return False
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(name="certification.tasks.send_emails")
def send_emails(email_ids: list[int]) -> int:
    """Send a batch; one that fails is left to its own retrying task, the others go on."""
    sent = 0
    for email_id in email_ids:
        try:
            sent += services.deliver_email(email_id=email_id)
        except Exception as exc:  # noqa: BLE001 - retried alone, with backoff
            logger.warning("email %s not sent (%s); retrying it on its own", email_id, exc)
            if not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
                send_email.apply_async(args=[email_id], countdown=60, retry=False)
    return sent


@shared_task(name="certification.tasks.send_pending_emails")
def send_pending_emails() -> int:
    """Periodic catch-up for emails whose task message was lost or gave up."""
    sent = 0
    for email_id in services.unsent_email_ids():
        try:
            sent += services.deliver_email(email_id=email_id)
        except Exception:  # noqa: BLE001
            logger.warning("email %s still failing", email_id)
    return sent
