"""A tenant with rows in every tenant-owned model, built through the services as people make
them, for the isolation checks of lists, exports and ids outside the path.

``foreign_id_space()`` moves every project table's id sequence far up while the foreign tenant's
rows are made, so that each of their ids is a number no other row has (``FOREIGN_ID``): one of
them in a response of the other tenant is a leak, whatever the key or column it appears under.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from certification.models import Certification, SkillGroup
from certification.services import revoke_certification, write_checkpoints
from events.models import WebhookAttempt, WebhookDelivery
from events.outbox import publish
from events.services import create_webhook_endpoint
from scheduling.event_types import CANCELLED
from tenants.models import Membership, Role, Team, Tenant, TenantScopedModel, User
from tenants.services import create_api_key
from training.models import Curriculum, Lesson, Question, Quiz
from training.services import enroll_agents

from .certification.factories import (
    begin_quiz,
    certify,
    make_curriculum,
    make_group,
    make_industry,
)
from .factories import MembershipFactory, UserFactory, make_team
from .training.factories import CategoryFactory, add_rule

# Ids of the foreign tenant's rows: 10 digits starting 1000, far from the few thousand ids a
# test makes, from epoch seconds (17...) and from the missing ids the checks use (2,000,000,000).
FOREIGN_ID_BASE = 1_000_000_000
FOREIGN_ID = re.compile(r"\b1000\d{6}\b")


@dataclass
class TenantData:
    """One tenant's personas and a row of each kind the pages, exports and forms show."""

    tenant: Tenant
    team: Team
    lead: Membership
    admin: Membership
    agent: Membership  # certified (active) for ``group``, with a shift on it
    agent2: Membership  # pending approval for ``approval_group``, an open attempt
    group: SkillGroup
    approval_group: SkillGroup
    curriculum: Curriculum
    quiz: Quiz
    question: Question
    active: Certification
    pending: Certification
    lesson: Lesson
    extra: dict = field(default_factory=dict)


def _project_tables() -> list[str]:
    return [
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label in settings.PROJECT_APPS
        and model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField")
    ]


@contextmanager
def foreign_id_space():
    """Rows made inside get ids from FOREIGN_ID_BASE up; the sequences are put back after, so
    rows made later get ids from where they were (sequences are not transactional)."""
    saved = []
    with connection.cursor() as cursor:
        for table in _project_tables():
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (sequence,) = cursor.fetchone()
            if sequence is None:
                continue
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            saved.append((sequence, *cursor.fetchone()))
            cursor.execute("SELECT setval(%s, %s, false)", [sequence, FOREIGN_ID_BASE])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sequence, last_value, is_called in saved:
                cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])


def personas(tenant: Tenant, prefix: str) -> dict:
    """A team with its lead and two agents, and a tenant admin."""
    team = make_team(tenant, name=f"{prefix} team", lead_user=UserFactory(username=f"{prefix}lead"))
    return {
        "team": team,
        "lead": team.lead,
        "agent": MembershipFactory(
            tenant=tenant, team=team, user=UserFactory(username=f"{prefix}agent")
        ),
        "agent2": MembershipFactory(
            tenant=tenant, team=team, user=UserFactory(username=f"{prefix}agent2")
        ),
        "admin": MembershipFactory(
            tenant=tenant, role=Role.TENANT_ADMIN, user=UserFactory(username=f"{prefix}admin")
        ),
    }


