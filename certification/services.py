"""State changes of certifications: automatic creation, approval, revocation, expiry,
reminders and recertification.

Every function is keyword-only and transactional; each status change appends a hash-chained
CertificationEvent and publishes an outbox event in the same transaction, and in-app
notifications plus queued emails for the agent. Mail leaves only after commit (tasks.py).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from skillgate.bulk import insert_rows
from skillgate.errors import Conflict, InvalidInput, NotPermitted
from tenants.models import Membership, Role, Team, Tenant
from tenants.outbox import publish, publish_many
from training.models import Attempt, Curriculum, LessonCompletion, Quiz

from .chain import EventSpec, append_events
from .messages import NotificationTexts
from .models import (
    Certification,
    EmailMessage,
    Notification,
    Requirement,
    SkillGroup,
    SweepMark,
)
from .rules import Catalog, GroupResult, requirement_problem

logger = logging.getLogger(__name__)
Status = Certification.Status
LIVE = (Status.PENDING, Status.ACTIVE)
DECIDER_ROLES = {Role.TEAM_LEAD, Role.TRAINER, Role.TENANT_ADMIN}
PROGRESS_SWEEP = "certification.evaluate_progress"
EVENT_TYPES = {
    Status.PENDING: "certification.pending",
    Status.ACTIVE: "certification.activated",
    Status.REJECTED: "certification.rejected",
    Status.REVOKED: "certification.revoked",
    Status.EXPIRED: "certification.expired",
}


def grace_days() -> int:
    return int(getattr(settings, "CERT_RECERT_GRACE_DAYS", 30))


# --- helpers --------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def event_payload(cert: Certification, reason: str = "") -> dict:
    """The outside world's view of a certification (webhooks, scheduler event feed)."""
    return _payload(
        certification_id=cert.pk,
        employee_id=cert.membership.employee_id,
        skill_group=cert.skill_group.code,
        external_id=cert.skill_group.external_id,
        status=cert.status,
        valid_from=cert.valid_from,
        valid_until=cert.valid_until,
        reason=reason,
    )


def _payload(
    *,
    certification_id: int,
    employee_id: str,
    skill_group: str,
    external_id: str,
    status: str,
    valid_from: datetime | None,
    valid_until: datetime | None,
    reason: str,
) -> dict:
    return {
        "certification_id": certification_id,
        "employee_id": employee_id,
        "skill_group": skill_group,
        "external_id": external_id,
        "status": status,
        "valid_from": _iso(valid_from),
        "valid_until": _iso(valid_until),
        "reason": reason,
    }


def _publish(cert: Certification, reason: str = "") -> None:
    publish(
        tenant_id=cert.tenant_id,
        event_type=EVENT_TYPES[cert.status],
        payload=event_payload(cert, reason),
    )


def _record(
    cert: Certification,
    *,
    old: str,
    actor: Membership | None,
    reason: str = "",
    request_id: str | None = None,
    data: dict | None = None,
    at: datetime | None = None,
) -> None:
    append_events(
        tenant_id=cert.tenant_id,
        specs=[
            EventSpec(
                certification_id=cert.pk,
                old_status=old,
                new_status=cert.status,
                actor_id=actor.user_id if actor else None,
                reason=reason,
                data=data,
            )
        ],
        at=at or timezone.now(),
        request_id=request_id,
    )


def _message_params(
    *,
    group: str,
    valid_until: datetime | None,
    grace_until: datetime | None,
    reason: str = "",
) -> dict:
    return {
        "group": group,
        "until": valid_until.date().isoformat() if valid_until else "",
        "grace": grace_until.date().isoformat() if grace_until else "",
        "reason": reason,
    }


@dataclass(frozen=True)
class Notice:
    """One in-app notification (and e-mail, if the agent has an address) about a certification."""

    membership_id: int
    certification_id: int
    email: str
    kind: str
    params: dict


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
            )
            for cert, kind, reason in items
        ],
    )


def _notify(*, tenant_id: int, language: str, notices: list[Notice]) -> None:
    """Write the notifications and queued e-mails (texts in the tenant's language) with one
    INSERT each; the e-mails are queued for sending after commit."""
    if not notices:
        return
    now = timezone.now()
    notifications, emails = [], []
    with translation.override(language):
        texts = NotificationTexts()
        for notice in notices:
            subject, body = texts.render(notice.kind, notice.params)
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


EMAIL_BATCH = 200


def _queue_emails(ids: list[int]) -> None:
    """One task message per batch of emails, not per email: a sweep that expires thousands of
    certifications must not spend its time publishing thousands of messages."""
    from .tasks import send_emails

    for start in range(0, len(ids), EMAIL_BATCH):
        batch = ids[start : start + EMAIL_BATCH]
        try:
            send_emails.apply_async(args=[batch], retry=False)
        except Exception:  # noqa: BLE001 - the periodic mail sweep retries unsent rows
            logger.warning("could not queue %s emails; the sweep will send them", len(batch))


