"""Recertification: a reminder when a certification nears the end of its validity period, and
a deadline (grace period) when a curriculum version published with ``requires_recertification``
changes what its holders were tested on; both enrol the holders in what they must take again.
The renewal itself happens in evaluation.py, the missed deadline in expiry.py."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput
from tenants.models import Membership, Tenant
from training.models import Curriculum

from ..chain import EventSpec, append_events, validity_of
from ..models import Certification, Requirement, SkillGroup
from .notifications import _notify_many

Status = Certification.Status


def grace_days() -> int:
    return int(getattr(settings, "CERT_RECERT_GRACE_DAYS", 30))


def _recert_curricula(tenant: Tenant, groups: list[SkillGroup]) -> dict[int, list[Curriculum]]:
    """Per skill group: the published versions of what its requirements rest on."""
    reqs = (
        Requirement.objects.for_tenant(tenant)
        .filter(skill_group__in=groups)
        .select_related("curriculum", "quiz__curriculum")
    )
    codes_by_group: dict[int, set[str]] = defaultdict(set)
    for r in reqs:
        codes_by_group[r.skill_group_id].add(
            r.curriculum.code if r.curriculum else r.quiz.curriculum.code
        )
    all_codes = set().union(*codes_by_group.values()) if codes_by_group else set()
    published = {
        c.code: c
        for c in Curriculum.objects.for_tenant(tenant).filter(
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


@transaction.atomic
def send_expiry_reminders(*, now: datetime | None = None) -> int:
    """Remind holders whose certification ends within their skill group's reminder window, once
    (reminded_at is claimed with a conditional update), and enrol them in what recertification
    needs (due at the expiry)."""
    now = now or timezone.now()
    total = 0
    groups = list(
        SkillGroup.objects.filter(active=True).select_related("tenant").order_by("tenant_id", "pk")
    )
    for group in groups:
        window = now + timedelta(days=group.reminder_days)
        due = Certification.objects.filter(
            tenant_id=group.tenant_id,
            skill_group=group,
            status=Status.ACTIVE,
            reminded_at__isnull=True,
            valid_until__gt=now,
            valid_until__lte=window,
        )
        ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True))
        if not ids:
            continue
        claimed = Certification.objects.filter(pk__any_of=ids, reminded_at__isnull=True).update(
            reminded_at=now
        )
        if not claimed:
            continue
        certs = list(
            Certification.objects.filter(pk__any_of=ids, reminded_at=now).select_related(
                "membership__user", "skill_group"
            )
        )
        append_events(
            tenant_id=group.tenant_id,
            specs=[
                EventSpec(
                    c.pk,
                    Status.ACTIVE,
                    Status.ACTIVE,
                    reason=_("Expiry reminder sent"),
                    data={"reminder": True},
                )
                for c in certs
            ],
            at=now,
        )
        _notify_many(group.tenant, [(c, "reminder", "") for c in certs])
        curricula = _recert_curricula(group.tenant, [group]).get(group.pk, [])
        _enroll(
            group.tenant,
            [(c.membership, curricula) for c in certs],
            due_at=min(c.valid_until for c in certs),
        )
        total += len(certs)
    return total


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
