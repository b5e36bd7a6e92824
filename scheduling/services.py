"""State changes of scheduling: shift assignments, idempotent API writes, webhook endpoints and
deliveries. The database guard (scheduling/dbguard.py) is the last word on the invariant; the
checks here come first so that a refusal says why in words."""

from __future__ import annotations

import base64
import bisect
import functools
import hashlib
import ipaddress
import logging
import secrets
import socket
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certification.models import Certification, SkillGroup
from skillgate.bulk import insert_rows
from skillgate.errors import Conflict, DomainError, InvalidInput, NotFound, Unprocessable
from skillgate.tasks import enqueue
from tenants.models import Membership, OutboxEvent, Tenant, User
from tenants.outbox import publish, publish_many

from . import dbguard
from .models import (
    IdempotencyRecord,
    ShiftAssignment,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from .selectors import CertFacts, covering
from .selectors import certification_reason as _certification_reason

logger = logging.getLogger(__name__)

MAX_ITEMS = 10_000

# Reason codes of a refused assignment (stable; documented in docs/integration.md).
REASONS = {
    "not_certified": gettext_lazy("The agent holds no certification for this skill group."),
    "pending_approval": gettext_lazy(
        "The agent's certification for this skill group is still waiting for approval."
    ),
    "expires_before_shift_end": gettext_lazy(
        "The agent's certification expires before the shift ends."
    ),
    "revoked": gettext_lazy("The agent's certification for this skill group was revoked."),
    "unknown_agent": gettext_lazy("No active agent has this employee id."),
    "unknown_skill_group": gettext_lazy("No skill group has this code."),
    "overlapping_assignment": gettext_lazy(
        "The agent already has a scheduled shift overlapping this window."
    ),
    "invalid_window": gettext_lazy("The shift must end after it starts."),
    "naive_datetime": gettext_lazy(
        "Times must carry a UTC offset, e.g. 2026-03-02T08:00:00+08:00."
    ),
    "invalid_item": gettext_lazy("The item is malformed."),
}

UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def iso(value: datetime | None) -> str | None:
    """Times in events and payloads: UTC, second precision, like the database triggers write."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime(UTC_FORMAT)


# --------------------------------------------------------------------------- assignments
@dataclass(frozen=True)
class AssignmentRequest:
    employee_id: str
    skill_group: str
    starts_at: datetime | None
    ends_at: datetime | None
    external_ref: str = ""
    error: str | None = None  # a reason code found while parsing the item
    error_detail: str = ""


@dataclass(frozen=True)
class Refusal:
    index: int
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"index": self.index, "code": self.code, "message": self.message}


class Scheduled(NamedTuple):
    """A shift written by ``create_assignments`` (plain values: no model instance per row)."""

    pk: int
    employee_id: str
    skill_group: str
    certification_id: int
    starts_at: datetime
    ends_at: datetime
    external_ref: str
    source: str
    status: str = ShiftAssignment.Status.SCHEDULED


@dataclass
class BulkResult:
    created: list[Scheduled] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


class AssignmentsRefused(Unprocessable):
    code = "assignments_refused"


def refusal(index: int, code: str, detail: str = "") -> Refusal:
    message = str(REASONS[code])
    return Refusal(index=index, code=code, message=f"{message} {detail}".strip())


def assignment_payload(
    assignment: ShiftAssignment | Scheduled,
    employee_id: str,
    code: str,
    *,
    time_text: Callable[[datetime | None], str | None] = iso,
) -> dict:
    return {
        "assignment_id": assignment.pk,
        "employee_id": employee_id,
        "skill_group": code,
        "starts_at": time_text(assignment.starts_at),
        "ends_at": time_text(assignment.ends_at),
        "external_ref": assignment.external_ref,
        "status": assignment.status,
        "source": assignment.source,
    }


@transaction.atomic
def create_assignments(
    *,
    tenant: Tenant,
    items: Sequence[AssignmentRequest],
    source: str,
    partial: bool = False,
) -> BulkResult:
    """Schedule shifts. Every item is checked (agent, skill group, window, certification over
    the whole window, overlaps with the agent's other shifts and with the batch); the refused ones
    come back with their index and reason code. All-or-nothing unless ``partial``: one refusal
    raises ``AssignmentsRefused`` listing every refusal and nothing is written.

    A constant number of queries whatever the number of items: agents, skill groups,
    certifications and existing shifts are fetched once as sets, rows are written with one
    insert, and one ``assignment.created`` outbox event per shift with one more; the result
    holds plain values (``Scheduled``), not model instances.
    The database guard refuses anything that slipped through (a concurrent revocation): that
    surfaces as ``Conflict(code="not_certified")`` and nothing is written."""
    if len(items) > MAX_ITEMS:
        raise InvalidInput(
            _("At most %(max)d assignments per request.") % {"max": MAX_ITEMS},
            code="too_many_items",
        )
    refused: list[Refusal] = []
    candidates: list[tuple[int, AssignmentRequest]] = []
    for index, item in enumerate(items):
        if item.error:
            refused.append(refusal(index, item.error, item.error_detail))
        elif item.starts_at is None or item.ends_at is None:
            refused.append(refusal(index, "invalid_item"))
        elif timezone.is_naive(item.starts_at) or timezone.is_naive(item.ends_at):
            refused.append(refusal(index, "naive_datetime"))
        elif item.ends_at <= item.starts_at:
            refused.append(refusal(index, "invalid_window"))
        else:
            candidates.append((index, item))

    # Plain values, not model instances: a 10,000-item request would otherwise spend most of
    # its time constructing and preparing objects.
    members: dict[str, int] = dict(
        Membership.objects.for_tenant(tenant)
        .filter(employee_id__any_of={item.employee_id for _i, item in candidates}, active=True)
        .values_list("employee_id", "pk")
    )
    groups: dict[str, int] = dict(
        SkillGroup.objects.for_tenant(tenant)
        .filter(code__in={item.skill_group for _i, item in candidates}, active=True)
        .values_list("code", "pk")
    )
    member_ids = set(members.values())
    certs: dict[tuple[int, int], list[CertFacts]] = defaultdict(list)
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    if candidates and member_ids and groups:
        # In id order, so the covering certification chosen here is the one the database
        # guard links (the lowest id that covers the window).
        for m_id, g_id, *facts in (
            Certification.objects.for_tenant(tenant)
            .filter(membership_id__any_of=member_ids, skill_group_id__in=set(groups.values()))
            .order_by("pk")
            .values_list(
                "membership_id",
                "skill_group_id",
                "pk",
                "status",
                "valid_from",
                "valid_until",
                "created_at",
            )
        ):
            certs[(m_id, g_id)].append(CertFacts(*facts))
        lo = min(item.starts_at for _i, item in candidates)
        hi = max(item.ends_at for _i, item in candidates)
        for m_id, s, e in (
            ShiftAssignment.objects.for_tenant(tenant)
            .filter(
                membership_id__any_of=member_ids,
                status=ShiftAssignment.Status.SCHEDULED,
                starts_at__lt=hi,
                ends_at__gt=lo,
            )
            .values_list("membership_id", "starts_at", "ends_at")
        ):
            busy[m_id].append((s, e))
        for intervals in busy.values():
            intervals.sort()

    rows: list[tuple] = []
    for index, item in candidates:
        member = members.get(item.employee_id)
        group = groups.get(item.skill_group)
        if member is None:
            refused.append(refusal(index, "unknown_agent"))
            continue
        if group is None:
            refused.append(refusal(index, "unknown_skill_group"))
            continue
        pair_certs = certs.get((member, group), [])
        covers = covering(pair_certs, item.starts_at, item.ends_at)
        if not covers:
            refused.append(
                refusal(index, _certification_reason(pair_certs, item.starts_at, item.ends_at))
            )
            continue
        if _overlaps(busy[member], item.starts_at, item.ends_at):
            refused.append(refusal(index, "overlapping_assignment"))
            continue
        bisect.insort(busy[member], (item.starts_at, item.ends_at))
        # The lowest id (certifications were read in id order): the one the guard links.
        rows.append((index, item, member, group, covers[0].pk))

    refused.sort(key=lambda r: r.index)
    if refused and not partial:
        raise AssignmentsRefused(
            _("%(count)d of %(total)d assignments were refused; nothing was written.")
            % {"count": len(refused), "total": len(items)},
            details={"refused": [r.as_dict() for r in refused]},
        )
    if not rows:
        return BulkResult(created=[], refused=refused)
    now = timezone.now()
    # No savepoint of its own: a guard error leaves through this function's atomic block,
    # which rolls the whole batch back.
    try:
        ids = insert_rows(
            ShiftAssignment,
            [
                "tenant_id",
                "membership_id",
                "skill_group_id",
                "certification_id",
                "starts_at",
                "ends_at",
                "source",
                "external_ref",
                "created_at",
            ],
            [
                (
                    tenant.pk,
                    m,
                    g,
                    c,
                    item.starts_at,
                    item.ends_at,
                    source,
                    item.external_ref,
                    now,
                )
                for _index, item, m, g, c in rows
            ],
            returning=True,
        )
    except DatabaseError as exc:
        if dbguard.is_guard_error(exc):
            raise Conflict(
                _("A certification changed while the shifts were being written; try again."),
                code="not_certified",
            ) from exc
        raise
    # Ids come from one sequence in insertion order, so sorted ids pair with the rows.
    created = [
        Scheduled(
            pk=pk,
            employee_id=item.employee_id,
            skill_group=item.skill_group,
            certification_id=cert_id,
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            external_ref=item.external_ref,
            source=source,
        )
        for pk, (_index, item, _m, _g, cert_id) in zip(ids, rows, strict=True)
    ]
    # A roster repeats a few shift patterns: 10,000 shifts hold a handful of distinct times,
    # so each is formatted once.
    time_text = functools.cache(iso)
    publish_many(
        tenant_id=tenant.pk,
        events=[
            (
                "assignment.created",
                assignment_payload(s, s.employee_id, s.skill_group, time_text=time_text),
            )
            for s in created
        ],
    )
    return BulkResult(created=created, refused=refused)


def _overlaps(intervals: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    """Whether [start, end) overlaps one of the sorted, non-overlapping ``intervals``."""
    pos = bisect.bisect_left(intervals, (start, end))
    if pos < len(intervals) and intervals[pos][0] < end:
        return True
    return pos > 0 and intervals[pos - 1][1] > start


@transaction.atomic
def cancel_assignment(
    *, tenant: Tenant, assignment_id: int, reason: str, actor: User | None = None
) -> ShiftAssignment:
    """Cancel a scheduled shift with a reason and publish ``assignment.cancelled``. Cancelling
    an already cancelled shift changes nothing (the first reason stays), so retries are safe."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("A reason is required to cancel a shift."), code="reason_required")
    assignment = (
        ShiftAssignment.objects.for_tenant(tenant)
        .select_for_update()
        .select_related("membership", "skill_group")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        raise NotFound(_("Not found."))
    if assignment.status == ShiftAssignment.Status.CANCELLED:
        return assignment
    assignment.status = ShiftAssignment.Status.CANCELLED
    assignment.cancel_reason = reason[:2000]
    assignment.cancelled_at = timezone.now()
    assignment.save(update_fields=["status", "cancel_reason", "cancelled_at"])
    payload = assignment_payload(
        assignment, assignment.membership.employee_id, assignment.skill_group.code
    )
    payload.update(reason=assignment.cancel_reason, reason_code="cancelled_by_user")
    if actor is not None:
        payload["cancelled_by"] = actor.get_username()
    publish(tenant_id=tenant.pk, event_type="assignment.cancelled", payload=payload)
    return assignment


# --------------------------------------------------------------------------- idempotency
def request_fingerprint(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class IdempotentResult:
    status_code: int
    body: dict
    replayed: bool


def run_idempotent(
    *, tenant: Tenant, key: str, fingerprint: str, produce: Callable[[], tuple[int, dict]]
) -> IdempotentResult:
    """Run ``produce`` once per (tenant, key): its writes and the stored answer commit together,
    so a retry (even a concurrent one) replays the first answer instead of writing twice. The
    same key with a different request is refused (``idempotency_key_reused``)."""
    if not key or len(key) > 200:
        raise InvalidInput(
            _("The Idempotency-Key header must be 1 to 200 characters."),
            code="invalid_idempotency_key",
        )
    existing = _replay(tenant, key, fingerprint)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            # Requests with the same key queue here until the first commits, then replay its
            # answer: producing beside it would find its writes (a shift it placed overlaps).
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                    [f"idempotency:{tenant.pk}:{key}"],
                )
            existing = _replay(tenant, key, fingerprint)
            if existing is not None:
                return existing
            status_code, body = produce()
            if status_code < 500:
                IdempotencyRecord.objects.create(
                    tenant=tenant,
                    key=key,
                    request_hash=fingerprint,
                    status_code=status_code,
                    response=body,
                )
    except IntegrityError:
        existing = _replay(tenant, key, fingerprint)
        if existing is None:
            raise
        return existing
    return IdempotentResult(status_code=status_code, body=body, replayed=False)


def _replay(tenant: Tenant, key: str, fingerprint: str) -> IdempotentResult | None:
    record = IdempotencyRecord.objects.for_tenant(tenant).filter(key=key).first()
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise Unprocessable(
            _("This Idempotency-Key was already used for a different request."),
            code="idempotency_key_reused",
        )
    return IdempotentResult(status_code=record.status_code, body=record.response, replayed=True)


@transaction.atomic
def purge_idempotency_records(*, older_than: timedelta) -> int:
    """Forget stored answers older than ``older_than`` (keys are meant for retries, not forever)."""
    cutoff = timezone.now() - older_than
    deleted, _detail = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --------------------------------------------------------------------------- webhooks
@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


# Where a webhook may go. Tenant admins choose the URL and the worker POSTs to it from inside our
# network, so an internal address there would be server-side request forgery. Loopback and the
# private ranges are allowed only while WEBHOOK_ALLOW_PRIVATE_NETWORKS is on (development, the
# test suite, the benchmarks); every other non-public kind is refused whatever the setting.
ADDRESS_KINDS = {
    "loopback": gettext_lazy("a loopback address (this machine)"),
    "private": gettext_lazy("a private network address"),
    "link-local": gettext_lazy("a link-local address (such as a cloud metadata service)"),
    "multicast": gettext_lazy("a multicast address"),
    "unspecified": gettext_lazy("the unspecified address"),
    "reserved": gettext_lazy("a reserved or otherwise non-public address"),
}
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_kind(address: str | IPAddress) -> str | None:
    """The kind of a non-public address (a key of ``ADDRESS_KINDS``), or None for a globally
    routable one. ``is_global`` alone is not enough (multicast and IPv6 site-local count as
    global), and an IPv6 address that carries an IPv4 one is judged by that one too."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d on a dual-stack socket
            return address_kind(ip.ipv4_mapped)
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in NAT64_PREFIX:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and (kind := address_kind(embedded)):
            return kind
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local or (ip.version == 6 and ip.is_site_local):
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if any(ip in network for network in PRIVATE_NETWORKS if network.version == ip.version):
        return "private"
    if ip.is_reserved or ip.is_private or not ip.is_global:
        return "reserved"
    return None


def address_refusal(address: str | IPAddress) -> str | None:
    """The kind of ``address`` when a webhook may not be sent to it under the current settings."""
    kind = address_kind(address)
    if kind in ("loopback", "private") and settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return None
    return kind


def forbidden_address(host: str, address: str, kind: str) -> InvalidInput:
    if host == address:
        message = _("%(host)s is %(kind)s; webhooks are only sent to public internet addresses.")
    else:
        message = _(
            "%(host)s resolves to %(address)s, %(kind)s; webhooks are only sent to public "
            "internet addresses."
        )
    return InvalidInput(
        message % {"host": host, "address": address, "kind": ADDRESS_KINDS[kind]},
        code="forbidden_address",
        details={"host": host, "address": address, "kind": kind},
    )


@dataclass(frozen=True)
class WebhookTarget:
    scheme: str
    host: str  # a name, or an IP literal without brackets
    port: int
    path: str  # path and query string, at least "/"


def webhook_target(url: str, *, registering: bool = True) -> WebhookTarget:
    """The one check of a webhook URL, run when an endpoint is saved (service and admin form) and
    again before every try. Raises ``InvalidInput`` with a stable code: ``invalid_url``,
    ``unsupported_scheme``, ``insecure_scheme`` (plain http unless private networks are allowed;
    only when ``registering``, so endpoints saved before the rule keep being delivered to),
    ``url_credentials`` or ``forbidden_address`` (an IP literal that is not allowed, or
    ``localhost`` on registration). Host names are not resolved here: the answer may change, so
    the worker resolves and checks every address before each try (``scheduling.webhooks``)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InvalidInput(_("Enter a valid URL."), code="invalid_url") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidInput(_("Webhook URLs must start with https://."), code="unsupported_scheme")
    if scheme == "http" and registering and not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        raise InvalidInput(
            _("Webhook URLs must use https://; plain http is accepted only in development."),
            code="insecure_scheme",
        )
    if "@" in parts.netloc:
        raise InvalidInput(
            _(
                "Webhook URLs must not contain a user name or password; receivers check the "
                "webhook signature instead."
            ),
            code="url_credentials",
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidInput(_("The URL names no host."), code="invalid_url")
    literal = ip_literal(host)
    kind = None
    if literal is not None:
        kind = address_refusal(literal)
    elif registering and (host == "localhost" or host.endswith(".localhost")):
        kind = address_refusal("127.0.0.1")  # loopback by definition (RFC 6761): say so now
    if kind:
        raise forbidden_address(host, host, kind)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return WebhookTarget(scheme, host, port or (443 if scheme == "https" else 80), path)


def ip_literal(host: str) -> IPAddress | None:
    """``host`` as an address when it is one, including the legacy IPv4 spellings the resolver
    also accepts (``127.1``, ``2130706433``, ``0x7f.0.0.1``)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


@transaction.atomic
def create_webhook_endpoint(
    *, tenant: Tenant, url: str, event_types: list[str] | None = None, active: bool = True
) -> NewEndpoint:
    """Register an endpoint with a fresh signing secret (``whsec_…``), returned for showing once.
    The URL must pass ``webhook_target``."""
    url = url.strip()
    webhook_target(url)
    secret = new_webhook_secret()
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant, url=url, secret=secret, event_types=list(event_types or []), active=active
    )
    return NewEndpoint(endpoint=endpoint, secret=secret)


@transaction.atomic
def update_webhook_endpoint(
    *,
    tenant: Tenant,
    endpoint_id: int,
    url: str,
    event_types: list[str] | None = None,
    active: bool = True,
) -> WebhookEndpoint:
    """Change an endpoint. A changed URL must pass ``webhook_target``; an unchanged one is kept
    as it is, so an endpoint saved before a rule existed can still be switched off or narrowed
    (its deliveries are checked before every try anyway)."""
    endpoint = (
        WebhookEndpoint.objects.for_tenant(tenant)
        .select_for_update()
        .filter(pk=endpoint_id)
        .first()
    )
    if endpoint is None:
        raise NotFound(_("Not found."))
    url = url.strip()
    if url != endpoint.url:
        webhook_target(url)
    endpoint.url = url
    endpoint.event_types = list(event_types or [])
    endpoint.active = active
    endpoint.save(update_fields=["url", "event_types", "active"])
    return endpoint


def webhook_id(delivery: WebhookDelivery) -> str:
    """Stable per event and endpoint, so every retry of one delivery carries the same id."""
    return f"msg_sg{delivery.tenant_id}_{delivery.event_id}_{delivery.endpoint_id}"


def backoff_seconds(attempts: int) -> int:
    """Exponential backoff after ``attempts`` failed tries: base * 2^(n-1), capped."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return int(min(base * 2 ** max(attempts - 1, 0), settings.WEBHOOK_RETRY_MAX_SECONDS))


@transaction.atomic
def dispatch_outbox(*, tenant_id: int, limit: int = 500) -> list[int]:
    """Turn undispatched outbox events of a tenant into one delivery per matching active
    endpoint and mark them dispatched. Safe to run twice at once (rows are claimed with
    SKIP LOCKED; deliveries are unique per endpoint and event). Returns the delivery ids to send
    (queued after commit by the caller)."""
    events = list(
        OutboxEvent.objects.for_tenant(tenant_id)
        .select_for_update(skip_locked=True)
        .filter(dispatched_at__isnull=True)
        .order_by("pk")[:limit]
    )
    if not events:
        return []
    endpoints = list(WebhookEndpoint.objects.for_tenant(tenant_id).filter(active=True))
    now = timezone.now()
    deliveries = [
        WebhookDelivery(tenant_id=tenant_id, endpoint=ep, event=ev, next_attempt_at=now)
        for ev in events
        for ep in endpoints
        if ep.wants(ev.event_type)
    ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(dispatched_at=now)
    return list(
        WebhookDelivery.objects.filter(
            event_id__in=[e.pk for e in events], status=WebhookDelivery.Status.PENDING
        ).values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class Claim:
    delivery: WebhookDelivery
    attempt_no: int


def claim_delivery(*, delivery_id: int) -> Claim | None:
    """Take a due delivery for one try: a conditional update counts the attempt and leases the
    row until the timeout passes, so two workers never send it at once and a worker that dies
    mid-send cannot loop forever (attempts are counted before sending)."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 2 + 5)
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint", "event")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .first()
        )
        if delivery is None:
            return None
        if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS or not delivery.endpoint.active:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "next_attempt_at"])
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = lease
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return Claim(delivery=delivery, attempt_no=delivery.attempts)


@transaction.atomic
def record_attempt(
    *,
    delivery: WebhookDelivery,
    status_code: int | None,
    error: str,
    duration_ms: int,
    at: datetime,
) -> WebhookDelivery:
    """Log one try and decide what comes next: delivered (2xx), retry later with exponential
    backoff under the same webhook-id, or give up after ``WEBHOOK_MAX_ATTEMPTS``."""
    WebhookAttempt.objects.create(
        tenant_id=delivery.tenant_id,
        delivery=delivery,
        at=at,
        status_code=status_code,
        error=error[:2000],
        duration_ms=duration_ms,
    )
    ok = status_code is not None and 200 <= status_code < 300
    delivery.last_status_code = status_code
    delivery.last_error = "" if ok else error[:2000]
    if ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = timezone.now() + timedelta(
            seconds=backoff_seconds(delivery.attempts)
        )
    delivery.save(
        update_fields=[
            "status",
            "delivered_at",
            "next_attempt_at",
            "last_status_code",
            "last_error",
        ]
    )
    return delivery


@transaction.atomic
def replay_delivery(*, tenant: Tenant, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again (admin action), under the same webhook-id so receivers that already
    have it can drop it. The attempt counter restarts; the log keeps every earlier try."""
    delivery = (
        WebhookDelivery.objects.for_tenant(tenant)
        .select_for_update()
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise NotFound(_("Not found."))
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    transaction.on_commit(
        lambda: enqueue("scheduling.tasks.deliver_webhook", delivery_id=delivery.pk)
    )
    return delivery


def due_work(*, limit: int = 1000) -> tuple[list[int], list[int]]:
    """What the periodic sweep re-queues: tenants with undispatched outbox events older than a
    few seconds (their nudge was lost, e.g. broker down), and deliveries whose retry time came."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS)
    tenants = list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, created_at__lte=stale)
        .values_list("tenant_id", flat=True)
        .distinct()
        .order_by("tenant_id")[:limit]
    )
    deliveries = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return tenants, deliveries


__all__ = [
    "REASONS",
    "AssignmentRequest",
    "AssignmentsRefused",
    "BulkResult",
    "DomainError",
    "Refusal",
    "cancel_assignment",
    "create_assignments",
    "create_webhook_endpoint",
    "dispatch_outbox",
    "replay_delivery",
    "run_idempotent",
    "update_webhook_endpoint",
    "webhook_target",
]