def _locked(tenant: Tenant, certification: Certification) -> Certification:
    return (
        Certification.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("membership__user", "membership__team", "skill_group")
        .get(pk=certification.pk)
    )


def led_teams(actor: Membership) -> QuerySet[Team]:
    """The teams whose agents ``actor`` leads: those naming them lead, and a team lead's own."""
    led = Q(lead=actor)
    if actor.role == Role.TEAM_LEAD and actor.team_id:
        led |= Q(pk=actor.team_id)
    return Team.objects.for_tenant(actor.tenant_id).filter(led)


def led_team_ids(actor: Membership) -> set[int]:
    return set(led_teams(actor).values_list("pk", flat=True))


def check_may_decide(*, actor: Membership, cert: Certification) -> None:
    """Tenant admins and trainers decide for any team, team leads for their own team only, and
    nobody for themselves."""
    if actor.tenant_id != cert.tenant_id or actor.role not in DECIDER_ROLES:
        raise NotPermitted(_("You may not decide on certifications."), code="not_a_decider")
    if cert.membership_id == actor.pk or cert.membership.user_id == actor.user_id:
        raise NotPermitted(_("Nobody may decide on their own certification."), code="self_approval")
    if actor.role == Role.TEAM_LEAD and cert.membership.team_id not in led_team_ids(actor):
        raise NotPermitted(
            _("%(agent)s is not in your team.") % {"agent": cert.membership.user},
            code="outside_team",
        )


def _activate_window(cert: Certification, now: datetime) -> None:
    cert.valid_from = now
    cert.valid_until = now + timedelta(days=cert.skill_group.validity_days)
    cert.grace_until = None
    cert.reminded_at = None


# --- automatic certification ------------------------------------------------------------------


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
        at = result.evidence_at
        return at is not None and at > cert.reminded_at
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
    _activate_window(cert, now)
    cert.evidence = result.evidence()
    cert.save(update_fields=["valid_from", "valid_until", "grace_until", "reminded_at", "evidence"])
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


# --- decisions ---------------------------------------------------------------------------------


def _decide(*, tenant, certification, actor, approve, comment, request_id, now=None):
    cert = _locked(tenant, certification)
    if cert.status != Status.PENDING:
        raise Conflict(
            _("This certification was already decided (%(status)s).")
            % {"status": cert.get_status_display()},
            code="already_decided",
        )
    check_may_decide(actor=actor, cert=cert)
    now = now or timezone.now()
    cert.decided_by = actor.user
    cert.decided_at = now
    cert.decision_comment = comment
    if approve:
        cert.status = Status.ACTIVE
        _activate_window(cert, now)
    else:
        cert.status = Status.REJECTED
    cert.save()
    _record(cert, old=Status.PENDING, actor=actor, reason=comment, request_id=request_id, at=now)
    _publish(cert, comment)
    _notify_many(tenant, [(cert, "activated" if approve else "rejected", comment)])
    return cert


@transaction.atomic
def approve_certification(
    *,
    tenant: Tenant,
    certification: Certification,
    actor: Membership,
    comment: str = "",
    request_id: str | None = None,
    now: datetime | None = None,
) -> Certification:
    """Activate a pending certification for its skill group's validity period (from ``now``,
    which only imports and demo data set).

    Refuses (changing nothing) if it is not pending any more, if the actor may not decide for
    the agent's team, or if the actor is the agent."""
    return _decide(
        tenant=tenant,
        certification=certification,
        actor=actor,
        approve=True,
        comment=comment.strip(),
        request_id=request_id,
        now=now,
    )


@transaction.atomic
def reject_certification(
    *,
    tenant: Tenant,
    certification: Certification,
    actor: Membership,
    comment: str,
    request_id: str | None = None,
) -> Certification:
    """Reject a pending certification; a comment saying why is required."""
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput(_("Say why you reject this certification."), code="comment_required")
    return _decide(
        tenant=tenant,
        certification=certification,
        actor=actor,
        approve=False,
        comment=comment,
        request_id=request_id,
    )


def bulk_approve(
    *,
    tenant: Tenant,
    certification_ids: list[int],
    actor: Membership,
    comment: str = "",
    request_id: str | None = None,
) -> tuple[list[Certification], list[tuple[int, str]]]:
    """Approve several; each one in its own transaction, so one refusal does not undo the others.
    Returns (approved, [(id, why not)])."""
    approved, refused = [], []
    for cert in Certification.objects.for_tenant(tenant).filter(pk__any_of=certification_ids):
        try:
            approved.append(
                approve_certification(
                    tenant=tenant,
                    certification=cert,
                    actor=actor,
                    comment=comment,
                    request_id=request_id,
                )
            )
        except (Conflict, NotPermitted) as exc:
            refused.append((cert.pk, exc.message))
    return approved, refused


