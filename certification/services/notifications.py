"""Telling the agent about a certification: in-app notifications and e-mails in the tenant's
language and the agent's time zone (their own, else the tenant's), written with one INSERT
each; the e-mails leave after commit, in batches (tasks.py), and the periodic mail sweep picks
up what was not sent."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from django.db import transaction
from django.utils import timezone, translation

from core.db import insert_rows
from tenants.models import Membership, Tenant
from tenants.timezones import viewer_zone

from ..messages import NotificationTexts
from ..models import Certification, EmailMessage, Notification

logger = logging.getLogger(__name__)


def _message_params(
    *,
    group: str,
    valid_until: datetime | None,
    grace_until: datetime | None,
    reason: str = "",
    due: datetime | None = None,
) -> dict:
    # Times are kept as instants (RFC 3339, UTC) and put into a zone only when a text is
    # rendered: the stored message and e-mail in the agent's zone, the in-app list in the
    # viewer's.
    params = {
        "group": group,
        "until": _instant(valid_until),
        "grace": _instant(grace_until),
        "reason": reason,
    }
    if due is not None:
        params["due"] = _instant(due)
    return params


def _instant(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


@dataclass(frozen=True)
class Notice:
    """One in-app notification (and e-mail, if the agent has an address) about a certification."""

    membership_id: int
    certification_id: int
    email: str
    kind: str
    params: dict
    # The agent's zone; None: looked up when the notices are written.
    zone: tzinfo | None = None


def _notify_many(tenant: Tenant, items: list[tuple[Certification, str, str]]) -> None:
    """In-app notification and a queued email for each (certification, kind, reason)."""
    _notify(
        tenant_id=tenant.pk,
        language=tenant.default_language,
        notices=[
            Notice(
                membership_id=cert.membership_id,
                certification_id=cert.pk,
                email=cert.membership.user.email,
                kind=kind,
                params=_message_params(
                    group=cert.skill_group.name,
                    valid_until=cert.valid_until,
                    grace_until=cert.grace_until,
                    reason=reason,
                ),
                zone=viewer_zone(
                    user_zone=cert.membership.user.time_zone, tenant_zone=tenant.time_zone
                ),
            )
            for cert, kind, reason in items
        ],
    )


def _notify(*, tenant_id: int, language: str, notices: list[Notice]) -> None:
    """Write the notifications and queued e-mails (texts in the tenant's language, times in
    each agent's zone) with one INSERT each; the e-mails are queued for sending after commit."""
    if not notices:
        return
    now = timezone.now()
    notifications, emails = [], []
    with translation.override(language):
        texts = NotificationTexts()
        # Only texts that show a time need the agent's zone (the expiry sweep's do not).
        zones = _agent_zones(
            tenant_id,
            [n.membership_id for n in notices if n.zone is None and texts.shows_time(n.kind)],
        )
        for notice in notices:
            zone = notice.zone or zones.get(notice.membership_id)
            subject, body = texts.render(notice.kind, notice.params, zone)
            notifications.append(
                (
                    tenant_id,
                    notice.membership_id,
                    notice.certification_id,
                    notice.kind,
                    notice.params,
                    body,
                    now,
                )
            )
            if notice.email:
                emails.append((tenant_id, notice.email, subject, body, now))
    insert_rows(
        Notification,
        [
            "tenant_id",
            "membership_id",
            "certification_id",
            "kind",
            "params",
            "message",
            "created_at",
        ],
        notifications,
    )
    ids = insert_rows(
        EmailMessage, ["tenant_id", "to", "subject", "body", "created_at"], emails, returning=True
    )
    if ids:
        transaction.on_commit(lambda: _queue_emails(ids))


def _agent_zones(tenant_id: int, membership_ids: list[int]) -> dict[int, tzinfo]:
    """Each agent's zone (their own, else the tenant's), with one query."""
    if not membership_ids:
        return {}
    rows = Membership.objects.filter(tenant_id=tenant_id, pk__any_of=membership_ids).values_list(
        "pk", "user__time_zone", "tenant__time_zone"
    )
    return {pk: viewer_zone(user_zone=own, tenant_zone=tenants) for pk, own, tenants in rows}


EMAIL_BATCH = 200


def _queue_emails(ids: list[int]) -> None:
    """One task message per batch of emails, not per email: a sweep that expires thousands of
    certifications must not spend its time publishing thousands of messages."""
    from ..tasks import send_emails

    for start in range(0, len(ids), EMAIL_BATCH):
        batch = ids[start : start + EMAIL_BATCH]
        try:
            send_emails.apply_async(args=[batch], retry=False)
        except Exception:  # noqa: BLE001 - the periodic mail sweep retries unsent rows
            logger.warning("could not queue %s emails; the sweep will send them", len(batch))


def mark_notifications_read(*, tenant: Tenant, membership: Membership) -> int:
    """Mark all of an agent's unread notifications as read."""
    return (
        Notification.objects.for_tenant(tenant)
        .filter(membership=membership, read_at__isnull=True)
        .update(read_at=timezone.now())
    )


def deliver_email(*, email_id: int) -> bool:
    """Send one queued email (at least once: it is marked sent after the mail server accepted
    it). Raises on a mail server error so the task retries; True if sent now."""
    from django.core.mail import send_mail

    email = EmailMessage.objects.filter(pk=email_id, sent_at__isnull=True).first()
    if email is None:
        return False
    try:
        send_mail(email.subject, email.body, None, [email.to])
    except Exception as exc:
        EmailMessage.objects.filter(pk=email_id).update(
            attempts=email.attempts + 1, last_error=str(exc)[:1000]
        )
        raise
    return bool(
        EmailMessage.objects.filter(pk=email_id, sent_at__isnull=True).update(
            sent_at=timezone.now(), attempts=email.attempts + 1
        )
    )


def unsent_email_ids(
    *, older_than: timedelta = timedelta(minutes=2), limit: int = 500
) -> list[int]:
    cutoff = timezone.now() - older_than
    return list(
        EmailMessage.objects.filter(sent_at__isnull=True, created_at__lte=cutoff, attempts__lt=10)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
