"""Tasks (thin, safe to run twice, catch-up sweep), the training hand-off, requirements that
cannot be met, and the admin pages."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from certification import tasks
from certification.models import Certification, CertificationEvent, EmailMessage, Requirement
from certification.services import add_requirement, evaluate_recent_progress
from core.errors import InvalidInput
from training.models import Curriculum
from training.services import complete_lesson, enroll_agents

from .factories import certify, finish_curriculum, make_curriculum, make_group


def test_evaluate_task_skips_a_missing_membership(world):
    assert tasks.evaluate_agent(world.tenant.pk, 2_000_000_000) == 0
    assert tasks.evaluate_agent(world.other_tenant.pk, world.agent.pk) == 0


def test_completing_the_last_lesson_certifies_through_the_task(
    world, django_capture_on_commit_callbacks
):
    curriculum = make_curriculum(world.tenant, lessons=2, quizzes=0)
    group = make_group(world.tenant, curricula=[curriculum], requires_approval=False)
    enroll_agents(
        tenant=world.tenant,
        curricula=[curriculum],
        memberships=[world.agent],
        assigned_by=None,
        due_at=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        for lesson in curriculum.lessons.all():
            complete_lesson(membership=world.agent, lesson=lesson)
    cert = Certification.objects.get(membership=world.agent, skill_group=group)
    assert cert.status == "active"


def test_progress_sweep_catches_up_a_lost_task_message(world):
    curriculum = make_curriculum(world.tenant)
    make_group(world.tenant, curricula=[curriculum])
    evaluate_recent_progress(now=timezone.now() - timedelta(minutes=10))  # the previous run
    finish_curriculum(world.agent, curriculum)  # no task message was sent
    assert evaluate_recent_progress() == 1
    assert Certification.objects.filter(membership=world.agent, status="pending").count() == 1
    # Running again creates nothing more.
    evaluate_recent_progress(now=timezone.now() + timedelta(hours=1))
    assert Certification.objects.filter(membership=world.agent).count() == 1


def test_email_task_sends_once(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        certify(world.agent)
    email = EmailMessage.objects.get()
    assert email.sent_at is not None and len(mail.outbox) == 1
    assert tasks.send_email(email.pk) is False  # already sent: not sent again
    assert len(mail.outbox) == 1


def test_failed_email_is_left_for_the_sweep(world, settings):
    settings.EMAIL_BACKEND = "tests.certification.broken_mail.Backend"
    certify(world.agent)
    email = EmailMessage.objects.get()
    assert tasks.send_email(email.pk) is False
    email.refresh_from_db()
    assert email.sent_at is None and email.attempts == 1 and "refused" in email.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    EmailMessage.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert tasks.send_pending_emails() == 1


def test_requirement_on_retired_curriculum_is_refused(world):
    group = make_group(world.tenant)
    retired = make_curriculum(world.tenant, status=Curriculum.Status.RETIRED)
    with pytest.raises(InvalidInput) as exc:
        add_requirement(tenant=world.tenant, skill_group=group, curriculum=retired)
    assert exc.value.code == "unmeetable" and "retired" in exc.value.message
    assert not Requirement.objects.filter(skill_group=group).exists()
    ok = add_requirement(
        tenant=world.tenant,
        skill_group=group,
        curriculum=make_curriculum(world.tenant),
        min_score_percent=85,
    )
    assert ok.min_score_percent == 85


def test_admin_refuses_requirement_on_retired_curriculum(world, client_for):
    retired = make_curriculum(world.tenant, status=Curriculum.Status.RETIRED)
    group = make_group(world.tenant)
    client = client_for(world.admin)
    url = reverse("admin:certification_skillgroup_change", args=[group.pk])
    assert client.get(url).status_code == 200
    data = {
        "code": group.code,
        "name": group.name,
        "validity_days": 365,
        "requires_approval": "on",
        "reminder_schedule": "60,30,7",
        "target_headcount": 0,
        "external_id": "",
        "active": "on",
        "requirements-TOTAL_FORMS": 1,
        "requirements-INITIAL_FORMS": 0,
        "requirements-MIN_NUM_FORMS": 0,
        "requirements-MAX_NUM_FORMS": 1000,
        "requirements-0-curriculum": retired.pk,
        "requirements-0-quiz": "",
        "requirements-0-min_score_percent": "",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "nobody could meet this requirement" in response.content.decode()
    assert not Requirement.objects.filter(skill_group=group).exists()


def test_admin_shows_certifications_and_events_read_only(world, client_for):
    cert = certify(world.agent)
    client = client_for(world.admin)
    assert client.get(reverse("admin:certification_certification_changelist")).status_code == 200
    page = client.get(reverse("admin:certification_certification_change", args=[cert.pk]))
    assert page.status_code == 200 and 'type="submit" value="Save"' not in page.content.decode()
    event = cert.events.get()
    page = client.get(reverse("admin:certification_certificationevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert (
        client.post(
            reverse("admin:certification_certificationevent_delete", args=[event.pk]),
            {"post": "yes"},
        ).status_code
        == 403
    )
    assert CertificationEvent.objects.filter(pk=event.pk).exists()


def test_admin_approve_action_goes_through_the_service(world, client_for):
    cert = certify(world.agent)
    client = client_for(world.admin)
    client.post(
        reverse("admin:certification_certification_changelist"),
        {"action": "approve_selected", "_selected_action": [cert.pk]},
    )
    cert.refresh_from_db()
    assert cert.status == "active" and cert.decided_by == world.admin.user
    assert cert.events.last().new_status == "active"


def test_recertification_task_skips_missing_or_foreign_curriculum(world):
    curriculum = make_curriculum(world.tenant)
    assert tasks.start_recertification(world.tenant.pk, 2_000_000_000) == 0
    assert tasks.start_recertification(world.other_tenant.pk, curriculum.pk) == 0


def test_emails_of_a_big_change_are_sent_in_batches(world, django_capture_on_commit_callbacks):
    from certification.services.notifications import EMAIL_BATCH

    with django_capture_on_commit_callbacks(execute=True):
        certify(world.agent)
        certify(world.other_agent)
    emails = list(EmailMessage.objects.order_by("pk"))
    assert len(emails) == 2 and all(e.sent_at for e in emails)
    EmailMessage.objects.update(sent_at=None)
    mail.outbox.clear()
    assert tasks.send_emails([e.pk for e in emails]) == 2
    assert len(mail.outbox) == 2
    assert tasks.send_emails([e.pk for e in emails]) == 0  # a replayed batch sends nothing twice
    assert EMAIL_BATCH >= 100
