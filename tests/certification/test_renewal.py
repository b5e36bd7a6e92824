"""Renewal and retries over time (issue 15, defects 3 to 6, and renewal that only grows the
window): the latest passing evidence counts, the reminder really assigns training, readiness
explains every state, late activations get the recertification deadline, and a renewal never
cancels a shift."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from certification.models import Certification, Notification
from certification.services import (
    approve_certification,
    evaluate_agent,
    expire_due_certifications,
    reject_certification,
    revoke_certification,
    send_expiry_reminders,
    start_recertification,
)
from scheduling.models import ShiftAssignment
from tests.scheduling.factories import HOUR, shift
from training.models import Enrollment
from training.selectors import assignments
from training.services import enroll_agents, new_curriculum_version, publish_curriculum

from .factories import (
    certify,
    complete_lessons,
    finish_curriculum,
    make_curriculum,
    make_group,
    sit_quiz,
)

DAY = timedelta(days=1)


def _live(membership, group) -> Certification:
    return Certification.objects.get(
        membership=membership, skill_group=group, status__in=["pending", "active"]
    )


# --- defect 3: the latest passing evidence counts -------------------------------------------


def test_a_lower_pass_after_a_reminder_renews_the_certification(world):
    curriculum = make_curriculum(world.tenant, lessons=1, quizzes=1, pass_mark=80)
    group = make_group(world.tenant, curricula=[curriculum], requires_approval=False)
    complete_lessons(world.agent, curriculum)
    quiz = curriculum.quizzes.get()
    sit_quiz(world.agent, quiz, percent=98)
    cert = evaluate_agent(tenant=world.tenant, membership=world.agent)[0]
    old_until = cert.valid_until
    reminded = cert.valid_until - 10 * DAY
    assert send_expiry_reminders(now=reminded) == 1
    # 85% passes the 80% mark; it is below the earlier 98% and must still renew.
    sit_quiz(world.agent, quiz, percent=85, when=reminded + HOUR)
    renewed = evaluate_agent(tenant=world.tenant, membership=world.agent, now=reminded + 2 * HOUR)
    assert [(c.pk, c.skill_group_id) for c in renewed] == [(cert.pk, group.pk)]
    cert.refresh_from_db()
    assert cert.valid_until > old_until
    quiz_evidence = cert.evidence["requirements"][0]["quizzes"][0]
    assert quiz_evidence["percent"] == "85.00"


def test_a_retry_after_a_rejection_creates_a_new_request_below_the_best_score(world):
    quiz_home = make_curriculum(world.tenant, lessons=0, quizzes=1, pass_mark=80)
    quiz = quiz_home.quizzes.get()
    group = make_group(world.tenant, quizzes=[quiz])
    sit_quiz(world.agent, quiz, percent=98, when=timezone.now() - 2 * HOUR)
    first = evaluate_agent(tenant=world.tenant, membership=world.agent)[0]
    reject_certification(
        tenant=world.tenant, certification=first, actor=world.lead, comment="Call 3 was rushed"
    )
    sit_quiz(world.agent, quiz, percent=90)
    again = evaluate_agent(tenant=world.tenant, membership=world.agent)
    assert [(c.skill_group_id, c.status) for c in again] == [(group.pk, "pending")]
    assert again[0].evidence["requirements"][0]["percent"] == "90.00"


# --- defect 4: the reminder assigns what it says ----------------------------------------------


def test_the_reminder_assigns_the_current_version_again_when_the_enrolment_is_complete(world):
    curriculum = make_curriculum(world.tenant, code="telco", lessons=1, quizzes=1)
    group = make_group(world.tenant, curricula=[curriculum], requires_approval=False)
    enroll_agents(
        tenant=world.tenant,
        curricula=[curriculum],
        memberships=[world.agent],
        assigned_by=world.lead,
        due_at=None,
    )
    cert = certify(world.agent, group=group)
    enrolment = Enrollment.objects.get(membership=world.agent, curriculum=curriculum)
    assert enrolment.completed_at is not None
    assert send_expiry_reminders(now=cert.valid_until - 10 * DAY) == 1
    todo = [a for a in assignments(membership=world.agent) if a.completed_at is None]
    assert [(a.curriculum_id, a.due_at, a.percent < 100) for a in todo] == [
        (curriculum.pk, cert.valid_until, True)
    ]
    notice = Notification.objects.get(membership=world.agent, kind="reminder_training")
    assert "assigned" in notice.text and _shown(cert.valid_until) in notice.text
    # Passing the quiz again completes the reopened enrolment (and renews the certification).
    sit_quiz(world.agent, curriculum.quizzes.get(), percent=90, when=cert.valid_until - 9 * DAY)
    enrolment.refresh_from_db()
    assert enrolment.completed_at == cert.valid_until - 9 * DAY


def test_the_reminder_claims_no_training_when_there_is_nothing_to_retake(world):
    curriculum = make_curriculum(world.tenant, lessons=2, quizzes=0)
    group = make_group(world.tenant, curricula=[curriculum], requires_approval=False)
    cert = certify(world.agent, group=group)
    assert send_expiry_reminders(now=cert.valid_until - 10 * DAY) == 1
    notice = Notification.objects.get(certification=cert, kind__startswith="reminder")
    assert notice.kind == "reminder" and "assigned" not in notice.text
    assert _shown(cert.valid_until) in notice.text
    assert not Enrollment.objects.filter(membership=world.agent, completed_at=None).exists()


# --- defect 5: readiness explains every state -------------------------------------------------


def _readiness(client_for, membership, group) -> str:
    url = reverse("certification:readiness", kwargs={"pk": group.pk})
    page = client_for(membership).get(url)
    assert page.status_code == 200
    return page.content.decode()


def _one_quiz_group(world, **extra):
    curriculum = make_curriculum(world.tenant, lessons=1, quizzes=1)
    group = make_group(world.tenant, curricula=[curriculum], **extra)
    return curriculum, group


def test_readiness_of_an_expired_certification_links_the_quiz_to_take(world, client_for):
    curriculum, group = _one_quiz_group(world, requires_approval=False)
    cert = certify(world.agent, group=group)
    expire_due_certifications(now=cert.valid_until + timedelta(seconds=1))
    body = _readiness(client_for, world.agent, group)
    assert "Nothing is missing" not in body
    assert "expired" in body.lower()
    assert reverse("training:quiz", kwargs={"pk": curriculum.quizzes.get().pk}) in body


def test_readiness_of_a_rejected_certification_gives_the_reason_and_what_to_redo(world, client_for):
    curriculum, group = _one_quiz_group(world)
    cert = certify(world.agent, group=group)
    reject_certification(
        tenant=world.tenant, certification=cert, actor=world.lead, comment="Retake the billing quiz"
    )
    body = _readiness(client_for, world.agent, group)
    assert "Nothing is missing" not in body
    assert "Retake the billing quiz" in body
    assert reverse("training:quiz", kwargs={"pk": curriculum.quizzes.get().pk}) in body


def test_readiness_of_a_pending_certification_says_it_waits_for_approval(world, client_for):
    _curriculum, group = _one_quiz_group(world)
    certify(world.agent, group=group)
    body = _readiness(client_for, world.agent, group)
    assert "waits for a team lead" in body and "Nothing is missing" not in body


def test_readiness_of_a_revoked_certification_sends_the_agent_to_the_lead(world, client_for):
    _curriculum, group = _one_quiz_group(world)
    cert = certify(world.agent, group=group, approve_by=world.lead)
    revoke_certification(
        tenant=world.tenant, certification=cert, actor=world.lead, reason="Data breach"
    )
    body = _readiness(client_for, world.agent, group)
    assert "Data breach" in body and "team lead" in body
    assert "Nothing is missing" not in body


def test_readiness_in_a_grace_period_links_the_new_version(world, client_for):
    v1 = make_curriculum(world.tenant, code="telco", lessons=1, quizzes=1)
    group = make_group(world.tenant, curricula=[v1], requires_approval=False)
    certify(world.agent, group=group)
    v2 = _recertifying_v2(world, v1)
    start_recertification(tenant=world.tenant, curriculum=v2)
    body = _readiness(client_for, world.agent, group)
    assert "Recertify by" in body
    assert reverse("training:lesson", kwargs={"pk": v2.lessons.get().pk}) in body


def test_readiness_of_missing_requirements_links_the_next_lesson(world, client_for):
    curriculum, group = _one_quiz_group(world)
    body = _readiness(client_for, world.agent, group)
    assert reverse("training:lesson", kwargs={"pk": curriculum.lessons.get().pk}) in body


# --- defect 6: late activations get the recertification deadline --------------------------


def _recertifying_v2(world, v1):
    v2 = new_curriculum_version(curriculum=v1, requires_recertification=True)
    return publish_curriculum(curriculum=v2)


def test_a_pending_v1_certification_approved_after_v2_gets_the_deadline(world, settings):
    settings.CERT_RECERT_GRACE_DAYS = 14
    v1 = make_curriculum(world.tenant, code="telco")
    group = make_group(world.tenant, curricula=[v1])
    holder = certify(world.other_agent, group=group, approve_by=world.lead)
    pending = certify(world.agent, group=group)
    v2 = _recertifying_v2(world, v1)
    assert start_recertification(tenant=world.tenant, curriculum=v2) == 1
    holder.refresh_from_db()
    approved = approve_certification(tenant=world.tenant, certification=pending, actor=world.lead)
    assert approved.grace_until is not None
    assert abs(approved.grace_until - holder.grace_until) < timedelta(minutes=1)


def test_a_late_evaluation_of_v1_evidence_gets_the_deadline(world, settings):
    settings.CERT_RECERT_GRACE_DAYS = 14
    v1 = make_curriculum(world.tenant, code="telco")
    group = make_group(world.tenant, curricula=[v1], requires_approval=False)
    finish_curriculum(world.agent, v1)  # evaluated only later (the hand-off ran late)
    v2 = _recertifying_v2(world, v1)
    cert = evaluate_agent(tenant=world.tenant, membership=world.agent)[0]
    assert cert.status == "active" and cert.grace_until is not None
    assert abs(cert.grace_until - (v2.published_at + 14 * DAY)) < timedelta(minutes=1)
    # Evidence from the new version needs no deadline.
    finish_curriculum(world.other_agent, v2)
    fresh = evaluate_agent(tenant=world.tenant, membership=world.other_agent)[0]
    assert fresh.skill_group_id == group.pk and fresh.grace_until is None


# --- renewal only grows the window -----------------------------------------------------------


def _certified_ten_days_ago(world, *, validity_days=30):
    curriculum = make_curriculum(world.tenant, code="telco", lessons=1, quizzes=1)
    group = make_group(
        world.tenant,
        curricula=[curriculum],
        requires_approval=False,
        validity_days=validity_days,
    )
    then = timezone.now() - 10 * DAY
    complete_lessons(world.agent, curriculum, when=then - HOUR)
    sit_quiz(world.agent, curriculum.quizzes.get(), percent=95, when=then - HOUR)
    cert = evaluate_agent(tenant=world.tenant, membership=world.agent, now=then)[0]
    return curriculum, group, cert


def test_renewal_after_a_reminder_keeps_the_start_and_the_shift_in_progress(world):
    curriculum, group, cert = _certified_ten_days_ago(world)
    now = timezone.now()
    working = shift(world.agent, group, start=now - 2 * HOUR)
    later = shift(world.agent, group, start=now + DAY)
    assert send_expiry_reminders(now=now - HOUR) == 1
    sit_quiz(world.agent, curriculum.quizzes.get(), percent=99, when=now)
    old_from, old_until = cert.valid_from, cert.valid_until
    assert evaluate_agent(tenant=world.tenant, membership=world.agent)
    cert.refresh_from_db()
    assert cert.valid_from == old_from and cert.valid_until > old_until
    for assignment in (working, later):
        assignment.refresh_from_db()
        assert assignment.status == ShiftAssignment.Status.SCHEDULED


def test_renewal_in_a_grace_period_keeps_the_shift_in_progress(world):
    v1, group, cert = _certified_ten_days_ago(world, validity_days=365)
    v2 = _recertifying_v2(world, v1)
    assert start_recertification(tenant=world.tenant, curriculum=v2) == 1
    working = shift(world.agent, group, start=timezone.now() - 2 * HOUR)
    finish_curriculum(world.agent, v2)
    cert.refresh_from_db()
    old_from, old_until = cert.valid_from, cert.valid_until
    assert evaluate_agent(tenant=world.tenant, membership=world.agent)
    cert.refresh_from_db()
    assert cert.grace_until is None
    assert cert.valid_from == old_from and cert.valid_until >= old_until
    working.refresh_from_db()
    assert working.status == ShiftAssignment.Status.SCHEDULED


def test_a_renewal_after_a_reminder_needs_every_quiz_passed_again(world):
    curriculum = make_curriculum(world.tenant, code="telco", lessons=1, quizzes=2)
    group = make_group(world.tenant, curricula=[curriculum], requires_approval=False)
    cert = certify(world.agent, group=group)
    reminded = cert.valid_until - 10 * DAY
    assert send_expiry_reminders(now=reminded) == 1
    first, second = curriculum.quizzes.order_by("pk")
    sit_quiz(world.agent, first, percent=90, when=reminded + HOUR)
    assert evaluate_agent(tenant=world.tenant, membership=world.agent, now=reminded + HOUR) == []
    sit_quiz(world.agent, second, percent=90, when=reminded + 2 * HOUR)
    renewed = evaluate_agent(tenant=world.tenant, membership=world.agent, now=reminded + 2 * HOUR)
    assert [c.pk for c in renewed] == [cert.pk]
    # The reopened assignment completed with the same passes.
    enrolment = Enrollment.objects.get(membership=world.agent, curriculum=curriculum)
    assert enrolment.completed_at == reminded + 2 * HOUR


def _shown(moment) -> str:
    """A time as a notification shows it to the reader (the active zone, the language's format)."""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