@transaction.atomic
def revoke_certification(
    *,
    tenant: Tenant,
    certification: Certification,
    actor: Membership,
    reason: str,
    request_id: str | None = None,
) -> Certification:
    """Revoke a pending or active certification, with a reason. Shift assignments resting on it
    are cancelled by scheduling's database trigger in this same transaction."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for the revocation."), code="reason_required")
    cert = _locked(tenant, certification)
    if cert.status not in LIVE:
        raise Conflict(
            _("Only pending or active certifications can be revoked (this one is %(status)s).")
            % {"status": cert.get_status_display()},
            code="not_live",
        )
    check_may_decide(actor=actor, cert=cert)
    old = cert.status
    now = timezone.now()
    cert.status = Status.REVOKED
    cert.revoked_at = now
    cert.decided_by = actor.user
    cert.decision_comment = reason
    cert.save(update_fields=["status", "revoked_at", "decided_by", "decision_comment"])
    _record(cert, old=old, actor=actor, reason=reason, request_id=request_id, at=now)
    _publish(cert, reason)
    _notify_many(tenant, [(cert, "revoked", reason)])
    return cert


@transaction.atomic
def reinstate_certification(
    *,
    tenant: Tenant,
    certification: Certification,
    actor: Membership,
    reason: str,
    request_id: str | None = None,
) -> Certification:
    """Ask for a revoked certification back: creates a new pending certification with the same
    evidence, which needs a fresh approval (whatever the skill group's approval setting)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for reinstating."), code="reason_required")
    old = _locked(tenant, certification)
    if old.status != Status.REVOKED:
        raise Conflict(_("Only a revoked certification can be reinstated."), code="not_revoked")
    if actor.tenant_id != tenant.pk or actor.role not in DECIDER_ROLES:
        raise NotPermitted(_("You may not decide on certifications."), code="not_a_decider")
    if actor.role == Role.TEAM_LEAD and old.membership.team_id not in led_team_ids(actor):
        raise NotPermitted(
            _("%(agent)s is not in your team.") % {"agent": old.membership.user},
            code="outside_team",
        )
    cert = Certification(
        tenant=tenant,
        membership=old.membership,
        skill_group=old.skill_group,
        status=Status.PENDING,
        evidence={**old.evidence, "reinstates": old.pk},
    )
    try:
        with transaction.atomic():
            cert.save()
    except IntegrityError as exc:
        raise Conflict(
            _("The agent already has a live certification for this skill group."), code="live"
        ) from exc
    _record(
        cert, old="", actor=actor, reason=reason, request_id=request_id, data={"reinstates": old.pk}
    )
    _publish(cert, reason)
    _notify_many(tenant, [(cert, "pending", "")])
    return cert


# --- expiry, reminders, recertification -----------------------------------------------------------


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
    # instead of filtering every active certification of every tenant (0.25 s at 1,000,000).
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
            specs.append(EventSpec(pk, Status.EXPIRED, Status.ACTIVE, reason=reason))
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
            )
            for c in certs
        ],
        at=now,
    )
    _notify_many(tenant, [(c, "recertify", "") for c in certs])
    _enroll(tenant, [(c.membership, [curriculum]) for c in certs], due_at=deadline)
    return len(certs)


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


# --- requirements, notifications, mail ---------------------------------------------------------


@transaction.atomic
def add_requirement(
    *,
    tenant: Tenant,
    skill_group: SkillGroup,
    curriculum: Curriculum | None = None,
    quiz: Quiz | None = None,
    min_score_percent: int | None = None,
) -> Requirement:
    """Add a requirement that can actually be met; refuses one that points at a retired (or
    never published) curriculum, and one that is not exactly one of curriculum or quiz."""
    for obj in (skill_group, curriculum, quiz):
        if obj is not None and obj.tenant_id != tenant.pk:
            raise InvalidInput(_("Everything must belong to the same tenant."), code="wrong_tenant")
    if (curriculum is None) == (quiz is None):
        raise InvalidInput(_("Name either a curriculum or a quiz."), code="one_target")
    if min_score_percent is not None and not 0 <= min_score_percent <= 100:
        raise InvalidInput(_("The minimum score is a percentage (0–100)."), code="score_range")
    problem = requirement_problem(curriculum=curriculum, quiz=quiz)
    if problem:
        raise InvalidInput(problem, code="unmeetable")
    return Requirement.objects.create(
        tenant=tenant,
        skill_group=skill_group,
        curriculum=curriculum,
        quiz=quiz,
        min_score_percent=min_score_percent,
    )


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