def populate(tenant: Tenant, *, team, lead, admin, agent, agent2) -> TenantData:
    """Rows of every tenant-owned model for ``tenant``, through the services where they exist."""
    industry = make_industry(tenant, f"ind-{tenant.slug}")
    curriculum = make_curriculum(tenant, industry=industry)
    group = make_group(
        tenant, curricula=[curriculum], requires_approval=False, industries=[industry], target=3
    )
    approval_curriculum = make_curriculum(tenant)
    approval_group = make_group(tenant, curricula=[approval_curriculum], requires_approval=True)
    enroll_agents(
        tenant=tenant,
        curricula=[curriculum, approval_curriculum],
        memberships=[agent, agent2],
        assigned_by=lead,
        due_at=timezone.now() + timedelta(days=7),
    )
    active = certify(agent, group=group)
    pending = certify(agent2, group=approval_group)
    # A revoked certification (an event with a reason) and an agent still in training.
    revoked = certify(agent2, group=group)
    revoke_certification(tenant=tenant, certification=revoked, actor=admin, reason="audit")
    quiz = curriculum.quizzes.first()
    category = CategoryFactory(tenant=tenant)
    add_rule(quiz, category, 1)
    open_quiz = make_curriculum(tenant, lessons=1).quizzes.first()
    open_attempt = begin_quiz(agent2, open_quiz)
    question = quiz.questions.first()
    _shifts(tenant, agent, group)
    endpoint = create_webhook_endpoint(tenant=tenant, url="http://127.0.0.1:9/hook").endpoint
    event = publish(
        tenant_id=tenant.pk, event_type="assignment.cancelled", payload=CANCELLED.example()
    )
    # Where on_commit runs at once (a committing test), publishing has made the delivery.
    delivery = WebhookDelivery.objects.get_or_create(tenant=tenant, endpoint=endpoint, event=event)[
        0
    ]
    WebhookAttempt.objects.create(
        tenant=tenant, delivery=delivery, at=timezone.now(), status_code=500, error="refused"
    )
    key = create_api_key(tenant=tenant, name=f"key-{tenant.slug}", created_by=admin.user)
    write_checkpoints(tenant_ids=[tenant.pk])
    return TenantData(
        tenant=tenant,
        team=team,
        lead=lead,
        admin=admin,
        agent=agent,
        agent2=agent2,
        group=group,
        approval_group=approval_group,
        curriculum=curriculum,
        quiz=quiz,
        question=question,
        active=active,
        pending=pending,
        lesson=curriculum.lessons.first(),
        extra={
            "api_key": key,
            "endpoint": endpoint,
            "event": event,
            "open_attempt": open_attempt,
            "revoked": revoked,
        },
    )


def _shifts(tenant, agent, group) -> None:
    from scheduling import services
    from scheduling.models import ShiftAssignment

    start = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    items = [
        services.AssignmentRequest(
            employee_id=agent.employee_id,
            skill_group=group.code,
            starts_at=start + timedelta(days=day),
            ends_at=start + timedelta(days=day, hours=8),
        )
        for day in range(2)
    ]

    def produce():
        result = services.create_assignments(
            tenant=tenant, items=items, source=ShiftAssignment.Source.API
        )
        return 201, {"created": [s.pk for s in result.created]}

    services.run_idempotent(
        tenant=tenant, key=f"iso-{tenant.slug}", fingerprint="iso", produce=produce
    )
    second = ShiftAssignment.objects.for_tenant(tenant).order_by("-starts_at").first()
    services.cancel_assignment(
        tenant=tenant, assignment_id=second.pk, reason="isolation check", actor=None
    )


def foreign_tenant(world) -> TenantData:
    """Tenant B (``world.other_tenant``) with rows in every tenant-owned model, each id from
    FOREIGN_ID_BASE up."""
    with foreign_id_space():
        people = personas(world.other_tenant, "b")
        return populate(world.other_tenant, **people)


def own_tenant(world) -> TenantData:
    """Tenant A's personas of ``world`` with rows of their own, so every list has something."""
    agent2 = world.other_agent
    return populate(
        world.tenant,
        team=world.team,
        lead=world.lead,
        admin=world.admin,
        agent=world.agent,
        agent2=agent2,
    )


def models_without_rows(tenant: Tenant) -> list[str]:
    return [
        model._meta.label
        for model in apps.get_models()
        if issubclass(model, TenantScopedModel)
        and not model._default_manager.filter(tenant=tenant).exists()
    ]


def users_of(tenant: Tenant):
    return User.objects.filter(memberships__tenant=tenant).distinct()
