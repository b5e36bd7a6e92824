"""Expiry reminders on a schedule per skill group: each sent once per validity period, set-based,
seen by the agent (notification) and the lead (approvals page)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certification.audit import verify_tenant
from certification.models import Certification, CertificationEvent, Notification, SkillGroup
from certification.services import evaluate_agent, send_expiry_reminders
from tests.factories import MembershipFactory, TenantFactory

from .factories import certify, make_curriculum, make_group, sit_quiz

DAY = timedelta(days=1)


def _bulk_active(tenant, group, n, *, until):
    """Many active certifications at once (a scale fixture; single ones go through services)."""
    members = [MembershipFactory(tenant=tenant) for _ in range(n)]
    return Certification.objects.bulk_create(
        [
            Certification(
                tenant=tenant,
                membership=m,
                skill_group=group,
                status="active",
                valid_from=until - timedelta(days=group.validity_days),
                valid_until=until,
            )
            for m in members
        ]
    )


def test_each_reminder_of_the_schedule_is_sent_once_per_period(world):
    curriculum = make_curriculum(world.tenant, lessons=1, quizzes=1)
    group = make_group(
        world.tenant,
        curricula=[curriculum],
        requires_approval=False,
        validity_days=100,
        reminder_schedule=[60, 30, 7],
    )
    cert = certify(world.agent, group=group)
    until = cert.valid_until
    sent = {
        days_left: send_expiry_reminders(now=until - days_left * DAY)
        for days_left in (61, 59, 58, 40, 29, 29, 20, 6, 3, 1)
    }
    assert sent == {61: 0, 59: 1, 58: 0, 40: 0, 29: 0, 20: 0, 6: 1, 3: 0, 1: 0}
    # (29 twice: the dict keeps the second run's 0; the first one sent the 30-day reminder.)
    events = CertificationEvent.objects.filter(certification=cert, data__reminder=True)
    assert [e.data["days"] for e in events.order_by("pk")] == [60, 30, 7]
    assert Notification.objects.filter(certification=cert, kind="reminder_training").count() == 3
    cert.refresh_from_db()
    assert cert.reminder_days == 7 and cert.reminded_at == until - 59 * DAY
    # A renewal starts a new period: its reminders are sent again.
    sit_quiz(world.agent, curriculum.quizzes.get(), percent=90, when=until - 2 * DAY)
    evaluate_agent(tenant=world.tenant, membership=world.agent, now=until - 2 * DAY + DAY / 24)
    cert.refresh_from_db()
    assert cert.reminder_days is None and cert.reminded_at is None and cert.valid_until > until
    assert send_expiry_reminders(now=cert.valid_until - 59 * DAY) == 1
    assert verify_tenant(tenant_id=world.tenant.pk, slug=world.tenant.slug).problems == []


def test_a_certification_inside_the_window_gets_only_the_nearest_reminder(world):
    group = make_group(
        world.tenant,
        curricula=[make_curriculum(world.tenant)],
        requires_approval=False,
        validity_days=100,
        reminder_schedule=[7, 60, 30],  # any order
    )
    cert = certify(world.agent, group=group)
    assert send_expiry_reminders(now=cert.valid_until - 20 * DAY) == 1
    cert.refresh_from_db()
    assert cert.reminder_days == 30
    assert send_expiry_reminders(now=cert.valid_until - 19 * DAY) == 0
    assert send_expiry_reminders(now=cert.valid_until - 5 * DAY) == 1


def test_no_reminder_without_a_schedule_or_for_an_inactive_group(world):
    silent = make_group(
        world.tenant, curricula=[make_curriculum(world.tenant)], requires_approval=False
    )
    silent.reminder_schedule = []
    silent.save(update_fields=["reminder_schedule"])
    cert = certify(world.agent, group=silent)
    retired = make_group(
        world.tenant, curricula=[make_curriculum(world.tenant)], requires_approval=False
    )
    other = certify(world.agent, group=retired)
    SkillGroup.objects.filter(pk=retired.pk).update(active=False)
    assert send_expiry_reminders(now=cert.valid_until - DAY) == 0
    assert send_expiry_reminders(now=other.valid_until - DAY) == 0


def _sweep_statements(now):
    with CaptureQueriesContext(connection) as ctx:
        count = send_expiry_reminders(now=now)
    statements = [
        q["sql"].strip()
        for q in ctx.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    return count, statements


def test_the_reminder_sweep_takes_a_constant_number_of_statements(world):
    now = timezone.now()
    small, large = world.tenant, TenantFactory(slug="bigger")
    for size, tenant in ((3, small), (40, large)):
        curriculum = make_curriculum(tenant, lessons=1, quizzes=1)
        group = make_group(tenant, curricula=[curriculum], reminder_schedule=[30])
        _bulk_active(tenant, group, size, until=now + 10 * DAY)
    Certification.objects.filter(tenant=large).update(valid_until=now + 200 * DAY)
    # The claim and one SELECT of values; then per tenant: requirements, curricula, the
    # assignment (quizzes, enrolments, one INSERT), the chain's lock, tail and INSERT, the
    # agents' time zones (the reminder shows dates), the notifications and the e-mails.
    count, statements = _sweep_statements(now)
    assert (count, len(statements)) == (3, 2 + 11)
    Certification.objects.filter(tenant=large).update(valid_until=now + 10 * DAY)
    count, statements = _sweep_statements(now)
    assert (count, len(statements)) == (40, 2 + 11)
    claims = [
        s for s in statements if s.startswith("UPDATE") and "certification_certification" in s
    ]
    assert len(claims) == 1
    # Both tenants in one run (a second period): the enrolments exist now, so one UPDATE per
    # tenant gives them their due date instead of the INSERT (a run with both does both).
    Certification.objects.update(reminder_days=None, reminded_at=None)
    count, statements = _sweep_statements(now)
    assert (count, len(statements)) == (43, 2 + 2 * 11)


def test_the_schedule_is_validated_in_forms_and_in_the_database(world):
    group = make_group(world.tenant, validity_days=90)
    for bad in ([0], [400], [30, 30], [1, 2, 3, 4, 5, 6], [90]):
        group.reminder_schedule = bad
        with pytest.raises(ValidationError) as excinfo:
            group.full_clean()
        assert "reminder_schedule" in excinfo.value.message_dict
    group.reminder_schedule = [60, 30, 7]
    group.full_clean()
    for bad in ([0], [400], [1, 2, 3, 4, 5, 6]):
        with pytest.raises(IntegrityError), transaction.atomic():
            SkillGroup.objects.filter(pk=group.pk).update(reminder_schedule=bad)


def test_the_admin_refuses_a_bad_schedule_with_a_message(world, client_for):
    group = make_group(world.tenant)
    url = reverse("admin:certification_skillgroup_change", args=[group.pk])
    data = {
        "code": group.code,
        "name": group.name,
        "validity_days": 365,
        "requires_approval": "on",
        "reminder_schedule": "60,0",
        "target_headcount": 0,
        "external_id": "",
        "active": "on",
        "requirements-TOTAL_FORMS": 0,
        "requirements-INITIAL_FORMS": 0,
        "requirements-MIN_NUM_FORMS": 0,
        "requirements-MAX_NUM_FORMS": 1000,
    }
    page = client_for(world.admin).post(url, data)
    assert page.status_code == 200
    assert "between 1 and 365 days" in page.content.decode()
    group.refresh_from_db()
    assert group.reminder_schedule == [60, 30, 7]


def test_the_lead_sees_reminded_certifications_of_the_team(world, client_for):
    group = make_group(
        world.tenant,
        curricula=[make_curriculum(world.tenant)],
        requires_approval=False,
        reminder_schedule=[30],
    )
    cert = certify(world.agent, group=group)
    quiet = certify(world.other_agent, group=group)
    Certification.objects.filter(pk=quiet.pk).update(valid_until=cert.valid_until + 60 * DAY)
    assert send_expiry_reminders(now=cert.valid_until - 10 * DAY) == 1
    body = client_for(world.lead).get(reverse("certification:approvals")).content.decode()
    assert f'id="reminded-{cert.pk}"' in body and f'id="reminded-{quiet.pk}"' not in body
    assert reverse("certification:member_readiness", args=[world.agent.pk]) in body
    # Another team's lead does not see it.
    from tests.factories import make_team

    other_lead = make_team(world.tenant, name="Green").lead
    body = client_for(other_lead).get(reverse("certification:approvals")).content.decode()
    assert f'id="reminded-{cert.pk}"' not in body


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_each_groups_reminder_day_as_its_schedule(world):
    from django.db.migrations.executor import MigrationExecutor

    def migrate(targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)

    monthly = make_group(world.tenant, curricula=[make_curriculum(world.tenant)])
    never = make_group(world.tenant, curricula=[make_curriculum(world.tenant)])
    cert = certify(world.agent, group=monthly, approve_by=world.lead)
    Certification.objects.filter(pk=cert.pk).update(reminded_at=timezone.now())
    migrate([("certification", "0011_tenant_keys_and_known_values")])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE certification_skillgroup SET reminder_days = "
                "CASE WHEN id = %s THEN 45 ELSE 0 END WHERE id IN (%s, %s)",
                [monthly.pk, monthly.pk, never.pk],
            )
    finally:
        executor = MigrationExecutor(connection)
        migrate(executor.loader.graph.leaf_nodes())
    monthly.refresh_from_db()
    never.refresh_from_db()
    cert.refresh_from_db()
    assert (monthly.reminder_schedule, never.reminder_schedule) == ([45], [])
    # Reminded under the old single reminder: not reminded again for it in this period.
    assert cert.reminder_days == 45
    assert send_expiry_reminders(now=cert.valid_until - 10 * DAY) == 0


def test_the_schedules_database_check_also_validates_in_python(world):
    """Model validation runs the check constraint's own condition (without the field
    validators), so a form or the admin refuses what the database would."""
    group = make_group(world.tenant)
    group.reminder_schedule = [400]
    with pytest.raises(ValidationError):
        group.validate_constraints()
    group.reminder_schedule = [60, 30, 7]
    group.validate_constraints()
