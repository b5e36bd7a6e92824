"""Expiry sweep, reminders and recertification deadlines."""

from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certification.audit import verify_tenant
from certification.models import Certification, CertificationEvent, Notification
from certification.services import (
    evaluate_agent,
    expire_due_certifications,
    send_expiry_reminders,
)
from events.models import OutboxEvent
from tests.factories import MembershipFactory
from training.models import Enrollment
from training.services import new_curriculum_version, publish_curriculum

from .factories import certify, finish_curriculum, make_curriculum, make_group, sit_quiz


def _bulk_active(tenant, group, n, *, until):
    """Many active certifications at once (a scale fixture; single ones go through services)."""
    members = [MembershipFactory(tenant=tenant) for _ in range(n)]
    start = until - timedelta(days=group.validity_days)
    return Certification.objects.bulk_create(
        [
            Certification(
                tenant=tenant,
                membership=m,
                skill_group=group,
                status="active",
                valid_from=start,
                valid_until=until,
            )
            for m in members
        ]
    )


def test_expiry_sweep_expires_many_rows_in_one_statement(world):
    group = make_group(world.tenant, curricula=[make_curriculum(world.tenant)])
    now = timezone.now()
    due = _bulk_active(world.tenant, group, 120, until=now - timedelta(minutes=1))
    fresh = certify(world.agent, group=group, approve_by=world.lead)
    with CaptureQueriesContext(connection) as ctx:
        assert expire_due_certifications(now=now) == 120
    updates = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("UPDATE") and "certification_certification" in q["sql"]
    ]
    assert len(updates) == 1
    inserts = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("INSERT") and "certificationevent" in q["sql"]
    ]
    # Set-based: one INSERT per kind of row, whatever the number of certifications.
    assert len(inserts) == 1
    statements = [
        q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    # UPDATE, one SELECT of values, the chain's tail and its advisory lock, and one INSERT each
    # for events, outbox rows, notifications and e-mails.
    assert len(statements) == 8
    assert Certification.objects.filter(pk__in=[c.pk for c in due], status="expired").count() == 120
    fresh.refresh_from_db()
    assert fresh.status == "active"
    assert CertificationEvent.objects.filter(new_status="expired").count() == 120
    assert OutboxEvent.objects.filter(event_type="certification.expired").count() == 120
    assert Notification.objects.filter(kind="expired").count() == 120
    assert verify_tenant(tenant_id=world.tenant.pk, slug=world.tenant.slug).problems == []
    # Running again finds nothing left to do.
    assert expire_due_certifications(now=now) == 0
    assert CertificationEvent.objects.filter(new_status="expired").count() == 120


def test_expiry_sweep_writes_what_the_single_row_services_write(world, mailoutbox):
    """The sweep builds its rows set-based; the outside world must not be able to tell: the
    outbox payload, the notification and the e-mail equal what the per-certification helpers
    produce, times keep their microseconds, and the chain verifies."""
    from django.utils import translation

    from certification.messages import notification_text
    from certification.models import EmailMessage
    from certification.services import event_payload

    curriculum = make_curriculum(world.tenant, lessons=1, quizzes=0)
    group = make_group(world.tenant, curricula=[curriculum], requires_approval=False)
    cert = certify(world.agent, group=group)
    assert cert.valid_from.microsecond  # set from the clock, so the ISO form carries them
    assert expire_due_certifications(now=cert.valid_until + timedelta(seconds=1)) == 1
    cert.refresh_from_db()
    assert cert.status == "expired"
    event = OutboxEvent.objects.get(event_type="certification.expired")
    assert event.payload == event_payload(cert, "Validity period ended")
    assert event.tenant_id == world.tenant.pk and event.dispatched_at is None
    notice = Notification.objects.get(kind="expired")
    # Times are kept as instants, to the microsecond, and put into a zone when rendered.
    params = {"group": group.name, "until": cert.valid_until.astimezone(UTC).isoformat()}
    assert notice.params == {**params, "grace": "", "reason": ""}
    assert (notice.membership_id, notice.certification_id) == (world.agent.pk, cert.pk)
    with translation.override(world.tenant.default_language):
        subject, body = notification_text("expired", notice.params)
    assert notice.message == body and notice.read_at is None
    mail = EmailMessage.objects.get(body=body)
    assert (mail.to, mail.subject, mail.attempts, mail.sent_at) == (
        world.agent.user.email,
        subject,
        0,
        None,
    )
    assert mail.last_error == "" and mail.created_at is not None
    assert verify_tenant(tenant_id=world.tenant.pk, slug=world.tenant.slug).problems == []


def test_expired_certification_is_renewed_only_by_fresh_evidence(world):
    curriculum = make_curriculum(world.tenant, lessons=0, quizzes=1)
    group = make_group(world.tenant, curricula=[curriculum], requires_approval=False)
    cert = certify(world.agent, group=group)
    expire_due_certifications(now=cert.valid_until + timedelta(seconds=1))
    cert.refresh_from_db()
    assert cert.status == "expired"
    assert evaluate_agent(tenant=world.tenant, membership=world.agent) == []
    sit_quiz(world.agent, curriculum.quizzes.get(), percent=95)
    renewed = evaluate_agent(tenant=world.tenant, membership=world.agent)
    assert [c.status for c in renewed] == ["active"]


def test_reminders_are_sent_once_and_enrol_for_recertification(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    curriculum = make_curriculum(world.tenant, code="telco")
    group = make_group(
        world.tenant, curricula=[curriculum], reminder_schedule=[30], validity_days=100
    )
    cert = certify(world.agent, group=group, approve_by=world.lead)
    other = certify(world.other_agent, group=group, approve_by=world.lead)
    Enrollment.objects.all().delete()
    now = cert.valid_until - timedelta(days=10)  # inside the 30-day window
    with django_capture_on_commit_callbacks(execute=True):
        assert send_expiry_reminders(now=now) == 2
        assert send_expiry_reminders(now=now) == 0
        assert send_expiry_reminders(now=now + timedelta(days=1)) == 0
    # Training was assigned (the curriculum has a quiz to pass again), and the message says so.
    assert Notification.objects.filter(kind="reminder_training").count() == 2
    cert.refresh_from_db()
    assert cert.reminded_at == now
    # Mail goes out in the tenant's language (zh-hans here), once per reminded agent.
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [world.agent.user.email, world.other_agent.user.email]
    )
    assert all("到期" in m.body and group.name in m.body for m in mailoutbox)
    enrolled = Enrollment.objects.filter(curriculum=curriculum).values_list(
        "membership_id", flat=True
    )
    assert set(enrolled) == {world.agent.pk, world.other_agent.pk}
    # Each agent's assignment is due at that agent's expiry.
    assert Enrollment.objects.get(membership=world.agent).due_at == cert.valid_until
    assert Enrollment.objects.get(membership=world.other_agent).due_at == other.valid_until


def test_reminder_window_not_reached_sends_nothing(world):
    group = make_group(
        world.tenant, curricula=[make_curriculum(world.tenant)], reminder_schedule=[7]
    )
    cert = certify(world.agent, group=group, approve_by=world.lead)
    assert send_expiry_reminders(now=cert.valid_until - timedelta(days=8)) == 0
    assert send_expiry_reminders(now=cert.valid_until - timedelta(days=6)) == 1


def test_passing_again_after_a_reminder_renews_the_window(world):
    curriculum = make_curriculum(world.tenant, lessons=1, quizzes=1)
    group = make_group(
        world.tenant, curricula=[curriculum], requires_approval=False, validity_days=60
    )
    cert = certify(world.agent, group=group)
    old_from, old_until = cert.valid_from, cert.valid_until
    send_expiry_reminders(now=timezone.now() - timedelta(minutes=5) + timedelta(days=31))
    cert.refresh_from_db()
    assert cert.reminded_at is not None
    sit_quiz(
        world.agent,
        curriculum.quizzes.get(),
        percent=99,
        when=cert.reminded_at + timedelta(minutes=1),
    )
    renewed_at = cert.reminded_at + timedelta(minutes=2)
    evaluate_agent(tenant=world.tenant, membership=world.agent, now=renewed_at)
    cert.refresh_from_db()
    assert cert.status == "active" and cert.valid_until > old_until and cert.reminded_at is None
    # The renewal is recorded at the evaluation's time; the window keeps its start and ends a
    # full period after the renewal.
    event = CertificationEvent.objects.filter(certification=cert).last()
    assert event.data.get("renewed") and event.at == renewed_at
    assert cert.valid_from == old_from
    assert cert.valid_until == renewed_at + timedelta(days=group.validity_days)


def test_new_version_requiring_recertification_sets_grace_deadline(
    world, settings, django_capture_on_commit_callbacks
):
    settings.CERT_RECERT_GRACE_DAYS = 14
    v1 = make_curriculum(world.tenant, code="telco")
    group = make_group(world.tenant, curricula=[v1], requires_approval=False)
    unrelated = make_group(
        world.tenant, curricula=[make_curriculum(world.tenant)], requires_approval=False
    )
    cert = certify(world.agent, group=group)
    other_cert = certify(world.agent, group=unrelated)
    v2 = new_curriculum_version(curriculum=v1, requires_recertification=True)
    with django_capture_on_commit_callbacks(execute=True):
        publish_curriculum(curriculum=v2)
    cert.refresh_from_db()
    other_cert.refresh_from_db()
    assert other_cert.grace_until is None
    assert cert.grace_until is not None
    assert abs((cert.grace_until - timezone.now()) - timedelta(days=14)) < timedelta(minutes=1)
    assert Enrollment.objects.filter(membership=world.agent, curriculum=v2).exists()
    assert Notification.objects.filter(kind="recertify", membership=world.agent).count() == 1
    # Publishing twice (or the task running twice) does not move the deadline.
    from certification.services import start_recertification

    v2.refresh_from_db()
    assert start_recertification(tenant=world.tenant, curriculum=v2) == 0
    # Completing the old version again does not count; the new one does, and clears the deadline.
    evaluate_agent(tenant=world.tenant, membership=world.agent)
    cert.refresh_from_db()
    assert cert.grace_until is not None
    finish_curriculum(world.agent, v2)
    evaluate_agent(tenant=world.tenant, membership=world.agent)
    cert.refresh_from_db()
    assert cert.grace_until is None and cert.status == "active"


def test_missed_grace_deadline_expires_the_certification(world):
    v1 = make_curriculum(world.tenant, code="telco")
    group = make_group(world.tenant, curricula=[v1], requires_approval=False)
    cert = certify(world.agent, group=group)
    v2 = new_curriculum_version(curriculum=v1, requires_recertification=True)
    v2 = publish_curriculum(curriculum=v2)
    from certification.services import start_recertification

    assert start_recertification(tenant=world.tenant, curriculum=v2) == 1
    cert.refresh_from_db()
    assert expire_due_certifications(now=cert.grace_until - timedelta(seconds=1)) == 0
    assert expire_due_certifications(now=cert.grace_until) == 1
    event = CertificationEvent.objects.filter(certification=cert).last()
    assert event.new_status == "expired" and "deadline" in event.reason


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_write_one_expiry_event_each():
    import threading

    from django.db import connections

    from tests.factories import TenantFactory

    tenant = TenantFactory(slug="race")
    group = make_group(tenant, curricula=[make_curriculum(tenant)])
    now = timezone.now()
    certs = _bulk_active(tenant, group, 60, until=now - timedelta(minutes=1))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(expire_due_certifications(now=now))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(results) == [0, 60]
    for cert in certs:
        assert (
            CertificationEvent.objects.filter(certification=cert, new_status="expired").count() == 1
        )
    assert OutboxEvent.objects.filter(event_type="certification.expired").count() == 60
    assert verify_tenant(tenant_id=tenant.pk, slug=tenant.slug).problems == []
