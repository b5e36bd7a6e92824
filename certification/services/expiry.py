"""The expiry sweep: every active certification past its validity period or its
recertification deadline expires, in all tenants at once, with set-based writes for the events,
the outbox and the notifications."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from events.outbox import publish_many

from ..chain import EventSpec, append_events
from ..models import Certification
from .changes import _payload
from .notifications import Notice, _message_params, _notify

logger = logging.getLogger(__name__)
Status = Certification.Status


def _db_now(now: datetime):
    return connection.ops.adapt_datetimefield_value(now)


@transaction.atomic
def expire_due_certifications(*, now: datetime | None = None) -> int:
    """Expire every active certification past its validity or its recertification deadline, in
    all tenants, with ONE conditional UPDATE ... RETURNING; then, per tenant, one INSERT each
    for the chained events, the outbox rows, the notifications and the e-mails (built from one
    SELECT of plain values, no model instances). Two sweeps at once: the second's UPDATE waits
    for the first and no longer matches those rows, so every certification gets exactly one
    event."""
    now = now or timezone.now()
    stamp = _db_now(now)
    # Every tenant, through the tenant-first indexes: with the tenant ids as one array,
    # PostgreSQL range-scans (tenant, valid_until) and (tenant, grace_until) for the due rows
    # instead of filtering every active certification of every tenant
    # (docs/decisions/certification.md).
    every_tenant = "tenant_id = ANY(ARRAY(SELECT id FROM tenants_tenant)) AND "
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE certification_certification SET status = %s WHERE {every_tenant}"  # noqa: S608 - constant SQL
            "status = %s AND (valid_until <= %s OR grace_until <= %s) RETURNING id",
            [Status.EXPIRED, Status.ACTIVE, stamp, stamp],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return 0
    rows = (
        Certification.objects.filter(pk__any_of=ids)
        .order_by("tenant_id", "pk")
        .values_list(
            "pk",
            "tenant_id",
            "membership_id",
            "valid_from",
            "valid_until",
            "grace_until",
            "membership__employee_id",
            "membership__user__email",
            "skill_group__code",
            "skill_group__external_id",
            "skill_group__name",
            "tenant__default_language",
        )
    )
    by_tenant: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_tenant[row[1]].append(row)
    validity_ended = _("Validity period ended")
    deadline_passed = _("Recertification deadline passed")
    for tenant_id, group in by_tenant.items():
        specs, events, notices = [], [], []
        for pk, _t, member, start, until, grace, employee, email, code, ext, name, _l in group:
            reason = validity_ended if until <= now else deadline_passed
            specs.append(
                EventSpec(
                    pk,
                    Status.EXPIRED,
                    Status.ACTIVE,
                    reason=reason,
                    validity=(start, until, grace),
                )
            )
            events.append(
                (
                    "certification.expired",
                    _payload(
                        certification_id=pk,
                        employee_id=employee,
                        skill_group=code,
                        external_id=ext,
                        status=Status.EXPIRED,
                        valid_from=start,
                        valid_until=until,
                        reason=reason,
                    ),
                )
            )
            notices.append(
                Notice(
                    membership_id=member,
                    certification_id=pk,
                    email=email,
                    kind="expired",
                    params=_message_params(group=name, valid_until=until, grace_until=grace),
                )
            )
        append_events(tenant_id=tenant_id, specs=specs, at=now)
        publish_many(tenant_id=tenant_id, events=events)
        _notify(tenant_id=tenant_id, language=group[0][-1], notices=notices)
    logger.info("certification.expired count=%s", len(ids))
    return len(ids)
