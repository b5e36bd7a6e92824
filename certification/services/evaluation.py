"""Automatic certification: an agent is evaluated against the requirements of every active
skill group, and gets a certification where they are met (active, or pending a lead's approval)
or a renewal where an active holder has recertified; plus the catch-up sweep that evaluates
everyone with recent progress."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput
from tenants.models import Membership, Tenant
from training.models import Attempt, LessonCompletion

from ..models import Certification, SkillGroup, SweepMark
from ..rules import Catalog, GroupResult
from .changes import _activate_window, _extend_window, _locked, _publish, _record
from .notifications import _notify_many

logger = logging.getLogger(__name__)
Status = Certification.Status
PROGRESS_SWEEP = "certification.evaluate_progress"


def _needs_fresh_evidence_after(latest: Certification | None) -> datetime | None | bool:
    """False: never create automatically; None: any evidence; datetime: evidence after it."""
    if latest is None:
        return None
    if latest.status == Status.REVOKED:
        return False  # reinstating needs a person's decision (reinstate_certification)
    if latest.status == Status.REJECTED:
        return latest.decided_at or latest.created_at
    if latest.status == Status.EXPIRED:
        return latest.valid_from or latest.created_at
    return False


def _recertified(catalog: Catalog, cert: Certification, result: GroupResult) -> bool:
    """An active holder has done what recertification asks (grace period or reminder)."""
    if not result.met:
        return False
    if cert.grace_until:
        for item in result.items:
            if item.kind != "curriculum":
                continue
            code = item.evidence["code"]
            published = [
                c.version for c in catalog.by_code.get(code, []) if c.status == "published"
            ]
            if published and item.evidence["version"] < max(published):
                return False
        return True
    if cert.reminded_at:
        # After the reminder, every quiz is passed again: what the reminder assigned
        # (training.services.assign_for_recertification) and what readiness lists.
        return result.retested_after(cert.reminded_at)
    return False


@transaction.atomic
def evaluate_agent(
    *,
    tenant: Tenant,
    membership: Membership,
    request_id: str | None = None,
    now: datetime | None = None,
) -> list[Certification]:
    """Create a certification for every active skill group whose requirements the agent now
    meets and where none is live: active at once when no approval is needed, else pending. Renews
    an active one whose holder has recertified (grace period or reminder window).

    Idempotent: running it twice creates nothing more (the certification_one_live constraint
    backs this under concurrency). A revoked certification is never recreated automatically.
    ``now`` backdates the evaluation (imports and demo data only)."""
    if membership.tenant_id != tenant.pk:
        raise InvalidInput(_("Everything must belong to the same tenant."), code="wrong_tenant")
    catalog = Catalog(tenant, SkillGroup.objects.filter(active=True))
    facts = catalog.load_facts(tenant, [membership.pk])[membership.pk]
    latest: dict[int, Certification] = {}
    for cert in (
        Certification.objects.for_tenant(tenant)
        .filter(membership=membership)
        .order_by("created_at", "pk")
    ):
        latest[cert.skill_group_id] = cert
    now = now or timezone.now()
    changed = []
    for group in catalog.skill_groups:
        result = catalog.evaluate(group, facts)
        current = latest.get(group.pk)
        if current is not None and current.status == Status.ACTIVE:
            if _recertified(catalog, current, result):
                changed.append(_renew(tenant, current, group, result, now, request_id))
            continue
        if not result.met:
            continue
        cutoff = _needs_fresh_evidence_after(current)
        if cutoff is False:
            continue
        if cutoff is not None and not (result.evidence_at and result.evidence_at > cutoff):
            continue
        cert = _create(tenant, membership, group, result, now, request_id)
        if cert is not None:
            changed.append(cert)
    return changed


def _create(tenant, membership, group, result, now, request_id) -> Certification | None:
    cert = Certification(
        tenant=tenant,
        membership=membership,
        skill_group=group,
        status=Status.PENDING if group.requires_approval else Status.ACTIVE,
        evidence=result.evidence(),
    )
    if cert.status == Status.ACTIVE:
        _activate_window(cert, now)
    try:
        with transaction.atomic():
            cert.save()
    except IntegrityError:
        logger.info("certification already live for %s/%s", membership.pk, group.code)
        return None
    reason = _("Requirements met")
    _record(
        cert,
        old="",
        actor=None,
        reason=reason,
        request_id=request_id,
        data={"evidence": cert.evidence},
        at=now,
    )
    cert.membership = membership
    _publish(cert, reason)
    kind = "activated" if cert.status == Status.ACTIVE else "pending"
    _notify_many(tenant, [(cert, kind, "")])
    logger.info("certification.created id=%s status=%s", cert.pk, cert.status)
    return cert


def _renew(tenant, cert, group, result, now, request_id) -> Certification:
    cert = _locked(tenant, cert)
    cert.evidence = result.evidence()
    _extend_window(cert, now)
    cert.save(
        update_fields=["valid_until", "grace_until", "reminded_at", "reminder_days", "evidence"]
    )
    reason = _("Recertified")
    _record(
        cert,
        old=Status.ACTIVE,
        actor=None,
        reason=reason,
        request_id=request_id,
        data={"evidence": cert.evidence, "renewed": True},
        at=now,
    )
    _publish(cert, reason)
    _notify_many(tenant, [(cert, "renewed", "")])
    return cert


def evaluate_recent_progress(*, now: datetime | None = None) -> int:
    """Catch-up sweep: evaluate every agent with a finished attempt or a lesson completion since
    the previous run, so a lost evaluate_agent task message delays a certification, never loses
    it. Returns how many agents were evaluated."""
    now = now or timezone.now()
    with transaction.atomic():
        mark, created = SweepMark.objects.select_for_update().get_or_create(
            name=PROGRESS_SWEEP, defaults={"last_run_at": now - timedelta(hours=1)}
        )
        since = mark.last_run_at - timedelta(minutes=1)  # overlap: commits in flight
        mark.last_run_at = now
        mark.save(update_fields=["last_run_at"])
    pairs = set(
        Attempt.objects.filter(
            state__in=(Attempt.State.GRADED, Attempt.State.EXPIRED), finished_at__gte=since
        ).values_list("tenant_id", "membership_id")
    ) | set(
        LessonCompletion.objects.filter(completed_at__gte=since).values_list(
            "tenant_id", "membership_id"
        )
    )
    memberships = Membership.objects.filter(
        pk__any_of={m for _t, m in pairs}, active=True
    ).select_related("tenant")
    count = 0
    for membership in memberships:
        try:
            evaluate_agent(tenant=membership.tenant, membership=membership)
            count += 1
        except Exception:  # noqa: BLE001 - one agent's failure must not stop the sweep
            logger.exception("evaluate_agent failed for membership %s", membership.pk)
    return count
