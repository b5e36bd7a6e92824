"""Recertification: a reminder when a certification nears the end of its validity period, and
a deadline (grace period) when a curriculum version published with ``requires_recertification``
changes what its holders were tested on; both enrol the holders in what they must take again.
The renewal itself happens in evaluation.py, the missed deadline in expiry.py."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput
from tenants.models import Membership, Tenant
from training.models import Curriculum

from ..chain import EventSpec, append_events, validity_of
from ..models import Certification, Requirement, SkillGroup
from .notifications import Notice, _message_params, _notify, _notify_many

logger = logging.getLogger(__name__)
Status = Certification.Status


def grace_days() -> int:
    return int(getattr(settings, "CERT_RECERT_GRACE_DAYS", 30))


def recertification_deadline(*, tenant_id: int, evidence: dict, now: datetime) -> datetime | None:
    """The deadline a certification activated (or renewed) at ``now`` on ``evidence`` must carry:
    when a curriculum requirement rests on a version older than one published with
    ``requires_recertification``, the holders certified before that publication got a deadline
    (``start_recertification``); a certification activated later on the same old evidence gets
    the same one, or, if that has passed already, a full grace period from ``now``. None when the
    evidence is current. One query."""
    held = {
        item["code"]: item["version"]
        for item in evidence.get("requirements", [])
        if item.get("kind") == "curriculum"
    }
    if not held:
        return None
    deadlines = []
    published: dict[str, datetime] = {}
    for code, version, at in (
        Curriculum.objects.for_tenant(tenant_id)
        .filter(
            code__in=held,
            requires_recertification=True,
            published_at__isnull=False,
            status__in=(Curriculum.Status.PUBLISHED, Curriculum.Status.RETIRED),
        )
        .values_list("code", "version", "published_at")
    ):
        if version > held[code] and (code not in published or at > published[code]):
            published[code] = at
    for at in published.values():
        deadline = at + timedelta(days=grace_days())
        deadlines.append(deadline if deadline > now else now + timedelta(days=grace_days()))
    return min(deadlines) if deadlines else None


def _recert_curricula(tenant_id: int, group_ids) -> dict[int, list[Curriculum]]:
    """Per skill group: the published versions of what its requirements rest on (two queries)."""
    reqs = (
        Requirement.objects.for_tenant(tenant_id)
        .filter(skill_group_id__in=list(group_ids))
        .values_list("skill_group_id", "curriculum__code", "quiz__curriculum__code")
    )
    codes_by_group: dict[int, set[str]] = defaultdict(set)
    for group_id, curriculum_code, quiz_code in reqs:
        codes_by_group[group_id].add(curriculum_code or quiz_code)
    all_codes = set().union(*codes_by_group.values()) if codes_by_group else set()
    published = {
        c.code: c
        for c in Curriculum.objects.for_tenant(tenant_id).filter(
            code__in=all_codes, status=Curriculum.Status.PUBLISHED
        )
    }
    return {
        g_id: [published[c] for c in sorted(codes) if c in published]
        for g_id, codes in codes_by_group.items()
    }


def _enroll(tenant: Tenant, pairs: list[tuple[Membership, list[Curriculum]]], due_at) -> None:
    from training.services import enroll_agents

    by_curricula: dict[tuple[int, ...], tuple[list[Curriculum], list[Membership]]] = {}
    for membership, curricula in pairs:
        if not curricula:
            continue
        key = tuple(sorted(c.pk for c in curricula))
        by_curricula.setdefault(key, (curricula, []))[1].append(membership)
    for curricula, memberships in by_curricula.values():
        enroll_agents(
            tenant=tenant,
            curricula=curricula,
            memberships=memberships,
            assigned_by=None,
            due_at=due_at,
        )


# Claims the reminders due now, in every tenant, with ONE statement. Per active skill group, its
# active certifications ending within its largest reminder offset (range scan of the
# (tenant, skill_group, status, valid_until) index); for each, the smallest offset reached
# (``days``). A certification is claimed when that offset is one it was not sent yet in this
# period (smaller than its last one): each reminder of the schedule goes out once, and one that
# was missed (a certification activated inside the window, a sweep that did not run) is not sent
# late after a nearer one. Two sweeps at once: the second's UPDATE waits for the first and, re-
# reading the row, no longer matches (its ``reminder_days`` is now that offset); a renewal that
# commits meanwhile moves ``valid_until`` out of reach, which the outer WHERE re-checks.
CLAIM_REMINDERS = """
UPDATE certification_certification c
   SET reminded_at = COALESCE(c.reminded_at, %s), reminder_days = due.days
  FROM (
        SELECT k.id, d.days
          FROM certification_skillgroup g
         CROSS JOIN LATERAL (SELECT max(x) AS top FROM unnest(g.reminder_schedule) x) t
          JOIN certification_certification k
            ON k.tenant_id = g.tenant_id AND k.skill_group_id = g.id AND k.status = 'active'
           AND k.valid_until > %s AND k.valid_until <= %s + make_interval(days => t.top)
         CROSS JOIN LATERAL (
               SELECT min(x) AS days FROM unnest(g.reminder_schedule) x
                WHERE k.valid_until <= %s + make_interval(days => x)) d
         WHERE g.tenant_id = ANY(ARRAY(SELECT id FROM tenants_tenant)) AND g.active
           AND (k.reminder_days IS NULL OR d.days < k.reminder_days)
       ) due
 WHERE c.id = due.id AND c.status = 'active'
   AND c.valid_until <= %s + make_interval(days => due.days)
   AND (c.reminder_days IS NULL OR due.days < c.reminder_days)
