"""Requirements of a skill group: what an agent must pass (a curriculum, or a quiz with an
optional minimum score) to be certified for it."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import InvalidInput
from tenants.models import Tenant
from training.models import Curriculum, Quiz

from ..models import Requirement, SkillGroup
from ..rules import requirement_problem


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