RETURNING c.id
"""


@transaction.atomic
def send_expiry_reminders(*, now: datetime | None = None) -> int:
    """Remind holders whose certification reaches a day of its skill group's reminder schedule
    (e.g. 60, 30 and 7 days before expiry), each reminder once per validity period, and assign
    them again what recertification needs, due at the expiry (or the earlier recertification
    deadline). The agent's notification says training was assigned only when it was; leads see
    the reminded certifications of their teams on the approvals page.

    One UPDATE claims every due reminder in all tenants; then one SELECT of plain values, and
    per tenant a constant number of statements (curricula, the assignment, the chained events,
    the notifications and e-mails), whatever the number of certifications."""
    from training.services import assign_for_recertification

    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_REMINDERS, [now] * 5)
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
            "skill_group_id",
            "valid_until",
            "grace_until",
            "reminder_days",
            "membership__user__email",
            "skill_group__name",
            "tenant__default_language",
        )
    )
    by_tenant: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_tenant[row[1]].append(row)
    for tenant_id, group in by_tenant.items():
        curricula = _recert_curricula(tenant_id, {row[3] for row in group})
        wanted = []
        for _pk, _t, member, group_id, until, grace, *_rest in group:
            due_at = min(until, grace) if grace else until
            wanted += [(member, c.pk, due_at) for c in curricula.get(group_id, [])]
        open_pairs = assign_for_recertification(tenant_id=tenant_id, wanted=wanted, now=now)
        specs, notices = [], []
        for pk, _t, member, group_id, until, grace, days, email, name, _lang in group:
            specs.append(
                EventSpec(
                    pk,
                    Status.ACTIVE,
                    Status.ACTIVE,
                    reason=_("Expiry reminder sent (%(days)d days before)") % {"days": days},
                    data={"reminder": True, "days": days},
                )
            )
            assigned = any((member, c.pk) in open_pairs for c in curricula.get(group_id, []))
            notices.append(
                Notice(
                    membership_id=member,
                    certification_id=pk,
                    email=email,
                    kind="reminder_training" if assigned else "reminder",
                    params=_message_params(
                        group=name,
                        valid_until=until,
                        grace_until=grace,
                        due=min(until, grace) if grace else until,
                    ),
                )
            )
        append_events(tenant_id=tenant_id, specs=specs, at=now)
        _notify(tenant_id=tenant_id, language=group[0][-1], notices=notices)
    logger.info("certification.reminded count=%s", len(ids))
    return len(ids)


@transaction.atomic
def start_recertification(*, tenant: Tenant, curriculum: Curriculum) -> int:
    """A curriculum version published with ``requires_recertification``: every active holder of
    a skill group requiring that curriculum (certified before the publication) gets a deadline
    (grace_until, CERT_RECERT_GRACE_DAYS) and is enrolled in the new version. Idempotent: holders
    who already have a deadline are left alone."""
    if curriculum.tenant_id != tenant.pk:
        raise InvalidInput(_("Everything must belong to the same tenant."), code="wrong_tenant")
    if curriculum.status != Curriculum.Status.PUBLISHED or not curriculum.requires_recertification:
        return 0
    now = timezone.now()
    published_at = curriculum.published_at or now
    groups = (
        SkillGroup.objects.for_tenant(tenant)
        .filter(active=True, requirements__curriculum__code=curriculum.code)
        .distinct()
    )
    affected = Certification.objects.for_tenant(tenant).filter(
        skill_group__in=groups,
        status=Status.ACTIVE,
        grace_until__isnull=True,
        valid_from__lt=published_at,
    )
    ids = list(affected.select_for_update(skip_locked=True).values_list("pk", flat=True))
    if not ids:
        return 0
    deadline = now + timedelta(days=grace_days())
    Certification.objects.filter(pk__any_of=ids, grace_until__isnull=True).update(
        grace_until=deadline
    )
    certs = list(
        Certification.objects.filter(pk__any_of=ids, grace_until=deadline).select_related(
            "membership__user", "skill_group"
        )
    )
    reason = _("Curriculum “%(title)s” v%(version)s requires recertification") % {
        "title": curriculum.title,
        "version": curriculum.version,
    }
    append_events(
        tenant_id=tenant.pk,
        specs=[
            EventSpec(
                c.pk,
                Status.ACTIVE,
                Status.ACTIVE,
                reason=reason,
                data={"grace_until": deadline.isoformat(), "curriculum": curriculum.pk},
                validity=validity_of(c),
            )
            for c in certs
        ],
        at=now,
    )
    _notify_many(tenant, [(c, "recertify", "") for c in certs])
    _enroll(tenant, [(c.membership, [curriculum]) for c in certs], due_at=deadline)
    return len(certs)
